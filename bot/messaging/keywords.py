"""Carrier keywords, recognised before any dialogue (DOMAIN.md, "Opt-out and keywords")."""

from __future__ import annotations

import re
from enum import StrEnum


class Keyword(StrEnum):
    OPT_OUT = "opt_out"
    OPT_IN = "opt_in"
    # "YES" re-subscribes an address that opted out; otherwise it is an answer for the bot.
    YES = "yes"
    HELP = "help"


_WORDS = {
    Keyword.OPT_OUT: {
        "stop",
        "stopall",
        "unsubscribe",
        "cancel",
        "end",
        "quit",
        "revoke",
        "optout",
        "td",
        "退订",
    },
    Keyword.OPT_IN: {"start", "unstop"},
    Keyword.YES: {"yes"},
    Keyword.HELP: {"help", "info"},
}
# Courtesy words people add around a keyword ("STOP please", "stop thank you", "请退订").
_COURTESY = {
    "please",
    "pls",
    "plz",
    "thanks",
    "thank",
    "you",
    "thx",
    "ty",
    "now",
    "ok",
    "okay",
    "sorry",
    "请",
    "谢谢",
    "谢",
}
_TOKEN = re.compile(r"[a-z]+|[\u4e00-\u9fff]+")
_CJK_COURTESY = re.compile(
    "|".join(sorted((w for w in _COURTESY if not w.isascii()), key=len, reverse=True))
)


def keyword_in(text: str) -> Keyword | None:
    """The keyword `text` consists of, ignoring case, punctuation and courtesy words."""
    lowered = _CJK_COURTESY.sub(" ", text.lower())
    tokens = [t for t in _TOKEN.findall(lowered) if t not in _COURTESY]
    if len(tokens) != 1 or re.search(r"\d", text):
        return None
    for keyword, words in _WORDS.items():
        if tokens[0] in words:
            return keyword
    return None

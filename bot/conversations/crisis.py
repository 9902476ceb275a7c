"""Words of self-harm that reach a person whatever the dialogue model makes of them.

The model learns distress from examples, and on the held-out set it misses about one distress
message in four (a fallback, or another intent). For someone saying they want to end their life a
second try is too late, so these phrases are matched before the model, as STOP is, and the turn
goes to Rasa as the `distress` intent: the same rule, the same reply (with the emergency number)
and the same hand-off as a recognised one. The list is deliberately narrow: it names self-harm,
not stress or anger, which the model handles.
"""

from __future__ import annotations

import re

# Sent to Rasa instead of the text: the REST channel reads "/intent" as that intent (confidence 1).
DISTRESS_INTENT = "/distress"

_ENGLISH = (
    r"\bkill(?:ing)? my ?self\b",
    r"\bsuicid",
    r"\bself[- ]?harm",
    r"\b(?:hurt|harm|cut)(?:ing)? my ?self\b",
    r"\bend(?:ing)? (?:my|my own) life\b",
    r"\btak(?:e|ing) my (?:own )?life\b",
    r"\bend it all\b",
    r"\bwant(?:ed|s)? to die\b",
    r"\bwanna die\b",
    r"\b(?:don'?t|do not|dont) want to (?:live|be alive|be here any ?more|wake up)\b",
    r"\bbetter off dead\b",
    r"\bwish i (?:was|were) dead\b",
    r"\bno (?:reason|point) (?:to|in) (?:live|living|go on|going on)\b",
    r"\bcan'?t go on\b",
    r"\bcannot go on\b",
)
_CHINESE = ("不想活", "想死", "自杀", "轻生", "活不下去", "结束生命", "了结自己", "伤害自己")

_PATTERN = re.compile("|".join(_ENGLISH), re.IGNORECASE)


def signals_self_harm(text: str) -> bool:
    """True when `text` says, in English or Chinese, that the writer may harm themselves."""
    plain = " ".join(text.replace("\u2019", "'").split()).casefold()
    return bool(_PATTERN.search(plain)) or any(phrase in plain for phrase in _CHINESE)

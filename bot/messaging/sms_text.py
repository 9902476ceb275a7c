"""SMS text: GSM-7 or UCS-2 encoding, segments, and buttons as a numbered list."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

# GSM 03.38 basic character set, and the extension table whose characters take two septets.
_GSM_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
_GSM_EXTENSION = set("^{}\\[~]|€\f")
# Twilio refuses bodies over 1,600 characters.
MAX_BODY_CHARS = 1600


@dataclass(frozen=True)
class Encoding:
    name: str
    single: int  # units in a message of one segment
    multi: int  # units per segment of a concatenated message


GSM7 = Encoding("GSM-7", 160, 153)
UCS2 = Encoding("UCS-2", 70, 67)


def encoding_of(text: str) -> Encoding:
    """GSM-7 when every character is in the GSM alphabet, UCS-2 otherwise (e.g. Chinese, emoji)."""
    return GSM7 if all(c in _GSM_BASIC or c in _GSM_EXTENSION for c in text) else UCS2


def _units(char: str, encoding: Encoding) -> int:
    if encoding is GSM7:
        return 2 if char in _GSM_EXTENSION else 1
    return 2 if ord(char) > 0xFFFF else 1  # outside the BMP: a UTF-16 surrogate pair


def segment_count(text: str) -> int:
    """How many SMS segments the carrier bills for `text`."""
    encoding = encoding_of(text)
    units = sum(_units(c, encoding) for c in text)
    if units <= encoding.single:
        return 1
    return -(-units // encoding.multi)


def split_body(text: str, *, max_chars: int = MAX_BODY_CHARS) -> list[str]:
    """`text` in bodies short enough to send, split between words where possible."""
    bodies: list[str] = []
    rest = text
    while len(rest) > max_chars:
        cut = rest.rfind(" ", 0, max_chars + 1)
        if cut <= 0:
            cut = max_chars
        bodies.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    bodies.append(rest)
    return bodies


def render_sms(text: str, buttons: list[dict[str, Any]] | None) -> str:
    """One SMS body: the text, then the buttons as a numbered list to reply to."""
    if not buttons:
        return text
    options = "\n".join(f"{n}. {b['title']}" for n, b in enumerate(buttons, start=1))
    return f"{text}\n{options}\nReply with a number."


_CHOICE = re.compile(r"^\s*(\d{1,2})\s*[.)]?\s*$")


def chosen_button(reply: str, buttons: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The button a reply such as "2" or "2." picks from the numbered list, if any."""
    match = _CHOICE.match(reply)
    if not match:
        return None
    number = int(match.group(1))
    return buttons[number - 1] if 1 <= number <= len(buttons) else None

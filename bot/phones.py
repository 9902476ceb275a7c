"""Phone numbers in E.164, the only form stored or matched."""

from __future__ import annotations

import re

# ASCII digits only: `\d` would also take Arabic-Indic, full-width and other scripts' digits.
_E164 = re.compile(r"\+[1-9][0-9]{6,14}")
_SEPARATORS = re.compile(r"[\s\-().]")


def normalize_e164(text: str) -> str | None:
    """`text` as an E.164 number (`+` and 7-15 digits), or None when it is not one."""
    compact = _SEPARATORS.sub("", text.strip())
    if compact.startswith("00"):
        compact = "+" + compact[2:]
    return compact if _E164.fullmatch(compact) else None

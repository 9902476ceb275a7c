"""Field types shared by request bodies and parameters."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator

# C0 controls other than tab, line feed and carriage return, and DEL. PostgreSQL cannot store NUL
# in text at all, and the others have no place in anything a person types.
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _no_control_characters(value: str) -> str:
    if _CONTROL_CHARACTERS.search(value):
        raise ValueError("must not contain control characters")
    return value


# Text as a person or a client system types it: any Unicode, but no control characters.
Text = Annotated[str, AfterValidator(_no_control_characters)]

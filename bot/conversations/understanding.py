"""When a recognised intent is enough to act on, and when the assistant must ask first.

Some intents change what cannot be taken back: a natural-language opt-out withdraws consent,
"wrong number" marks the number wrong-party and ends all contact, a dispute puts money on hold and
hands off, and a yes to a read-back records a promise or accepts a plan. Those act on a keyword, a
button, or a prediction at or above a high configured confidence (CONSEQUENTIAL_INTENT_CONFIDENCE);
below it the assistant asks one short question first. Everything else acts at the fallback
threshold. Standard library only: the NLU gate (Python 3.10, the Rasa runtime) reads this too.
"""

from __future__ import annotations

CONSEQUENTIAL_INTENTS = frozenset({"opt_out", "wrong_number", "dispute", "affirm"})
# Confidence of an intent sent as a button payload or by a keyword ("/affirm"): certain.
CERTAIN = 1.0


def is_consequential(intent: str) -> bool:
    return intent in CONSEQUENTIAL_INTENTS


def may_act_on(intent: str, confidence: float, *, threshold: float) -> bool:
    """Whether a consequential intent was understood confidently enough to act on without asking."""
    return not is_consequential(intent) or confidence >= threshold

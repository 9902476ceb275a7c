"""Verification facts: stored as keyed hashes, checked in constant time, never read back."""

from __future__ import annotations

import hashlib
import hmac
from datetime import date

from pydantic import SecretStr


def hash_date_of_birth(key: SecretStr, *, cardholder_ref: str, date_of_birth: date) -> str:
    """HMAC-SHA256 of a date of birth, salted with the bank's id for the cardholder."""
    message = f"dob|{cardholder_ref}|{date_of_birth.isoformat()}".encode()
    return hmac.new(key.get_secret_value().encode(), message, hashlib.sha256).hexdigest()


def date_of_birth_matches(
    key: SecretStr, *, cardholder_ref: str, date_of_birth: date, stored_hash: str
) -> bool:
    """True when `date_of_birth` is the one whose hash is stored."""
    candidate = hash_date_of_birth(key, cardholder_ref=cardholder_ref, date_of_birth=date_of_birth)
    return hmac.compare_digest(candidate, stored_hash)

"""Signed, expiring payment links: the page is the bank's; the link never carries a card number.

Token: base64url(JSON {account, amount, currency, exp}) "." base64url(HMAC-SHA256 of that part).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlencode


class InvalidLink(ValueError):
    """Tampered with, or expired."""


@dataclass(frozen=True)
class LinkClaims:
    account_id: int
    amount_minor: int
    currency: str
    expires_at: datetime


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _sign(secret: str, body: str) -> str:
    return _b64(hmac.new(secret.encode(), body.encode(), hashlib.sha256).digest())


def payment_link(
    *,
    base_url: str,
    secret: str,
    account_id: int,
    amount_minor: int,
    currency: str,
    now: datetime,
    ttl: timedelta,
) -> str:
    """A link to the payment page for this account and amount, valid for `ttl`."""
    claims = {
        "account": account_id,
        "amount": amount_minor,
        "currency": currency,
        "exp": int((now + ttl).timestamp()),
    }
    body = _b64(json.dumps(claims, separators=(",", ":"), sort_keys=True).encode())
    return f"{base_url}?{urlencode({'t': f'{body}.{_sign(secret, body)}'})}"


def read_link_token(token: str, *, secret: str, now: datetime) -> LinkClaims:
    """The claims of a valid, unexpired token; InvalidLink otherwise."""
    body, _, signature = token.partition(".")
    # A real token is ASCII throughout; anything else is refused before it reaches the HMAC.
    if not body or not token.isascii():
        raise InvalidLink("malformed")
    if not hmac.compare_digest(signature.encode(), _sign(secret, body).encode()):
        raise InvalidLink("signature does not match")
    try:
        claims = json.loads(_unb64(body))
        expires = datetime.fromtimestamp(int(claims["exp"]), tz=now.tzinfo)
        parsed = LinkClaims(
            int(claims["account"]), int(claims["amount"]), str(claims["currency"]), expires
        )
    except (ValueError, KeyError, TypeError, OverflowError, OSError) as error:
        raise InvalidLink("malformed") from error
    if expires <= now:
        raise InvalidLink("expired")
    return parsed

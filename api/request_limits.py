"""Rate limits per client address and per phone number or username, and request body sizes.

Counters live in Redis when REDIS_URL is set (shared by every api process) and in this process's
memory otherwise. Limits are written in the `limits` library's notation ("10/minute;60/hour").
"""

from __future__ import annotations

import hashlib
import logging
import math
import time
from collections.abc import Mapping, Sequence
from enum import StrEnum

from fastapi import Request
from limits import RateLimitItem, parse_many
from limits.errors import StorageError
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bot.settings import Settings

logger = logging.getLogger(__name__)


class Rule(StrEnum):
    """What is counted; each has a `RATE_LIMIT_<NAME>` setting (see bot/settings.py)."""

    CHAT_STARTS_PER_IP = "chat_starts_per_ip"
    CHAT_STARTS_PER_PHONE = "chat_starts_per_phone"
    LOGINS_PER_IP = "logins_per_ip"
    LOGIN_FAILURES_PER_IP = "login_failures_per_ip"
    LOGIN_FAILURES_PER_IP_AND_USER = "login_failures_per_ip_and_user"
    WEBHOOKS_PER_IP = "webhooks_per_ip"
    SMS_PER_PHONE = "sms_per_phone"
    BAD_PAYMENT_LINKS_PER_IP = "bad_payment_links_per_ip"


class RateLimited(Exception):
    """Over a rate limit: the request is refused with 429 and when to try again."""

    def __init__(self, rule: Rule, retry_after: int) -> None:
        super().__init__(f"rate limit {rule.value} reached; retry after {retry_after}s")
        self.rule = rule
        self.retry_after = retry_after


class RateLimiter:
    """Named limits over one counter store; identifiers are hashed, so no phone is stored."""

    def __init__(
        self, limits: Mapping[Rule, Sequence[RateLimitItem]], *, storage_uri: str = "memory://"
    ) -> None:
        self._limits = dict(limits)
        options = {"key_prefix": "collections-api"} if storage_uri.startswith("redis") else {}
        self._strategy = MovingWindowRateLimiter(
            storage_from_string(storage_uri, wrap_exceptions=True, **options)
        )

    @classmethod
    def from_settings(cls, settings: Settings) -> RateLimiter:
        return cls(
            {rule: parse_many(settings.rate_limit(rule.value)) for rule in Rule},
            storage_uri=settings.redis_url or "memory://",
        )

    def hit(self, rule: Rule, *identity: str) -> None:
        """Count one request; RateLimited (and nothing counted) when it is over the limit."""
        self.check(rule, *identity)
        self.count(rule, *identity)

    def check(self, rule: Rule, *identity: str) -> None:
        """RateLimited when the limit is already reached; counts nothing."""
        key = _key(identity)
        try:
            over = [item for item in self._limits[rule] if not self._strategy.test(item, key)]
            if over:
                now = time.time()
                retry_after = max(
                    self._strategy.get_window_stats(item, key).reset_time - now for item in over
                )
                raise RateLimited(rule, max(1, math.ceil(retry_after)))
        except StorageError as error:
            # Availability over throttling: a lost counter store must not stop every request.
            logger.error("rate limit store unavailable, %s not checked: %s", rule.value, error)

    def count(self, rule: Rule, *identity: str) -> None:
        """Count one event (e.g. a failed login) without refusing anything."""
        key = _key(identity)
        try:
            for item in self._limits[rule]:
                self._strategy.hit(item, key)
        except StorageError as error:
            logger.error("rate limit store unavailable, %s not counted: %s", rule.value, error)


def _key(identity: Sequence[str]) -> str:
    return hashlib.sha256("\x1f".join(identity).encode()).hexdigest()[:32]


def client_address(request: Request) -> str:
    """The caller's IP address (uvicorn puts a trusted proxy's X-Forwarded-For here)."""
    return request.client.host if request.client else "unknown"


def rate_limited_response(error: RateLimited) -> JSONResponse:
    return JSONResponse(
        {
            "error": {
                "code": "rate_limited",
                "message": f"Too many requests. Try again in {error.retry_after} seconds.",
                "retry_after_seconds": error.retry_after,
            }
        },
        status_code=429,
        headers={"Retry-After": str(error.retry_after)},
    )


class BodyTooLarge(HTTPException):
    """A request body over the size allowed for its path (413)."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"The request body is larger than the {limit} bytes allowed here.")
        self.limit = limit


def body_too_large_response(error: BodyTooLarge) -> JSONResponse:
    return JSONResponse(
        {"error": {"code": "body_too_large", "message": error.detail, "limit_bytes": error.limit}},
        status_code=413,
    )


class BodySizeLimit:
    """Refuses request bodies over a size with 413, whether or not they declare their length."""

    def __init__(
        self, app: ASGIApp, *, default: int, by_path_prefix: Sequence[tuple[str, int]] = ()
    ) -> None:
        self.app = app
        self.default = default
        self.by_path_prefix = list(by_path_prefix)

    def limit_for(self, path: str) -> int:
        return next(
            (limit for prefix, limit in self.by_path_prefix if path.startswith(prefix)),
            self.default,
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope["path"])
        declared = Headers(scope=scope).get("content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > limit):
            await body_too_large_response(BodyTooLarge(limit))(scope, receive, send)
            return
        received = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    # Raised to the handler reading the body; the error handlers answer 413.
                    raise BodyTooLarge(limit)
            return message

        async def watched_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, limited_receive, watched_send)
        except BodyTooLarge as error:
            # Read outside any handler (e.g. in a background task): answer here if still possible.
            if started:
                raise
            await body_too_large_response(error)(scope, receive, send)

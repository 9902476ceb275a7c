"""Who is calling the console: a browser session (cookie + CSRF) or an API bearer token."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from api.bearer import bearer_token
from api.deps import SessionDep
from api.errors import ApiError
from bot.collectors.models import Collector, ConsoleSession, SessionKind
from bot.collectors.service import csrf_matches, session_for_token

COOKIE = "console_session"
CSRF_HEADER = "X-CSRF-Token"
_SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


@dataclass(frozen=True)
class Caller:
    collector: Collector
    console_session: ConsoleSession


def current_caller(request: Request, session: SessionDep) -> Caller:
    """The signed-in collector; 401 without a live session, 403 for a browser call without CSRF."""
    token = bearer_token(request.headers.get("Authorization"))
    from_cookie = token is None
    token = token or request.cookies.get(COOKIE)
    found = session_for_token(session, token) if token else None
    if found is None:
        raise ApiError(401, "not_signed_in", "Sign in to the console, or send a valid API token.")
    if from_cookie and found.kind != SessionKind.BROWSER:
        raise ApiError(401, "not_signed_in", "API tokens go in the Authorization header.")
    if (
        found.kind == SessionKind.BROWSER
        and request.method not in _SAFE_METHODS
        and not csrf_matches(found, request.headers.get(CSRF_HEADER))
    ):
        raise ApiError(403, "csrf_failed", f"Missing or wrong {CSRF_HEADER} header.")
    return Caller(found.collector, found)


CallerDep = Annotated[Caller, Depends(current_caller)]

"""Request dependencies: one unit of work per request, and the app's shared services."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from api.request_limits import RateLimiter
from bot.conversations.turns import TurnRunner
from bot.settings import Settings


def get_db(request: Request) -> Iterator[Session]:
    """Commit when the endpoint succeeds, roll back when it raises."""
    session: Session = request.app.state.sessions()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def get_turns(request: Request) -> TurnRunner:
    return request.app.state.turns  # type: ignore[no-any-return]


def get_rate_limiter(request: Request) -> RateLimiter:
    return request.app.state.rate_limiter  # type: ignore[no-any-return]


def get_app_settings(request: Request) -> Settings:
    return request.app.state.settings  # type: ignore[no-any-return]


# "function" scope: the commit happens before the response is sent, so a client that acts on a
# response always finds what it reported (the default would commit after sending).
SessionDep = Annotated[Session, Depends(get_db, scope="function")]
TurnsDep = Annotated[TurnRunner, Depends(get_turns)]
SettingsDep = Annotated[Settings, Depends(get_app_settings)]
RateLimiterDep = Annotated[RateLimiter, Depends(get_rate_limiter)]

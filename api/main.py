"""The FastAPI application: built by `create_app`, nothing happens at import."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse, RedirectResponse
from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker

from api.chat.endpoints import router as chat_router
from api.deps import SessionDep
from api.errors import install_error_handlers
from bot.conversations.turns import TurnRunner
from bot.persistence.session import make_engine, session_factory
from bot.rasa_client import RasaClient
from bot.settings import Settings, get_settings

STATIC = Path(__file__).parent / "static"


def create_app(
    settings: Settings | None = None,
    *,
    sessions: sessionmaker[Session] | None = None,
    rasa: RasaClient | None = None,
) -> FastAPI:
    """The api, wired to the configured database and Rasa server unless others are given."""
    settings = settings or get_settings()
    owned_engine = None
    if sessions is None:
        owned_engine = make_engine(settings.database_url)
        sessions = session_factory(owned_engine)
    rasa = rasa or RasaClient(
        settings.rasa_url,
        settings.rasa_token.get_secret_value(),
        timeout=settings.rasa_timeout_seconds,
    )

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        rasa.close()
        if owned_engine is not None:
            owned_engine.dispose()

    app = FastAPI(
        title="Card collections assistant",
        description="Web chat, webhooks and console for the card collections assistant.",
        version="0.1.0",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.sessions = sessions
    app.state.rasa = rasa
    app.state.turns = TurnRunner(sessions, rasa)
    install_error_handlers(app)
    app.include_router(chat_router)

    @app.get("/", include_in_schema=False)
    def index() -> RedirectResponse:
        return RedirectResponse("/chat")

    @app.get("/chat", include_in_schema=False)
    def chat_page() -> FileResponse:
        return FileResponse(STATIC / "chat.html", media_type="text/html")

    @app.get("/healthz", tags=["health"])
    def health(session: SessionDep) -> dict[str, str]:
        """Whether the database and the Rasa server answer."""
        session.execute(text("SELECT 1"))
        return {
            "status": "ok",
            "database": "ok",
            "rasa": "ok" if rasa.is_ready() else "unreachable",
        }

    return app

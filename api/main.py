"""The FastAPI application: built by `create_app`, nothing happens at import."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager, suppress
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker

from api.access_log import install_access_log_redaction
from api.chat.endpoints import router as chat_router
from api.console.endpoints import router as console_router
from api.deps import SessionDep
from api.errors import install_error_handlers
from api.payments.endpoints import router as payments_router
from api.portfolio.endpoints import router as portfolio_router
from api.reminders.endpoints import router as reminders_router
from api.request_limits import BodySizeLimit, RateLimiter
from api.security_headers import SecurityHeaders
from api.simulator.endpoints import router as simulator_router
from api.sms.endpoints import router as sms_router
from bot.conversations.turns import TurnRunner
from bot.messaging.outbox import OutboxDispatcher
from bot.messaging.sms_gateway import SmsGateway
from bot.messaging.transports import SimulatorTransport, SmsTransport, TwilioTransport
from bot.persistence.session import make_engine, session_factory
from bot.policy.service import SendGate
from bot.rasa_client import RasaClient
from bot.reminders.scheduler import run_periodically
from bot.settings import Settings, get_settings

STATIC = Path(__file__).parent / "static"
TransportFactory = Callable[[Settings], SmsTransport]


def default_sms_transport(settings: Settings) -> SmsTransport:
    """Twilio when it is configured, the local simulator otherwise."""
    if not settings.twilio_configured:
        return SimulatorTransport()
    return TwilioTransport(
        account_sid=settings.twilio_account_sid,
        auth_token=settings.twilio_auth_token.get_secret_value(),
        from_number=settings.twilio_from_number or None,
        messaging_service_sid=settings.twilio_messaging_service_sid or None,
        api_base_url=settings.twilio_api_base_url or None,
    )


def create_app(
    settings: Settings | None = None,
    *,
    sessions: sessionmaker[Session] | None = None,
    rasa: RasaClient | None = None,
    sms_transport: TransportFactory = default_sms_transport,
    rate_limiter: RateLimiter | None = None,
) -> FastAPI:
    """The api, wired to the configured database, Rasa server, SMS transport and rate limits."""
    settings = settings or get_settings()
    install_access_log_redaction()
    owned_engine = None
    if sessions is None:
        owned_engine = make_engine(settings.database_url)
        sessions = session_factory(owned_engine)
    rasa = rasa or RasaClient(
        settings.rasa_url,
        settings.rasa_token.get_secret_value(),
        channel_token=settings.rasa_channel_token.get_secret_value(),
        timeout=settings.rasa_timeout_seconds,
    )
    turns = TurnRunner(sessions, rasa)
    # A wrong contact strategy file stops the api here, with the file and line in the message.
    send_gate = SendGate.from_settings(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # The transport's HTTP session belongs to this event loop, so it is made here.
        transport = sms_transport(settings)
        dispatcher = OutboxDispatcher(
            sessions,
            transport,
            rate_per_second=settings.sms_segments_per_second,
            status_callback_url=(
                settings.public_base_url.rstrip("/") + "/webhooks/twilio/status"
                if settings.twilio_configured
                else None
            ),
            max_attempts=settings.sms_max_send_attempts,
            send_gate=send_gate,
        )
        loop = asyncio.get_running_loop()

        def wake_outbox() -> None:
            loop.call_soon_threadsafe(dispatcher.wake)

        app.state.outbox = dispatcher
        app.state.sms_gateway = SmsGateway(sessions, turns, settings, wake_outbox=wake_outbox)
        stop = asyncio.Event()
        worker = asyncio.create_task(dispatcher.run(stop))
        scheduler = None
        if settings.reminder_interval_seconds > 0:
            scheduler = asyncio.create_task(
                run_periodically(sessions, settings, stop, after_run=wake_outbox)
            )
        try:
            yield
        finally:
            stop.set()
            dispatcher.wake()
            with suppress(asyncio.CancelledError):
                await asyncio.wait_for(worker, timeout=10)
            if scheduler is not None:
                with suppress(asyncio.CancelledError, TimeoutError):
                    await asyncio.wait_for(scheduler, timeout=60)
            await transport.close()
            rasa.close()
            if owned_engine is not None:
                owned_engine.dispose()

    app = FastAPI(
        title="Card collections assistant",
        description="Web chat, SMS webhooks and console for the card collections assistant.",
        version="0.1.0",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.sessions = sessions
    app.state.rasa = rasa
    app.state.turns = turns
    app.state.rate_limiter = rate_limiter or RateLimiter.from_settings(settings)
    install_error_handlers(app)
    app.add_middleware(
        BodySizeLimit,
        default=settings.max_body_bytes,
        by_path_prefix=[
            ("/webhooks/", settings.max_webhook_body_bytes),
            ("/api/admin/portfolio/imports", settings.max_upload_bytes),
        ],
    )
    # Added last, so outermost: every answer gets the headers, refusals included.
    app.add_middleware(
        SecurityHeaders, https=settings.public_base_url.lower().startswith("https://")
    )
    app.mount("/assets", StaticFiles(directory=STATIC / "assets"), name="assets")
    app.include_router(chat_router)
    app.include_router(sms_router)
    app.include_router(portfolio_router)
    app.include_router(reminders_router)
    app.include_router(console_router)
    app.include_router(payments_router)
    if settings.simulator_enabled:
        app.include_router(simulator_router)

    @app.get("/", include_in_schema=False)
    def index() -> RedirectResponse:
        return RedirectResponse("/chat")

    @app.get("/chat", include_in_schema=False)
    def chat_page() -> FileResponse:
        return FileResponse(STATIC / "chat.html", media_type="text/html")

    @app.get("/console", include_in_schema=False)
    def console_page() -> FileResponse:
        return FileResponse(STATIC / "console.html", media_type="text/html")

    @app.get("/healthz", tags=["health"])
    def health(session: SessionDep) -> dict[str, str]:
        """Whether the database and the Rasa server answer."""
        session.execute(text("SELECT 1"))
        return {
            "status": "ok",
            "database": "ok",
            "rasa": "ok" if rasa.is_ready() else "unreachable",
            "sms": "twilio" if settings.twilio_configured else "simulator",
        }

    return app

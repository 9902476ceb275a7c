"""The action server: rasa-sdk's app, answering only Rasa, on loopback unless told otherwise.

Start it with `python -m actions.server` (not `python -m rasa_sdk`, which binds 0.0.0.0 and
answers anyone). Rasa sends the shared secret ACTION_SERVER_TOKEN as `Authorization: Bearer ...`
(endpoints.yml); a call to the webhook or the action list without it gets 401 and runs nothing.
An unknown conversation id gets 404 and any other failure a bare 500: neither echoes the request.
"""

from __future__ import annotations

import argparse
import hmac
import logging
import sys
from functools import partial
from http import HTTPStatus
from typing import Any

from rasa_sdk.constants import DEFAULT_KEEP_ALIVE_TIMEOUT
from rasa_sdk.endpoint import create_app
from rasa_sdk.executor import ActionExecutor
from rasa_sdk.utils import number_of_sanic_workers
from sanic import Sanic, response
from sanic.handlers import ErrorHandler
from sanic.request import Request
from sanic.response import HTTPResponse
from sanic.worker.loader import AppLoader

from bot.settings import get_settings
from bot.verification.service import ConversationNotFound

logger = logging.getLogger(__name__)

DEFAULT_HOST = "127.0.0.1"
# Readiness probes need no secret, and the answer says nothing.
_OPEN_PATHS = frozenset({"/health"})


def _bearer_matches(request: Request, token: bytes) -> bool:
    sent = request.headers.get("Authorization", "")
    if not sent.startswith("Bearer "):
        return False
    return hmac.compare_digest(sent.removeprefix("Bearer ").encode(), token)


def create_action_app(token: str) -> Sanic[Any, Any]:
    """rasa-sdk's app over the `actions` package, refusing every call without `token`."""
    if not token:
        raise ValueError("ACTION_SERVER_TOKEN is empty: the action server would answer anyone")
    executor = ActionExecutor()
    executor.register_package("actions")
    # No CORS: only Rasa calls this server, never a browser.
    app: Sanic[Any, Any] = create_app(executor, cors_origins=None)
    app.config.KEEP_ALIVE_TIMEOUT = DEFAULT_KEEP_ALIVE_TIMEOUT
    secret = token.encode()

    async def require_token(request: Request) -> HTTPResponse | None:
        if request.path in _OPEN_PATHS or _bearer_matches(request, secret):
            return None
        return response.json({"error": "unauthorized"}, status=401)

    app.on_request(require_token)

    def refuse_quietly(request: Request, error: Exception) -> HTTPResponse:
        if isinstance(error, ConversationNotFound):
            return response.json({"error": "unknown conversation"}, status=404)
        status = int(getattr(error, "status_code", 500))
        if status >= 500:
            logger.error("action call failed", exc_info=error)
        return response.json({"error": HTTPStatus(status).phrase.lower()}, status=status)

    # rasa-sdk's own handler answers 500 with the request body in it: start from a clean one.
    app.error_handler = ErrorHandler()
    app.error_handler.add(Exception, refuse_quietly)
    return app


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m actions.server", description=__doc__)
    parser.add_argument(
        "--host", default=DEFAULT_HOST, help=f"address to listen on (default {DEFAULT_HOST})"
    )
    parser.add_argument("--port", type=int, default=5055)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    token = get_settings().action_server_token.get_secret_value()
    loader = AppLoader(factory=partial(create_action_app, token))
    app = loader.load()
    app.prepare(host=args.host, port=args.port, workers=number_of_sanic_workers())
    logger.info("action server listening on http://%s:%s", args.host, args.port)
    Sanic.serve(primary=app, app_loader=loader)
    return 0


if __name__ == "__main__":
    sys.exit(main())

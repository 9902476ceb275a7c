"""The api's way into Rasa: the REST protocol, answered only for requests carrying the secret.

Rasa's built-in REST channel runs a dialogue turn for anyone who knows a conversation id, which
skips every guard the api keeps (possession of the phone, no injected intents, no disclosure
before verification, the record of every message). This channel speaks the same protocol at
/webhooks/gateway/webhook, and answers 401 to any request without the shared secret
(RASA_CHANNEL_TOKEN) in the X-Gateway-Token header, which only the api sends.
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import InputChannel, UserMessage
from rasa.core.channels.rest import RestInput
from rasa.shared.exceptions import RasaException
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

TOKEN_HEADER = "X-Gateway-Token"


class GatewayInput(RestInput):
    """Rasa's REST channel behind a shared secret."""

    def __init__(self, token: str) -> None:
        if not token:
            raise RasaException(
                "credentials.yml: the gateway channel needs a token (RASA_CHANNEL_TOKEN)"
            )
        self._token = token.encode()

    @classmethod
    def name(cls) -> str:
        return "gateway"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        return cls(str((credentials or {}).get("token") or ""))

    def _authorized(self, request: Request) -> bool:
        sent = request.headers.get(TOKEN_HEADER, "")
        return hmac.compare_digest(sent.encode(), self._token)

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[None]]) -> Blueprint:
        webhook = super().blueprint(on_new_message)

        @webhook.middleware("request")
        async def require_token(request: Request) -> HTTPResponse | None:
            if self._authorized(request):
                return None
            return response.json({"error": "unauthorized"}, status=401)

        return webhook

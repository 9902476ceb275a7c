"""The Rasa server, seen from the api: its REST channel and its tracker API."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import httpx


class RasaUnavailable(RuntimeError):
    """Rasa did not answer, or answered with an error."""


@dataclass(frozen=True)
class BotMessage:
    text: str
    buttons: list[dict[str, Any]] = field(default_factory=list)


# The input channel of rasa_channels/gateway.py, and the header that carries its secret.
CHANNEL_WEBHOOK = "/webhooks/gateway/webhook"
CHANNEL_TOKEN_HEADER = "X-Gateway-Token"


class RasaClient:
    """Talks to one Rasa server; `transport` lets tests put a fake in front of it.

    `token` opens Rasa's HTTP API (trackers); `channel_token` is the secret our input channel
    asks of every turn, so that only the api can drive one.
    """

    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        channel_token: str = "",
        timeout: float = 30.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self._token = token
        self._channel_token = channel_token
        self._http = httpx.Client(base_url=base_url, timeout=timeout, transport=transport)

    def close(self) -> None:
        self._http.close()

    def send_message(
        self, sender_id: str, text: str, metadata: dict[str, Any] | None = None
    ) -> list[BotMessage]:
        """One user turn through our input channel; the bot's replies in order."""
        try:
            response = self._http.post(
                CHANNEL_WEBHOOK,
                json={"sender": sender_id, "message": text, "metadata": metadata or {}},
                headers={CHANNEL_TOKEN_HEADER: self._channel_token},
            )
            response.raise_for_status()
            payload = response.json()
        except (httpx.HTTPError, ValueError) as error:
            raise RasaUnavailable(str(error)) from error
        replies = []
        for item in payload:
            if item.get("text"):
                buttons = [
                    {"title": str(b.get("title", "")), "payload": str(b.get("payload", ""))}
                    for b in item.get("buttons") or []
                ]
                replies.append(BotMessage(text=item["text"], buttons=buttons))
        return replies

    def resume(self, sender_id: str, *, unlock: bool = False) -> None:
        """Give a paused conversation back to the bot; `unlock` lets the identity check restart."""
        events: list[dict[str, Any]] = [{"event": "resume"}]
        if unlock:
            events.append({"event": "slot", "name": "verification_locked", "value": False})
        # The pause stopped the bot before it listened; without this the next message would be
        # judged as following the hand-off action, and no rule would match it.
        events.append({"event": "action", "name": "action_listen"})
        self._append_events(sender_id, events)

    def _append_events(self, sender_id: str, events: list[dict[str, Any]]) -> None:
        try:
            response = self._http.post(
                f"/conversations/{sender_id}/tracker/events",
                params={"token": self._token},
                json=events,
            )
            response.raise_for_status()
        except httpx.HTTPError as error:
            raise RasaUnavailable(str(error)) from error

    def is_ready(self) -> bool:
        """True when the server is up with a model loaded."""
        try:
            response = self._http.get("/status", params={"token": self._token}, timeout=2.0)
            return response.status_code == 200 and bool(response.json().get("model_id"))
        except (httpx.HTTPError, ValueError):
            return False

"""SMS transports: Twilio's Messages API, or the local simulator when Twilio is not configured."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass
from typing import Any, Protocol

import aiohttp
from twilio.base.exceptions import TwilioRestException
from twilio.http.async_http_client import AsyncTwilioHttpClient
from twilio.http.response import Response
from twilio.rest import Client

TWILIO_API = "https://api.twilio.com"
# Twilio error codes after which sending again can never succeed.
PERMANENT_ERRORS = {
    "21211": "invalid 'To' number",
    "21610": "recipient opted out (replied STOP)",
    "21612": "'To' number cannot be reached",
    "21614": "'To' number is not a mobile number",
    "21408": "region not enabled for this account",
}
OPTED_OUT_ERROR = "21610"


@dataclass(frozen=True)
class SendReceipt:
    provider_message_id: str
    status: str


class TransportError(Exception):
    """A send that failed; `permanent` ones are not retried."""

    def __init__(self, message: str, *, code: str | None = None, permanent: bool = False) -> None:
        super().__init__(message)
        self.code = code
        self.permanent = permanent


class SmsTransport(Protocol):
    name: str

    async def send(self, *, to: str, body: str, status_callback: str | None) -> SendReceipt: ...

    async def close(self) -> None: ...


class _RebasedHttpClient(AsyncTwilioHttpClient):  # type: ignore[misc]
    """Twilio's own async HTTP client, sending to `base_url` instead (for a local fake)."""

    def __init__(self, base_url: str | None) -> None:
        super().__init__()
        self._base_url = base_url.rstrip("/") if base_url else None

    async def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Response:
        if self._base_url and url.startswith(TWILIO_API):
            url = self._base_url + url[len(TWILIO_API) :]
        kwargs["timeout"] = None  # the transport bounds the whole call itself
        return await super().request(method, url, *args, **kwargs)


class TwilioTransport:
    """Sends through Twilio's Messages API with the official client, never blocking the loop."""

    name = "twilio"

    def __init__(
        self,
        *,
        account_sid: str,
        auth_token: str,
        from_number: str | None,
        messaging_service_sid: str | None,
        api_base_url: str | None = None,
        timeout: float = 10.0,
    ) -> None:
        if not from_number and not messaging_service_sid:
            raise ValueError("Twilio needs a sender number or a messaging service SID")
        self._http = _RebasedHttpClient(api_base_url)
        self._client = Client(account_sid, auth_token, http_client=self._http)
        self._from = from_number
        self._service = messaging_service_sid
        self._timeout = timeout

    async def send(self, *, to: str, body: str, status_callback: str | None) -> SendReceipt:
        options: dict[str, Any] = {"to": to, "body": body}
        if self._service:
            options["messaging_service_sid"] = self._service
        else:
            options["from_"] = self._from
        if status_callback:
            options["status_callback"] = status_callback
        try:
            message = await asyncio.wait_for(
                self._client.messages.create_async(**options), timeout=self._timeout
            )
        except TwilioRestException as error:
            code = str(error.code) if error.code else None
            permanent = code in PERMANENT_ERRORS or (
                400 <= error.status < 500 and error.status not in (408, 429)
            )
            raise TransportError(
                f"Twilio answered {error.status}: {error.msg}", code=code, permanent=permanent
            ) from error
        except (TimeoutError, aiohttp.ClientError, OSError) as error:
            raise TransportError(f"Twilio unreachable: {error!r}") from error
        return SendReceipt(provider_message_id=str(message.sid), status=str(message.status))

    async def close(self) -> None:
        await self._http.close()


class SimulatorTransport:
    """Delivers to the local SMS simulator page, which reads the thread from the database."""

    name = "simulator"

    async def send(self, *, to: str, body: str, status_callback: str | None) -> SendReceipt:
        return SendReceipt(provider_message_id=f"SIM{uuid.uuid4().hex}", status="delivered")

    async def close(self) -> None:
        return None

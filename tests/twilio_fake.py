"""A local fake of Twilio's Messages API, on loopback, for the real twilio client to talk to.

Each send takes the next scripted behaviour ("ok" by default): "ok" (201), "429", "500",
"hang" (never answers in time), or an error code such as "21610" or "21211" (400 with that code).
"""

from __future__ import annotations

import base64
import json
import threading
import time
import uuid
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs


@dataclass
class ReceivedSms:
    account_sid: str
    to: str
    body: str
    sender: str | None
    messaging_service_sid: str | None
    status_callback: str | None
    auth_user: str
    params: dict[str, str] = field(repr=False)


class FakeTwilio:
    def __init__(self) -> None:
        self.received: list[ReceivedSms] = []
        self.script: deque[str] = deque()
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> FakeTwilio:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    def will(self, *behaviours: str) -> None:
        """Script how the next sends are answered, in order."""
        with self._lock:
            self.script.extend(behaviours)

    def bodies_to(self, to: str) -> list[str]:
        with self._lock:
            return [sms.body for sms in self.received if sms.to == to]

    def _next(self) -> str:
        with self._lock:
            return self.script.popleft() if self.script else "ok"

    def _record(self, sms: ReceivedSms) -> None:
        with self._lock:
            self.received.append(sms)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                parts = self.path.split("?")[0].strip("/").split("/")
                if len(parts) != 4 or parts[0] != "2010-04-01" or parts[3] != "Messages.json":
                    self._answer(404, {"code": 20404, "message": "not found", "status": 404})
                    return
                length = int(self.headers.get("Content-Length") or 0)
                form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
                user = ""
                auth = self.headers.get("Authorization", "")
                if auth.startswith("Basic "):
                    user = base64.b64decode(auth[6:]).decode().split(":")[0]
                behaviour = fake._next()
                if behaviour == "hang":
                    time.sleep(5)
                    return
                fake._record(
                    ReceivedSms(
                        account_sid=parts[2],
                        to=form.get("To", ""),
                        body=form.get("Body", ""),
                        sender=form.get("From"),
                        messaging_service_sid=form.get("MessagingServiceSid"),
                        status_callback=form.get("StatusCallback"),
                        auth_user=user,
                        params=form,
                    )
                )
                if behaviour == "ok":
                    sid = f"SM{uuid.uuid4().hex}"
                    self._answer(
                        201,
                        {
                            "sid": sid,
                            "status": "queued",
                            "to": form.get("To"),
                            "from": form.get("From"),
                            "body": form.get("Body"),
                            "account_sid": parts[2],
                            "num_segments": "1",
                        },
                    )
                elif behaviour in ("429", "500"):
                    self._answer(
                        int(behaviour),
                        {
                            "code": 20429 if behaviour == "429" else 20500,
                            "message": "try later",
                            "status": int(behaviour),
                        },
                    )
                else:
                    self._answer(400, {"code": int(behaviour), "message": "refused", "status": 400})

            def _answer(self, status: int, payload: dict[str, Any]) -> None:
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *_: Any) -> None:
                pass

        return Handler

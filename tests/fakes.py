"""Local HTTP servers standing in for a misbehaving dependency, on a free loopback port."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Handler = Callable[[str, Any], tuple[int, Any]]
HeaderHandler = Callable[[str, Any, Mapping[str, str]], tuple[int, Any]]


@contextmanager
def json_server(handle: Handler) -> Iterator[tuple[str, list[tuple[str, Any]]]]:
    """Serve `handle(path, body) -> (status, json)`; yield the base URL and what was received."""
    with json_server_with_headers(lambda path, body, _headers: handle(path, body)) as served:
        yield served


@contextmanager
def json_server_with_headers(
    handle: HeaderHandler,
) -> Iterator[tuple[str, list[tuple[str, Any]]]]:
    """Serve `handle(path, body, headers) -> (status, json)`; yield the URL and what came in."""
    received: list[tuple[str, Any]] = []

    class _Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length) or b"null")
            received.append((self.path, body))
            status, payload = handle(self.path, body, self.headers)
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *_: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", received
    finally:
        server.shutdown()
        server.server_close()
        thread.join()

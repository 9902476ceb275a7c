"""The web server's access log without secrets: query values and opaque ids are redacted.

Payment links carry their token in the query (`/pay?t=...`) and chat paths carry conversation
ids, either of which opens something to whoever reads the log.
"""

from __future__ import annotations

import logging
import re

ACCESS_LOGGER = "uvicorn.access"
REDACTED = "[redacted]"
# A path segment that is an opaque id or token rather than a word: long, letters and digits.
_OPAQUE_SEGMENT = re.compile(r"(?<=/)[A-Za-z0-9_\-]{16,}(?=/|$)")
_QUERY_VALUE = re.compile(r"=[^&]*")


def redact_path(path: str) -> str:
    """`path` (with its query) with every query value and every opaque segment redacted."""
    route, question, query = path.partition("?")
    route = _OPAQUE_SEGMENT.sub(REDACTED, route)
    if not question:
        return route
    return f"{route}?{_QUERY_VALUE.sub('=' + REDACTED, query)}"


class RedactAccessLog(logging.Filter):
    """Rewrites uvicorn's access records (client, method, path, http version, status)."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) == 5 and isinstance(args[2], str):
            record.args = (args[0], args[1], redact_path(args[2]), args[3], args[4])
        return True


def install_access_log_redaction() -> None:
    """Put the filter on uvicorn's access logger once per process."""
    access = logging.getLogger(ACCESS_LOGGER)
    if not any(isinstance(existing, RedactAccessLog) for existing in access.filters):
        access.addFilter(RedactAccessLog())

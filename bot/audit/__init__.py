"""The append-only record of what happened and who or what did it."""

from bot.audit.models import AuditEvent
from bot.audit.service import record

__all__ = ["AuditEvent", "record"]

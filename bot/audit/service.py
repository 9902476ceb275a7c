"""Writing audit events."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from bot.audit.models import AuditEvent


def record(
    session: Session,
    *,
    actor: str,
    action: str,
    conversation_id: str | None = None,
    cardholder_id: int | None = None,
    **details: Any,
) -> AuditEvent:
    """Append one audit event to the current unit of work."""
    event = AuditEvent(
        actor=actor,
        action=action,
        conversation_id=conversation_id,
        cardholder_id=cardholder_id,
        details=details,
    )
    session.add(event)
    return event

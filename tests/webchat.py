"""Opening a web chat as its user does: start it, read the code texted to the phone, enter it."""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.conversations.models import Channel, Conversation, Message, MessageKind

_CODE = re.compile(r"\b(\d{6})\b")


def texted_codes(sessions: sessionmaker[Session], phone: str) -> list[str]:
    """Every one-time code the outbox holds for `phone`, oldest first (what the phone shows)."""
    with sessions() as session:
        bodies = session.scalars(
            select(Message.text)
            .join(Conversation)
            .where(
                Conversation.channel == Channel.SMS,
                Conversation.address == phone,
                Message.kind == MessageKind.ONE_TIME_CODE,
            )
            .order_by(Message.id)
        ).all()
    return [match.group(1) for body in bodies if (match := _CODE.search(body))]


def start_chat(http, phone: str) -> tuple[str, dict[str, str]]:
    """Start a web chat for `phone`: its id and the Authorization header that opens it."""
    response = http.post("/api/chat/conversations", json={"phone": phone})
    assert response.status_code == 201, response.text
    body = response.json()
    return body["conversation_id"], {"Authorization": f"Bearer {body['token']}"}


def enter_code(http, conversation_id: str, auth: dict[str, str], code: str):
    return http.post(
        f"/api/chat/conversations/{conversation_id}/possession", json={"code": code}, headers=auth
    )


def open_chat(http, sessions: sessionmaker[Session], phone: str) -> tuple[str, dict[str, str]]:
    """A web chat for a cardholder's `phone` that has entered the code texted there."""
    conversation_id, auth = start_chat(http, phone)
    response = enter_code(http, conversation_id, auth, texted_codes(sessions, phone)[-1])
    assert response.status_code == 200, response.text
    return conversation_id, auth

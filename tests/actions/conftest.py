from pathlib import Path

import pytest
import yaml

from bot.conversations.service import start_web_conversation
from tests.conftest import first_in_stage

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def domain():
    return yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))


@pytest.fixture
def m2(demo_portfolio):
    return first_in_stage(demo_portfolio, "M2-M3")


@pytest.fixture
def conversation_id(sessions, m2):
    """The M2 cardholder's web chat, which has entered the code texted to the number."""
    from bot.persistence import utcnow

    with sessions.begin() as session:
        conversation, _ = start_web_conversation(session, phone_e164=m2.phone_e164)
        conversation.possession_proven_at = utcnow()
        return conversation.id


@pytest.fixture
def verified_conversation(sessions, conversation_id):
    """The M2 cardholder's conversation, identity checked."""
    from bot.conversations.models import Conversation
    from bot.persistence import utcnow

    with sessions.begin() as session:
        session.get(Conversation, conversation_id).verified_at = utcnow()
    return conversation_id

"""Real rasa-sdk trackers shaped as Rasa sends them to the action server."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker


def form_tracker(
    sender_id: str, *, slots: dict[str, Any], candidates: dict[str, Any], text: str
) -> Tracker:
    """A tracker in the verification form whose last user message proposed `candidates`."""
    events: list[dict[str, Any]] = [
        {"event": "action", "name": "action_listen"},
        {"event": "user", "text": text, "parse_data": {"intent": {"name": "inform"}}},
        *({"event": "slot", "name": name, "value": value} for name, value in candidates.items()),
    ]
    return Tracker(
        sender_id=sender_id,
        slots={"verified": False, "verification_locked": False, **slots, **candidates},
        latest_message={"text": text, "intent": {"name": "inform"}},
        events=events,
        paused=False,
        followup_action=None,
        active_loop={"name": "verification_form"},
        latest_action_name="action_listen",
    )


def plain_tracker(sender_id: str, *, slots: dict[str, Any] | None = None) -> Tracker:
    return Tracker(
        sender_id=sender_id,
        slots={"verified": False, "verification_locked": False, **(slots or {})},
        latest_message={"text": "hi", "intent": {"name": "greet"}},
        events=[],
        paused=False,
        followup_action=None,
        active_loop={},
        latest_action_name="action_listen",
    )


def action_call(
    action: str,
    sender_id: str,
    *,
    slots: dict[str, Any] | None = None,
    text: str = "yes",
    intent: str = "affirm",
    domain: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The body Rasa 3.6 posts to the action server to run `action`."""
    return {
        "next_action": action,
        "sender_id": sender_id,
        "version": "3.6.21",
        "domain": domain or {},
        "tracker": {
            "sender_id": sender_id,
            "slots": {"verified": True, "verification_locked": False, **(slots or {})},
            "latest_message": {"text": text, "intent": {"name": intent}, "entities": []},
            "events": [],
            "paused": False,
            "followup_action": None,
            "active_loop": {},
            "latest_action_name": "action_listen",
        },
    }

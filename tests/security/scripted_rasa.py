"""A stand-in for Rasa that obeys the attacker: the worst dialogue model there could be.

Every message is read as whatever intent its words name (an injected `/intent{...}` arrives
without its slash, so `pay_now{"verified": true}` still names `pay_now`), with any JSON in it
taken as slot values the tracker now holds; a named `action_...` is run as is. The real actions
then run through rasa-sdk's executor over the `actions` package, exactly as the action server
runs them, and their messages are the bot's replies. So what the api's guards and the actions'
own checks let through is tested against a model that was fooled completely.

It serves our gateway channel's protocol on loopback and refuses a turn without the secret.
"""

from __future__ import annotations

import asyncio
import json
import re
import threading
from collections import defaultdict
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from rasa_sdk.executor import ActionExecutor

from bot.rasa_client import CHANNEL_TOKEN_HEADER, CHANNEL_WEBHOOK
from tests.fakes import json_server_with_headers

DOMAIN = yaml.safe_load((Path(__file__).resolve().parents[2] / "domain.yml").read_text())

INTENT_ACTIONS = {
    "ask_amount_due": ["action_explain_overdue"],
    "pay_now": ["action_pay_now"],
    "promise_to_pay": ["action_ask_promise_confirmed", "action_submit_promise"],
    "affirm": ["action_submit_promise", "action_submit_plan"],
    "request_plan": ["action_ask_plan_months", "action_submit_plan"],
    "choose_plan": ["action_ask_plan_confirmed", "action_submit_plan"],
    "opt_out": ["action_opt_out"],
    "wrong_number": ["action_wrong_number"],
    "already_paid": ["action_check_payment", "action_record_payment_claim"],
    "reason_forgot": ["action_record_reason", "action_explain_overdue"],
    "request_human": ["action_handoff"],
}
# Words that a (fooled) model would map to these intents.
_WORDS = [
    (re.compile(r"owe|balance|how much|due date|minimum|amount", re.I), "ask_amount_due"),
    (re.compile(r"stop|unsubscribe|don't text", re.I), "opt_out"),
    (re.compile(r"wrong number|not me|don't know", re.I), "wrong_number"),
    (re.compile(r"already paid|i paid", re.I), "already_paid"),
    (re.compile(r"promise", re.I), "promise_to_pay"),
    (re.compile(r"plan|instal", re.I), "request_plan"),
    (re.compile(r"\bpay\b|link|card number", re.I), "pay_now"),
    (re.compile(r"^(yes|yep|ok)\b", re.I), "affirm"),
]
_INTENT = re.compile(r"^\s*([a-z_]+)")
_JSON = re.compile(r"\{.*\}", re.S)
_DIGITS4 = re.compile(r"^\D*(\d{4})\D*$")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
# A fooled model fills the confirmations too: the submit actions must still refuse.
_CONFIRMED = {"promise_confirmed": True, "plan_confirmed": True, "plan_eligible": True}


@dataclass(frozen=True)
class Planned:
    action: str
    slots: dict[str, Any]
    latest: dict[str, Any]
    # The identity form's slot this message answers, when it is one.
    requested: str | None = None


@dataclass
class Turn:
    """One message and what the actions produced for it, before the api saw the replies."""

    message: str
    actions: list[str] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)


class ScriptedRasa:
    def __init__(self, channel_token: str) -> None:
        self.channel_token = channel_token
        self.executor = ActionExecutor()
        self.executor.register_package("actions")
        self.slots: dict[str, dict[str, Any]] = defaultdict(dict)
        self.turns: dict[str, list[Turn]] = defaultdict(list)
        self.refused = 0

    def plan(self, sender: str, message: str) -> list[Planned]:
        """The actions to run for `message`, with the tracker's slots and latest message."""
        injected: dict[str, Any] = {}
        found = _JSON.search(message)
        if found:
            try:
                parsed = json.loads(found.group(0))
                injected = parsed if isinstance(parsed, dict) else {}
            except ValueError:
                injected = {}
        slots = {**self.slots[sender], **injected}
        match = _INTENT.match(message)
        name = match.group(1) if match else ""
        latest = {"text": message, "intent": {"name": name}, "entities": []}
        if name.startswith("action_") or name.startswith("validate_"):
            return [Planned(name, {**_CONFIRMED, **slots}, latest)]
        intent = name if name in INTENT_ACTIONS else None
        if intent is None:
            intent = next((i for pattern, i in _WORDS if pattern.search(message)), None)
        latest["intent"] = {"name": intent or "inform"}
        if intent is not None:
            return [Planned(a, {**_CONFIRMED, **slots}, latest) for a in INTENT_ACTIONS[intent]]
        digits, day = _DIGITS4.match(message), _DATE.search(message)
        if digits or day:
            # The identity form, asking for whichever answer this looks like.
            slot = "date_of_birth" if day else "card_last4"
            candidate = day.group(0) if day else digits.group(1)  # type: ignore[union-attr]
            return [Planned("validate_verification_form", {**slots, slot: candidate}, latest, slot)]
        return []

    def turn(self, sender: str, message: str) -> list[dict[str, Any]]:
        record = Turn(message)
        self.turns[sender].append(record)
        replies: list[dict[str, Any]] = []
        for planned in self.plan(sender, message):
            result = asyncio.run(self.executor.run(self._call(sender, planned)))
            assert result is not None
            record.actions.append(planned.action)
            for event in result.events:
                if event.get("event") == "slot":
                    self.slots[sender][event["name"]] = event["value"]
            for response in result.responses:
                rendered = _render(response)
                if rendered["text"]:
                    record.texts.append(
                        " ".join([rendered["text"], *(b["title"] for b in rendered["buttons"])])
                    )
                    replies.append({"recipient_id": sender, **rendered})
        if not replies:
            replies.append({"recipient_id": sender, "text": DOMAIN_TEXT["utter_default"]})
        return replies

    @staticmethod
    def _call(sender: str, planned: Planned) -> dict[str, Any]:
        action, slots, latest, requested = (
            planned.action,
            planned.slots,
            planned.latest,
            planned.requested,
        )
        form = requested is not None
        events: list[dict[str, Any]] = [
            {"event": "action", "name": "action_listen"},
            {"event": "user", "text": latest["text"], "parse_data": {"intent": latest["intent"]}},
        ]
        if requested is not None:
            events.append({"event": "slot", "name": requested, "value": slots[requested]})
        return {
            "next_action": action,
            "sender_id": sender,
            "version": "3.6.21",
            "domain": DOMAIN,
            "tracker": {
                "sender_id": sender,
                "slots": {
                    # Fooled all the way: the tracker believes the person is verified, except
                    # while the identity form is asking.
                    "verified": not form,
                    "verification_locked": False,
                    "requested_slot": requested if form else None,
                    **slots,
                },
                "latest_message": latest,
                "events": events,
                "paused": False,
                "followup_action": None,
                "active_loop": {"name": "verification_form"} if form else {},
                "latest_action_name": "action_listen",
            },
        }


DOMAIN_TEXT = {name: variants[0]["text"] for name, variants in DOMAIN["responses"].items()}


def _render(response: dict[str, Any]) -> dict[str, Any]:
    """A dispatcher message as Rasa's REST protocol would carry it (templates filled in)."""
    buttons = list(response.get("buttons") or [])
    text = response.get("text")
    name = response.get("response") or response.get("template")
    if not text and name:
        variant = DOMAIN["responses"][name][0]
        values = defaultdict(str, {k: str(v) for k, v in response.items() if v is not None})
        text = variant["text"].format_map(values)
        buttons = buttons or list(variant.get("buttons") or [])
    return {"text": text or "", "buttons": buttons}


@contextmanager
def scripted_rasa(channel_token: str) -> Iterator[tuple[str, ScriptedRasa]]:
    """Serve a ScriptedRasa on loopback; yield its base URL and itself."""
    rasa = ScriptedRasa(channel_token)
    lock = threading.Lock()

    def answer(path: str, body: Any, headers: Mapping[str, str]) -> tuple[int, Any]:
        if path != CHANNEL_WEBHOOK or headers.get(CHANNEL_TOKEN_HEADER) != rasa.channel_token:
            rasa.refused += 1
            return 401, {"error": "unauthorized"}
        with lock:
            return 200, rasa.turn(body["sender"], body["message"])

    with json_server_with_headers(answer) as (url, _):
        yield url, rasa

"""A cardholder's phone in the contract tests: signed texts in, replies read off the Twilio fake."""

from __future__ import annotations

import uuid

from twilio.request_validator import RequestValidator

from tests.contract.conftest import TWILIO_TOKEN
from tests.waiting import wait_for


class Handset:
    """A cardholder's phone: texts go to the webhook, replies come back through the fake."""

    def __init__(self, running_stack, number):
        self.stack = running_stack
        self.number = number

    def received(self):
        return self.stack.twilio.bodies_to(self.number)

    def text(self, body, *, expect_replies=1):
        before = len(self.received())
        params = {
            "MessageSid": f"SM{uuid.uuid4().hex}",
            "AccountSid": "ACcontract",
            "From": self.number,
            "To": "+15005550006",
            "Body": body,
        }
        url = self.stack.stack.api_url + "/webhooks/twilio/sms"
        signature = RequestValidator(TWILIO_TOKEN).compute_signature(url, params)
        response = self.stack.http.post(
            "/webhooks/twilio/sms", data=params, headers={"X-Twilio-Signature": signature}
        )
        assert response.status_code == 200, response.text
        if expect_replies == 0:
            return []
        replies = wait_for(
            lambda: len(self.received()) >= before + expect_replies and self.received()[before:],
            timeout=60,
            what=f"a reply to {body!r}",
        )
        return replies

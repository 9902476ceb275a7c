"""Hand-off end to end: an SMS conversation goes to a person in a real browser and comes back.

Real Rasa and action servers and api as processes, SMS through the real twilio client to the
local fake of Twilio, and Chromium from the system's packages driven by Playwright.
"""

from __future__ import annotations

import os
import shutil

import pytest
from playwright.sync_api import expect, sync_playwright
from sqlalchemy import select

from bot.collectors.models import Role
from bot.collectors.service import create_collector
from bot.conversations.models import Conversation
from bot.handoff.models import Escalation
from bot.money import format_money
from tests.contract.test_sms import Handset
from tests.waiting import wait_for

pytestmark = pytest.mark.stack
PASSWORD = "collector-pass-123"
CHROMIUM_FLAGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium_path() -> str:
    path = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium")
    if not path:
        raise AssertionError(
            "Chromium is needed for the browser tests: install Debian's package "
            "(apt-get install chromium) or set CHROMIUM_PATH"
        )
    return path


def _escalation_of(running_stack, phone):
    with running_stack.sessions() as session:
        return session.scalars(
            select(Escalation).join(Conversation).where(Conversation.address == phone)
        ).first()


def test_hardship_by_sms_is_answered_by_a_collector_in_the_console(running_stack, artifacts_dir):
    with running_stack.sessions.begin() as session:
        create_collector(
            session,
            username="carol",
            display_name="Carol Diaz",
            role=Role.COLLECTOR,
            password=PASSWORD,
        )
    person = [d for d in running_stack.portfolio if d.stage == "M4+"][2]
    phone = Handset(running_stack, person.phone_e164)
    phone.text("hi", expect_replies=2)
    phone.text(person.card_last4)
    phone.text(person.date_of_birth.isoformat(), expect_replies=2)

    acknowledgement = phone.text("I lost my job and can't pay")
    assert "colleague" in acknowledgement[0]
    escalation = wait_for(lambda: _escalation_of(running_stack, person.phone_e164), what="the case")
    assert escalation.reason == "hardship"
    # The bot has gone quiet; the message waits for the collector.
    phone.text("hello? anyone there", expect_replies=0)

    shots = artifacts_dir / "browser"
    shots.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_FLAGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        try:
            page.goto(running_stack.stack.api_url + "/console")
            page.fill("#username", "carol")
            page.fill("#password", PASSWORD)
            page.click("#login button[type=submit]")
            row = page.locator(f"tr[data-case-id='{escalation.id}']")
            expect(row).to_contain_text("hardship")
            page.screenshot(path=str(shots / "1-queue.png"), full_page=True)

            row.click()
            expect(page.locator("#transcript")).to_contain_text("hello? anyone there")
            expect(page.locator("#account")).to_contain_text(f"**** {person.card_last4}")
            page.click("#claim")
            expect(page.locator("#case-title")).to_contain_text("claimed")

            page.fill("#reply", "Hello, I'm Carol. I'm sorry about your job; let's find a way.")
            page.press("#reply", "Enter")
            expect(page.locator("#transcript .msg.collector")).to_contain_text("I'm Carol")
            page.screenshot(path=str(shots / "2-replied.png"), full_page=True)

            page.select_option("#disposition", "hardship_programme")
            page.fill("#outcome-note", "Lost job; hardship programme for 3 months")
            page.click("#outcome-form button")
            expect(page.locator("#disposition-shown")).to_have_text("hardship programme")

            page.click("#resolve-bot")
            expect(page.locator("#case-title")).to_contain_text("resolved")
            page.screenshot(path=str(shots / "3-resolved.png"), full_page=True)
        finally:
            browser.close()

    reply = wait_for(
        lambda: [b for b in phone.received() if "I'm Carol" in b], what="the collector's SMS"
    )
    assert reply == ["Hello, I'm Carol. I'm sorry about your job; let's find a way."]
    with running_stack.sessions() as session:
        resolved = session.get(Escalation, escalation.id)
        assert (resolved.status, resolved.disposition, resolved.resolved_by) == (
            "resolved",
            "hardship_programme",
            "carol",
        )
    # Back with the bot: it answers again.
    answer = phone.text("how much do i owe", expect_replies=2)
    assert format_money(person.overdue_amount_minor, person.currency) in answer[0]

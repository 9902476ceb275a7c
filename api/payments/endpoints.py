"""The demo stand-in for the bank's payment page: it checks the signed link and shows what it
would charge. A bank points PAYMENT_LINK_BASE_URL at its own page, which verifies the same token."""

from __future__ import annotations

from html import escape

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from api.deps import RateLimiterDep, SessionDep, SettingsDep
from api.request_limits import RateLimited, Rule, client_address
from bot.accounts.models import CardAccount
from bot.money import format_money
from bot.payments.links import InvalidLink, read_link_token
from bot.persistence import utcnow

router = APIRouter(tags=["payments"], include_in_schema=False)

_PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>{title}</title>
<link rel="stylesheet" href="/assets/pay.css"></head>
<body><h1>{title}</h1><div class="box">{body}</div></body></html>"""


@router.get("/pay", response_class=HTMLResponse)
def payment_page(
    t: str, request: Request, session: SessionDep, settings: SettingsDep, limiter: RateLimiterDep
) -> HTMLResponse:
    """Check the link; show the amount and the masked card the bank's page would collect for."""
    address = client_address(request)
    try:
        # Guessing at tokens is throttled per address; people with good links are never held.
        limiter.check(Rule.BAD_PAYMENT_LINKS_PER_IP, address)
    except RateLimited as error:
        body = (
            "<p>Too many payment links that did not work came from your connection. "
            f"Please try again in {error.retry_after} seconds.</p>"
        )
        return HTMLResponse(
            _PAGE.format(title="Please wait", body=body),
            status_code=429,
            headers={"Retry-After": str(error.retry_after)},
        )
    try:
        claims = read_link_token(
            t, secret=settings.payment_link_secret.get_secret_value(), now=utcnow()
        )
    except InvalidLink:
        limiter.count(Rule.BAD_PAYMENT_LINKS_PER_IP, address)
        body = (
            "<p>This payment link is invalid or has expired. Ask the assistant for a new one.</p>"
        )
        return HTMLResponse(_PAGE.format(title="Link not valid", body=body), status_code=400)
    account = session.get(CardAccount, claims.account_id)
    if account is None:
        limiter.count(Rule.BAD_PAYMENT_LINKS_PER_IP, address)
        body = "<p>This payment link is not valid any more.</p>"
        return HTMLResponse(_PAGE.format(title="Link not valid", body=body), status_code=404)
    body = (
        f"<p>Pay <strong>{escape(format_money(claims.amount_minor, claims.currency))}</strong> "
        f"to the card ending {escape(account.card_last4)}.</p>"
        f"<p>This page stands in for {escape(settings.bank_name)}'s own payment page "
        "(demo: no payment is taken).</p>"
    )
    return HTMLResponse(_PAGE.format(title=f"{escape(settings.bank_name)} payment", body=body))

"""The demo stand-in for the bank's payment page: it checks the signed link and shows what it
would charge. A bank points PAYMENT_LINK_BASE_URL at its own page, which verifies the same token."""

from __future__ import annotations

from html import escape

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from api.deps import SessionDep, SettingsDep
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
def payment_page(t: str, session: SessionDep, settings: SettingsDep) -> HTMLResponse:
    """Check the link; show the amount and the masked card the bank's page would collect for."""
    try:
        claims = read_link_token(
            t, secret=settings.payment_link_secret.get_secret_value(), now=utcnow()
        )
    except InvalidLink:
        body = (
            "<p>This payment link is invalid or has expired. Ask the assistant for a new one.</p>"
        )
        return HTMLResponse(_PAGE.format(title="Link not valid", body=body), status_code=400)
    account = session.get(CardAccount, claims.account_id)
    if account is None:
        body = "<p>This payment link is not valid any more.</p>"
        return HTMLResponse(_PAGE.format(title="Link not valid", body=body), status_code=404)
    body = (
        f"<p>Pay <strong>{escape(format_money(claims.amount_minor, claims.currency))}</strong> "
        f"to the card ending {escape(account.card_last4)}.</p>"
        f"<p>This page stands in for {escape(settings.bank_name)}'s own payment page "
        "(demo: no payment is taken).</p>"
    )
    return HTMLResponse(_PAGE.format(title=f"{escape(settings.bank_name)} payment", body=body))

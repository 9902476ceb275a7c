"""Every path reads the account a conversation is about from one function."""

from __future__ import annotations

from bot.accounts.models import CardAccount, Cardholder
from bot.accounts.service import account_for


def test_a_conversation_is_about_the_cardholders_first_account():
    first = CardAccount(id=1, currency="EUR")
    second = CardAccount(id=2, currency="GBP")
    assert account_for(Cardholder(accounts=[first, second])) is first


def test_no_cardholder_or_no_account_means_no_account():
    assert account_for(None) is None
    assert account_for(Cardholder(accounts=[])) is None

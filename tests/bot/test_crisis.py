"""The self-harm floor: explicit phrases reach a person whatever the model says; nothing else."""

from __future__ import annotations

import pytest

from bot.conversations.crisis import signals_self_harm


@pytest.mark.parametrize(
    "text",
    [
        "I want to kill myself",
        "im going to kill my self",
        "thinking about suicide",
        "i feel suicidal",
        "i just want to end my life",
        "I might take my own life",
        "i want to end it all",
        "i want to die",
        "honestly i wanna die",
        "I don\u2019t want to live anymore",
        "dont want to wake up tomorrow",
        "i'd be better off dead",
        "i wish i was dead",
        "no reason to live",
        "i cant go on",
        "I CAN'T GO ON LIKE THIS",
        "i have been self-harming",
        "i might hurt myself",
        "我不想活了",
        "我想死",
        "活不下去了",
    ],
)
def test_self_harm_is_recognised(text):
    assert signals_self_harm(text)


@pytest.mark.parametrize(
    "text",
    [
        "this debt is killing me",
        "i'm dying to get this sorted",
        "can i end my plan early",
        "how do i end the call",
        "i'm so stressed",
        "go to hell",
        "i can go on the 5th",
        "my phone died yesterday",
        "the payment went through",
        "我想还款",
        "",
    ],
)
def test_everything_else_is_left_to_the_model(text):
    assert not signals_self_harm(text)

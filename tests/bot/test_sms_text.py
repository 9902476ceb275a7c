import pytest

from bot.messaging.sms_text import (
    GSM7,
    UCS2,
    chosen_button,
    encoding_of,
    render_sms,
    segment_count,
    split_body,
)

BUTTONS = [
    {"title": "3 months", "payload": '/choose{"m":3}'},
    {"title": "6 months", "payload": "/x"},
]


@pytest.mark.parametrize(
    ("text", "encoding", "segments"),
    [
        ("a" * 160, GSM7, 1),
        ("a" * 161, GSM7, 2),
        ("a" * 306, GSM7, 2),
        ("a" * 307, GSM7, 3),
        ("€" * 80, GSM7, 1),  # extension characters take two septets
        ("€" * 81, GSM7, 2),
        ("你好" * 35, UCS2, 1),
        ("你好" * 35 + "a", UCS2, 2),
        ("😀" * 35, UCS2, 1),  # a surrogate pair each
        ("😀" * 36, UCS2, 2),
        ("Your card ending 1234", GSM7, 1),
    ],
)
def test_segments_follow_the_encoding(text, encoding, segments):
    assert encoding_of(text) is encoding
    assert segment_count(text) == segments


def test_long_text_is_split_between_words_under_the_body_limit():
    text = " ".join(["word"] * 500)
    bodies = split_body(text, max_chars=1600)
    assert all(len(b) <= 1600 for b in bodies)
    assert " ".join(bodies) == text
    assert len(bodies) == 2


def test_buttons_become_one_numbered_message():
    body = render_sms("Which plan?", BUTTONS)
    assert body == "Which plan?\n1. 3 months\n2. 6 months\nReply with a number."


@pytest.mark.parametrize(("reply", "index"), [("1", 0), (" 2 ", 1), ("2.", 1), ("2)", 1)])
def test_a_number_picks_its_button(reply, index):
    assert chosen_button(reply, BUTTONS) is BUTTONS[index]


@pytest.mark.parametrize("reply", ["3", "0", "one", "1 please", "12", ""])
def test_anything_else_picks_nothing(reply):
    assert chosen_button(reply, BUTTONS) is None

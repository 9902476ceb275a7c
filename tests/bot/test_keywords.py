import pytest

from bot.messaging.keywords import Keyword, keyword_in


@pytest.mark.parametrize(
    "text",
    [
        "STOP",
        "stop",
        "Stop.",
        "STOP please",
        "stop thank you",
        "Stop!!",
        "STOPALL",
        "Unsubscribe",
        "cancel",
        "END",
        "quit",
        "REVOKE",
        "optout",
        "TD",
        "td",
        "退订",
        "请退订谢谢",
        "pls stop",
    ],
)
def test_opt_out_words_with_punctuation_and_courtesy(text):
    assert keyword_in(text) is Keyword.OPT_OUT


@pytest.mark.parametrize(
    ("text", "keyword"),
    [
        ("START", Keyword.OPT_IN),
        ("unstop", Keyword.OPT_IN),
        ("Yes!", Keyword.YES),
        ("HELP", Keyword.HELP),
        ("info?", Keyword.HELP),
    ],
)
def test_other_keywords(text, keyword):
    assert keyword_in(text) is keyword


@pytest.mark.parametrize(
    "text",
    [
        "please stop texting me",
        "stopp",
        "end it",
        "stop 1",
        "cancel my card",
        "1234",
        "",
        "help me pay",
    ],
)
def test_sentences_are_left_to_the_dialogue(text):
    assert keyword_in(text) is None

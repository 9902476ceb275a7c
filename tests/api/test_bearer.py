"""Every api caller reads a bearer token the same way."""

from __future__ import annotations

import pytest

from api.bearer import bearer_token


@pytest.mark.parametrize(
    ("header", "token"),
    [
        ("Bearer abc", "abc"),
        ("bearer abc", "abc"),  # the scheme is case-insensitive (RFC 9110)
        ("Bearer  abc ", "abc"),
        ("Bearer ", None),
        ("Basic abc", None),
        ("abc", None),
        ("", None),
        (None, None),
    ],
)
def test_the_token_is_read_only_from_a_bearer_scheme(header, token):
    assert bearer_token(header) == token

"""The admin API's bearer token: machine clients of the bank (feeds, reminder runs)."""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import Depends, Request

from api.bearer import bearer_token
from api.deps import SettingsDep
from api.errors import ApiError


def require_admin_token(request: Request, settings: SettingsDep) -> None:
    """401 without a bearer token, 403 with a wrong one; compared in constant time."""
    token = bearer_token(request.headers.get("authorization"))
    if token is None:
        raise ApiError(401, "admin_token_required", "Send Authorization: Bearer <ADMIN_API_TOKEN>.")
    expected = settings.admin_api_token.get_secret_value().encode()
    if not hmac.compare_digest(token.encode(), expected):
        raise ApiError(403, "admin_token_invalid", "The admin token is not valid.")


AdminDep = Annotated[None, Depends(require_admin_token)]

"""One error type, rendered one way: `{"error": {"code": ..., "message": ...}}`."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.request_limits import (
    BodyTooLarge,
    RateLimited,
    body_too_large_response,
    rate_limited_response,
)


class ApiError(Exception):
    """An answer to bad input or a refused request, with a stable code a client can act on."""

    def __init__(
        self,
        status_code: int,
        code: str,
        message: str,
        *,
        headers: dict[str, str] | None = None,
        **details: Any,
    ) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.code = code
        self.message = message
        self.headers = headers
        self.details = details


def _body(code: str, message: str, **details: Any) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, **details}}


def _domain_errors() -> dict[type[Exception], tuple[int, str, str | None]]:
    """Domain exceptions and how the api answers them (None: the exception's own message)."""
    from bot.handoff.cases import CaseConflict, CaseForbidden, CaseNotFound
    from bot.rasa_client import RasaUnavailable
    from bot.verification.possession import PossessionNotProven

    return {
        PossessionNotProven: (
            403,
            "possession_required",
            "Enter the code we sent to your phone by text message first.",
        ),
        CaseNotFound: (404, "case_not_found", "No such case."),
        CaseForbidden: (403, "case_forbidden", None),
        CaseConflict: (409, "case_conflict", None),
        RasaUnavailable: (503, "bot_unavailable", "The bot could not be reached; try again."),
    }


def install_error_handlers(app: FastAPI) -> None:
    for exception, (status, code, message) in _domain_errors().items():

        def _handler(
            _: Request,
            error: Exception,
            status: int = status,
            code: str = code,
            message: str | None = message,
        ) -> JSONResponse:
            return JSONResponse(_body(code, message or str(error)), status_code=status)

        app.add_exception_handler(exception, _handler)

    @app.exception_handler(RateLimited)
    async def _rate_limited(_: Request, error: RateLimited) -> JSONResponse:
        return rate_limited_response(error)

    @app.exception_handler(BodyTooLarge)
    async def _body_too_large(_: Request, error: BodyTooLarge) -> JSONResponse:
        return body_too_large_response(error)

    @app.exception_handler(ApiError)
    async def _api_error(_: Request, error: ApiError) -> JSONResponse:
        return JSONResponse(
            _body(error.code, error.message, **error.details),
            status_code=error.status_code,
            headers=error.headers,
        )

    @app.exception_handler(RequestValidationError)
    async def _validation_error(_: Request, error: RequestValidationError) -> JSONResponse:
        fields = [
            {"field": ".".join(str(p) for p in e["loc"] if p != "body"), "problem": e["msg"]}
            for e in error.errors()
        ]
        return JSONResponse(
            _body("invalid_request", "The request is not valid.", fields=fields), status_code=422
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(_: Request, error: StarletteHTTPException) -> JSONResponse:
        return JSONResponse(_body("http_error", str(error.detail)), status_code=error.status_code)

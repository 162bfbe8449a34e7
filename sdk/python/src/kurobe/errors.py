"""Errors raised by the SDK: one class per error family of the API.

Every error response of Kurobe is ``{"error": {"code", "message", "request_id"}}`` with a
stable ``code``. Each code belongs to one family (``ErrorFamily`` in openapi.json), and each
family is one exception class here, so a script can catch ``NotFoundError`` and still branch
on ``error.code`` when it needs the detail.
"""

from __future__ import annotations

from typing import Literal, NamedTuple

ErrorFamily = Literal[
    "invalid_request",
    "authentication",
    "permission",
    "not_found",
    "conflict",
    "rate_limit",
    "unavailable",
    "internal",
]


class CodeInfo(NamedTuple):
    status: int
    family: ErrorFamily


# The catalogue of backend/api/src/error.rs: code -> (HTTP status, family). A test holds it
# to openapi.json and to that file.
ERROR_CODES: dict[str, CodeInfo] = {
    "bad_request": CodeInfo(400, "invalid_request"),
    "invalid_json": CodeInfo(400, "invalid_request"),
    "validation_failed": CodeInfo(422, "invalid_request"),
    "unsupported_media_type": CodeInfo(415, "invalid_request"),
    "engines_invalid": CodeInfo(422, "invalid_request"),
    "sql_refused": CodeInfo(422, "invalid_request"),
    "query_failed": CodeInfo(422, "invalid_request"),
    "cannot_answer": CodeInfo(422, "invalid_request"),
    "unknown_engine": CodeInfo(422, "invalid_request"),
    "engine_failed": CodeInfo(502, "unavailable"),
    "query_timeout": CodeInfo(504, "unavailable"),
    "payload_too_large": CodeInfo(413, "invalid_request"),
    "method_not_allowed": CodeInfo(405, "invalid_request"),
    "unauthenticated": CodeInfo(401, "authentication"),
    "invalid_credentials": CodeInfo(401, "authentication"),
    "invalid_token": CodeInfo(401, "authentication"),
    "token_expired": CodeInfo(401, "authentication"),
    "invalid_api_key": CodeInfo(401, "authentication"),
    "api_key_revoked": CodeInfo(401, "authentication"),
    "api_key_expired": CodeInfo(401, "authentication"),
    "forbidden": CodeInfo(403, "permission"),
    "insufficient_scope": CodeInfo(403, "permission"),
    "not_found": CodeInfo(404, "not_found"),
    "conflict": CodeInfo(409, "conflict"),
    "email_taken": CodeInfo(409, "conflict"),
    "datasource_unavailable": CodeInfo(502, "unavailable"),
    "rate_limited": CodeInfo(429, "rate_limit"),
    "service_unavailable": CodeInfo(503, "unavailable"),
    "internal": CodeInfo(500, "internal"),
}


class KurobeError(Exception):
    """An error answered by the Kurobe API (or a stream's ``error`` event).

    ``code`` is stable and safe to branch on; ``message`` is for people; ``request_id`` is the
    ``X-Request-Id`` to quote in a support ticket; ``status`` is the HTTP status.
    """

    family: ErrorFamily = "internal"

    def __init__(
        self,
        code: str,
        message: str,
        *,
        status: int,
        request_id: str | None = None,
        suggestions: list[str] | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(f"{code}: {message}" + (f" (request {request_id})" if request_id else ""))
        self.code = code
        self.message = message
        self.status = status
        self.request_id = request_id
        self.suggestions: list[str] = list(suggestions or [])
        self.retry_after = retry_after


class InvalidRequestError(KurobeError):
    """The request was malformed or refused (400, 405, 413, 415, 422): bad JSON, validation,
    refused SQL, a question the engine cannot answer (see ``suggestions``)."""

    family = "invalid_request"


class AuthenticationError(KurobeError):
    """No, wrong, expired or revoked credentials (401)."""

    family = "authentication"


class PermissionDeniedError(KurobeError):
    """The role or the API key's scopes do not allow the action (403)."""

    family = "permission"


class NotFoundError(KurobeError):
    """The resource does not exist or is not visible to the caller (404)."""

    family = "not_found"


class ConflictError(KurobeError):
    """The request conflicts with the current state, e.g. a duplicate name (409)."""

    family = "conflict"


class RateLimitError(KurobeError):
    """Too many requests (429), after the client's own bounded retries; see ``retry_after``."""

    family = "rate_limit"


class UnavailableError(KurobeError):
    """A dependency failed or timed out: an engine, a data source, a service (502, 503, 504)."""

    family = "unavailable"


class InternalError(KurobeError):
    """An unexpected server error (500); it was logged under ``request_id``."""

    family = "internal"


FAMILY_CLASSES: dict[ErrorFamily, type[KurobeError]] = {
    cls.family: cls
    for cls in (
        InvalidRequestError,
        AuthenticationError,
        PermissionDeniedError,
        NotFoundError,
        ConflictError,
        RateLimitError,
        UnavailableError,
        InternalError,
    )
}


def family_of_status(status: int) -> ErrorFamily:
    """The family of a response whose body names no known code (a proxy's page, say)."""
    by_status: dict[int, ErrorFamily] = {
        401: "authentication",
        403: "permission",
        404: "not_found",
        409: "conflict",
        429: "rate_limit",
        500: "internal",
    }
    if status in by_status:
        return by_status[status]
    if status >= 502:
        return "unavailable"
    return "invalid_request" if status < 500 else "internal"


def make_error(
    code: str,
    message: str,
    *,
    status: int | None = None,
    request_id: str | None = None,
    suggestions: list[str] | None = None,
    retry_after: float | None = None,
) -> KurobeError:
    """The exception for an error code; unknown codes fall back on the HTTP status."""
    info = ERROR_CODES.get(code)
    if status is None:
        status = info.status if info else 500
    family = info.family if info else family_of_status(status)
    return FAMILY_CLASSES[family](
        code,
        message,
        status=status,
        request_id=request_id,
        suggestions=suggestions,
        retry_after=retry_after,
    )

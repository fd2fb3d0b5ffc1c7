"""One error hierarchy for the whole platform, rendered as RFC 9457 problem+json by the API."""

from __future__ import annotations

from typing import Any, ClassVar

_RESERVED = frozenset({"type", "title", "status", "detail", "code", "instance"})


class AppError(Exception):
    """A failure a caller can understand and act on: message, HTTP status and a stable code."""

    status_code: ClassVar[int] = 400
    code: ClassVar[str] = "bad_request"
    title: ClassVar[str] = "Bad request"
    #: When True the request's transaction is committed before the error is returned, so that what
    #: the service recorded on the way to refusing (an audit entry of the refusal) is kept.
    persist_on_raise: ClassVar[bool] = False

    def __init__(self, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.message = message
        self.extra = extra

    def problem(self, instance: str | None = None) -> dict[str, Any]:
        """The RFC 9457 problem document for this error."""
        body: dict[str, Any] = {
            "type": f"https://bayfin.dev/problems/{self.code}",
            "title": self.title,
            "status": self.status_code,
            "detail": self.message,
            "code": self.code,
        }
        if instance:
            body["instance"] = instance
        # Extension members never replace the standard ones (a "status" extra would break the status).
        body.update({k: v for k, v in self.extra.items() if k not in _RESERVED})
        return body


class BadRequest(AppError):
    """The request is malformed in a way validation did not catch."""


class ValidationFailed(AppError):
    """Input failed a business validation rule."""

    status_code = 422
    code = "validation_failed"
    title = "Validation failed"


class Unauthenticated(AppError):
    """No valid credentials came with the request."""

    status_code = 401
    code = "unauthenticated"
    title = "Authentication required"


class Forbidden(AppError):
    """The caller is known but may not do this."""

    status_code = 403
    code = "forbidden"
    title = "Forbidden"


class NotFound(AppError):
    """The thing asked for does not exist (or the caller may not learn that it does)."""

    status_code = 404
    code = "not_found"
    title = "Not found"


class Conflict(AppError):
    """The request conflicts with the current state (illegal transition, duplicate)."""

    status_code = 409
    code = "conflict"
    title = "Conflict"


class RateLimited(AppError):
    """The caller exceeded a rate limit or quota."""

    status_code = 429
    code = "rate_limited"
    title = "Too many requests"


class ServiceUnavailable(AppError):
    """A backing service is down and the operation cannot proceed safely."""

    status_code = 503
    code = "service_unavailable"
    title = "Service unavailable"

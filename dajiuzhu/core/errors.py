"""Domain errors: a code from an enum and a message in words, mapped to HTTP by one handler."""

from __future__ import annotations

import enum


class ErrorCode(str, enum.Enum):  # noqa: UP042 - StrEnum would change how codes format in messages
    INVALID = "invalid"
    NOT_FOUND = "not_found"
    FORBIDDEN = "forbidden"
    CONFLICT = "conflict"
    DUPLICATE = "duplicate"
    TRANSITION = "transition"
    RULE = "rule"


HTTP_STATUS = {
    ErrorCode.INVALID: 422,
    ErrorCode.NOT_FOUND: 404,
    ErrorCode.FORBIDDEN: 403,
    ErrorCode.CONFLICT: 409,
    ErrorCode.DUPLICATE: 409,
    ErrorCode.TRANSITION: 409,
    ErrorCode.RULE: 422,
}


class DomainError(Exception):
    """A refusal the user can act on. ``field`` names the input at fault, if any."""

    code: ErrorCode = ErrorCode.INVALID

    def __init__(self, message: str, *, code: ErrorCode | None = None, field: str | None = None, details=None):
        super().__init__(message)
        self.message = str(message)
        if code is not None:
            self.code = code
        self.field = field
        self.details = details or {}

    @property
    def http_status(self) -> int:
        return HTTP_STATUS[self.code]

    def as_problem(self) -> dict:
        """RFC 9457 problem details."""
        body = {"type": f"urn:dajiuzhu:error:{self.code.value}", "title": self.code.value, "status": self.http_status,
                "detail": self.message}
        if self.field:
            body["field"] = self.field
        if self.details:
            body["details"] = self.details
        return body


class NotFound(DomainError):
    code = ErrorCode.NOT_FOUND


class Forbidden(DomainError):
    code = ErrorCode.FORBIDDEN


class Conflict(DomainError):
    code = ErrorCode.CONFLICT


class InvalidTransition(DomainError):
    code = ErrorCode.TRANSITION

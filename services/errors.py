"""Errors a use case reports to a person: a stable code for the API and a message (a Text: Russian, translated
where it is shown)."""

from __future__ import annotations

from collections.abc import Mapping
from math import ceil

from engine.texts import N_


class ServiceError(Exception):
    """Base: `code` for the API, `message` for people, `status` for HTTP."""

    status = 400
    code = "invalid"

    def __init__(self, message: str, *, fields: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.fields = dict(fields or {})


class Invalid(ServiceError):
    """Input that breaks a rule; `fields` holds the message for each bad field."""

    status = 422
    code = "invalid"


class NotFound(ServiceError):
    """Nothing with that id that the caller may see."""

    status = 404
    code = "not_found"


class Forbidden(ServiceError):
    """The caller may see it but not do this."""

    status = 403
    code = "forbidden"


class Conflict(ServiceError):
    """Someone else got there first (a task already done, a stale version)."""

    status = 409
    code = "conflict"


class CaseChanged(Conflict):
    """Someone completed another task of the same case at the same moment; this task is still open."""

    code = "case_changed"


class Duplicate(Conflict):
    """The same message was already registered."""

    code = "duplicate"

    def __init__(self, message: str, *, case_id: int) -> None:
        super().__init__(message)
        self.case_id = case_id


class Unsupported(ServiceError):
    """The file's content is not an accepted photo or video type."""

    status = 415
    code = "unsupported_media_type"


class TooLarge(ServiceError):
    """The file is over its type's size limit."""

    status = 413
    code = "too_large"


class TooManyAttempts(ServiceError):
    """Too many failed logins of this account name or from this address: wait `retry_after` seconds."""

    status = 429
    code = "too_many_attempts"

    def __init__(self, *, retry_after: int) -> None:
        super().__init__(
            N_("Слишком много неудачных попыток входа. Повторите через %(seconds)d с.", seconds=retry_after)
            if retry_after < 60 else
            N_("Слишком много неудачных попыток входа. Повторите через %(minutes)d мин.",
               minutes=ceil(retry_after / 60)))
        self.retry_after = retry_after


class Busy(ServiceError):
    """The database kept refusing the step (deadlocks, serialization failures) after every retry; nothing was saved."""

    status = 503
    code = "busy"
    retry_after = 1  # seconds, for the Retry-After header

"""Domain errors of the service. Services raise these; ``app.py`` maps them to HTTP in one handler."""

from __future__ import annotations


class DomainError(Exception):
    """An error a client can act on: an HTTP status, a stable code and a bilingual message."""

    status: int = 400
    code: str = "bad_request"

    def __init__(self, en: str, zh: str, *, code: str | None = None) -> None:
        super().__init__(en)
        self.en = en
        self.zh = zh
        if code is not None:
            self.code = code

    def to_dict(self) -> dict[str, object]:
        return {"error": {"code": self.code, "message": {"en": self.en, "zh": self.zh}}}


class Unauthorized(DomainError):
    status = 401
    code = "unauthorized"


class Forbidden(DomainError):
    status = 403
    code = "forbidden"


class NotFound(DomainError):
    status = 404
    code = "not_found"


class Conflict(DomainError):
    status = 409
    code = "conflict"


class PayloadTooLarge(DomainError):
    status = 413
    code = "payload_too_large"


class UnsupportedMedia(DomainError):
    status = 415
    code = "unsupported_media_type"


class Invalid(DomainError):
    status = 422
    code = "invalid"

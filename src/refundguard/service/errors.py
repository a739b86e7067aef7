"""Domain errors of the service. Services raise these; ``app.py`` maps them to HTTP in one handler.

:class:`ErrorBody` is the one shape of every error response (``service.openapi`` puts it in the OpenAPI document).
"""

from __future__ import annotations

from pydantic import BaseModel


class DomainError(Exception):
    """An error a client can act on: an HTTP status, a stable code and a bilingual message."""

    status: int = 400
    code: str = "bad_request"

    def __init__(self, en: str, zh: str, *, code: str | None = None, headers: dict[str, str] | None = None) -> None:
        super().__init__(en)
        self.en = en
        self.zh = zh
        self.headers = headers
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


class RequestTimeout(DomainError):
    status = 408
    code = "request_timeout"


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


class TooManyRequests(DomainError):
    """A rate limit or quota; ``Retry-After`` says when to try again."""

    status = 429
    code = "too_many_requests"

    def __init__(self, en: str, zh: str, *, retry_after_s: float, code: str | None = None) -> None:
        super().__init__(en, zh, code=code, headers={"Retry-After": str(max(1, round(retry_after_s + 0.5)))})
        self.retry_after_s = retry_after_s


class Unavailable(DomainError):
    """A dependency the request needs (a peer, an operator) cannot answer now; trying later may work."""

    status = 503
    code = "unavailable"


class Message(BaseModel):
    en: str
    zh: str


class ErrorDetail(BaseModel):
    field: str
    message: str
    message_zh: str | None = None
    type: str | None = None


class ErrorInfo(BaseModel):
    code: str
    message: Message
    details: list[ErrorDetail] | None = None


class ErrorBody(BaseModel):
    """The body of every error response."""

    error: ErrorInfo


#: what each error status means, for the OpenAPI document
STATUS_MEANING: dict[int, str] = {
    400: "Malformed request (unreadable body or form)",
    401: "Missing, malformed, expired or revoked API key",
    403: "The key's role may not do this",
    404: "Unknown, or not visible to this key",
    408: "The request body arrived too slowly (connection closed)",
    409: "Not allowed in the claim's current state, or an Idempotency-Key reused with another request",
    410: "The capture link was used up or has expired",
    413: "Body larger than the limit (announced or while streaming; connection closed)",
    415: "The uploaded content is not an accepted image or video",
    422: "Invalid fields, JSON or form",
    429: "Too many failed keys from this address, the tenant's upload quota is used up (see Retry-After), or a "
         "capture session sent more frames than allowed",
}


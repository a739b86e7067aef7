"""Error messages of the API in both languages, made with the message catalogue (``error.*``, ``validation.*``).

Pydantic's own messages are English only (``Field required``, ``Input should be greater than or equal to 0``): a
validation error is worded here from its type and context instead, so the ``zh`` message is Chinese throughout.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from refundguard.errors import InputError, InputTooLarge, UnreadableImage, UnsupportedFormat
from refundguard.messages import CATALOGUE, Context, render

_EN, _ZH = Context("en"), Context("zh")
#: pydantic's context values that are shown (the rest, such as compiled patterns, are not)
_SHOWN = ("min_length", "max_length", "ge", "gt", "le", "lt", "expected")


def _field(error: dict[str, Any]) -> str:
    loc = [str(p) for p in error.get("loc", ()) if p not in ("body", "query", "path", "header", "form")]
    return ".".join(loc) or "request"


def _problem(error: dict[str, Any], ctx: Context) -> str:
    kind = str(error.get("type", "invalid"))
    params = {k: v for k, v in (error.get("ctx") or {}).items() if k in _SHOWN}
    if kind == "value_error":  # a validator's ValueError: its own words name the rule (see claims.schemas)
        kind = str((error.get("ctx") or {}).get("rule") or "invalid")
    key = f"validation.{kind}"
    if key not in CATALOGUE:
        key = "validation.invalid"
    try:
        return render(key, params, ctx)
    except LookupError:
        return render("validation.invalid", {}, ctx)


def validation(errors: Sequence[dict[str, Any]], limit: int = 10) -> tuple[str, str, list[dict[str, str]]]:
    """``(en, zh, details)`` of a request's validation errors (at most ``limit`` named)."""
    details = []
    for e in list(errors)[:limit]:
        field = _field(e)
        details.append({"field": field, "message": _problem(e, _EN), "message_zh": _problem(e, _ZH),
                        "type": str(e.get("type", "invalid"))})
    en = "; ".join(render("validation.field", {"field": d["field"], "problem": d["message"]}, _EN) for d in details)
    zh = "；".join(render("validation.field", {"field": d["field"], "problem": d["message_zh"]}, _ZH) for d in details)
    return (render("error.invalid_request", {"problems": en}, _EN),
            render("error.invalid_request", {"problems": zh}, _ZH), details)


def input_problem(exc: InputError) -> str:
    if isinstance(exc, UnsupportedFormat):
        return "unsupported"
    if isinstance(exc, InputTooLarge):
        return "too_large"
    if isinstance(exc, UnreadableImage):
        return "unreadable"
    return "other"


def unusable_input(exc: InputError) -> tuple[str, str]:
    """``(en, zh)`` of an unusable upload: the engine's own sentence when it has both languages, else its kind."""
    zh = getattr(exc, "zh", None)
    if zh:
        return str(exc), str(zh)
    what = input_problem(exc)
    return str(exc), render("error.unusable_input_plain", {"what": what}, _ZH)


_HTTP = {400: "error.bad_request", 404: "error.not_found", 405: "error.method_not_allowed", 408: "error.timeout",
         413: "error.too_large", 429: "error.too_many"}


def http(status: int, detail: Any) -> tuple[str, str]:
    """``(en, zh)`` of a framework HTTP error (no route, wrong method ...)."""
    key = _HTTP.get(status)
    if key is None:
        return (str(detail) if detail else render("error.http", {"status": status}, _EN),
                render("error.http", {"status": status}, _ZH))
    return render(key, {}, _EN), render(key, {}, _ZH)


def forbidden(role: str, action: str) -> tuple[str, str]:
    """``(en, zh)`` of a role that may not do an action."""
    params = {"role": role, "action": action}
    return render("error.forbidden_action", params, _EN), render("error.forbidden_action", params, _ZH)


def internal() -> tuple[str, str]:
    return render("error.internal", {}, _EN), render("error.internal", {}, _ZH)

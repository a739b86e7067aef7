"""``create_operator_app(config)``: the operator's FastAPI application.

``POST /v1/oprf/evaluate`` (member-signed JSON ``{"blinded": [base64, ...]}``) answers
``{"evaluated": [base64, ...]}``: per element the evaluated element and its DLEQ proof (RFC 9497 VOPRF).
``GET /v1/oprf/key`` gives the public key members verify against. Every refusal is a JSON error with a code.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import tomllib
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from refundguard import __version__
from refundguard.errors import ConfigError
from refundguard.ledger import auth, signing
from refundguard.ledger.config import Member
from refundguard.ledger.operator.ratelimit import TokenBuckets
from refundguard.ledger.pseudonyms import oprf
from refundguard.ledger.pseudonyms.client import EVALUATE_PATH

log = logging.getLogger("refundguard.ledger.operator")
MAX_BODY = 16 * 1024


class OperatorConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    #: file holding the 32-byte OPRF key seed (hex); created on first start when missing
    key_file: Path
    members: list[Member] = Field(default_factory=list)
    #: evaluations (identifiers) a member may ask for per minute, and how many it may save up
    rate_per_minute: float = Field(120.0, gt=0)
    burst: int = Field(60, ge=1)
    clock_tolerance_s: int = Field(300, ge=5, le=3600)


def load_operator_config(path: str | Path) -> OperatorConfig:
    try:
        data = tomllib.loads(Path(path).read_text("utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"cannot read operator config {path}: {exc}") from exc
    data = data.get("operator", data)
    if "key_file" in data and not Path(data["key_file"]).is_absolute():
        data["key_file"] = str(Path(path).resolve().parent / data["key_file"])
    try:
        return OperatorConfig(**data)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise ConfigError(f"operator config {'.'.join(map(str, first['loc']))}: {first['msg']}") from None


def _error(status: int, code: str, en: str, zh: str) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": {"en": en, "zh": zh}}}, status_code=status)


def create_operator_app(config: OperatorConfig) -> FastAPI:
    evaluator = oprf.Evaluator(signing.read_secret(config.key_file, create=True))
    members = {m.platform: m.public_key for m in config.members}
    buckets = TokenBuckets(config.rate_per_minute, config.burst)
    nonces = auth.NonceCache()
    app = FastAPI(title="RefundGuard ledger OPRF operator", version=__version__,
                  description="Evaluates RFC 9497 VOPRF (ristretto255-SHA512) requests for ledger members.")
    app.state.evaluator = evaluator

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok", "version": __version__}

    @app.get("/v1/oprf/key")
    def key() -> dict[str, str]:
        """The VOPRF public key (members verify every answer against it) and the suite."""
        return {"suite": "ristretto255-SHA512", "mode": "VOPRF", "rfc": "9497", "public_key": evaluator.public_key}

    @app.post(EVALUATE_PATH)
    async def evaluate(request: Request) -> Any:
        """Evaluate 1-16 blinded elements for an authenticated member within its rate."""
        if request.headers.get("content-type", "").split(";")[0].strip() != "application/json":
            return _error(415, "unsupported_media_type", "send application/json", "请发送 application/json")
        body = b""
        async for chunk in request.stream():
            body += chunk
            if len(body) > MAX_BODY:
                return _error(413, "payload_too_large", "request body too large", "请求体过大")
        try:
            member = auth.verify_request(request.headers, method="POST", target=EVALUATE_PATH, body=body,
                                         members=members, tolerance_s=config.clock_tolerance_s, nonces=nonces)
        except auth.AuthError as exc:
            log.warning("refused request: %s", exc.code)
            return _error(exc.status, exc.code, exc.message, "成员请求认证失败")
        try:
            items = json.loads(body)["blinded"]
            if not isinstance(items, list):
                raise TypeError
            blinded = [base64.b64decode(b, validate=True) for b in items]
        except (ValueError, KeyError, TypeError, binascii.Error):
            log.warning("member %s: malformed request", member)
            return _error(422, "invalid_request", "body must be {\"blinded\": [base64, ...]}",
                          "请求体须为 {\"blinded\": [base64, ...]}")
        if not 1 <= len(blinded) <= oprf.MAX_BATCH:
            return _error(422, "invalid_request", f"send 1 to {oprf.MAX_BATCH} elements",
                          f"每次请发送 1 至 {oprf.MAX_BATCH} 个元素")
        if not buckets.take(member, len(blinded)):
            log.warning("member %s: over its rate (%d element(s) refused)", member, len(blinded))
            return _error(429, "rate_limited", f"member {member} is over its rate of {config.rate_per_minute:g} "
                                               "evaluations a minute; retry later",
                          f"成员 {member} 超出每分钟 {config.rate_per_minute:g} 次的速率限制，请稍后重试")
        try:
            evaluated = evaluator.evaluate(blinded)
        except ValueError as exc:
            log.warning("member %s: invalid element(s)", member)
            return _error(422, "invalid_element", str(exc), "盲化元素无效")
        log.info("member %s: evaluated %d element(s)", member, len(blinded))
        return {"evaluated": [base64.b64encode(e).decode("ascii") for e in evaluated]}

    return app

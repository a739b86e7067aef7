"""Every status code a JSON route can answer, written into the OpenAPI document.

Each ``/v1`` route may answer 401 (key), 422 (validation) and 429 (failed-key limit); routes with a body also
400 (unreadable body), 408 (too slow) and 413 (too large), all from the request gate before the route runs.
The table adds what each route's own logic raises. :func:`document_errors` runs once in ``create_app``; the
tests check that the table names only existing routes and that real answers stay within what is declared.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from refundguard.service.errors import STATUS_MEANING, ErrorBody

AUTHENTICATED = (401, 422, 429)
WITH_BODY = (400, 408, 413)
BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})

#: (method, path) → statuses the route itself raises
ROUTE_ERRORS: dict[tuple[str, str], tuple[int, ...]] = {
    ("POST", "/v1/claims"): (403, 409, 415),
    ("GET", "/v1/claims"): (),
    ("GET", "/v1/claims/{claim_id}"): (404,),
    ("GET", "/v1/claims/{claim_id}/report"): (404,),
    ("GET", "/v1/claims/{claim_id}/analyses"): (404,),
    ("GET", "/v1/claims/{claim_id}/audit"): (404,),
    ("GET", "/v1/claims/{claim_id}/evidence/{sha256}"): (404,),
    ("POST", "/v1/claims/{claim_id}/evidence"): (403, 404, 409, 415),
    ("POST", "/v1/claims/{claim_id}/decision"): (403, 404, 409),
    ("POST", "/v1/claims/{claim_id}/close"): (403, 404, 409),
    ("GET", "/v1/review/queue"): (403,),
    ("GET", "/v1/audit/verify"): (403,),
    ("POST", "/v1/audit/verify"): (403,),
    ("GET", "/v1/audit/checkpoint"): (403, 404, 409),
    ("GET", "/v1/audit/public-key"): (404,),
    ("POST", "/v1/webhooks"): (403,),
    ("GET", "/v1/webhooks"): (403,),
    ("DELETE", "/v1/webhooks/{endpoint_id}"): (403, 404),
    ("GET", "/v1/webhooks/deliveries"): (403,),
    ("GET", "/v1/admin/keys"): (403,),
    ("POST", "/v1/admin/keys"): (403,),
    ("POST", "/v1/admin/keys/{key_id}/revoke"): (403, 404),
    ("POST", "/v1/admin/keys/{key_id}/rotate"): (403, 404),
}
#: a route missing from the table may raise any of these
UNLISTED = (403, 404, 409)


def statuses_for(method: str, path: str) -> tuple[int, ...]:
    if not path.startswith("/v1/"):
        return ()
    own = ROUTE_ERRORS.get((method, path), UNLISTED)
    body = WITH_BODY if method in BODY_METHODS else ()
    return tuple(sorted({*AUTHENTICATED, *body, *own}))


def document_errors(app: FastAPI) -> None:
    """Make ``app.openapi()`` list, for every JSON operation, the error statuses above with the error body."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        schema = build()
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        if "ErrorBody" not in components:
            body = ErrorBody.model_json_schema(ref_template="#/components/schemas/{model}")
            components.update(body.pop("$defs", {}))
            components["ErrorBody"] = body
        for path, operations in schema.get("paths", {}).items():
            for method, operation in operations.items():
                responses = operation.setdefault("responses", {})
                for status in statuses_for(method.upper(), path):
                    entry = responses.setdefault(str(status), {"description": STATUS_MEANING[status]})
                    # every error has the one body shape (FastAPI's own 422 schema is replaced by it)
                    entry["content"] = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}}
        return schema

    app.openapi = openapi  # type: ignore[method-assign]

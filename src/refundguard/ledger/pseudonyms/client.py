"""The member's side of the OPRF: blind locally, ask the operator over HTTP, verify and finalize locally.

The identifier never leaves this process: only blinded ristretto255 elements are sent. The request is signed
with the member's Ed25519 key (:mod:`refundguard.ledger.auth`), which is how the operator knows whom to count
against a rate limit.
"""

from __future__ import annotations

import base64
import json

import httpx

from refundguard.ledger import auth, signing
from refundguard.ledger.identifiers import Identifier
from refundguard.ledger.pseudonyms import PseudonymError, oprf

EVALUATE_PATH = "/v1/oprf/evaluate"
MAX_RESPONSE = 64 * 1024


class OperatorClient:
    def __init__(self, *, url: str, public_key: str, member: str, key: signing.SigningKey,
                 timeout_s: float = 5.0, transport: httpx.BaseTransport | None = None) -> None:
        self.url = url.rstrip("/")
        self.public_key = public_key
        self.member = member
        self.key = key
        self._client = httpx.Client(timeout=timeout_s, transport=transport, follow_redirects=False)

    def pseudonyms(self, identifiers: list[Identifier]) -> list[str]:
        blinded = oprf.blind([i.oprf_input for i in identifiers])
        body = json.dumps({"blinded": [base64.b64encode(e).decode("ascii") for e in blinded.elements]}).encode()
        headers = {"Content-Type": "application/json",
                   **auth.sign_request(self.key, self.member, "POST", EVALUATE_PATH, body)}
        try:
            response = self._client.post(self.url + EVALUATE_PATH, content=body, headers=headers)
        except httpx.HTTPError as exc:
            raise PseudonymError(f"OPRF operator unreachable: {type(exc).__name__}") from None
        if response.status_code == 429:
            raise PseudonymError("the OPRF operator refused: this platform is over its rate limit; retry later",
                                 status=429)
        if response.status_code != 200:
            raise PseudonymError(f"the OPRF operator answered HTTP {response.status_code}")
        if response.headers.get("content-type", "").split(";")[0].strip() != "application/json" \
                or len(response.content) > MAX_RESPONSE:
            raise PseudonymError("the OPRF operator's answer is not a JSON document of the expected size")
        try:
            items = response.json()["evaluated"]
            if not isinstance(items, list):
                raise TypeError
            evaluated = [base64.b64decode(item, validate=True) for item in items]
        except (ValueError, KeyError, TypeError):
            raise PseudonymError("the OPRF operator's answer is malformed") from None
        return [oprf.pseudonym_of(o) for o in oprf.finalize(blinded, evaluated, self.public_key)]

    def close(self) -> None:
        self._client.close()

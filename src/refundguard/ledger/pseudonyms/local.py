"""Single-platform pseudonyms: HMAC-SHA256 of the normalised identifier under a local 32-byte secret.

Only for one platform on its own (``make run``, small users): the secret never leaves the machine, so the
pseudonyms mean nothing elsewhere and cannot be reversed without the secret.
"""

from __future__ import annotations

import hashlib
import hmac

from refundguard.ledger.identifiers import Identifier

DOMAIN = b"refundguard-ledger/pseudonym/hmac/v1\n"


class LocalHmac:
    def __init__(self, secret: bytes) -> None:
        if len(secret) < 32:
            raise ValueError("the pseudonym secret must be at least 32 bytes")
        self._secret = secret

    def pseudonyms(self, identifiers: list[Identifier]) -> list[str]:
        return [hmac.new(self._secret, DOMAIN + i.oprf_input, hashlib.sha256).hexdigest() for i in identifiers]

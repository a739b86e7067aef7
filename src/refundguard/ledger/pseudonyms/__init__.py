"""Buyer pseudonyms that no member can reverse.

A phone or ID number has too little entropy for a hash: anyone can hash every number. In ``network`` mode the
pseudonym is an oblivious PRF (RFC 9497, VOPRF mode, ristretto255-SHA512) of the normalised identifier under a key
that only the operator holds; the member blinds the identifier, so the operator never sees it, and verifies the
operator's proof against the configured public key, so the operator cannot answer one member with another key.
Each evaluation costs an operator request, rate-limited per member: enumerating the phone numbers is a million
requests, not a million hashes. In ``single`` mode the pseudonym is a keyed HMAC under a local secret.

``Pseudonymizer.pseudonyms(identifiers)`` is the one call the rest of the ledger makes.
"""

from __future__ import annotations

from typing import Protocol

from refundguard.ledger.identifiers import Identifier


class PseudonymError(Exception):
    """Pseudonyms could not be made (operator unreachable, refused, wrong proof)."""

    def __init__(self, message: str, *, status: int = 503) -> None:
        super().__init__(message)
        self.status = status


class Pseudonymizer(Protocol):
    def pseudonyms(self, identifiers: list[Identifier]) -> list[str]:
        """One 64-hex pseudonym per identifier, in order."""
        ...


__all__ = ["PseudonymError", "Pseudonymizer"]

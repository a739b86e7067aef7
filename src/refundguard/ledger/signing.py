"""Ed25519 keys of a platform and the signatures the ledger uses (``cryptography``).

A platform signs every feed record it issues, every feed page it serves (bound to the requester's nonce) and every
request it makes to another member or to the OPRF operator. Keys live in files (raw 32-byte seeds, hex, mode
0600) created on first use; public keys are exchanged as 64 hex characters and configured by each member.
"""

from __future__ import annotations

import hashlib
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from refundguard.errors import ConfigError

#: domain separation: a record signature can never be replayed as a page or request signature
RECORD = b"refundguard-ledger/record/v1\n"
PAGE = b"refundguard-ledger/page/v1\n"
REQUEST = b"refundguard-ledger/request/v1\n"


def read_secret(path: Path, *, create: bool, size: int = 32) -> bytes:
    """A hex-encoded secret from ``path``; created (mode 0600) when missing and ``create`` is set."""
    if path.exists():
        try:
            value = bytes.fromhex(path.read_text("ascii").strip())
        except (OSError, ValueError) as exc:
            raise ConfigError(f"key file {path} is not readable hex: {exc}") from exc
        if len(value) != size:
            raise ConfigError(f"key file {path} must hold {size} bytes, not {len(value)}")
        return value
    if not create:
        raise ConfigError(f"key file {path} does not exist")
    path.parent.mkdir(parents=True, exist_ok=True)
    value = secrets.token_bytes(size)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(value.hex() + "\n")
    return value


@dataclass(frozen=True)
class SigningKey:
    """A platform's Ed25519 key pair."""

    private: Ed25519PrivateKey

    @classmethod
    def from_seed(cls, seed: bytes) -> SigningKey:
        return cls(Ed25519PrivateKey.from_private_bytes(seed))

    @classmethod
    def from_file(cls, path: Path, *, create: bool = True) -> SigningKey:
        return cls.from_seed(read_secret(path, create=create))

    @classmethod
    def generate(cls) -> SigningKey:
        return cls(Ed25519PrivateKey.generate())

    @property
    def public_hex(self) -> str:
        return self.private.public_key().public_bytes_raw().hex()

    def sign(self, domain: bytes, message: bytes) -> str:
        return self.private.sign(domain + message).hex()


def verify(public_hex: str, domain: bytes, message: bytes, signature_hex: str) -> bool:
    """Whether ``signature_hex`` is ``public_hex``'s Ed25519 signature of ``domain + message``."""
    try:
        key = Ed25519PublicKey.from_public_bytes(bytes.fromhex(public_hex))
        signature = bytes.fromhex(signature_hex)
    except ValueError:
        return False
    if len(signature) != 64:
        return False
    try:
        key.verify(signature, domain + message)
    except InvalidSignature:
        return False
    return True


def fingerprint(public_hex: str) -> str:
    """A short, readable fingerprint of a public key (first 16 hex of its SHA-256)."""
    return hashlib.sha256(bytes.fromhex(public_hex)).hexdigest()[:16]

"""Signed checkpoints of the audit chains (Ed25519).

A checkpoint is a statement "chain C had N entries and its newest hash was H at time T", signed with the
service's Ed25519 key. Whoever holds one can later show that the history was rewritten: an entry edited and
every later hash recomputed changes the hash of entry N, and removing entries (rewinding the head) removes
entry N. The key lives in a file outside the database (``[service.audit] signing_key``), so someone who can
write the database cannot sign a checkpoint for a history of their own.

Document (``refundguard.audit-checkpoint/1``)::

    {"schema": "refundguard.audit-checkpoint/1", "chain": "shop-a", "seq": 12, "hash": "<64 hex>",
     "at": "2026-05-01T10:00:00.000000+00:00", "key_id": "<16 hex>", "public_key": "<base64 raw key>",
     "signature": "<base64 Ed25519 signature of the canonical JSON of every other field>"}

``chain`` is a tenant's name, or ``*`` for the global chain that only the operator verifies.
"""

from __future__ import annotations

import base64
import hashlib
import os
import stat
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from refundguard.service.audit.chain import canonical

SCHEMA = "refundguard.audit-checkpoint/1"


class SigningKeyError(Exception):
    """The signing key cannot be read, created or trusted (one line for the operator)."""


class BadCheckpoint(Exception):
    """A checkpoint document is malformed, or its signature does not hold."""


def key_id(public: Ed25519PublicKey) -> str:
    """The first 16 hex digits of the SHA-256 of the raw public key."""
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def public_pem(public: Ed25519PublicKey) -> str:
    return public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def load_public_key(text: str | bytes) -> Ed25519PublicKey:
    """A public key from PEM (``audit public-key``) or the base64 raw form a checkpoint carries."""
    data = text.encode("ascii", "replace") if isinstance(text, str) else text
    try:
        if data.lstrip().startswith(b"-----BEGIN"):
            key = serialization.load_pem_public_key(data)
        else:
            key = Ed25519PublicKey.from_public_bytes(base64.b64decode(data, validate=True))
    except (ValueError, TypeError) as exc:
        raise SigningKeyError(f"not an Ed25519 public key: {exc}") from exc
    if not isinstance(key, Ed25519PublicKey):
        raise SigningKeyError("not an Ed25519 public key")
    return key


@dataclass(frozen=True, slots=True)
class Checkpoint:
    chain: str
    seq: int
    hash: str
    at: str
    key_id: str
    public_key: str
    signature: str

    def statement(self) -> dict[str, Any]:
        """What the signature covers: every field but the signature, with the schema."""
        body = asdict(self)
        body.pop("signature")
        return {"schema": SCHEMA, **body}

    def to_dict(self) -> dict[str, Any]:
        return {**self.statement(), "signature": self.signature}

    @classmethod
    def from_dict(cls, data: Any) -> Checkpoint:
        if not isinstance(data, dict) or data.get("schema") != SCHEMA:
            raise BadCheckpoint(f"not a {SCHEMA} document")
        try:
            cp = cls(chain=str(data["chain"]), seq=int(data["seq"]), hash=str(data["hash"]), at=str(data["at"]),
                     key_id=str(data["key_id"]), public_key=str(data["public_key"]),
                     signature=str(data["signature"]))
        except (KeyError, TypeError, ValueError) as exc:
            raise BadCheckpoint(f"checkpoint field missing or malformed: {exc}") from exc
        if cp.seq < 0 or len(cp.hash) != 64 or any(c not in "0123456789abcdef" for c in cp.hash):
            raise BadCheckpoint("checkpoint seq or hash is malformed")
        return cp

    def verify(self, trusted: dict[str, Ed25519PublicKey]) -> None:
        """Raise :class:`BadCheckpoint` unless a trusted key (by id) signed exactly this statement."""
        public = trusted.get(self.key_id)
        if public is None:
            raise BadCheckpoint(f"checkpoint signed by key {self.key_id}, which is not this service's key "
                                f"({', '.join(sorted(trusted)) or 'none'})")
        try:
            public.verify(base64.b64decode(self.signature, validate=True), canonical(self.statement()).encode())
        except (InvalidSignature, ValueError) as exc:
            raise BadCheckpoint(f"the signature of the checkpoint of chain {self.chain!r} at entry {self.seq} "
                                "does not hold: it was altered or forged") from exc


class Signer:
    """Signs checkpoints with one private key."""

    def __init__(self, private: Ed25519PrivateKey) -> None:
        self._private = private
        self.public = private.public_key()
        self.key_id = key_id(self.public)
        raw = self.public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        self.public_b64 = _b64(raw)

    @property
    def public_pem(self) -> str:
        return public_pem(self.public)

    def trusted(self) -> dict[str, Ed25519PublicKey]:
        return {self.key_id: self.public}

    def sign(self, *, chain: str, seq: int, hash: str, at: datetime) -> Checkpoint:
        unsigned = Checkpoint(chain=chain, seq=seq, hash=hash, at=at.isoformat(timespec="microseconds"),
                              key_id=self.key_id, public_key=self.public_b64, signature="")
        signature = self._private.sign(canonical(unsigned.statement()).encode())
        return Checkpoint(**{**asdict(unsigned), "signature": _b64(signature)})


def _check_private(path: Path) -> None:
    if os.name != "posix":
        return
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        raise SigningKeyError(f"audit signing key {path} is readable by other users (mode {mode:o}); "
                        f"run: chmod 600 {path}")


def load_signer(path: Path, *, create: bool = False) -> Signer:
    """The signer of the key file at ``path``; ``create`` writes a new key (mode 0600) when there is none.

    Raises
    ------
    SigningKeyError
        When the file is missing (and ``create`` is false), unreadable, not an Ed25519 key, or readable by
        other users.
    """
    path = Path(path).expanduser()
    if not path.exists():
        if not create:
            raise SigningKeyError(f"no audit signing key at {path} (`refundguard serve` creates it on first start)")
        return Signer(_create(path))
    try:
        _check_private(path)
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except OSError as exc:
        raise SigningKeyError(f"cannot read the audit signing key {path}: {exc.strerror or exc}") from exc
    except (ValueError, TypeError) as exc:
        raise SigningKeyError(f"{path} is not a PEM private key: {exc}") from exc
    if not isinstance(key, Ed25519PrivateKey):
        raise SigningKeyError(f"{path} is not an Ed25519 private key")
    return Signer(key)


def _create(path: Path) -> Ed25519PrivateKey:
    """Write a new key to a private temporary file, then link it into place (atomic; never overwrites)."""
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as out:
            out.write(pem)
            out.flush()
            os.fsync(out.fileno())
        os.link(tmp, path)
    except FileExistsError:  # another process created it meanwhile: use that one
        return load_signer(path)._private
    except OSError as exc:
        raise SigningKeyError(f"cannot create the audit signing key {path}: {exc.strerror or exc}") from exc
    finally:
        tmp.unlink(missing_ok=True)
    return key

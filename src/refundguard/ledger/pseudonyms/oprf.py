"""RFC 9497 VOPRF (ristretto255-SHA512) through the ``voprf`` package, and the pseudonym taken from its output.

``voprf`` (BSD-3-Clause) wraps the ``voprf`` Rust crate (Meta's implementation, used by ``opaque-ke``) on
``curve25519-dalek``; tests/ledger/test_oprf_vectors.py checks it against the RFC's appendix A.1.2 vectors.
The operator's key is derived from a 32-byte seed with ``DeriveKeyPair(seed, KEY_INFO)`` (RFC 9497 §3.2.1).
Each element gets its own evaluation and DLEQ proof: ``voprf`` 0.2.0's batch finalize panics (a Rust ``unwrap``)
instead of raising when a batch proof does not verify, so batches are not used.

The pseudonym is the first 32 bytes of the 64-byte OPRF output, in hex.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from voprf import ristretto

from refundguard.ledger.pseudonyms import PseudonymError

KEY_INFO = b"RefundGuard ledger pseudonyms v1"
MAX_BATCH = 16


def pseudonym_of(output: bytes) -> str:
    return output[:32].hex()


class Evaluator:
    """The operator's side: holds the OPRF key and answers blinded elements with a batch proof."""

    def __init__(self, seed: bytes, info: bytes = KEY_INFO) -> None:
        self._evaluator = ristretto.Evaluator.from_seed(seed, info)

    @property
    def public_key(self) -> str:
        return self._evaluator.public_key.serialize().hex()

    def evaluate(self, blinded: Sequence[bytes]) -> list[bytes]:
        """For each blinded element (1 to :data:`MAX_BATCH`), the evaluated element and its proof (96 bytes)."""
        if not 1 <= len(blinded) <= MAX_BATCH:
            raise ValueError(f"send 1 to {MAX_BATCH} blinded elements")
        inputs = []
        for item in blinded:
            try:
                inputs.append(ristretto.BlindedInput.deserialize(bytes(item)))
            except ValueError:
                raise ValueError("a blinded element is not a valid ristretto255 element") from None
        return [bytes(self._evaluator.evaluate(i).serialize()) for i in inputs]

    def evaluate_known(self, message: bytes) -> bytes:
        """RFC 9497 ``Evaluate``: the output for a known input (tests only; the operator never has inputs)."""
        return bytes(self._evaluator.evaluate_known_input(message))


@dataclass
class Blinded:
    """A member's blinded inputs and the state needed to finalize them."""

    clients: list[ristretto.Client]
    elements: list[bytes]


def blind(messages: Sequence[bytes]) -> Blinded:
    if not 1 <= len(messages) <= MAX_BATCH:
        raise PseudonymError(f"between 1 and {MAX_BATCH} identifiers per request", status=422)
    clients, elements = [], []
    for message in messages:
        client, element = ristretto.Client.blind(message)
        clients.append(client)
        elements.append(bytes(element.serialize()))
    return Blinded(clients, elements)


def finalize(blinded: Blinded, evaluated: Sequence[bytes], public_key_hex: str) -> list[bytes]:
    """The OPRF outputs, after verifying each of the operator's proofs under ``public_key_hex``."""
    if len(evaluated) != len(blinded.clients):
        raise PseudonymError(f"the operator answered {len(evaluated)} elements for {len(blinded.clients)}")
    try:
        key = ristretto.PublicKey.deserialize(bytes.fromhex(public_key_hex))
        return [bytes(client.finalize(ristretto.VerifiableOutput.deserialize(bytes(item)), key))
                for client, item in zip(blinded.clients, evaluated, strict=True)]
    except ValueError as exc:
        raise PseudonymError(f"the operator's answer does not verify under the configured key: {exc}") from None

"""The OPRF against RFC 9497 appendix A.1.2 (VOPRF mode, ristretto255-SHA512): key derivation, Evaluate, the whole
blind → evaluate → finalize protocol (single and batch), proofs under the wrong key refused, bad elements refused.

The ``voprf`` package draws the blind and the proof nonce itself, so the vectors' BlindedElement and Proof bytes
cannot be reproduced through its API; the Outputs can, and they depend on every step of the protocol.
"""

from __future__ import annotations

import pytest

from refundguard.ledger.pseudonyms import PseudonymError, oprf

SEED = bytes.fromhex("a3" * 32)
KEY_INFO = bytes.fromhex("74657374206b6579")  # "test key"
PK_SM = "c803e2cc6b05fc15064549b5920659ca4a77b2cca6f04f6b357009335476ad4e"
VECTORS = [
    (bytes.fromhex("00"),
     "b58cfbe118e0cb94d79b5fd6a6dafb98764dff49c14e1770b566e42402da1a7d"
     "a4d8527693914139caee5bd03903af43a491351d23b430948dd50cde10d32b3c"),
    (bytes.fromhex("5a" * 17),
     "8a9a2f3c7f085b65933594309041fc1898d42d0858e59f90814ae90571a6df60"
     "356f4610bf816f27afdd84f47719e480906d27ecd994985890e5f539e7ea74b6"),
]


def rfc_evaluator() -> oprf.Evaluator:
    return oprf.Evaluator(SEED, KEY_INFO)


def test_derive_key_pair_gives_the_rfc_public_key():
    assert rfc_evaluator().public_key == PK_SM


@pytest.mark.parametrize(("message", "output"), VECTORS)
def test_evaluate_gives_the_rfc_output(message, output):
    assert rfc_evaluator().evaluate_known(message).hex() == output


@pytest.mark.parametrize(("message", "output"), VECTORS)
def test_blind_evaluate_finalize_gives_the_rfc_output(message, output):
    blinded = oprf.blind([message])
    answer = rfc_evaluator().evaluate(blinded.elements)
    assert [o.hex() for o in oprf.finalize(blinded, answer, PK_SM)] == [output]


def test_two_inputs_in_one_request_give_both_rfc_outputs():
    blinded = oprf.blind([m for m, _ in VECTORS])
    answer = rfc_evaluator().evaluate(blinded.elements)
    assert [len(a) for a in answer] == [96, 96]  # per element: evaluated element (32) and DLEQ proof (64)
    assert [o.hex() for o in oprf.finalize(blinded, answer, PK_SM)] == [o for _, o in VECTORS]


def test_blinded_elements_hide_the_input_and_differ_each_time():
    first, second = oprf.blind([b"phone:+8613800138000"]), oprf.blind([b"phone:+8613800138000"])
    assert first.elements[0] != second.elements[0]
    assert b"13800138000" not in first.elements[0]


def test_an_answer_made_with_another_key_is_refused():
    blinded = oprf.blind([b"phone:+8613800138000"])
    other = oprf.Evaluator(bytes(32), KEY_INFO)
    with pytest.raises(PseudonymError, match="does not verify"):
        oprf.finalize(blinded, other.evaluate(blinded.elements), PK_SM)


def test_a_tampered_answer_is_refused():
    blinded = oprf.blind([b"id:CN:11010519491231002X"])
    answer = bytearray(rfc_evaluator().evaluate(blinded.elements)[0])
    answer[-1] ^= 1
    with pytest.raises(PseudonymError):
        oprf.finalize(blinded, [bytes(answer)], PK_SM)
    with pytest.raises(PseudonymError, match="answered 0"):
        oprf.finalize(blinded, [], PK_SM)


@pytest.mark.parametrize("element", [bytes(32), b"\xff" * 32, b"\x01" * 31])
def test_invalid_blinded_elements_are_refused(element):
    with pytest.raises(ValueError, match="not a valid ristretto255 element"):
        rfc_evaluator().evaluate([element])


def test_batch_size_is_bounded():
    with pytest.raises(ValueError):
        rfc_evaluator().evaluate([])
    with pytest.raises(PseudonymError):
        oprf.blind([b"x"] * (oprf.MAX_BATCH + 1))

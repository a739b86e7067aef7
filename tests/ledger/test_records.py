"""The feed record format: signed and chained records verify; every kind of tampering is named and refused."""

from __future__ import annotations

import copy
from datetime import UTC, datetime

import pytest

from refundguard.ledger import signing
from refundguard.ledger.records import GENESIS, FeedError, canonical, check_record, make_record, record_hash, sha256_hex

KEY = signing.SigningKey.from_seed(bytes(range(32)))
OTHER = signing.SigningKey.from_seed(bytes(32))
AT = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


def entry(n: int = 1, **change) -> dict:
    return {"entry_id": f"e_{n:020x}", "pseudonyms": ["ab" * 32], "outcome": "forged_evidence", "amount": 95.5,
            "currency": "CNY", "decided_on": "2026-05-01", "category": None, "evidence_sha256": "cd" * 32,
            "expires_on": "2028-05-01", **change}


def chain(n: int = 3) -> list[dict]:
    out, prev = [], GENESIS
    for i in range(1, n + 1):
        record = make_record(KEY, issuer="shop-a", seq=i, prev=prev, kind="entry", at=AT, body=entry(i))
        out.append(record)
        prev = record["hash"]
    return out


def verify(records: list[dict], key: str = KEY.public_hex) -> list:
    prev, bodies = GENESIS, []
    for i, record in enumerate(records, start=1):
        bodies.append(check_record(record, issuer="shop-a", public_key=key, seq=i, prev=prev))
        prev = record["hash"]
    return bodies


def test_a_chain_verifies_and_bodies_come_back_validated():
    bodies = verify(chain())
    assert [b["entry_id"] for b in bodies] == [f"e_{i:020x}" for i in (1, 2, 3)]


def code_of(records: list[dict], key: str = KEY.public_hex) -> str:
    with pytest.raises(FeedError) as info:
        verify(records, key)
    return info.value.code


def test_edited_body_is_refused():
    records = chain()
    records[1]["body"]["amount"] = 5.0
    assert code_of(records) == "edited_record"


def test_edited_header_with_its_hash_recomputed_fails_the_signature():
    records = chain()
    record = records[1]
    record["body"]["amount"] = 5.0
    record["body_sha256"] = sha256_hex(canonical(record["body"]))
    record["hash"] = record_hash({k: record[k] for k in ("issuer", "seq", "prev", "kind", "at", "body_sha256")})
    assert code_of(records) == "bad_signature"


def test_records_signed_by_another_key_are_refused():
    assert code_of(chain(), OTHER.public_hex) == "bad_signature"
    forged = make_record(OTHER, issuer="shop-a", seq=1, prev=GENESIS, kind="entry", at=AT, body=entry())
    assert code_of([forged]) == "bad_signature"


def test_other_issuer_gap_and_fork():
    records = chain()
    renamed = copy.deepcopy(records)
    renamed[0]["issuer"] = "shop-x"
    assert code_of(renamed) == "unknown_signer"
    assert code_of([records[0], records[2]]) == "gap"
    rewritten = make_record(KEY, issuer="shop-a", seq=2, prev="11" * 32, kind="entry", at=AT, body=entry(9))
    assert code_of([records[0], rewritten]) == "fork"


def test_an_erased_entry_still_verifies_but_only_entries_may_be_erased():
    records = chain()
    records[0]["body"] = None
    assert verify(records)[0] is None
    revocation = make_record(KEY, issuer="shop-a", seq=4, prev=records[2]["hash"], kind="revocation", at=AT,
                             body={"entry_id": entry(1)["entry_id"], "reason": "expired"})
    revocation["body"] = None
    assert code_of([*records, revocation]) == "malformed_record"


@pytest.mark.parametrize("damage", [
    lambda r: r.pop("sig"), lambda r: r.update(seq="1"), lambda r: r.update(kind="delete"),
    lambda r: r.update(at="yesterday"), lambda r: r.update(extra=1), lambda r: r.update(prev=["x"]),
])
def test_malformed_records_are_refused(damage):
    records = chain(1)
    damage(records[0])
    assert code_of(records) in ("malformed_record", "edited_record")


@pytest.mark.parametrize("change", [{"amount": float("inf")}, {"amount": True}, {"pseudonyms": []},
                                    {"decided_on": "01/05/2026"}, {"name": "张三"}, {"currency": "cny"}])
def test_entry_schema_is_enforced_when_signing_and_verifying(change):
    with pytest.raises(ValueError):
        make_record(KEY, issuer="shop-a", seq=1, prev=GENESIS, kind="entry", at=AT, body=entry(**change))

"""Identifier normalisation: one person, one byte string on every platform; bad input refused without echoing it."""

from __future__ import annotations

import pytest

from refundguard.ledger.identifiers import IdentifierError, cn_resident_id_valid, id_number, normalise, phone


@pytest.mark.parametrize("raw", ["13800138000", "138 0013 8000", "+86 138-0013-8000", "008613800138000",
                                 "+8613800138000", " (+86) 13800138000 "])
def test_phone_forms_of_one_number_normalise_to_e164(raw):
    assert phone(raw).value == "phone:+8613800138000"


def test_phone_without_country_code_uses_the_default_region():
    assert phone("020 7946 0958", "GB").value == "phone:+442079460958"


@pytest.mark.parametrize("raw", ["", "12345", "not a phone", "+86 1234", "1" * 50])
def test_invalid_phones_are_refused_without_echo(raw):
    with pytest.raises(IdentifierError) as info:
        phone(raw)
    assert not raw.strip() or raw.strip() not in str(info.value)


def test_id_numbers_are_upper_cased_and_stripped():
    assert id_number("110105 1949 1231 002x").value == "id:CN:11010519491231002X"
    assert id_number("ab-123-456", "hk").value == "id:HK:AB123456"


def test_cn_resident_id_check_character():
    assert cn_resident_id_valid("11010519491231002X")
    assert not cn_resident_id_valid("110105194912310021")
    with pytest.raises(IdentifierError, match="check character"):
        id_number("110105194912310021")


@pytest.mark.parametrize(("raw", "country"), [("abc", "CN"), ("12345678", "C"), ("!!!!!!!", "CN")])
def test_malformed_ids_are_refused(raw, country):
    with pytest.raises(IdentifierError):
        id_number(raw, country)


def test_kinds_never_collide_and_one_is_required():
    both = normalise(phone_number="13800138000", id_value="11010519491231002X")
    assert [i.kind for i in both] == ["phone", "id"] and both[0].value != both[1].value
    with pytest.raises(IdentifierError):
        normalise()

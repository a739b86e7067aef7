"""Normalising a buyer's identifiers before they are turned into pseudonyms.

The same person must give the same bytes on every platform: ``138 0013 8000``, ``+86 138-0013-8000`` and
``008613800138000`` are one phone number. Phones are parsed with ``phonenumbers`` (Google's libphonenumber) and
written in E.164; an ID number is upper-cased with spaces and hyphens removed, and a mainland resident ID
(GB 11643-1999, 18 characters) must carry a valid check character. Each kind is prefixed (``phone:``, ``id:CN:``)
so that a phone number and an ID number with the same digits never meet.

Nothing here logs or stores its input.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import phonenumbers

from refundguard.errors import InputError


class IdentifierError(InputError):
    """An identifier that cannot be normalised (the message never repeats the identifier)."""


@dataclass(frozen=True, slots=True)
class Identifier:
    """A normalised identifier: its kind (``phone`` or ``id``) and the exact bytes the pseudonym is made of."""

    kind: str
    value: str

    @property
    def oprf_input(self) -> bytes:
        return self.value.encode("utf-8")


def phone(raw: str, default_region: str = "CN") -> Identifier:
    """A phone number in E.164 (``phone:+8613800138000``); numbers without ``+`` are read in ``default_region``."""
    text = (raw or "").strip()
    if not text or len(text) > 40:
        raise IdentifierError("phone number is empty or too long")
    if text.startswith("00"):
        text = "+" + text[2:]
    try:
        number = phonenumbers.parse(text, None if text.startswith("+") else default_region)
    except phonenumbers.NumberParseException:
        raise IdentifierError("phone number cannot be parsed") from None
    if not phonenumbers.is_valid_number(number):
        raise IdentifierError("phone number is not a valid number")
    return Identifier("phone", "phone:" + phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))


_CN_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CN_CHECK = "10X98765432"


def cn_resident_id_valid(value: str) -> bool:
    """Whether an 18-character mainland resident ID has the right check character (GB 11643-1999)."""
    if not re.fullmatch(r"\d{17}[\dX]", value):
        return False
    total = sum(int(d) * w for d, w in zip(value[:17], _CN_WEIGHTS, strict=True))
    return _CN_CHECK[total % 11] == value[17]


def id_number(raw: str, country: str = "CN") -> Identifier:
    """An ID number, upper-cased without spaces or hyphens, prefixed with its issuing country (``id:CN:…``)."""
    country = (country or "").strip().upper()
    if not re.fullmatch(r"[A-Z]{2}", country):
        raise IdentifierError("ID country must be two letters (ISO 3166 alpha-2)")
    text = re.sub(r"[\s\-]", "", (raw or "")).upper()
    if not re.fullmatch(r"[0-9A-Z]{5,32}", text):
        raise IdentifierError("ID number must be 5-32 letters or digits")
    if country == "CN" and len(text) == 18 and not cn_resident_id_valid(text):
        raise IdentifierError("resident ID check character does not match (GB 11643)")
    return Identifier("id", f"id:{country}:{text}")


def normalise(*, phone_number: str | None = None, id_value: str | None = None, id_country: str = "CN",
              default_region: str = "CN") -> list[Identifier]:
    """Every identifier given, normalised; at least one is required."""
    out: list[Identifier] = []
    if phone_number:
        out.append(phone(phone_number, default_region))
    if id_value:
        out.append(id_number(id_value, id_country))
    if not out:
        raise IdentifierError("give a phone number or an ID number")
    return out

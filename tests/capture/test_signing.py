"""The signed session record: C2PA manifest over the session sheet, checked for integrity, trust and hashes."""

from __future__ import annotations

import hashlib
import io
import json
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from PIL import Image
from skimage import data

from refundguard.capture import signing
from tests.conftest import corpus_path


def _record() -> tuple[signing.SessionRecord, dict[str, bytes], list[tuple[signing.Shot, Image.Image]]]:
    now = datetime(2026, 6, 1, 8, 30, tzinfo=UTC)
    files, shots, images = {}, [], []
    for kind, pixels in (("whole", data.astronaut()), ("close", data.coffee()), ("turned", data.chelsea())):
        buf = io.BytesIO()
        Image.fromarray(np.ascontiguousarray(pixels)).save(buf, "JPEG", quality=90)
        raw = buf.getvalue()
        sha = hashlib.sha256(raw).hexdigest()
        files[sha] = raw
        shot = signing.Shot(kind, sha, len(raw), "JPEG", pixels.shape[1], pixels.shape[0], now, 1.7e12, 1000.0)
        shots.append(shot)
        images.append((shot, Image.fromarray(np.ascontiguousarray(pixels))))
    record = signing.SessionRecord("cap_1", "clm_1", "shop-a", "reviewer:k1", now, "another angle", "K4AM", now,
                                   now, tuple(shots))
    return record, files, images


def test_signed_session_verifies_and_names_everything(tmp_path: Path) -> None:
    certs = corpus_path("provenance", "c2pa", "certs")
    record, files, images = _record()
    signed = signing.sign_session(record, signing.session_sheet(record, images), cert=certs / "es256_certs.pem",
                                  key=certs / "es256_private.key")
    check = signing.verify(signed, files=files)
    assert check.ok and check.signed and check.hashes_match and check.signer and not check.trusted
    assert check.assertion is not None
    assert check.assertion["code"] == "K4AM" and check.assertion["requested_by"] == "reviewer:k1"
    assert [s["sha256"] for s in check.assertion["shots"]] == [s.sha256 for s in record.shots]
    assert all(s["server_time"].startswith("2026-06-01T08:30") for s in check.assertion["shots"])
    anchors = tmp_path / "anchors.pem"
    anchors.write_text(json.loads((certs / "trust_config_test_settings.json").read_text())["trust"]["trust_anchors"])
    assert signing.verify(signed, trust_anchors=anchors, files=files).trusted  # chains to the configured root


def test_an_altered_sheet_or_a_swapped_shot_fails() -> None:
    certs = corpus_path("provenance", "c2pa", "certs")
    record, files, images = _record()
    signed = signing.sign_session(record, signing.session_sheet(record, images), cert=certs / "es256_certs.pem",
                                  key=certs / "es256_private.key")
    altered = bytearray(signed)
    altered[-200] ^= 0xFF
    broken = signing.verify(bytes(altered), files=files)
    assert not broken.ok and broken.problems
    first = next(iter(files))
    swapped = signing.verify(signed, files={**files, first: files[first] + b"x"})
    assert not swapped.ok and swapped.hashes_match is False
    assert not signing.verify(b"\xff\xd8\xff\xd9").signed


def test_without_a_certificate_nothing_is_signed() -> None:
    record, _, images = _record()
    try:
        signing.sign_session(record, signing.session_sheet(record, images), cert=None, key=None)
    except signing.SigningUnavailable as exc:
        assert "no signing certificate" in str(exc)
    else:
        raise AssertionError("signed without a certificate")

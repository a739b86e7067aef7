"""capture.editing_software and capture.camera_mismatch."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image
from skimage import data

from tests.checks.capture.conftest import camera_exif, codes, jpeg_bytes, run_capture
from tests.conftest import corpus_path

EDITED = "capture.editing_software"
CAMERAS = "capture.camera_mismatch"

HISTORY_XMP = """<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
<rdf:Description rdf:about="" xmlns:xmp="http://ns.adobe.com/xap/1.0/"
 xmlns:xmpMM="http://ns.adobe.com/xap/1.0/mm/" xmlns:stEvt="http://ns.adobe.com/xap/1.0/sType/ResourceEvent#"
 xmp:CreatorTool="{tool}">
<xmpMM:History><rdf:Seq>
<rdf:li stEvt:action="created" stEvt:when="2026-05-03T18:20:11+08:00" stEvt:softwareAgent="{tool}"/>
<rdf:li stEvt:action="saved" stEvt:when="2026-05-03T19:02:40+08:00" stEvt:softwareAgent="{tool}"
 stEvt:changed="/"/>
</rdf:Seq></xmpMM:History></rdf:Description></rdf:RDF></x:xmpmeta>"""


def with_xmp(jpeg: bytes, xmp: str) -> bytes:
    """Insert an XMP APP1 segment right after SOI."""
    payload = b"http://ns.adobe.com/xap/1.0/\x00" + xmp.encode("utf-8")
    segment = b"\xff\xe1" + (len(payload) + 2).to_bytes(2, "big") + payload
    return jpeg[:2] + segment + jpeg[2:]


def test_software_tags_name_the_editor(write) -> None:
    cases = {"meitu.jpg": "美图秀秀 9.1", "gimp.jpg": "GIMP 2.10.36", "snapseed.jpg": "Snapseed 2.0",
             "xingtu.jpg": "醒图 Hypic", "ps.jpg": "Adobe Photoshop 25.0 (Windows)"}
    paths = [write(name, jpeg_bytes(camera_exif(software=sw))) for name, sw in cases.items()]
    found = {f.image: f for f in codes(run_capture(paths), EDITED)}
    assert set(found) == set(range(len(cases)))
    assert "Meitu" in found[0].message.en and "美图秀秀" in found[0].message.zh
    assert all(f.details["software"][0]["kind"] == "retouch" for f in found.values())


def test_phone_firmware_is_not_an_editor(write) -> None:
    path = write("phone.jpg", jpeg_bytes(camera_exif(software="MediaTek Camera Application")))
    assert not codes(run_capture([path]), EDITED)


def test_xmp_history_with_edit_after_capture_scores_higher(write) -> None:
    plain = write("lr.jpg", jpeg_bytes(camera_exif("2026:05:03 18:20:11", software="Adobe Lightroom 7.0")))
    edited = write("pa.jpg", with_xmp(jpeg_bytes(camera_exif("2026:05:03 18:20:11")),
                                      HISTORY_XMP.format(tool="PicsArt 24.1")))
    found = {f.image: f for f in codes(run_capture([plain, edited]), EDITED)}
    assert found[0].details["software"][0]["kind"] == "develop"
    assert found[1].details["edits_after_capture"][0]["softwareAgent"] == "PicsArt 24.1"
    assert found[1].score > found[0].score
    assert "after capture" in found[1].message.en and "拍摄后" in found[1].message.zh


def test_corpus_lightroom_export_is_reported_as_development() -> None:
    result = run_capture([corpus_path("natural", "IMG_0003.jpg")])
    [finding] = codes(result, EDITED)
    assert finding.details["software"][0]["name"] == "Adobe Lightroom"
    assert finding.score < 0.5


def test_two_cameras_in_one_claim(write) -> None:
    a = write("a.jpg", jpeg_bytes(camera_exif(make="HUAWEI", model="ALN-AL00")))
    b = write("b.jpg", jpeg_bytes(camera_exif(make="Apple", model="iPhone 15 Pro")))
    [finding] = codes(run_capture([a, b]), CAMERAS)
    assert finding.image is None
    assert "HUAWEI ALN-AL00" in finding.message.en and "Apple iPhone 15 Pro" in finding.message.zh


def test_same_model_different_bodies(write) -> None:
    a = write("a.jpg", jpeg_bytes(camera_exif(serial="SN-0001")))
    b = write("b.jpg", jpeg_bytes(camera_exif(serial="SN-0002")))
    [finding] = codes(run_capture([a, b]), CAMERAS)
    assert "SN-0001" in finding.message.en


def test_same_camera_and_photo_without_camera_data_pass(write) -> None:
    a = write("a.jpg", jpeg_bytes(camera_exif(make="Canon", model="Canon EOS R6", serial="1")))
    b = write("b.jpg", jpeg_bytes(camera_exif(make="Canon", model="EOS R6", serial="1")))
    buf = io.BytesIO()
    Image.fromarray(np.asarray(data.rocket())).save(buf, format="PNG")
    c = write("c.png", buf.getvalue())
    assert not codes(run_capture([a, b, c]), CAMERAS)

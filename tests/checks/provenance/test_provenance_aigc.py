"""GB 45438 implicit labels written into real PNG/JPEG/WebP files and read back through the loader."""

from __future__ import annotations

import io
import json

import pytest
from PIL import Image

from refundguard.checks.provenance import analyse_image
from refundguard.checks.provenance.aigc_label import decode_provider_code, uscc_valid
from refundguard.media import load_image
from tests.conftest import corpus_path
from tests.helpers_provenance import (
    BAD_CHECKSUM_CODE,
    DOUBAO_CODE,
    JIMENG_PROPAGATOR,
    exif_bytes,
    insert_jpeg_segment,
    jpeg_bytes,
    jpeg_with_xmp,
    label_fields,
    png_bytes,
    tc260_xmp,
    webp_with_xmp,
    xmp_packet,
)


def signals(data: bytes) -> dict[str, object]:
    return {s.code: s for s in analyse_image(load_image(data))}


def problems(data: bytes) -> set[str]:
    sig = signals(data)["provenance.aigc_label.invalid"]
    return {p["code"] for p in sig.details["problems"]}


@pytest.mark.parametrize("uscc,ok", [("91110102MACQD9K640", True), ("9144030008867405X2", True),
                                     ("91440300708461136T", True), ("91110102MACQD9K641", False),
                                     ("91110102MACQD9K64I", False), ("short", False)])
def test_uscc_check_character(uscc: str, ok: bool) -> None:
    assert uscc_valid(uscc) is ok


def test_provider_code_decodes_to_product() -> None:
    d = decode_provider_code(JIMENG_PROPAGATOR)
    assert d is not None
    assert (d["format"], d["subject"], d["uscc"], d["service"], d["app"]) == ("00", "11", "9144030008867405X2", "2",
                                                                               "0001")
    assert d["uscc_valid"] and d["product"].startswith("Jimeng")
    assert decode_provider_code("doubao") is None


@pytest.mark.parametrize("container", ["png", "jpeg", "webp"])
def test_valid_label_in_each_container(container: str) -> None:
    xmp = tc260_xmp(label_fields())
    data = {"png": lambda: png_bytes(xmp=xmp), "jpeg": lambda: jpeg_with_xmp(xmp),
            "webp": lambda: webp_with_xmp(xmp)}[container]()
    found = signals(data)
    sig = found["provenance.aigc_label"]
    assert sig.score == 1.0
    assert "属于" in sig.en and "属于生成合成内容" in sig.zh
    assert "Doubao" in sig.en and "豆包" in sig.zh and DOUBAO_CODE in sig.en
    assert sig.details["ContentProducer_decoded"]["uscc"] == "91110102MACQD9K640"
    assert "provenance.aigc_label.invalid" not in found


def test_attribute_form_and_wrapped_json() -> None:
    data = png_bytes(xmp=tc260_xmp(label_fields(), form="attribute", wrapped=True))
    sig = signals(data)["provenance.aigc_label"]
    assert sig.details["form"] == "xmp-attribute" and sig.details["wrapped"] is True


@pytest.mark.parametrize("label,score,word", [("2", 0.6, "可能为"), ("3", 0.4, "疑似为")])
def test_platform_labels_2_and_3(label: str, score: float, word: str) -> None:
    fields = label_fields(Label=label, ContentPropagator=JIMENG_PROPAGATOR, PropagateID="tos-cn-i-x/abc")
    sig = signals(png_bytes(xmp=tc260_xmp(fields)))["provenance.aigc_label"]
    assert sig.score == score
    assert word in sig.en and word in sig.zh
    assert "PropagateID tos-cn-i-x/abc" in sig.en and "传播服务提供者" in sig.zh


def test_bad_uscc_checksum_is_invalid() -> None:
    data = png_bytes(xmp=tc260_xmp(label_fields(ContentProducer=BAD_CHECKSUM_CODE)))
    found = signals(data)
    assert "provenance.aigc_label" not in found
    sig = found["provenance.aigc_label.invalid"]
    assert {p["code"] for p in sig.details["problems"]} == {"uscc_checksum"}
    assert "91110102MACQD9K64X" in sig.en and "校验位" in sig.zh


def test_every_problem_is_listed() -> None:
    fields = {"Label": "4", "ContentProducer": "", "ProduceID": "id 1", "Extra": "x",
              "ContentPropagator": "", "PropagateID": "p-1"}
    assert problems(png_bytes(xmp=tc260_xmp(fields))) == {"bad_label", "empty_ContentProducer", "unknown_fields",
                                                          "charset", "half_filled_propagation"}


def test_wrong_charset_chinese_name() -> None:
    data = jpeg_with_xmp(tc260_xmp(label_fields(ContentProducer="豆包")))
    sig = signals(data)["provenance.aigc_label.invalid"]
    assert {p["code"] for p in sig.details["problems"]} == {"charset"}
    assert "'豆'" in sig.en


def test_service_type_must_match_role() -> None:
    fields = label_fields(ContentPropagator="00119144030008867405X210001", PropagateID="x1")
    assert problems(png_bytes(xmp=tc260_xmp(fields))) == {"service_role"}


def test_duplicate_and_disagreeing_labels() -> None:
    xmp = tc260_xmp(label_fields())
    other = json.dumps({"AIGC": label_fields(ProduceID="another")})
    assert problems(png_bytes(xmp=xmp, text={"AIGC": other})) == {"duplicate", "disagree"}
    same = json.dumps(label_fields())
    assert problems(png_bytes(xmp=xmp, text={"AIGC": same})) == {"duplicate"}


def test_png_text_aigc_raw_and_wrapped() -> None:
    raw = signals(png_bytes(text={"AIGC": json.dumps(label_fields())}))["provenance.aigc_label"]
    assert raw.details["form"] == "text-chunk" and raw.details["wrapped"] is False
    wrapped = signals(png_bytes(text={"AIGC": json.dumps({"AIGC": label_fields()})}))["provenance.aigc_label"]
    assert wrapped.details["wrapped"] is True


def test_exif_user_comment_label() -> None:
    comment = json.dumps({"AIGC": label_fields(ContentProducer="001191440300708461136T1308L")})
    data = jpeg_bytes(exif=exif_bytes(user_comment=comment))
    sig = signals(data)["provenance.aigc_label"]
    assert sig.details["source"] == "EXIF UserComment"
    assert "Tencent" in sig.en and "腾讯" in sig.zh


def test_bare_aigc_in_jpeg_app_segment() -> None:
    payload = b"AIGC" + json.dumps(label_fields()).encode()
    sig = signals(insert_jpeg_segment(jpeg_bytes(), 0xE4, payload))["provenance.aigc_label"]
    assert sig.details["form"] == "jpeg-segment" and "APP4" in sig.details["source"]


def test_wrong_namespace_and_prefix_only_are_flagged() -> None:
    wrong = tc260_xmp(label_fields(), form="attribute", namespace="http://ns.adobe.com/xap/1.0/tc/")
    assert problems(png_bytes(xmp=wrong)) == {"namespace_wrong"}
    # prefix bound nowhere: the XML does not parse, the prefix fallback still finds the label
    unbound = xmp_packet("", "<TC260:AIGC>" + json.dumps(label_fields()).replace('"', "&quot;") + "</TC260:AIGC>")
    assert problems(png_bytes(xmp=unbound)) == {"namespace_prefix_only"}


def test_not_json_is_invalid() -> None:
    assert problems(png_bytes(xmp=tc260_xmp("Label=1;producer=x"))) == {"not_json"}


@pytest.mark.parametrize("case", ["empty_property", "empty_text", "fingerprint"])
def test_remnants_without_label(case: str) -> None:
    data = {"empty_property": lambda: png_bytes(xmp=tc260_xmp("")),
            "empty_text": lambda: png_bytes(text={"AIGC": ""}),
            "fingerprint": lambda: png_bytes(xmp=xmp_packet(fingerprint=True))}[case]()
    found = signals(data)
    assert set(found) == {"provenance.remnant"}
    assert found["provenance.remnant"].score < 1.0


def test_real_doubao_label_stripped_leaves_fingerprint() -> None:
    img = load_image(corpus_path("provenance", "ai", "doubao_black_1x1_1.png"))
    packet = img.metadata.xmp[0].text
    start, end = packet.index("<TC260:AIGC>"), packet.index("</TC260:AIGC>") + len("</TC260:AIGC>")
    stripped = packet[:start] + packet[end:]
    stripped = stripped.replace(' xmlns:TC260="http://www.tc260.org.cn/ns/AIGC/1.0/"', "")
    found = signals(png_bytes(xmp=stripped))
    assert set(found) == {"provenance.remnant"}
    assert '"??>' in found["provenance.remnant"].en


def test_plain_resave_drops_label() -> None:
    labelled = png_bytes(xmp=tc260_xmp(label_fields()))
    buf = io.BytesIO()
    Image.open(io.BytesIO(labelled)).save(buf, format="PNG")
    assert signals(buf.getvalue()) == {}


def test_prefix_fallback_is_bounded_and_still_finds_label() -> None:
    junk = "<TC260:AIGC>" * 20000  # unclosed openings make the XML unparsable and must not stall the scan
    value = json.dumps(label_fields()).replace('"', "&quot;")
    packet = xmp_packet("", f"{junk}<TC260:AIGC>{value}</TC260:AIGC>")
    found = signals(png_bytes(xmp=packet))
    # past the 16-occurrence bound the label is not reached: nothing is invented either
    assert "provenance.aigc_label" not in found
    short_packet = xmp_packet("", "<TC260:AIGC>" * 3 + f"<TC260:AIGC>{value}</TC260:AIGC>")
    assert problems(png_bytes(xmp=short_packet)) == {"namespace_prefix_only"}

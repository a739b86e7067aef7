"""The provenance check's findings are catalogue keys (``messages/texts/provenance.py``): each detector gives a
variant and the details that are its parameters, and a page makes the sentence in its reader's language — also
for a finding on a reference photo ("Reference photo: …"), for several observations of one code, and for a
label's problems, listed one by one in either language."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from refundguard.checks.provenance import analyse_image
from refundguard.engine import analyze
from refundguard.media import load_image
from refundguard.messages import CATALOGUE, Context, finding_key, render
from tests.helpers_provenance import (
    BAD_CHECKSUM_CODE,
    exif_bytes,
    iptc_xmp,
    jpeg_bytes,
    jpeg_with_xmp,
    label_fields,
    png_bytes,
    tc260_xmp,
    xmp_packet,
)

CJK = range(0x4E00, 0xA000)


def _cjk(text: str) -> bool:
    return any(ord(ch) in CJK for ch in text)


def _signals(data: bytes) -> dict[str, object]:
    return {s.code: s for s in analyse_image(load_image(data))}


def _both(key: str, details: dict[str, object]) -> tuple[str, str]:
    return render(key, details, Context("en")), render(key, details, Context("zh"))


def test_every_provenance_code_has_its_sentences_and_the_two_wrappers() -> None:
    from refundguard.findings import CODES

    for code in (c for c in CODES if c.startswith("provenance.")):
        variants = {e.key.split(":", 1)[1] for e in CATALOGUE if e.key.startswith(code + ":")}
        assert {"several", "on_reference"} < variants, code


def test_a_valid_label_is_worded_from_its_fields() -> None:
    sig = _signals(png_bytes(xmp=tc260_xmp(label_fields())))["provenance.aigc_label"]
    assert sig.variant == "label" and sig.details["summary"]["producer"]["part"] == "code"
    en, zh = _both("provenance.aigc_label:label", sig.details)
    assert en.startswith("GB 45438 implicit AI label in ") and "= Doubao (ByteDance), generation service" in en
    assert "XMP 元素形式" in zh and "= 豆包（字节跳动），生成服务" in zh and "generation" not in zh


def test_a_forged_label_lists_each_problem_in_the_readers_language() -> None:
    fields = {"Label": "4", "ContentProducer": "", "ProduceID": "id 1", "Extra": "x",
              "ContentPropagator": "", "PropagateID": "p-1"}
    sig = _signals(png_bytes(xmp=tc260_xmp(fields)))["provenance.aigc_label.invalid"]
    en, zh = _both("provenance.aigc_label.invalid:problems", sig.details)
    assert 'Label "4" is not the string "1", "2" or "3"' in en and "PropagateID is set but ContentPropagator is empty" \
        in en
    assert 'Label "4" 不是字符串 "1"、"2" 或 "3"' in zh and "PropagateID 已填写但 ContentPropagator 为空" in zh
    assert "is not the string" not in zh and "Label content" not in zh and "标识内容" in zh
    # each problem keeps its code, its parameters and its sentence in both languages
    [bad] = [p for p in sig.details["problems"] if p["code"] == "bad_label"]
    assert bad["label"] == '"4"' and bad["en"].startswith("Label") and _cjk(bad["zh"])


def test_a_bad_checksum_and_duplicates_are_said_with_their_values() -> None:
    sig = _signals(png_bytes(xmp=tc260_xmp(label_fields(ContentProducer=BAD_CHECKSUM_CODE)),
                             text={"AIGC": json.dumps(label_fields())}))["provenance.aigc_label.invalid"]
    en, zh = _both("provenance.aigc_label.invalid:problems", sig.details)
    assert "USCC 91110102MACQD9K64X fails the GB 32100 check character" in en and "校验位错误" in zh
    assert "2 labels in one file" in en and "同一文件中有 2 份隐式标识" in zh


def test_iptc_generator_and_conflict_sentences() -> None:
    xmp = iptc_xmp(source_type="http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia")
    found = _signals(jpeg_with_xmp(xmp, jpeg_bytes(exif=exif_bytes(make="Canon", model="EOS R5"))))
    iptc, conflict = found["provenance.iptc.ai_source"], found["provenance.conflict"]
    assert (iptc.variant, conflict.variant) == ("declared", "camera")
    en, zh = _both("provenance.conflict:camera", conflict.details)
    assert "Make=Canon" in en and "IPTC metadata declares AI-generated content" in en  # codes by their titles
    assert "IPTC 元数据声明内容由 AI 生成" in zh and "provenance.iptc" not in en + zh
    assert _both("provenance.iptc.ai_source:declared", iptc.details)[1].startswith("IPTC 元数据声明内容由 AI 生成：")


def test_a_remnant_and_hostile_metadata() -> None:
    sig = _signals(png_bytes(xmp=xmp_packet(fingerprint=True)))["provenance.remnant"]
    assert sig.variant == "label_remnants" and sig.details["remnants"][0].startswith("ByteDance XMP writer")
    en, zh = _both("provenance.remnant:label_remnants", sig.details)
    assert "'\"??>'" in en and "字节跳动 XMP 写入器特征" in zh and "ByteDance" not in zh


def test_a_finding_on_a_reference_photo_says_so_in_both_languages(tmp_path: Path) -> None:
    claim, ref = tmp_path / "claim.png", tmp_path / "listing.png"
    claim.write_bytes(png_bytes())
    ref.write_bytes(png_bytes(xmp=tc260_xmp(label_fields())))
    result = analyze([claim], [ref], only=["provenance"])
    [finding] = result.findings
    assert (finding.image, finding.variant, finding.details["sentence"]) == (1, "on_reference", "label")
    assert finding.message.en.startswith("Reference photo: GB 45438 implicit AI label")
    assert finding.message.zh.startswith("参考图片：GB 45438 隐式 AI 标识")
    zh = render(finding_key(finding.code, finding.variant), finding.details, Context("zh", ("a.png", "b.png")))
    assert zh == finding.message.zh


def test_several_observations_of_one_code_are_one_finding_with_each_sentence() -> None:
    xmp = iptc_xmp(source_type="http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia")
    data = png_bytes(xmp=xmp, text={"parameters": "a cat, Steps: 20, Sampler: Euler a, CFG scale: 7, Seed: 1",
                                    "prompt": json.dumps({"3": {"class_type": "KSampler", "inputs": {}}})})
    sig = _signals(data)["provenance.generator_metadata"]
    assert sig.variant == "traces"  # one detector lists every trace itself
    from refundguard.checks.provenance import _merge
    from refundguard.checks.provenance.signal import Signal

    merged = _merge([sig, Signal(sig.code, 0.5, "traces", {"generators": ["X"], "evidence": []})])
    [one] = merged
    assert one.variant == "several" and one.score == sig.score
    assert [i["part"] for i in one.details["items"]] == ["traces", "traces"]
    en, zh = _both(f"{one.code}:several", one.details)
    assert en.count("AI generator metadata") == 2 and zh.count("AI 生成工具元数据") == 2 and "; " in en


@pytest.mark.parametrize("key", sorted(e.key for e in CATALOGUE if e.key.startswith("provenance.")
                                       and ":" in e.key and not e.key.endswith((":several", ":on_reference"))))
def test_each_finding_sentence_has_chinese_words_in_chinese(key: str) -> None:
    entry = CATALOGUE.get(key)
    assert entry is not None and _cjk(entry.zh) and not _cjk(entry.en.replace("(属于)", ""))

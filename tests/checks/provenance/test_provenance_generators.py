"""Generator metadata, IPTC declarations and camera-vs-AI conflicts, written into real files."""

from __future__ import annotations

import json

import numpy as np
import pytest

from refundguard.checks.provenance import analyse_image
from refundguard.checks.provenance.generator import stealth_payload
from refundguard.media import load_image
from tests.helpers_provenance import (
    exif_bytes,
    iptc_xmp,
    jpeg_bytes,
    jpeg_with_xmp,
    label_fields,
    novelai_stealth_png,
    png_bytes,
    tc260_xmp,
    xmp_packet,
)

A1111 = ("a cracked ceramic mug on a table\nNegative prompt: blurry\nSteps: 30, Sampler: DPM++ 2M Karras, "
         "CFG scale: 7, Seed: 1234, Size: 512x512, Model hash: 6ce0161689, Model: v1-5-pruned-emaonly, Version: v1.9.4")
COMFY_PROMPT = {"3": {"class_type": "KSampler", "inputs": {"seed": 1, "steps": 20}},
                "4": {"class_type": "CheckpointLoaderSimple", "inputs": {"ckpt_name": "sd_xl_base_1.0.safetensors"}}}


def found(data: bytes) -> dict[str, object]:
    return {s.code: s for s in analyse_image(load_image(data))}


def generator(data: bytes) -> list[str]:
    return found(data)["provenance.generator_metadata"].details["generators"]


def test_a1111_png_parameters() -> None:
    sig = found(png_bytes(text={"parameters": A1111}))["provenance.generator_metadata"]
    assert sig.details["generators"] == ["AUTOMATIC1111/Forge"] and sig.score == 1.0
    assert "PNG text 'parameters'" in sig.en and "AI 生成工具元数据" in sig.zh


@pytest.mark.parametrize("encoding", ["unicode", "ascii"])
def test_a1111_jpeg_user_comment(encoding: str) -> None:
    text = A1111 if encoding == "unicode" else A1111.encode("ascii", "ignore").decode()
    assert generator(jpeg_bytes(exif=exif_bytes(user_comment=text, encoding=encoding))) == ["AUTOMATIC1111/Forge"]


def test_plain_parameters_text_is_not_a1111() -> None:
    assert found(png_bytes(text={"parameters": "exposure +0.3, contrast 10"})) == {}


def test_comfyui_prompt_and_workflow() -> None:
    data = png_bytes(text={"prompt": json.dumps(COMFY_PROMPT), "workflow": json.dumps({"nodes": [{"id": 3}]})})
    sig = found(data)["provenance.generator_metadata"]
    assert sig.details["generators"] == ["ComfyUI"] and len(sig.details["evidence"]) == 2


def test_prompt_key_without_graph_is_ignored() -> None:
    assert found(png_bytes(text={"prompt": "say cheese"})) == {}


@pytest.mark.parametrize("key", ["invokeai_metadata", "sd-metadata", "Dream"])
def test_invokeai_keys(key: str) -> None:
    assert generator(png_bytes(text={key: json.dumps({"model": "sdxl", "steps": 30})}))[0].startswith("InvokeAI")


def test_novelai_text_chunks() -> None:
    comment = json.dumps({"prompt": "mug", "steps": 28, "scale": 5.0, "uc": "lowres", "sampler": "k_euler"})
    data = png_bytes(text={"Software": "NovelAI", "Source": "NovelAI Diffusion V4.5 4BDE2A90", "Comment": comment})
    assert generator(data) == ["NovelAI"]


@pytest.mark.parametrize("compressed", [True, False])
def test_novelai_stealth_alpha_payload(compressed: bool) -> None:
    data = novelai_stealth_png({"Software": "NovelAI", "prompt": "broken vase"}, compressed=compressed)
    sig = found(data)["provenance.generator_metadata"]
    evidence = sig.details["evidence"][0]
    assert "broken vase" in evidence["value"]
    assert ("stealth_pngcomp" if compressed else "stealth_pnginfo") in evidence["field"]


def test_stealth_length_is_bounded() -> None:
    data = novelai_stealth_png({"a": 1}, length_override=0xFFFFFFF8)
    result = stealth_payload(load_image(data).alpha)
    assert result is not None and "malformed" in result[1]


def test_opaque_alpha_has_no_payload() -> None:
    assert stealth_payload(np.full((64, 64), 255, np.uint8)) is None
    assert stealth_payload(None) is None


def test_ai_tool_in_software_and_history() -> None:
    assert generator(jpeg_bytes(exif=exif_bytes(software="Adobe Firefly Image 3"))) == ["Adobe Firefly"]
    history = ('<xmpMM:History><rdf:Seq><rdf:li stEvt:action="created" stEvt:softwareAgent="即梦 AI 2.1"/>'
               "</rdf:Seq></xmpMM:History>")
    xmp = xmp_packet("", history, 'xmlns:xmpMM="http://ns.adobe.com/xap/1.0/mm/" '
                     'xmlns:stEvt="http://ns.adobe.com/xap/1.0/sType/ResourceEvent#"')
    assert generator(jpeg_with_xmp(xmp)) == ["即梦 Jimeng/Dreamina"]


def test_ordinary_editors_are_not_ai_tools() -> None:
    for software in ("Adobe Photoshop 25.0 (Windows)", "Adobe Lightroom 5.3 (Macintosh)", "GIMP 2.10", "Snapseed"):
        assert found(jpeg_bytes(exif=exif_bytes(software=software))) == {}


def test_grok_signature() -> None:
    exif = exif_bytes(artist="4800156b-8880-4786-9056-7ca3da449d8c", image_description="Signature: SW9SNllj")
    assert generator(jpeg_bytes(exif=exif)) == ["xAI Grok"]
    assert found(jpeg_bytes(exif=exif_bytes(artist="Jane Doe", image_description="Signature: x"))) == {}


def test_bytedance_app_export_json() -> None:
    desc = json.dumps({"data": {"product": "doubao", "exportType": "generation"}})
    assert generator(jpeg_bytes(exif=exif_bytes(image_description=desc))) == ["豆包 Doubao"]


def test_iptc_digital_source_type_any_prefix() -> None:
    data = png_bytes(xmp=iptc_xmp(prefix="iptcExt", source_type=(
        "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia")))
    sig = found(data)["provenance.iptc.ai_source"]
    assert sig.score == 1.0 and "trainedAlgorithmicMedia" in sig.en and "IPTC 元数据" in sig.zh


@pytest.mark.parametrize("value", ["http://cv.iptc.org/newscodes/digitalsourcetype/digitalCapture",
                                   "http://example.com/vocab/trainedAlgorithmicMedia", "trainedAlgorithmicMedia"])
def test_iptc_non_ai_or_foreign_vocabulary_is_ignored(value: str) -> None:
    assert found(png_bytes(xmp=iptc_xmp(source_type=value))) == {}


def test_iptc_2025_fields_and_google_credit() -> None:
    data = jpeg_with_xmp(iptc_xmp(extra_attrs='Iptc4xmpExt:AISystemUsed="Imagen 4"', credit="Made with Google AI"))
    sig = found(data)["provenance.iptc.ai_source"]
    fields = {e["field"] for e in sig.details["evidence"]}
    assert fields == {"Iptc4xmpExt:AISystemUsed", "photoshop:Credit"}


def test_camera_exif_beside_ai_label_is_conflict() -> None:
    exif = exif_bytes(make="Canon", model="Canon EOS R6", exposure=True)
    data = jpeg_with_xmp(tc260_xmp(label_fields()), jpeg_bytes(exif=exif))
    result = found(data)
    assert {"provenance.aigc_label", "provenance.conflict"} == set(result)
    assert "Make=Canon" in result["provenance.conflict"].en and "相机 EXIF" in result["provenance.conflict"].zh


def test_camera_exif_alone_is_not_conflict() -> None:
    assert found(jpeg_bytes(exif=exif_bytes(make="Canon", model="Canon EOS R6", exposure=True))) == {}

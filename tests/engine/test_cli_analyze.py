"""`refundguard analyze` end to end on the repository's sample evidence and on folders."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from refundguard.cli import app
from tests.helpers_terminal import on_a_terminal

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "samples"
runner = CliRunner()


def run_json(*args: str) -> dict:
    result = runner.invoke(app, ["analyze", *args, "--json", "--no-heatmaps"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


@pytest.fixture(scope="module")
def sample_report() -> dict:
    return run_json(str(SAMPLES / "claim.jpg"), str(SAMPLES / "claim_ai.png"), "--reference",
                    str(SAMPLES / "listing.jpg"))


def test_sample_claim_is_high_with_explained_findings(sample_report):
    assert sample_report["schema"] == "refundguard.report/1"
    assert sample_report["level"] == "high"
    by_image = {}
    for f in sample_report["findings"]:
        by_image.setdefault(f["image"], set()).add(f["code"])
    assert "reference.derived_edit" in by_image[0]
    assert {"provenance.aigc_label", "label.visible_ai_text"} <= by_image[1]
    assert [im["role"] for im in sample_report["images"]] == ["claim", "claim", "reference"]
    assert sample_report["images"][2]["level"] == "low"
    assert all(s["status"] in ("ran", "not_applicable", "failed") for s in sample_report["checks"].values())
    assert not [n for n, s in sample_report["checks"].items() if s["status"] == "failed"]
    assert sample_report["reasons"] and len(sample_report["reasons"]) == len(sample_report["reasons_zh"])


def test_derived_edit_regions_are_in_claim_pixels(sample_report):
    claim = sample_report["images"][0]
    edit = next(f for f in sample_report["findings"] if f["code"] == "reference.derived_edit" and f["image"] == 0)
    for r in edit["regions"]:
        assert r["x"] >= 0 and r["x"] + r["w"] <= claim["width"]
        assert r["y"] >= 0 and r["y"] + r["h"] <= claim["height"]


def test_listing_photo_alone_is_low():
    report = run_json(str(SAMPLES / "listing.jpg"))
    assert report["level"] == "low"
    assert report["checks"]["reference"]["status"] == "not_applicable"


def test_folders_are_walked_and_non_images_skipped(tmp_path):
    folder = tmp_path / "claim"
    (folder / "more").mkdir(parents=True)
    shutil.copy(SAMPLES / "claim.jpg", folder / "a.jpg")
    shutil.copy(SAMPLES / "listing.jpg", folder / "more" / "b.jpeg")
    (folder / "notes.txt").write_text("the buyer's message")
    report = run_json(str(folder), "--check", "provenance")
    assert [Path(im["path"]).name for im in report["images"]] == ["a.jpg", "b.jpeg"]


def test_html_report_is_written(tmp_path):
    out = tmp_path / "r" / "report.html"
    result = runner.invoke(app, ["analyze", str(SAMPLES / "claim_ai.png"), "--html", str(out), "--lang", "en",
                                 "--check", "provenance"])
    assert result.exit_code == 0, result.output
    page = out.read_text(encoding="utf-8")
    assert "GB 45438" in page and "data:image/jpeg;base64," in page


@pytest.mark.parametrize("args,message", [
    (["--lang", "fr"], "--lang"),
    (["--check", "nonsense"], "unknown check"),
    (["--delivered-at", "yesterday"], "ISO-8601"),
])
def test_bad_options_exit_2_with_one_line(args, message):
    result = runner.invoke(app, ["analyze", str(SAMPLES / "listing.jpg"), *args])
    assert result.exit_code == 2
    assert message in result.output


def test_empty_folder_exits_2(tmp_path):
    result = runner.invoke(app, ["analyze", str(tmp_path)])
    assert result.exit_code == 2 and "no image" in result.output


def test_console_script_runs_as_a_real_process():
    exe = Path(sys.executable).with_name("refundguard")
    proc = subprocess.run([str(exe), "analyze", str(SAMPLES / "claim.jpg"), "-r", str(SAMPLES / "listing.jpg"),
                           "--lang", "zh", "--check", "reference"], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "高风险" in proc.stdout and "reference.derived_edit" in proc.stdout


def test_progress_is_drawn_on_a_terminal_with_the_stage_in_words():
    code, shown = on_a_terminal(["analyze", str(SAMPLES / "claim.jpg"), "-r", str(SAMPLES / "listing.jpg"),
                                  "--lang", "zh"])
    assert code == 0, shown
    assert "正在解码" in shown and "正在检查" in shown, shown[-2000:]


def test_errors_are_one_line_in_both_languages(tmp_path):
    result = runner.invoke(app, ["analyze", str(tmp_path / "missing.jpg")])
    assert result.exit_code == 2
    line = " ".join(result.output.split())
    assert "missing.jpg" in line and "错误" in line and "Traceback" not in result.output


@pytest.mark.parametrize(("args", "zh"), [
    (["analyze"], "缺少参数 paths"),
    (["analyze", "--refernce", "x.jpg", "y.jpg"], "没有这个选项：--refernce（是否想用 --reference？）"),
    (["serve", "--port", "abc"], "--port 的值无效"),
    (["nosuch"], "没有这个命令：'nosuch'"),
])
def test_a_refused_command_line_is_explained_in_chinese_too(args, zh):
    # the parser's own errors (Typer's copy of Click) end the process like any other error: exit 2, Click's
    # English, then the same in Chinese with how to see the usage, never a traceback
    proc = subprocess.run([sys.executable, "-m", "refundguard.cli", *args], capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    assert zh in proc.stderr and "--help` 查看用法" in proc.stderr, proc.stderr


def test_help_and_version_still_exit_0():
    for args in (["--help"], ["analyze", "--help"], ["--version"]):
        proc = subprocess.run([sys.executable, "-m", "refundguard.cli", *args], capture_output=True, text=True,
                              timeout=60)
        assert proc.returncode == 0 and proc.stdout.strip(), (args, proc.stderr)

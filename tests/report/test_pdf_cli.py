"""``refundguard bundle-files``: photos on disk to an evidence bundle PDF; bad input is one clear line."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from refundguard.cli.app import app
from refundguard.media.load import load_image
from tests.helpers_terminal import on_a_terminal

runner = CliRunner()


def test_bundle_files_writes_a_pdf_with_every_hash(photos: tuple[Path, Path], tmp_path: Path, pdf_text,
                                                   squash) -> None:
    claim, listing = photos
    out = tmp_path / "out" / "bundle.pdf"
    result = runner.invoke(app, ["bundle-files", str(claim), "--reference", str(listing), "--out", str(out),
                                 "--claim-id", "C-77", "--amount", "88.5"])
    assert result.exit_code == 0, result.output
    text = pdf_text(out)
    flat = squash(text)
    assert load_image(claim).sha256 in flat and load_image(listing).sha256 in flat
    assert "C-77" in text and "¥88.50" in text and "不构成法律意见" in text


def test_bundle_files_refuses_a_non_image_in_one_line(tmp_path: Path) -> None:
    bogus = tmp_path / "note.jpg"
    bogus.write_text("not a photo")
    result = runner.invoke(app, ["bundle-files", str(bogus), "--out", str(tmp_path / "x.pdf")])
    assert result.exit_code == 2
    assert "error:" in result.output and "Traceback" not in result.output
    assert not (tmp_path / "x.pdf").exists()


def test_bundle_files_rejects_bad_tiers_file(photos: tuple[Path, Path], tmp_path: Path) -> None:
    bad = tmp_path / "tiers.toml"
    bad.write_text("[[law]]\nid = 1\n")
    result = runner.invoke(app, ["bundle-files", str(photos[0]), "--tiers", str(bad), "--out", str(tmp_path / "x.pdf")])
    assert result.exit_code == 2 and "legal tiers" in result.output


def test_bundle_files_rejects_negative_amount(photos: tuple[Path, Path], tmp_path: Path) -> None:
    result = runner.invoke(app, ["bundle-files", str(photos[0]), "--amount", "-3", "--out", str(tmp_path / "x.pdf")])
    assert result.exit_code == 2 and "amount" in result.output


def test_bundle_of_a_claim_that_is_not_stored_is_one_line(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    result = runner.invoke(app, ["bundle", "clm_nope", "--database-url", url, "--out", str(tmp_path / "x.pdf")])
    assert result.exit_code == 2 and "error:" in result.output and "Traceback" not in result.output
    assert not (tmp_path / "x.pdf").exists()


def test_bundle_files_draws_its_progress_on_a_terminal(photos: tuple[Path, Path], tmp_path: Path) -> None:
    claim, listing = photos
    code, shown = on_a_terminal(["bundle-files", str(claim), "--reference", str(listing), "--out",
                                 str(tmp_path / "b.pdf")])
    assert code == 0, shown
    assert "正在解码" in shown and ("正在排版 PDF" in shown or "正在绘制图片" in shown), shown[-2000:]


def test_bundle_files_without_a_chinese_font_exits_2_before_any_work(photos: tuple[Path, Path], tmp_path: Path,
                                                                     monkeypatch) -> None:
    from refundguard.report import pdf as bundle

    monkeypatch.setattr(bundle, "_cjk_families", lambda: ())
    claim, listing = photos
    out = tmp_path / "b.pdf"
    result = runner.invoke(app, ["bundle-files", str(claim), "--reference", str(listing), "--out", str(out)])
    assert result.exit_code == 2 and not out.exists()
    line = " ".join(result.output.split())
    assert "fonts-wqy-microhei" in line and "中文字体" in line and "Traceback" not in result.output

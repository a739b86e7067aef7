"""``refundguard bundle-files`` and ``refundguard bundle``: write the evidence bundle (PDF).

``bundle-files`` analyses photos on disk (engine only); ``bundle CLAIM_ID`` builds the bundle of a claim stored
by the claim service (its report, evidence files, timeline, audit head and the buyer's adjudicated history).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from refundguard.cli.app import app, err, fail, fail_with, out, parse_time
from refundguard.errors import RefundGuardError


@app.command("bundle-files")
def bundle_files_command(
    paths: Annotated[list[Path], typer.Argument(help="Claim photos or folders (several photos of one claim).")],
    reference: Annotated[list[Path] | None, typer.Option("--reference", "-r",
                                                         help="Merchant listing/shipping photo or folder.")] = None,
    out_path: Annotated[Path, typer.Option("--out", "-o", help="Where to write the PDF.")] = Path("bundle.pdf"),
    claim_id: Annotated[str | None, typer.Option("--claim-id", help="Claim id.")] = None,
    amount: Annotated[float | None, typer.Option("--amount", help="Amount claimed (CNY).")] = None,
    buyer: Annotated[str | None, typer.Option("--buyer", help="Buyer id.")] = None,
    merchant: Annotated[str | None, typer.Option("--merchant", help="Merchant id.")] = None,
    delivered_at: Annotated[str | None, typer.Option("--delivered-at", help="Delivery time (ISO 8601).")] = None,
    tiers: Annotated[Path | None, typer.Option("--tiers", help="Legal tiers TOML (default: the packaged one).")] = None,
    config: Annotated[Path | None, typer.Option("--config", help="TOML settings file.")] = None,
) -> None:
    """Analyse photos and write the evidence bundle PDF. / 分析图片并生成证据材料 PDF。"""
    from refundguard.checks.registry import ClaimInfo, registered
    from refundguard.cli.progress import shown
    from refundguard.config import load_settings
    from refundguard.engine import analyze, expand_paths
    from refundguard.progress import Stages
    from refundguard.report.pdf import CaseFacts, bundle_from_analysis, check_cjk_font, load_legal_tiers, write_bundle

    if amount is not None and not (amount >= 0 and amount < 1e12):
        raise fail_with("cli.bad_amount")
    try:
        settings = load_settings(config)
        legal = load_legal_tiers(tiers)
        claims = expand_paths(paths)
        if not claims:
            raise fail_with("cli.no_image")
        check_cjk_font()  # before minutes of work: a bundle without a Chinese font would print empty boxes
        info = ClaimInfo(claim_id=claim_id, delivered_at=parse_time(delivered_at, "delivered-at"),
                         buyer_id=buyer, merchant_id=merchant, amount=amount)
        refs = expand_paths(reference or [])
        checks = [c.name for c in registered()] if err.is_terminal else []
        with shown(Stages(files=[p.name for p in [*claims, *refs]], checks=checks, references=bool(refs)),
                   "zh") as progress:
            result = analyze(claims, refs, info=info, settings=settings, progress=progress)
            pdf = bundle_from_analysis(result, CaseFacts(claim_id=claim_id, buyer_id=buyer, merchant_id=merchant,
                                                         amount=amount, delivered_at=info.delivered_at),
                                       tiers=legal, progress=progress)
        written = write_bundle(pdf, out_path)
    except RefundGuardError as exc:
        raise fail(exc) from exc
    except OSError as exc:
        raise fail_with("cli.cannot_write", path=str(out_path), why=exc.strerror or str(exc)) from exc
    out.print(f"证据材料 / evidence bundle: {written}", highlight=False)


@app.command("bundle")
def bundle_command(
    claim_id: Annotated[str, typer.Argument(help="Id of a claim stored by the claim service.")],
    out_path: Annotated[Path | None, typer.Option("--out", "-o", help="Where to write the PDF.")] = None,
    tiers: Annotated[Path | None, typer.Option("--tiers", help="Legal tiers TOML (default: the packaged one).")] = None,
    database_url: Annotated[str | None, typer.Option("--database-url", help="Service database URL.")] = None,
    config: Annotated[Path | None, typer.Option("--config", help="TOML settings file (database, data dir).")] = None,
    checkpoint: Annotated[list[Path] | None, typer.Option(
        "--checkpoint", help="An audit checkpoint you hold (repeatable): the bundle says 'not intact' when the "
                             "stored history no longer contains it.")] = None,
) -> None:
    """Write the evidence bundle of a stored claim; the database must exist (nothing is created).
    / 生成已存储申请的证据材料 PDF。"""
    from refundguard.cli.progress import shown
    from refundguard.cli.serve import read_checkpoints
    from refundguard.progress import Stages
    from refundguard.report.pdf import check_cjk_font, load_legal_tiers, write_bundle
    from refundguard.web.stored import StoredClaimError, bundle_for_stored_claim

    held = read_checkpoints(checkpoint or [])
    try:
        check_cjk_font()
        legal = load_legal_tiers(tiers)
        with shown(Stages(files=[], checks=[]), "zh") as progress:
            progress("stage.bundle")
            pdf = bundle_for_stored_claim(claim_id, tiers=legal, database_url=database_url, config=config,
                                          checkpoints=held, progress=progress)
        written = write_bundle(pdf, out_path or Path(f"bundle-{claim_id}.pdf"))
    except (RefundGuardError, StoredClaimError) as exc:
        raise fail(exc) from exc
    except OSError as exc:
        raise fail_with("cli.cannot_write", path=str(out_path or f"bundle-{claim_id}.pdf"),
                        why=exc.strerror or str(exc)) from exc
    out.print(f"证据材料 / evidence bundle: {written}", highlight=False)

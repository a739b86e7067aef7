"""Make the screenshots under docs/screenshots from a real claim: what merchants, reviewers and officers see.

A claim photo that is a merchant's listing photo edited by an AI inpainter (``../shared/corpus/inpainting/sagi``),
answered by the merchant with the original and a statement, decided by a reviewer; then the case page in a
browser (Chromium via Playwright) and the first pages of the evidence bundle (poppler's pdftoppm).

    python scripts/screenshots.py [--out docs/screenshots] [--keep DIR]

``--keep`` leaves the bundle PDF, its text (pdftotext -layout) and the page images in DIR for inspection.
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
SAGI = ROOT.parent / "shared" / "corpus" / "inpainting" / "sagi"
PAIR = "000_final_paper_supp_good_"  # the fruit in the bowl repainted by BrushNet (RealisticVision)
LISTING = SAGI / f"{PAIR}000000000871.jpg"
EDITED = SAGI / f"{PAIR}coco_000000003742_brushnet_realisticvision_1_None.jpg"
CHROMIUM = "/usr/bin/chromium"
STATEMENT = "发货前已拍照，商品完好无损；买家照片就是我们的商品主图，只是碗里的水果被换过。"
REASON = "买家照片是本店商品主图，碗中区域系后期修改。"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _settled(base: str, key: str, claim_id: str, timeout: float = 180.0) -> dict[str, object]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        body = httpx.get(f"{base}/v1/claims/{claim_id}", headers={"Authorization": f"Bearer {key}"}, timeout=10).json()
        if body["state"] not in ("created", "analysing"):
            return dict(body)
        time.sleep(0.5)
    raise SystemExit(f"claim {claim_id} still analysing after {timeout:.0f} s")


def _claim(base: str, keys: dict[str, str]) -> str:
    h = {role: {"Authorization": f"Bearer {key}"} for role, key in keys.items()}
    r = httpx.post(f"{base}/v1/claims", headers=h["platform"], timeout=60,
                   data={"merchant_id": "m-cup-shop", "buyer_id": "buyer-77", "amount": "128", "order_id": "8841-2231",
                         "reason": "收到的商品坏了"},
                   files=[("photos", ("买家照片.jpg", EDITED.read_bytes(), "image/jpeg"))])
    r.raise_for_status()
    claim_id = str(r.json()["claim"]["id"])
    _settled(base, keys["platform"], claim_id)
    r = httpx.post(f"{base}/v1/claims/{claim_id}/evidence", headers=h["merchant"], timeout=60,
                   data={"statement": STATEMENT},
                   files=[("photos", ("商品主图.jpg", LISTING.read_bytes(), "image/jpeg"))])
    r.raise_for_status()
    _settled(base, keys["platform"], claim_id)
    return claim_id


def _decide(base: str, keys: dict[str, str], claim_id: str) -> None:
    r = httpx.post(f"{base}/v1/claims/{claim_id}/decision", headers={"Authorization": f"Bearer {keys['reviewer']}"},
                   json={"outcome": "rejected", "reason": REASON, "abuse": True}, timeout=30)
    r.raise_for_status()


def _browser_shots(base: str, keys: dict[str, str], claim_id: str, out: Path) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox", "--disable-gpu"])
        try:
            for lang, name, viewport in (("zh", "case-page.png", (1280, 900)), ("en", "case-page-en.png", (1280, 900)),
                                         ("zh", "case-page-phone.png", (390, 844))):
                context = browser.new_context(viewport={"width": viewport[0], "height": viewport[1]},
                                              device_scale_factor=1)
                page = context.new_page()
                page.goto(f"{base}/ui/claims/{claim_id}?lang={lang}")
                page.fill("input[name=key]", keys["reviewer"])
                page.click("button[type=submit]")
                page.wait_for_selector("#verdict")
                page.screenshot(path=str(out / name))
                if name == "case-page.png":  # the claim photo beside the listing photo, outlines by strength
                    page.locator("#image-0").screenshot(path=str(out / "case-photos.png"))
                context.close()
        finally:
            browser.close()


def _bundle_pages(env: dict[str, str], claim_id: str, work: Path, out: Path, pages: int = 4) -> Path:
    pdf = work / "bundle.pdf"
    subprocess.run([sys.executable, "-m", "refundguard.cli", "bundle", claim_id, "--out", str(pdf)], env=env,
                   check=True, timeout=300)
    subprocess.run(["pdftotext", "-enc", "UTF-8", "-layout", str(pdf), str(work / "bundle.txt")], check=True)
    subprocess.run(["pdftoppm", "-png", "-r", "56", "-f", "1", "-l", str(pages), str(pdf), str(work / "page")],
                   check=True)
    for n, page in enumerate(sorted(work.glob("page-*.png")), 1):
        shutil.copyfile(page, out / f"bundle-page-{n}.png")
    return pdf


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    parser.add_argument("--keep", type=Path, default=None, help="leave the PDF, its text and page images here")
    args = parser.parse_args()
    for needed in (LISTING, EDITED):
        if not needed.is_file():
            raise SystemExit(f"{needed} is missing: the screenshots are made from ../shared/corpus")
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="rg-shots-") as tmp:
        work = args.keep or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        env = {**os.environ, "PYTHONUNBUFFERED": "1", "REFUNDGUARD_DATABASE_URL": f"sqlite:///{tmp}/rg.db",
               "REFUNDGUARD_DATA_DIR": f"{tmp}/data"}
        from refundguard.service.auth.service import create_key
        from refundguard.service.db import Database

        db = Database(env["REFUNDGUARD_DATABASE_URL"])
        db.upgrade()
        with db.session() as session:
            keys = {role: create_key(session=session, tenant="shop-a", role=role,
                                     merchant_id="m-cup-shop" if role == "merchant" else None)[0]
                    for role in ("platform", "reviewer", "merchant")}
        db.dispose()
        port = _free_port()
        base = f"http://127.0.0.1:{port}"
        log = (Path(tmp) / "server.log").open("wb")
        server = subprocess.Popen([sys.executable, "-m", "refundguard.cli", "serve", "--host", "127.0.0.1", "--port",
                                   str(port), "--log-level", "warning"], env=env, cwd=tmp, stdout=log,
                                  stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline or server.poll() is not None:
                    raise SystemExit("the service did not start: " + (Path(tmp) / "server.log").read_text()[-2000:])
                time.sleep(0.3)
            claim_id = _claim(base, keys)
            _browser_shots(base, keys, claim_id, args.out)  # before the decision: the form beside the summary
            _decide(base, keys, claim_id)
            pdf = _bundle_pages(env, claim_id, work, args.out)
            print(f"claim {claim_id}: screenshots in {args.out}; bundle {pdf if args.keep else '(removed)'}")
        finally:
            server.terminate()
            try:
                server.wait(15)
            except subprocess.TimeoutExpired:
                server.kill()
            log.close()


if __name__ == "__main__":
    main()

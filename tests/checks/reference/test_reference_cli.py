"""End to end: ``refundguard analyze CLAIM --reference REF --json`` in a subprocess."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

from bench.claimbench.damage import add_tear


def test_cli_reports_regions_in_claim_pixels(tmp_path: Path, coffee):
    damaged, mask = add_tear(coffee, np.random.default_rng(4))
    # the forger crops and scales the edited listing photo before submitting it
    crop = damaged[40:380, 60:560]
    mask = mask[40:380, 60:560]
    claim = cv2.resize(crop, (750, 510), interpolation=cv2.INTER_CUBIC)
    mask = cv2.resize(mask.astype(np.uint8), (750, 510), interpolation=cv2.INTER_NEAREST).astype(bool)
    Image.fromarray(claim).save(tmp_path / "claim.jpg", quality=88)
    Image.fromarray(coffee).save(tmp_path / "listing.png")
    exe = Path(sys.executable).parent / "refundguard"
    proc = subprocess.run([str(exe), "analyze", str(tmp_path / "claim.jpg"),
                           "--reference", str(tmp_path / "listing.png"), "--json", "--check", "reference"],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert report["images"][0]["width"] == 750 and report["images"][0]["role"] == "claim"
    edits = [f for f in report["findings"] if f["code"] == "reference.derived_edit"]
    assert len(edits) == 1 and edits[0]["image"] == 0
    assert edits[0]["details"]["reference_image"] == 1
    ys, xs = np.nonzero(mask)
    box = edits[0]["regions"][0]
    assert box["x"] + box["w"] <= 750 and box["y"] + box["h"] <= 510
    assert box["x"] <= xs.mean() <= box["x"] + box["w"] and box["y"] <= ys.mean() <= box["y"] + box["h"]
    assert report["level"] == "high"

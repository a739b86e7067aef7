"""``refundguard index add | stats | query`` and ``analyze --index`` end to end, as a user runs them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from PIL import Image

from tests.index._photos import TRANSFORMS, skimage_photos


def _run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    code = "from refundguard.cli.app import run; run()"
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("REFUNDGUARD_")}
    full_env.update(env or {})
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=120,
                          env=full_env)


def test_add_stats_query_and_analyze_with_index(tmp_path: Path) -> None:
    photos = skimage_photos()
    Image.fromarray(photos["coffee"]).save(tmp_path / "coffee.jpg", quality=92)
    Image.fromarray(photos["chelsea"]).save(tmp_path / "chelsea.png")
    Image.fromarray(TRANSFORMS["screenshot_frame"](photos["coffee"])).save(tmp_path / "shot.jpg")
    db = tmp_path / "idx" / "reuse.db"

    added = _run("index", "add", str(tmp_path / "coffee.jpg"), str(tmp_path / "chelsea.png"), "--claim", "C1",
                 "--buyer", "B1", "--merchant", "M1", "--account", "A1", "--at", "2026-05-01T10:00+08:00",
                 "--index", f"sqlite:///{db}")
    assert added.returncode == 0, added.stderr
    assert "added 2" in added.stdout

    stats = _run("index", "stats", "--json", "--index", str(db))
    assert stats.returncode == 0, stats.stderr
    data = json.loads(stats.stdout)
    assert (data["images"], data["claims"], data["codes"]["pdq"]) == (2, 1, 2)

    query = _run("index", "query", str(tmp_path / "shot.jpg"), "--json", "--index", str(db))
    assert query.returncode == 0, query.stderr
    matches = json.loads(query.stdout)["matches"]
    assert matches[0]["claim_id"] == "C1" and matches[0]["at"].startswith("2026-05-01T10:00")

    # analyze consults the index named by the environment, and records the claim
    env = {"REFUNDGUARD_INDEX_URL": f"sqlite:///{db}"}
    report = _run("analyze", str(tmp_path / "shot.jpg"), "--json", "--no-heatmaps", "--claim-id", "C2",
                  "--buyer", "B2", "--check", "reuse", env=env)
    assert report.returncode == 0, report.stderr
    out = json.loads(report.stdout)
    assert out["checks"]["reuse"]["status"] == "ran"
    dup = [f for f in out["findings"] if f["code"] == "reuse.duplicate"]
    assert dup and dup[0]["details"]["matches"][0]["buyer_differs"] is True
    after = json.loads(_run("index", "stats", "--json", env=env).stdout)
    assert after["images"] == 3 and after["claims"] == 2


def test_bad_index_urls_give_one_line_errors(tmp_path: Path) -> None:
    for args in (("index", "stats"), ("index", "stats", "--index", "mysql://x/y"),
                 ("index", "add", str(tmp_path / "missing.jpg"), "--index", str(tmp_path / "i.db"))):
        result = _run(*args)
        assert result.returncode == 2, (args, result.stderr)
        assert "Traceback" not in result.stderr and result.stderr.strip().startswith("error:")
    (tmp_path / "junk.jpg").write_bytes(b"not an image")
    junk = _run("index", "add", str(tmp_path / "junk.jpg"), "--index", str(tmp_path / "i.db"))
    assert junk.returncode == 2 and "Traceback" not in junk.stderr

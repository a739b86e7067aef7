"""bench speed's report digest: equal for reports that differ only in check timings and the photos' folder."""

from __future__ import annotations

import copy

from bench.speed import report_digest


def _report() -> dict:
    return {"level": "low", "risk": 0.12, "images": [{"path": "/tmp/a/claim.jpg", "sha256": "ab"}],
            "checks": {"reference": {"status": "ran", "ms": 812.5, "photos": [{"image": 0, "status": "ran"}]}},
            "findings": [{"code": "reference.derived_copy", "score": 0.91, "details": {"p": 0.5}}]}


def test_timings_and_folders_do_not_change_the_digest() -> None:
    other = copy.deepcopy(_report())
    other["checks"]["reference"]["ms"] = 90.0
    other["images"][0]["path"] = "/var/tmp/rg-speed-x/claim.jpg"
    assert report_digest(other) == report_digest(_report())


def test_any_number_or_name_of_the_report_changes_it() -> None:
    base = report_digest(_report())
    for edit in (lambda r: r["findings"][0]["details"].update(p=0.5000001),
                 lambda r: r.update(risk=0.13),
                 lambda r: r["images"][0].update(path="/tmp/a/other.jpg"),
                 lambda r: r["checks"]["reference"].update(status="failed")):
        changed = copy.deepcopy(_report())
        edit(changed)
        assert report_digest(changed) != base

"""A worker's warm-up leaves nothing for its first claim to load: the checks imported, the OCR models loaded."""

from __future__ import annotations

import subprocess
import sys


def test_warm_up_imports_the_checks_and_loads_all_three_ocr_models() -> None:
    code = ("import sys\n"
            "from refundguard.service.jobs import warm_up\n"
            "warm_up()\n"
            "from refundguard.checks import _ocr\n"
            "e = _ocr._ENGINE\n"
            "print(e is not None and all(m is not None for m in (e.text_det, e.text_cls, e.text_rec)),\n"
            "      'refundguard.checks.tamper' in sys.modules and 'refundguard.checks.label' in sys.modules)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120)
    assert out.stdout.split() == ["True", "True"], out.stderr[-2000:]

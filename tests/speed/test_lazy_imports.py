"""`refundguard --help` and the package root load no image, numeric or web library."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("numpy", "PIL", "cv2", "scipy", "pydantic", "sqlalchemy", "fastapi", "onnxruntime", "jinja2", "weasyprint")


def _modules(code: str) -> set[str]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)])}
    out = subprocess.run([sys.executable, "-c", code + "\nimport sys, json; print(json.dumps(sorted(sys.modules)))"],
                         capture_output=True, text=True, env=env, check=True, timeout=60)
    return {m.split(".")[0] for m in json.loads(out.stdout.strip().splitlines()[-1])}


def test_help_loads_no_heavy_library():
    loaded = _modules("import sys\nsys.argv = ['refundguard', '--help']\nfrom refundguard.cli.app import run\n"
                      "import refundguard.cli\ntry:\n    run()\nexcept SystemExit:\n    pass")
    assert not loaded & set(HEAVY), loaded & set(HEAVY)


def test_package_root_and_workflow_are_light():
    loaded = _modules("import refundguard, refundguard.media, refundguard.index, refundguard.checks\n"
                      "import refundguard.service.claims.workflow\nassert refundguard.__version__")
    assert not loaded & set(HEAVY), loaded & set(HEAVY)


def test_lazy_names_resolve():
    import refundguard
    from refundguard import index, media

    assert refundguard.analyze.__module__ == "refundguard.engine"
    assert media.LoadedImage.__name__ == "LoadedImage" and callable(index.image_fingerprint)
    assert "analyze" in dir(refundguard)


def test_reference_check_imports_its_image_math_only_when_it_runs():
    code = ("import sys\nimport refundguard.checks.reference\n"
            "import json\n"
            "print(json.dumps(sorted(m for m in sys.modules if m.startswith('refundguard.checks._align'))))")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)])}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True, timeout=60)
    assert json.loads(out.stdout.strip().splitlines()[-1]) == ["refundguard.checks._align",
                                                               "refundguard.checks._align.settings"]


def test_provenance_check_loads_c2pa_only_for_a_photo_with_a_manifest():
    """Discovery imports the provenance check without c2pa-python (~0.05 CPU-s); a plain photo is read without
    it too: the reader loads only for a manifest store or a provenance pointer."""
    loaded = _modules("import numpy as np\nfrom PIL import Image\nimport io\n"
                      "import refundguard.checks.provenance as p\nfrom refundguard.media.load import load_image\n"
                      "buf = io.BytesIO(); Image.fromarray(np.zeros((64, 64, 3), np.uint8)).save(buf, 'JPEG')\n"
                      "assert p.analyse_image(load_image(buf.getvalue())) == []")
    assert "c2pa" not in loaded


def test_settings_read_without_pydantic_settings_unless_the_environment_sets_one():
    """The settings are built without pydantic-settings (asyncio and its cloud providers, ~50 ms) when no
    ``REFUNDGUARD_*`` variable names a setting; one that does is read by its environment source as before."""
    code = ("import sys\nfrom refundguard.config import load_settings\ns = load_settings()\n"
            "print('pydantic_settings' in sys.modules, s.base_rate, s.limits.max_bytes, s.database_url)")
    base = {k: v for k, v in os.environ.items() if not k.upper().startswith("REFUNDGUARD_")}
    base["PYTHONPATH"] = os.pathsep.join([str(ROOT / "src"), str(ROOT)])

    def run(extra: dict[str, str]) -> list[str]:
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env={**base, **extra},
                             check=True, timeout=60)
        return out.stdout.split()

    plain = run({"REFUNDGUARD_CHECK_THREADS": "1"})  # not a setting of Settings
    assert plain[0] == "False"
    env = run({"REFUNDGUARD_BASE_RATE": "0.125", "REFUNDGUARD_LIMITS__MAX_BYTES": "12345",
               "REFUNDGUARD_DATABASE_URL": "sqlite:///other.db"})
    assert env == ["True", "0.125", "12345", "sqlite:///other.db"]


def test_live_and_multiview_import_their_comparison_code_only_when_they_run():
    loaded = _modules("import refundguard.checks.registry as r\nr.registered()")
    code = ("import sys, json\nimport refundguard.checks.registry as r\nr.registered()\n"
            "print(json.dumps(sorted(m for m in sys.modules if m.startswith(('refundguard.checks._views', "
            "'refundguard.checks._live')))))")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)])}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True, timeout=60)
    assert json.loads(out.stdout.strip().splitlines()[-1]) == [
        "refundguard.checks._live", "refundguard.checks._live.config", "refundguard.checks._views",
        "refundguard.checks._views.config"]
    assert "pydantic_settings" not in loaded
    from refundguard.checks import multiview

    assert multiview.PairResult.__module__ == "refundguard.checks._views.pair"


def test_gc_paused_only_while_a_one_claim_command_starts():
    """``refundguard analyze`` pauses the collector from the CLI's import until the analysis starts, then freezes
    what the start made and turns it back on (refundguard.cli._start); other commands and importers keep it."""
    import gc

    from refundguard.cli._start import pause_gc_for_start, resume_gc

    assert gc.isenabled()
    for argv in (["pytest", "analyze", "x.jpg"], ["pytest", "--help"], ["refundguard", "index", "add", "x"],
                 ["/usr/bin/refundguard", "serve"], ["-m", "local"], []):
        assert not pause_gc_for_start(argv) and gc.isenabled(), argv
    frozen = gc.get_freeze_count()
    try:
        assert pause_gc_for_start(["-m", "--help"]) and not gc.isenabled()  # no command: the help
        resume_gc()
        assert pause_gc_for_start(["/venv/bin/refundguard", "--lang", "analyze", "x.jpg"])  # first non-option word
        assert not gc.isenabled()
        resume_gc()
        assert gc.isenabled() and gc.get_freeze_count() >= frozen
        resume_gc()  # once only
        assert gc.isenabled()
    finally:
        gc.enable()
        gc.unfreeze()


def test_analyze_starts_its_analysis_with_the_collector_on_and_the_start_frozen(tmp_path):
    import numpy as np
    from PIL import Image

    photo = tmp_path / "tiny.jpg"
    y, x = np.mgrid[0:64, 0:64]
    Image.fromarray(np.stack([x * 3, y * 3, np.full_like(x, 128)], -1).astype(np.uint8)).save(photo, "JPEG")
    code = ("import gc, sys, json\n"
            f"sys.argv = ['/venv/bin/refundguard', 'analyze', {str(photo)!r}, '--json']\n"
            "from refundguard.cli.app import run\n"
            "seen = {'import': gc.isenabled()}\n"
            "import refundguard.engine as engine\n"
            "real = engine.analyze\n"
            "def spy(*a, **k):\n"
            "    seen.update(analysis=gc.isenabled(), frozen=gc.get_freeze_count())\n"
            "    return real(*a, **k)\n"
            "engine.analyze = spy\n"
            "try:\n    run()\nexcept SystemExit as exc:\n    seen['rc'] = exc.code\n"
            "print(json.dumps(seen), file=sys.stderr)")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)])}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True, timeout=120)
    seen = json.loads(out.stderr.strip().splitlines()[-1])
    assert seen["import"] is False and seen["analysis"] is True and seen["frozen"] > 10_000, seen
    assert seen["rc"] == 0 and json.loads(out.stdout)["level"] in ("low", "review", "high")

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


def test_warm_up_with_settings_keeps_prepared_references_in_the_data_folder(tmp_path) -> None:
    code = ("from refundguard.config import Settings\n"
            "from refundguard.service.jobs import warm_up\n"
            f"warm_up(Settings(data_dir={str(tmp_path)!r}))\n"
            "from refundguard.checks._align.store import shared_store\n"
            "print(shared_store().folder)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120)
    assert out.stdout.split()[-1] == str(tmp_path / "reference-features"), out.stderr[-2000:]


def test_rapidocr_reads_its_model_table_once_as_plain_dicts_and_omegaconf_is_left_as_it_was() -> None:
    code = ("import omegaconf\n"
            "real = omegaconf.OmegaConf.load\n"
            "calls = []\n"
            "omegaconf.OmegaConf.load = lambda f, *a, **k: calls.append(str(f)) or real(f, *a, **k)\n"
            "from refundguard.checks import _ocr\n"
            "parsed = []\n"
            "plain = _ocr._plain_yaml\n"
            "_ocr._plain_yaml = lambda p: parsed.append(str(p)) or plain(p)\n"
            "_ocr.engine()\n"
            "from rapidocr.utils import model_resolver\n"
            "from rapidocr.inference_engine.base import InferSession\n"
            "print(sum(c.endswith('default_models.yaml') for c in calls), len(parsed),\n"
            "      type(model_resolver._MODEL_CONFIG).__name__,\n"
            "      InferSession.model_info is model_resolver._MODEL_CONFIG,\n"
            "      omegaconf.OmegaConf.load is not real)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120)
    assert out.stdout.split() == ["0", "1", "dict", "True", "True"], out.stderr[-2000:]


def test_the_plain_model_table_is_what_omegaconf_reads() -> None:
    from omegaconf import OmegaConf

    from refundguard.checks._ocr import MODEL_TABLE, _plain_yaml, model_dir

    path = model_dir().parent / MODEL_TABLE
    assert _plain_yaml(path) == OmegaConf.to_container(OmegaConf.load(path))

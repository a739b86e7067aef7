"""Text in photos with rapidocr (PP-OCRv6 small models shipped in the wheel, onnxruntime; never downloaded).

One engine per process for every check that reads text (label, live), created on first use; calls are
serialised, and every call names its switches (detection, orientation, recognition), because the engine keeps
the last call's as state. :func:`read`
returns each line with its box in the photo's pixels; :func:`read_line` reads a crop as one line.
"""

from __future__ import annotations

import importlib.util
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np

MODEL_FILES = {"Det": "PP-OCRv6_det_small.onnx", "Cls": "ch_ppocr_mobile_v2.0_cls_mobile.onnx",
               "Rec": "PP-OCRv6_rec_small.onnx"}
#: the detector works on inputs whose long side is at most this (larger inputs are shrunk first)
DETECT_LONG_SIDE = 1280
MAX_ASPECT = 4

_ENGINE: Any = None
_ENGINE_LOCK = threading.Lock()
CALL_LOCK = threading.Lock()


@dataclass(frozen=True, slots=True)
class TextLine:
    """One OCR line: its text, the recogniser's confidence and its box (x0, y0, x1, y1) in photo pixels."""

    text: str
    confidence: float
    box: tuple[float, float, float, float]


def model_dir() -> Path:
    """The folder of the ONNX models inside the installed rapidocr wheel."""
    spec = importlib.util.find_spec("rapidocr")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("rapidocr is not installed (pip install rapidocr onnxruntime)")
    folder = Path(next(iter(spec.submodule_search_locations))) / "models"
    missing = [name for name in MODEL_FILES.values() if not (folder / name).is_file()]
    if missing:
        raise RuntimeError(f"rapidocr models missing from {folder}: {', '.join(missing)} (no download at run time)")
    return folder


#: the table of downloadable models rapidocr reads at import (:func:`_model_table_as_dict`)
MODEL_TABLE = "default_models.yaml"


def _plain_yaml(path: Path) -> Any:
    """``path`` parsed as YAML into plain dicts and lists (libyaml's parser where PyYAML has it)."""
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    with open(path, encoding="utf-8") as fh:
        return yaml.load(fh, Loader=loader)  # a safe loader (C or Python)


@contextmanager
def _model_table_as_dict() -> Iterator[None]:
    """While rapidocr is imported, its table of downloadable models is read into plain dicts, once.

    Importing rapidocr loads ``default_models.yaml`` (1600 lines: model routes, language names, download
    addresses) with ``OmegaConf.load`` in two of its modules; building the OmegaConf tree took ~0.22 CPU-s of
    the ~0.24 of a load (PyYAML's libyaml parser: 0.014), and it was built twice. Neither module needs a tree:
    ``utils.model_resolver`` reads it with ``.get`` and ``[]`` (same answers from dicts; the table has no
    interpolation, and its plain parse equals ``OmegaConf.to_container`` of the tree, tests), and
    ``InferSession.model_info`` is read only to find a download address when no ``model_path`` is given, which
    :func:`engine` always gives. Every other ``OmegaConf.load`` (the engine's ``config.yaml``, at construction)
    is OmegaConf's own.
    """
    from omegaconf import OmegaConf

    real = OmegaConf.load
    trees: dict[str, Any] = {}

    def load_table(file_: Any, *args: Any, **kwargs: Any) -> Any:
        if args or kwargs or not isinstance(file_, (str, Path)) or Path(file_).name != MODEL_TABLE:
            return real(file_, *args, **kwargs)
        key = str(Path(file_).resolve())
        if key not in trees:
            trees[key] = _plain_yaml(Path(key))
        return trees[key]

    OmegaConf.load = load_table  # type: ignore[method-assign]
    try:
        yield
    finally:
        OmegaConf.load = real  # type: ignore[method-assign]


def engine() -> Any:
    """The process-wide rapidocr engine (thread-safe creation)."""
    global _ENGINE
    if _ENGINE is None:
        with _ENGINE_LOCK:
            if _ENGINE is None:
                with _model_table_as_dict():
                    from rapidocr import RapidOCR

                folder = model_dir()
                # the detector's default scales every input up to a 736-px short side; capping the long
                # side instead keeps the cost of small or wide inputs bounded (inputs here are ≤ 1280 px)
                # one onnxruntime thread: analyses run their checks side by side on refundguard.parallel's
                # pool, and idle intra-op threads spin (measured: 10 % more CPU for the same pass)
                params: dict[str, Any] = {"Global.log_level": "error", "Det.limit_type": "max",
                                          "Det.limit_side_len": DETECT_LONG_SIDE,
                                          "EngineConfig.onnxruntime.intra_op_num_threads": 1,
                                          "EngineConfig.onnxruntime.inter_op_num_threads": 1}
                params.update({f"{task}.model_path": str(folder / name) for task, name in MODEL_FILES.items()})
                _ENGINE = RapidOCR(params=params)
    return _ENGINE


def load_models() -> None:
    """Create the engine and load its three models now (a detection, orientation and recognition call on a blank
    picture): for a process that analyses many photos (a service worker, at start), so that its first photo with
    text does not pay ~0.8 CPU-s of engine set-up and model loading."""
    blank = np.full((64, 64, 3), 127, np.uint8)
    with CALL_LOCK:
        engine()(blank, use_det=True, use_cls=True, use_rec=True)
        engine()(blank, use_det=False, use_cls=True, use_rec=True)  # a blank picture has no line to recognise


def padded(rgb: np.ndarray) -> np.ndarray:
    """Pad (right/bottom, grey) to at most 4:1 and at least 64 px a side.

    rapidocr scales inputs up until the short side is 30 px (and its detector, by default, 736 px): a thin strip
    would become a huge image (a 1280×8 strip needed gigabytes), so strips are padded instead. Boxes keep their
    coordinates.
    """
    h, w = rgb.shape[:2]
    th, tw = max(h, 64, -(-w // MAX_ASPECT)), max(w, 64, -(-h // MAX_ASPECT))
    if (th, tw) == (h, w):
        return rgb
    out = np.full((th, tw, 3), 127, dtype=np.uint8)
    out[:h, :w] = rgb
    return out


def read(rgb: np.ndarray, *, long_side: int = DETECT_LONG_SIDE, offset: tuple[int, int] = (0, 0)) -> list[TextLine]:
    """OCR of ``rgb`` (shrunk to ``long_side`` first); boxes in ``rgb``'s pixels plus ``offset``."""
    scale = min(1.0, long_side / max(rgb.shape[:2]))
    small = rgb if scale >= 1.0 else cv2.resize(
        rgb, (max(1, round(rgb.shape[1] * scale)), max(1, round(rgb.shape[0] * scale))), interpolation=cv2.INTER_AREA)
    bgr = np.ascontiguousarray(padded(small)[:, :, ::-1])
    with CALL_LOCK:  # the engine keeps the last call's switches: name them every time
        out = engine()(bgr, use_det=True, use_cls=True, use_rec=True)
    if out.boxes is None or out.txts is None:
        return []
    lines = []
    for text, conf, quad in zip(out.txts, out.scores, out.boxes, strict=False):
        q = np.asarray(quad, dtype=np.float64) / scale + np.array(offset, dtype=np.float64)
        lines.append(TextLine(str(text), float(conf), (float(q[:, 0].min()), float(q[:, 1].min()),
                                                      float(q[:, 0].max()), float(q[:, 1].max()))))
    return lines


def read_tiles(rgb: np.ndarray, grid: int = 2, overlap: float = 0.2, long_side: int = DETECT_LONG_SIDE
               ) -> list[TextLine]:
    """OCR of ``grid`` × ``grid`` overlapping tiles, each read on its own: small text in a large photo."""
    h, w = rgb.shape[:2]
    th, tw = int(h / grid * (1 + overlap)), int(w / grid * (1 + overlap))
    lines: list[TextLine] = []
    for r in range(grid):
        for c in range(grid):
            y = min(max(0, round(r * h / grid - overlap * h / grid / 2)), max(0, h - th))
            x = min(max(0, round(c * w / grid - overlap * w / grid / 2)), max(0, w - tw))
            lines += read(np.ascontiguousarray(rgb[y:y + th, x:x + tw]), long_side=long_side, offset=(x, y))
    return lines


def read_line(rgb: np.ndarray, *, height: int = 64) -> TextLine | None:
    """Recognise ``rgb`` as one line of text (no detection, no orientation guess), scaled to ``height`` px high."""
    if min(rgb.shape[:2]) < 4:
        return None
    scale = height / rgb.shape[0]
    line = cv2.resize(rgb, (max(8, round(rgb.shape[1] * scale)), height),
                      interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC)
    bgr = np.ascontiguousarray(padded(line)[:, :, ::-1])
    with CALL_LOCK:
        out = engine()(bgr, use_det=False, use_cls=False, use_rec=True)
    if not out.txts:
        return None
    return TextLine(str(out.txts[0]), float(out.scores[0]), (0.0, 0.0, float(rgb.shape[1]), float(rgb.shape[0])))

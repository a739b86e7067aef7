"""Real photos claimbench builds on: ../shared/corpus and scikit-image's bundled photos.

Nothing is copied into the repository; every loader reads the corpus in place and returns RGB uint8.
"""

from __future__ import annotations

import functools
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpus"
SAGI_PIPELINES = ("brushnet", "powerpaint", "hdpainter", "controlnet", "inpaintanything", "removeanything")
MI_PAIRS = (("01_city", "01_city_inpainted"), ("01_road_01", "01_road_01_inpaint"),
            ("01_road_02", "01_road_02_inpaint"), ("01_wall", "01_wall_inpaint"), ("02_park", "02_park_inpaint"),
            ("02_wall_01", "02_wall_01_inpaint"))


def available() -> bool:
    """Whether ../shared/corpus is present."""
    return (CORPUS / "inpainting" / "sagi").is_dir()


@functools.lru_cache(maxsize=256)
def read(path: str) -> np.ndarray:
    """An image file as RGB uint8 (read once, cached; callers must not modify the result)."""
    arr = np.array(Image.open(path).convert("RGB"))
    arr.setflags(write=False)
    return arr


def sagi_pairs() -> list[tuple[Path, Path]]:
    """SAGI (original, AI-inpainted) pairs, pixel-aligned."""
    folder = CORPUS / "inpainting" / "sagi"
    pairs = []
    for i in range(100):
        files = sorted(folder.glob(f"{i:03d}_*.jpg"))
        if len(files) != 2:
            continue
        edited = [f for f in files if any(p in f.name for p in SAGI_PIPELINES)]
        original = [f for f in files if f not in edited]
        if len(edited) == 1 and len(original) == 1:
            pairs.append((original[0], edited[0]))
    return pairs


def magicinpainter_pairs() -> list[tuple[Path, Path]]:
    """MagicInpainter tampered/ (original, inpainted) lossless pairs."""
    folder = CORPUS / "inpainting" / "magicinpainter" / "tampered"
    return [(folder / f"{a}.png", folder / f"{b}.png") for a, b in MI_PAIRS if (folder / f"{a}.png").exists()]


def inpainting_pairs() -> list[tuple[str, Path, Path]]:
    """All real AI-inpainted pairs: (source name, original, edited)."""
    return [("sagi", o, e) for o, e in sagi_pairs()] + [("magicinpainter", o, e) for o, e in magicinpainter_pairs()]


def reference_photos() -> list[tuple[str, np.ndarray]]:
    """Clean photos to play the merchant's listing photo: skimage, natural/, inpainting originals."""
    from skimage import data

    photos: list[tuple[str, np.ndarray]] = [(f"skimage.{n}", getattr(data, n)()) for n in
                                            ("coffee", "chelsea", "astronaut", "rocket")]
    photos.append(("skimage.motorcycle_left", data.stereo_motorcycle()[0]))
    for name in ("IMG_0003.jpg", "P1000827.jpg"):
        p = CORPUS / "natural" / name
        if p.exists():
            photos.append((f"natural/{name}", read(str(p))))
    for src, original, _ in inpainting_pairs():
        photos.append((f"{src}/{original.name}", read(str(original))))
    return photos


def tiles(kind: str) -> list[Path]:
    """Magnetic-tile photos of one defect class ("Crack" or "Break")."""
    return sorted((CORPUS / "damage" / "magnetic_tile" / f"MT_{kind}" / "Imgs").glob("*.jpg"))


def tile_defect(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """A magnetic-tile photo and its defect mask (bool)."""
    img = read(str(path))
    mask = np.array(Image.open(path.with_suffix(".png")).convert("L")) > 0
    return img, mask


def inpainting_mask(original: np.ndarray, edited: np.ndarray) -> np.ndarray:
    """Ground-truth edit mask of a pixel-aligned pair: smoothed colour difference, cleaned up."""
    a = cv2.GaussianBlur(original.astype(np.float32) / 255.0, (0, 0), 2.0)
    b = cv2.GaussianBlur(edited.astype(np.float32) / 255.0, (0, 0), 2.0)
    d = np.abs(a - b).max(axis=2)
    m = (d > 0.1).astype(np.uint8)
    m = cv2.morphologyEx(m, cv2.MORPH_OPEN, np.ones((3, 3), np.uint8))
    m = cv2.morphologyEx(m, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (9, 9)))
    n, labels, stats, _ = cv2.connectedComponentsWithStats(m, connectivity=8)
    keep = np.zeros(n, bool)
    keep[1:] = stats[1:, cv2.CC_STAT_AREA] >= max(30, 5e-4 * m.size)
    return keep[labels]


def stereo_pair() -> tuple[np.ndarray, np.ndarray]:
    """skimage's stereo motorcycle: two cameras, one object (distinct captures)."""
    from skimage import data

    left, right, _ = data.stereo_motorcycle()
    return left, right


def road_pair() -> tuple[np.ndarray, np.ndarray] | None:
    """MagicInpainter's two road photos: two captures of one street (a distinct-capture pair)."""
    folder = CORPUS / "inpainting" / "magicinpainter" / "tampered"
    a, b = folder / "01_road_01.png", folder / "01_road_02.png"
    return (read(str(a)), read(str(b))) if a.exists() and b.exists() else None

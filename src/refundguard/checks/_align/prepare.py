"""Working-resolution copies of a photo, a usability verdict and local features for matching."""

from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np

#: long side (px) of the copy used for alignment and differencing
WORK_SIDE = 1024
#: long side (px) of the copy used for feature detection (SIFT cost grows with area)
FEATURE_SIDE = 768
MIN_SIDE = 48
MIN_STD = 2.5
MIN_KEYPOINTS = 12


@dataclass
class Features:
    """SIFT keypoints (x, y in working pixels) and descriptors."""

    points: np.ndarray
    descriptors: np.ndarray | None

    def __len__(self) -> int:
        return 0 if self.descriptors is None else len(self.points)


@dataclass
class Prepared:
    """A photo reduced to the working resolution.

    Attributes
    ----------
    rgb : float32 (h, w, 3) in [0, 1] at the working resolution.
    gray : float32 (h, w) in [0, 1].
    scale : working pixels per full-resolution pixel (<= 1).
    full_size : (width, height) of the full-resolution photo.
    offset : (x, y) of this copy's origin in the full photo (non-zero for a crop, see :meth:`crop`).
    pixels : the full-resolution RGB photo (kept by reference, to re-prepare a crop at higher detail).
    problem : why the photo cannot be used for comparison (None when usable): a catalogue part
        ``{"part": name, **params}`` of ``reference.problem.`` (:mod:`refundguard.messages.texts.reference`).
    """

    rgb: np.ndarray
    gray: np.ndarray
    scale: float
    full_size: tuple[int, int]
    offset: tuple[int, int] = (0, 0)
    pixels: np.ndarray | None = field(default=None, repr=False)
    problem: dict[str, object] | None = None
    _features: dict[bool, Features] = field(default_factory=dict, repr=False)

    @property
    def size(self) -> tuple[int, int]:
        return self.gray.shape[1], self.gray.shape[0]

    def from_full(self) -> np.ndarray:
        """3x3 matrix mapping full-photo pixel coordinates to this copy's working pixels.

        Pixel centres are used (OpenCV's resize convention), and a crop's offset is included.
        """
        w, h = self.size
        fw, fh = self.full_size
        shift = np.array([[1.0, 0.0, -self.offset[0]], [0.0, 1.0, -self.offset[1]], [0.0, 0.0, 1.0]])
        return resize_matrix(w / fw, h / fh) @ shift

    def crop(self, box: tuple[int, int, int, int]) -> Prepared:
        """The full-resolution area ``box`` = (x0, y0, x1, y1) of the photo, prepared on its own.

        A reference shown small inside a screenshot is then compared at the working resolution of the
        area it covers, not of the whole frame.
        """
        if self.pixels is None:
            raise ValueError("the full-resolution pixels were not kept")
        x0, y0, x1, y1 = box
        sub = prepare(self.pixels[y0:y1, x0:x1])
        sub.offset = (self.offset[0] + x0, self.offset[1] + y0)
        return sub

    def features(self, mirrored: bool = False) -> Features:
        """SIFT features of the photo (or of its mirror image), computed once."""
        if mirrored not in self._features:
            gray = self.gray[:, ::-1] if mirrored else self.gray
            self._features[mirrored] = detect(gray)
        return self._features[mirrored]


def resize_matrix(fx: float, fy: float) -> np.ndarray:
    """3x3 matrix of an image resize by (fx, fy) under the pixel-centre convention of ``cv2.resize``."""
    return np.array([[fx, 0.0, 0.5 * fx - 0.5], [0.0, fy, 0.5 * fy - 0.5], [0.0, 0.0, 1.0]])


def prepare(pixels: np.ndarray, work_side: int = WORK_SIDE) -> Prepared:
    """Reduce an RGB uint8 photo to the working resolution and judge whether it can be compared.

    Parameters
    ----------
    pixels : (H, W, 3) uint8 RGB (or (H, W) grayscale).
    work_side : long side of the working copy; larger photos are reduced with area averaging.
    """
    if pixels.ndim == 2:
        pixels = np.repeat(pixels[:, :, None], 3, axis=2)
    h, w = pixels.shape[:2]
    scale = min(1.0, work_side / max(h, w))
    small = pixels if scale >= 1.0 else cv2.resize(
        pixels, (max(1, round(w * scale)), max(1, round(h * scale))), interpolation=cv2.INTER_AREA)
    if scale < 1.0:
        scale = small.shape[1] / w
    rgb = small.astype(np.float32) / 255.0
    gray = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    problem: dict[str, object] | None = None
    if min(h, w) < MIN_SIDE:
        problem = {"part": "too_small", "width": w, "height": h, "min_side": MIN_SIDE}
    elif float(gray.std()) * 255.0 < MIN_STD:
        problem = {"part": "blank"}
    return Prepared(rgb=rgb, gray=gray, scale=scale, full_size=(w, h), pixels=pixels, problem=problem)


def detect(gray: np.ndarray, side: int = FEATURE_SIDE) -> Features:
    """Detect SIFT keypoints on a copy whose long side is at most ``side``; points in ``gray`` pixels."""
    h, w = gray.shape
    f = min(1.0, side / max(h, w))
    small = gray if f >= 1.0 else cv2.resize(gray, (max(1, round(w * f)), max(1, round(h * f))),
                                             interpolation=cv2.INTER_AREA)
    u8 = np.clip(small * 255.0 + 0.5, 0, 255).astype(np.uint8)
    sift = cv2.SIFT_create(nfeatures=2500, contrastThreshold=0.02)
    keypoints, descriptors = sift.detectAndCompute(u8, None)
    if descriptors is None or len(keypoints) == 0:
        return Features(points=np.zeros((0, 2), np.float32), descriptors=None)
    sx = w / small.shape[1]
    sy = h / small.shape[0]
    pts = np.array([k.pt for k in keypoints], np.float32)
    pts = (pts + 0.5) * np.array([sx, sy], np.float32) - 0.5
    return Features(points=pts, descriptors=descriptors)

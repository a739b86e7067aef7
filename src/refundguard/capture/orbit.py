"""Frames of the optional video orbit (PyAV), evenly spread over its duration.

Browsers' MediaRecorder writes few keyframes (often only the first), so every frame is decoded — at most
``max_decoded`` of them, over at most ``max_seconds`` — and ``count`` frames evenly spaced in time are kept,
JPEG-encoded, the long side at most ``max_side``.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

import av
from PIL import Image

from refundguard.service.errors import Invalid


@dataclass(frozen=True, slots=True)
class OrbitFrame:
    jpeg: bytes
    time_s: float


def orbit_frames(path: Path, *, count: int, max_seconds: float, max_decoded: int = 900,
                 max_side: int = 1920) -> list[OrbitFrame]:
    """``count`` frames spread over the video's duration; :class:`Invalid` for a file that is no usable video."""
    try:
        container = av.open(str(path))
    except (av.error.FFmpegError, OSError, ValueError) as exc:
        raise Invalid(f"video: cannot be opened ({exc.__class__.__name__})",
                      f"视频：无法打开（{exc.__class__.__name__}）") from exc
    frames: list[tuple[float, Image.Image]] = []
    try:
        if not container.streams.video:
            raise Invalid("video: the file has no video stream", "视频：文件中没有视频流")
        stream = container.streams.video[0]
        decoded = 0
        try:
            for frame in container.decode(stream):
                decoded += 1
                t = float(frame.time) if frame.time is not None else decoded / 30.0
                if t > max_seconds + 1.0:
                    raise Invalid(f"video: longer than {max_seconds:g} s", f"视频：超过 {max_seconds:g} 秒")
                image = frame.to_image()
                image.thumbnail((max_side, max_side))
                frames.append((t, image))
                if len(frames) > 4 * count:  # keep memory bounded: thin out, keep the spread
                    frames = frames[::2]
                if decoded >= max_decoded:
                    break
        except (av.error.FFmpegError, ValueError) as exc:
            if not frames:
                raise Invalid(f"video: cannot be decoded ({exc.__class__.__name__})",
                              f"视频：无法解码（{exc.__class__.__name__}）") from exc
    finally:
        container.close()
    if len(frames) < 2:
        raise Invalid("video: too short (fewer than two frames)", "视频：太短（少于两帧）")
    step = (len(frames) - 1) / max(1, count - 1)
    picked = [frames[round(k * step)] for k in range(min(count, len(frames)))]
    out = []
    for t, image in picked:
        buf = io.BytesIO()
        image.convert("RGB").save(buf, format="JPEG", quality=92)
        out.append(OrbitFrame(buf.getvalue(), round(t, 3)))
    return out

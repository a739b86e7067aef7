"""Keyframes of a packing video (PyAV) as reference photos, bounded in frames, decode work and size."""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

import av
from PIL import Image

from refundguard.service.errors import Invalid


@dataclass(frozen=True, slots=True)
class Keyframe:
    jpeg: bytes
    time_s: float | None


def extract_keyframes(path: Path, *, max_frames: int, max_decoded: int, max_side: int) -> list[Keyframe]:
    """Up to ``max_frames`` keyframes spread over the video, JPEG-encoded, the long side at most ``max_side``.

    At most ``max_decoded`` frames are decoded (keyframes only where the codec allows skipping).
    """
    try:
        container = av.open(str(path))
    except (av.error.FFmpegError, OSError, ValueError) as exc:
        raise Invalid(f"video: cannot be opened ({exc.__class__.__name__})",
                      f"视频：无法打开（{exc.__class__.__name__}）") from exc
    try:
        if not container.streams.video:
            raise Invalid("video: the file has no video stream", "视频：文件中没有视频流")
        stream = container.streams.video[0]
        stream.codec_context.skip_frame = "NONKEY"
        candidates: list[tuple[float | None, Image.Image]] = []
        decoded = 0
        stride = 1  # keep every stride-th keyframe; doubles whenever the kept set grows past 2 * max_frames
        try:
            for frame in container.decode(stream):
                decoded += 1
                if (decoded - 1) % stride == 0:
                    time_s = float(frame.time) if frame.time is not None else None
                    image = frame.to_image()
                    image.thumbnail((max_side, max_side))
                    candidates.append((time_s, image))
                    if len(candidates) > 2 * max_frames:
                        candidates = candidates[::2]
                        stride *= 2
                if decoded >= max_decoded:
                    break
        except (av.error.FFmpegError, ValueError) as exc:
            if not candidates:
                raise Invalid(f"video: cannot be decoded ({exc.__class__.__name__})",
                              f"视频：无法解码（{exc.__class__.__name__}）") from exc
    finally:
        container.close()
    if not candidates:
        raise Invalid("video: no frame could be decoded", "视频：没有可解码的画面")
    if len(candidates) > max_frames:
        step = (len(candidates) - 1) / (max_frames - 1) if max_frames > 1 else 0
        candidates = [candidates[round(i * step)] for i in range(max_frames)]
    out = []
    for time_s, image in candidates:
        buffer = io.BytesIO()
        image.convert("RGB").save(buffer, format="JPEG", quality=92)
        out.append(Keyframe(buffer.getvalue(), None if time_s is None else round(time_s, 3)))
    return out

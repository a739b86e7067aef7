"""A bounded walk of a GIF file's blocks: screen and frame sizes, frame count, comments.

A GIF is a logical screen followed by extension blocks and image descriptors, each carrying data in
sub-blocks of at most 255 bytes. Pillow skips sub-blocks one by one in Python; encoders always write
full 255-byte sub-blocks, so a file cut into tiny ones exists only to be slow and is refused. The walk
stops at the trailer, at the end of the data, or past ``max_frames`` frames (refused).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

from refundguard.config import Limits
from refundguard.errors import InputTooLarge, UnreadableImage
from refundguard.media.geometry import Geometry

#: sub-blocks allowed on top of one per 64 bytes of file (real encoders write one per 256 bytes)
SUB_BLOCK_ALLOWANCE = 10_000


@dataclass(slots=True)
class GifWalk:
    geometry: Geometry
    comments: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def walk_gif(data: bytes, limits: Limits) -> GifWalk:
    """Walk the blocks of a GIF (87a or 89a) under ``limits``; the first frame sets the decoded size."""
    if len(data) < 13:
        raise UnreadableImage("corrupt GIF: truncated header", zh="GIF 文件损坏：文件头不完整")
    width, height, packed = struct.unpack("<HHB", data[6:11])
    pos = 13 + (3 * (2 << (packed & 7)) if packed & 0x80 else 0)
    max_sub_blocks = len(data) // 64 + SUB_BLOCK_ALLOWANCE
    walk = GifWalk(Geometry(width, height))
    frames, sub_blocks, comment_bytes = 0, 0, 0
    first: tuple[int, int] | None = None
    while pos < len(data):
        kind = data[pos]
        is_comment = False
        if kind == 0x3B:  # trailer
            break
        if kind == 0x2C:  # image descriptor
            if pos + 10 > len(data):
                walk.notes.append("GIF image descriptor cut off by the end of the file")
                break
            left, top, w, h, flags = struct.unpack("<HHHHB", data[pos + 1:pos + 10])
            frames += 1
            if frames > limits.max_frames:
                raise InputTooLarge(f"GIF has more than {limits.max_frames} frames; at most {limits.max_frames} "
                                    "are accepted", zh=f"GIF 超过 {limits.max_frames} 帧")
            if first is None:
                first = (max(width, left + w), max(height, top + h))
            pos += 10 + (3 * (2 << (flags & 7)) if flags & 0x80 else 0) + 1  # + LZW minimum code size
        elif kind == 0x21:  # extension: label, then sub-blocks
            if pos + 2 > len(data):
                break
            is_comment = data[pos + 1] == 0xFE
            pos += 2
        else:
            raise UnreadableImage(f"corrupt GIF: unknown block 0x{kind:02x} at byte {pos:,}",
                                  zh=f"GIF 文件损坏：第 {pos:,} 字节处有未知的块 0x{kind:02x}")
        chunks: list[bytes] = []
        while pos < len(data):
            size = data[pos]
            if is_comment:
                chunks.append(data[pos + 1:pos + 1 + size])
            pos += 1 + size
            if size == 0:
                break
            sub_blocks += 1
            if sub_blocks > max_sub_blocks:
                raise InputTooLarge(f"GIF data is cut into more than {max_sub_blocks:,} sub-blocks (encoders write "
                                    "255-byte sub-blocks)", zh=f"GIF 数据被切成超过 {max_sub_blocks:,} 个子块")
        if is_comment:
            text = b"".join(chunks)
            comment_bytes += len(text)
            if comment_bytes > limits.max_metadata_bytes:
                raise InputTooLarge(f"GIF comments exceed {limits.max_metadata_bytes:,} bytes",
                                    zh=f"GIF 注释超过 {limits.max_metadata_bytes:,} 字节")
            walk.comments.append(text.decode("utf-8", "replace"))
    else:
        walk.notes.append("GIF has no trailer (the file may be truncated)")
    if frames == 0:
        raise UnreadableImage("GIF has no image (no image descriptor)", zh="GIF 中没有图像")
    size = first or (width, height)
    walk.geometry = Geometry(size[0], size[1], frames=frames, codec="lzw")
    return walk

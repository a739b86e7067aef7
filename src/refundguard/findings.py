"""Finding, Region and Heatmap types, and the catalogue of stable finding codes.

Finding codes are API: reports, webhooks and stored decisions refer to them. Add codes; never rename.
Each code's log-odds weight lives in ``data/defaults.toml`` (thresholds are data, not code).
"""

from __future__ import annotations

import base64
import io
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from PIL import Image as PILImage

#: code -> (English title, Chinese title). The first set is fixed by DESIGN.md; the rest extend it.
CODES: dict[str, tuple[str, str]] = {
    "provenance.c2pa.ai_source": ("C2PA manifest declares AI-generated content", "C2PA 清单声明内容由 AI 生成"),
    "provenance.c2pa.tampered": ("C2PA manifest integrity failure: file altered after signing",
                                 "C2PA 清单完整性校验失败：签名后文件被改动"),
    "provenance.c2pa.valid_capture": ("Valid C2PA capture manifest without AI", "有效的 C2PA 拍摄清单，未含 AI"),
    "provenance.c2pa.unverified": ("C2PA manifest present but not checked", "存在 C2PA 清单但未能校验"),
    "provenance.aigc_label": ("GB 45438-2025 implicit AI-content label", "GB 45438-2025 AI 生成内容隐式标识"),
    "provenance.aigc_label.invalid": ("Malformed or forged GB 45438 label", "GB 45438 隐式标识格式错误或被伪造"),
    "provenance.iptc.ai_source": ("IPTC metadata declares AI-generated content", "IPTC 元数据声明内容由 AI 生成"),
    "provenance.generator_metadata": ("AI generator metadata", "AI 生成工具元数据"),
    "provenance.remnant": ("Remnants of removed AI provenance metadata", "残留的已删除 AI 溯源元数据"),
    "provenance.conflict": ("Contradictory provenance metadata", "相互矛盾的溯源元数据"),
    "provenance.hostile_metadata": ("Metadata built to make analysis tools fail", "为使分析工具出错而构造的元数据"),
    "watermark.invisible": ("Invisible AI watermark", "AI 隐形水印"),
    "label.visible_ai_text": ("Visible AI-generation label in the image", "图片中可见的 AI 生成标识"),
    "reference.derived_edit": ("Merchant's photo with regions changed", "商家图片被局部修改"),
    "reference.derived_copy": ("Merchant's own photo submitted as evidence", "将商家自己的图片作为证据提交"),
    "reference.derived_overlay": ("Merchant's photo with only text, stickers or app bars drawn over it",
                                  "商家图片仅被叠加文字、贴纸或界面栏"),
    "reference.different_product": ("Photo does not show the product sold", "图片中的商品与所售商品不符"),
    "reuse.duplicate": ("Photo already submitted in another claim", "该图片已在其他申请中提交过"),
    "reuse.template": ("Damage pattern seen on other products", "相同的损坏图案出现在其他商品上"),
    "tamper.local": ("Local editing traces", "局部编辑痕迹"),
    "capture.after_delivery_mismatch": ("Photo taken before delivery", "照片拍摄时间早于签收时间"),
    "capture.screenshot": ("Screenshot, not a camera photo", "截图而非相机拍摄"),
    "capture.no_camera_data": ("No camera data", "没有相机拍摄信息"),
    "capture.editing_software": ("Edited with image software", "经图像软件编辑"),
    "capture.camera_mismatch": ("Photos of one claim from different cameras", "同一申请的照片来自不同相机"),
    "multiview.inconsistent_damage": ("Damage differs between photos of the same item",
                                      "同一商品不同照片中的损坏不一致"),
    "live.damage_absent": ("Claimed damage not on the item photographed live", "现场拍摄的实物上没有所称的损坏"),
    "live.damage_confirmed": ("Damage confirmed live from several angles", "现场多角度拍摄确认了损坏"),
    "live.place_differs": ("The claimed place looks different on the live item", "现场实物的所称损坏处与凭证图片不同"),
    "live.code_missing": ("One-time code not found in the live shot", "现场照片中没有一次性验证码"),
    "live.code_wrong": ("Wrong one-time code in the live shot", "现场照片中的验证码不正确"),
    "live.recapture": ("Live shot of a screen or a print", "现场照片翻拍了屏幕或打印件"),
    "live.item_not_matched": ("Live shots do not show the claimed item", "现场照片中不是凭证中的商品"),
    "live.inconsistent_views": ("Live shots disagree with each other", "现场照片彼此不一致"),
    "ledger.prior_abuse": ("Buyer has adjudicated abuse on record (cross-platform ledger)",
                           "买家有经裁定的滥用记录（跨平台账本）"),
}

#: codes whose weight is set in ``data/defaults.toml`` and never fitted by ``bench calibrate``: they say nothing
#: about the photos (the calibration data has no buyers), and their weight is bounded by design.
FIXED_WEIGHT: frozenset[str] = frozenset({"ledger.prior_abuse"})


@dataclass(frozen=True, slots=True)
class Region:
    """An axis-aligned box in image pixel coordinates (x to the right, y down)."""

    x: int
    y: int
    w: int
    h: int

    def to_dict(self) -> dict[str, int]:
        return {"x": int(self.x), "y": int(self.y), "w": int(self.w), "h": int(self.h)}


def _png_bytes(img: PILImage.Image, max_side: int) -> bytes:
    """PNG bytes of ``img`` shrunk (never enlarged) to at most ``max_side`` pixels on its long side."""
    scale = max_side / max(img.size)
    if scale < 1:
        img = img.resize((max(1, round(img.width * scale)), max(1, round(img.height * scale))),
                         PILImage.Resampling.BILINEAR)
    buf = io.BytesIO()
    img.save(buf, format="PNG", optimize=True)
    return buf.getvalue()


@dataclass(frozen=True, slots=True)
class Heatmap:
    """A per-pixel map in [0, 1] aligned to an image (it may be smaller: it is scaled to the image)."""

    values: np.ndarray

    def __post_init__(self) -> None:
        if self.values.ndim != 2:
            raise ValueError("a heatmap is a 2-D array")

    @classmethod
    def from_data_url(cls, url: str) -> Heatmap:
        """Read back a map written by :meth:`to_data_url` (as stored in a JSON report)."""
        head, _, payload = url.partition(",")
        if not head.startswith("data:image/png;base64"):
            raise ValueError("not a PNG data URL")
        with PILImage.open(io.BytesIO(base64.b64decode(payload, validate=True))) as img:
            return cls(np.asarray(img.convert("L"), dtype=np.float32) / 255.0)

    def _clipped(self) -> np.ndarray:
        return np.clip(np.nan_to_num(self.values.astype(np.float32)), 0.0, 1.0)

    def to_png(self, max_side: int = 256) -> bytes:
        return _png_bytes(PILImage.fromarray((self._clipped() * 255).astype(np.uint8), mode="L"), max_side)

    def to_data_url(self, max_side: int = 256) -> str:
        return "data:image/png;base64," + base64.b64encode(self.to_png(max_side)).decode("ascii")

    def to_overlay_data_url(self, max_side: int = 512, rgb: tuple[int, int, int] = (255, 23, 68)) -> str:
        """A transparent PNG for drawing over the photo: colour ``rgb`` with opacity rising with the value."""
        arr = self._clipped()
        rgba = np.zeros((*arr.shape, 4), np.uint8)
        rgba[..., :3] = rgb
        rgba[..., 3] = (np.clip((arr - 0.15) / 0.85, 0.0, 1.0) * 210).astype(np.uint8)  # faint values stay clear
        png = _png_bytes(PILImage.fromarray(rgba, mode="RGBA"), max_side)
        return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


@dataclass(frozen=True, slots=True)
class Message:
    en: str
    zh: str

    def to_dict(self) -> dict[str, str]:
        return {"en": self.en, "zh": self.zh}


@dataclass(frozen=True, slots=True)
class Finding:
    """One piece of evidence a check found.

    ``image`` indexes the report's image list; ``None`` marks a claim-level finding (for example
    damage that disagrees between two photos). ``score`` in [0, 1] is how sure the check is; the
    verdict multiplies it by the code's configured ``weight`` (log-odds). ``variant`` names the finding's
    sentence in the message catalogue (``code:variant``, parameters in ``details``); ``message`` is that
    sentence as made at analysis time (a check not converted to the catalogue writes it itself).
    """

    code: str
    check: str
    image: int | None
    score: float
    message: Message
    weight: float = 0.0
    regions: tuple[Region, ...] = ()
    heatmap: Heatmap | None = None
    details: dict[str, Any] = field(default_factory=dict)
    variant: str | None = None

    def __post_init__(self) -> None:
        if self.code not in CODES:
            raise ValueError(f"unknown finding code {self.code!r}")
        if not 0.0 <= self.score <= 1.0:
            raise ValueError(f"score {self.score} outside [0, 1]")

    @property
    def contribution(self) -> float:
        """This finding's log-odds contribution to the risk."""
        return self.weight * self.score

"""Make the repository's sample evidence (deterministic; run by `make samples`).

From scikit-image's bundled `coffee` photo (a cup: the merchant's listing photo) it writes:

- ``listing.jpg``   the merchant's listing photo;
- ``claim.jpg``     the buyer's "evidence": the listing photo with a crack painted in, shrunk to 85 % and
                    re-encoded at JPEG quality 82 as a messaging app would;
- ``claim_ai.png``  a second "evidence" photo as an AI editor exports it: a stain painted onto the cup, the
                    GB 45438-2025 implicit label in its XMP (a made-up provider with a valid USCC check digit)
                    and the visible "AI生成" mark in the corner at 5 % of the short side.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont, PngImagePlugin
from skimage import data

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.claimbench.damage import add_crack, add_stain  # noqa: E402
from refundguard.checks.provenance.aigc_label import uscc_valid  # noqa: E402

FONT_CANDIDATES = ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
                   "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")


def provider_code(uscc17: str, service: str) -> str:
    """A 27-character GB 45438 provider code around a USCC whose check character is computed."""
    check = next(c for c in "0123456789ABCDEFGHJKLMNPQRTUWXY" if uscc_valid(uscc17 + c))
    return f"0011{uscc17}{check}{service}0001"


def gb45438_xmp(producer: str) -> str:
    label = json.dumps({"Label": "1", "ContentProducer": producer, "ProduceID": "rg-sample-0001",
                        "ReservedCode1": "", "ContentPropagator": "", "PropagateID": "", "ReservedCode2": ""},
                       separators=(",", ":"))
    escaped = label.replace('"', "&quot;")
    return ('<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?><x:xmpmeta xmlns:x="adobe:ns:meta/">'
            '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description rdf:about="" '
            f'xmlns:TC260="http://www.tc260.org.cn/ns/AIGC/1.0/"><TC260:AIGC>{escaped}</TC260:AIGC>'
            '</rdf:Description></rdf:RDF></x:xmpmeta><?xpacket end="w"?>')


def visible_label(img: Image.Image, text: str = "AI生成") -> Image.Image:
    font_path = next((p for p in FONT_CANDIDATES if Path(p).exists()), None)
    if font_path is None:
        raise SystemExit("a CJK font is needed: apt-get install fonts-wqy-microhei")
    size = max(12, round(min(img.size) * 0.05))
    font = ImageFont.truetype(font_path, size)
    out = img.copy()
    draw = ImageDraw.Draw(out)
    left, top, right, bottom = draw.textbbox((0, 0), text, font=font)
    x, y = out.width - (right - left) - size // 2, out.height - (bottom - top) - size // 2
    draw.text((x - left, y - top), text, font=font, fill=(255, 255, 255), stroke_width=max(1, size // 12),
              stroke_fill=(40, 40, 40))
    return out


def main(out_dir: str = "samples") -> None:
    out = ROOT / out_dir
    out.mkdir(parents=True, exist_ok=True)
    listing = data.coffee()
    Image.fromarray(listing).save(out / "listing.jpg", quality=92)

    cracked = listing.copy()  # the crack goes on the cup, not on the table
    cracked[40:290, 175:410], _ = add_crack(listing[40:290, 175:410], np.random.default_rng(11))
    claim = Image.fromarray(cracked)
    claim = claim.resize((round(claim.width * 0.85), round(claim.height * 0.85)), Image.Resampling.LANCZOS)
    claim.save(out / "claim.jpg", quality=82)

    stained = listing.copy()  # a stain on the saucer
    stained[280:380, 120:320], _ = add_stain(listing[280:380, 120:320], np.random.default_rng(7))
    ai = visible_label(Image.fromarray(stained))
    info = PngImagePlugin.PngInfo()
    info.add_itxt("XML:com.adobe.xmp", gb45438_xmp(provider_code("91330100MA2RG0000", "1")))
    ai.save(out / "claim_ai.png", pnginfo=info, optimize=True)
    print(f"wrote {out}/listing.jpg, claim.jpg, claim_ai.png")


if __name__ == "__main__":
    main(*sys.argv[1:])

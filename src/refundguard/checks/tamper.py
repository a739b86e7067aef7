"""Blind local editing traces (``tamper.local``): compression history and noise that differ in one region.

A phone photo is JPEG-compressed once on capture; an AI edit regenerates a region and the file is
saved again. Five hand-written cues look for a region whose history differs from the rest
(``checks/_forensics``):

* aligned double quantisation (JPEG files): per 8x8 block, the log-likelihood of the single- vs
  double-compression law of the low-frequency DCT coefficients, with the first step estimated from
  the file's own histograms and quantisation table;
* an earlier JPEG lattice on any grid (every format): a JPEG cropped before it was saved again keeps
  its first compression on a shifted grid (non-aligned double quantisation), and a PNG or other
  lossless file exported from a JPEG keeps that JPEG's lattice exactly; blocks off that lattice were
  changed after it;
* JPEG grid: an 8x8 blocking grid at another phase (a region pasted from a shifted JPEG), or no grid
  in one region of a picture that otherwise shows one (non-JPEG files only);
* noise level: the robust z-score of the finest-scale noise against cells of similar texture;
* resampling: a spectral peak of the linear-predictor residual (Kirchner's p-map) in one region
  that the rest of the picture lacks, as left by a patch scaled or rotated to fit (a picture
  resized as a whole is uniformly resampled and stays quiet).

The cues are fused into a heatmap; the score comes only from a compact, connected region (see
``_forensics/fuse.py`` for the scale): one weak cue never accuses.

Findings
--------
=============  =====  ===================================================================
code           score  meaning
=============  =====  ===================================================================
tamper.local   0.3-1  a compact region whose compression history or noise differs from
                      the rest; < 0.6 a single cue (hint), >= 0.6 a very strong
                      double-quantisation break or agreeing cues, 1.0 all cues at full
                      strength. Regions and a heatmap show where; ``details.cues`` gives
                      the per-cue strengths.
=============  =====  ===================================================================

Limits
------
* Double quantisation (aligned or not) is visible only when the first save was of lower quality
  (larger steps) than the last one, or the last save was lossless; equal or higher first quality,
  resizing, or a re-save at much lower quality erase it. A crop by a multiple of 4 pixels on both
  axes hides a non-aligned grid behind the file's own. Fully regenerated pictures have no "rest" to
  compare with.
* Noise and grid cues are confused by textures with an 8-pixel period and by very flat areas;
  they are capped so that alone they never reach ``review``. Resampling traces are weak after JPEG
  compression (q <= 95) and absent in flat or smooth patches; alone they are never reported.
* Error level analysis is drawn for people only (``report/ela.py``, in the HTML report) and is never
  evidence.
"""

from __future__ import annotations

import io
import warnings

import numpy as np
from PIL import Image
from pydantic import BaseModel, ConfigDict, Field

from refundguard.checks._forensics.orient import unorient_array
from refundguard.checks._forensics.pipeline import MIN_SIDE, TamperResult, analyse, clipped_pixels
from refundguard.checks.registry import CheckContext, check
from refundguard.errors import not_applicable
from refundguard.findings import Finding, Heatmap, Region
from refundguard.media.load import LoadedImage


class TamperConfig(BaseModel):
    """``[checks.tamper]``: below ``report_min`` the check reports nothing (the heatmap of a quiet picture is not
    evidence); from ``strong_score`` a finding is worded as strong (agreeing cues or a very strong double
    quantisation break) rather than a single weak cue; photos with a side under ``min_side`` are not examined
    (the analysis needs at least a few 8x8 blocks per cell; it cannot go lower)."""

    model_config = ConfigDict(extra="forbid")

    report_min: float = Field(0.3, ge=0, le=1)
    strong_score: float = Field(0.6, ge=0, le=1)
    min_side: int = Field(MIN_SIDE, ge=MIN_SIDE)


#: the default of :attr:`TamperConfig.report_min` (kept for benchmarks and tests that score cues directly)
REPORT_MIN = TamperConfig().report_min
CACHE_KEY = "tamper.analysis"


def stored_luma(image: LoadedImage) -> tuple[np.ndarray, np.ndarray | None]:
    """Luma in the file's stored frame and the luma quantisation table (JPEG only).

    For JPEG the decoder's own Y channel is used (no colour round trip), so DCT coefficients sit
    on the quantisation lattice; it is kept as the decoder's uint8 levels (a quarter of float32's 46 MiB for
    a 12 MP photo; the cues convert the strips they read). Other formats use the decoded luma as displayed.
    """
    if image.format == "JPEG":
        qtable = image.metadata.quant_tables.get(0)
        h, w = image.height, image.width
        stored_shape = (w, h) if image.orientation in (5, 6, 7, 8) else (h, w)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                im = Image.open(io.BytesIO(image.data))
                if im.mode in ("RGB", "YCbCr", "L"):
                    im.draft("L", im.size)
                gray = np.asarray(im.convert("L"))
        except (OSError, ValueError, SyntaxError):
            gray = None
        if gray is None or gray.shape != stored_shape:
            gray = unorient_array(image.gray, image.orientation)
        return gray, (np.asarray(qtable) if qtable is not None else None)
    return image.gray, None


def analyse_image(image: LoadedImage, *, use_resample: bool = True, use_lattice: bool = True) -> TamperResult:
    """Run the blind local-trace analysis of one loaded picture (``use_resample``, ``use_lattice``: see
    :func:`analyse`)."""
    gray, qtable = stored_luma(image)
    is_jpeg = image.format == "JPEG"
    orientation = image.orientation if is_jpeg else 1
    clipped = clipped_pixels(image.pixels)
    if is_jpeg:
        clipped = unorient_array(clipped, orientation)
    return analyse(gray, qtable=qtable, is_jpeg=is_jpeg, orientation=orientation, clipped=clipped,
                   use_resample=use_resample, use_lattice=use_lattice)


def _shown_cues(cues: dict[str, float]) -> list[str]:
    """The cues a finding names: every cue of at least 0.25, strongest first (at least the strongest one)."""
    return [k for k, v in sorted(cues.items(), key=lambda kv: -kv[1]) if v >= 0.25] or [max(cues, key=cues.get)]


@check("tamper", config=TamperConfig, heavy=True)
def run(ctx: CheckContext) -> list[Finding]:
    """Blind local traces on every claim photo."""
    cfg: TamperConfig = ctx.config
    findings: list[Finding] = []
    analysed = reduced = 0
    for index, image in ctx.claim_images:
        if image.reduction is not None:  # JPEG grids and noise live in the file's own pixel grid
            reduced += 1
            ctx.skip(index, key="tamper.skip.reduced", params=image.reduction.params())
            continue
        if min(image.width, image.height) < cfg.min_side:
            continue
        # kept in the analysis's picture cache: made once per photo, shared with any check that asks
        result = ctx.pictures.get(image, CACHE_KEY, lambda image=image: analyse_image(image))
        analysed += 1
        if result.score < cfg.report_min or not result.regions:
            continue
        best = result.regions[0]
        regions = [Region(*r["box"]) for r in result.regions if r["score"] >= cfg.report_min]
        findings.append(ctx.finding(
            "tamper.local", image=index, score=result.score, regions=regions, heatmap=Heatmap(result.heat),
            variant="strong" if result.score >= cfg.strong_score else "single_cue",
            details={"cues": best["strengths"], "shown_cues": _shown_cues(best["strengths"]),
                     "regions": result.regions, "analysis": result.cues, "cell_px": result.cell},
        ))
    if analysed == 0 and reduced:
        raise not_applicable("tamper.na.reduced")
    if analysed == 0:
        raise not_applicable("tamper.na.too_small", min_side=cfg.min_side)
    return findings

"""Facts about how each claim photo was made: capture time vs delivery, screenshots, editors, cameras.

Reads only metadata (EXIF, XMP, PNG text) plus, for screenshots, the top ~3 % of rows. Reference
photos are not judged. Every rule is a fact a person can check with any EXIF viewer; none is strong
on its own except a capture time that predates the delivery of the item.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from refundguard.checks._screens import detect_status_bar, is_common_photo_size, screen_family
from refundguard.checks.registry import CheckContext, check
from refundguard.findings import Finding
from refundguard.media.load import LoadedImage


class CaptureConfig(BaseModel):
    """``[checks.capture]``: tolerances of the time rules and the score of each capture fact."""

    model_config = ConfigDict(extra="forbid")

    #: when either time has no zone, it may be off by up to this much (UTC-12 … UTC+14)
    naive_tolerance_hours: float = Field(14.0, ge=0, le=48)
    #: camera clocks drift; a photo this close to delivery is not called early
    clock_margin_minutes: float = Field(15.0, ge=0)
    #: a capture time with a zone agrees with the GPS stamp within this much
    gps_agreement_minutes: float = Field(10.0, ge=0)
    #: an edit-history event or file modification counts as "after capture" beyond this much
    edit_after_capture_minutes: float = Field(1.0, ge=0)
    order_score_with_zone: float = Field(0.97, ge=0, le=1)
    order_score_without_zone: float = Field(0.92, ge=0, le=1)
    #: before delivery: ``delivery_score`` rising by ``delivery_score_rise`` as the gap grows to
    #: ``delivery_full_after_hours`` beyond the tolerances
    delivery_score: float = Field(0.6, ge=0, le=1)
    delivery_score_rise: float = Field(0.3, ge=0, le=1)
    delivery_full_after_hours: float = Field(48.0, gt=0)
    gps_confirms_bonus: float = Field(0.03, ge=0, le=1)
    camera_model_mismatch: float = Field(0.6, ge=0, le=1)
    camera_body_mismatch: float = Field(0.5, ge=0, le=1)
    camera_lens_mismatch: float = Field(0.2, ge=0, le=1)
    editor_retouch: float = Field(0.6, ge=0, le=1)
    editor_develop: float = Field(0.3, ge=0, le=1)
    editor_after_capture_bonus: float = Field(0.15, ge=0, le=1)
    screenshot_labelled: float = Field(0.95, ge=0, le=1)
    screenshot_common_photo_size: float = Field(0.2, ge=0, le=1)
    screenshot_screen_size: float = Field(0.4, ge=0, le=1)
    screenshot_status_bar: float = Field(0.45, ge=0, le=1)
    screenshot_png: float = Field(0.15, ge=0, le=1)
    #: without a label, cues adding up to less than this are not a screenshot finding
    screenshot_min: float = Field(0.4, ge=0, le=1)
    screenshot_max: float = Field(0.95, ge=0, le=1)
    no_camera_data: float = Field(0.3, ge=0, le=1)

    @property
    def naive_tolerance(self) -> timedelta:
        return timedelta(hours=self.naive_tolerance_hours)

    @property
    def clock_margin(self) -> timedelta:
        return timedelta(minutes=self.clock_margin_minutes)


_DEFAULT = CaptureConfig()
#: formats that normally carry camera EXIF when they come straight from a camera or phone
EXIF_FORMATS = frozenset({"JPEG", "HEIF", "TIFF"})

XMP_NS = "http://ns.adobe.com/xap/1.0/"
XMP_MM_NS = "http://ns.adobe.com/xap/1.0/mm/"
EVT_NS = "http://ns.adobe.com/xap/1.0/sType/ResourceEvent#"
EXIF_XMP_NS = "http://ns.adobe.com/exif/1.0/"
RDF_NS = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"

_EXIF_TIME = re.compile(r"^\s*(\d{4})[:-](\d{2})[:-](\d{2})[ T](\d{2}):(\d{2})(?::(\d{2}))?(?:\.(\d+))?\s*"
                        r"(Z|[+-]\d{2}:?\d{2})?\s*$")
_OFFSET = re.compile(r"^\s*([+-])(\d{2}):?(\d{2})\s*$")

# ------------------------------------------------------------------------------------------------ times


@dataclass(frozen=True, slots=True)
class CaptureTime:
    """When a photo was taken according to its metadata; ``when`` is naive when the file has no zone."""

    when: datetime
    source: str
    #: where it was read, as the message catalogue names it (``capture.source.<part>``), and the tags read
    part: str = "exif"
    tag: str = ""
    offset_tag: str = ""

    @property
    def aware(self) -> bool:
        return self.when.tzinfo is not None


def _offset(text: Any) -> timezone | None:
    if not isinstance(text, str):
        return None
    m = _OFFSET.match(text)
    if not m:
        return None
    minutes = int(m.group(2)) * 60 + int(m.group(3))
    if minutes > 14 * 60:
        return None
    return timezone(timedelta(minutes=minutes if m.group(1) == "+" else -minutes))


def parse_exif_time(text: Any, subsec: Any = None, offset: Any = None) -> datetime | None:
    """An EXIF ``YYYY:MM:DD HH:MM:SS`` (or XMP ISO) time with optional sub-seconds and ``±HH:MM`` offset."""
    if not isinstance(text, str):
        return None
    m = _EXIF_TIME.match(text)
    if not m:
        return None
    year, month, day, hour, minute = (int(m.group(k)) for k in range(1, 6))
    second = int(m.group(6) or 0)
    frac = m.group(7) or (str(subsec).strip() if isinstance(subsec, str | int) and str(subsec).strip().isdigit()
                          else "")
    micro = int((frac + "000000")[:6]) if frac else 0
    try:
        when = datetime(year, month, day, hour, minute, second, micro)
    except ValueError:
        return None
    zone = _offset(offset)
    if m.group(8):
        zone = UTC if m.group(8) == "Z" else _offset(m.group(8))
    return when.replace(tzinfo=zone) if zone is not None else when


def gps_time(meta_gps: dict[str, Any]) -> datetime | None:
    """The GPS date/time stamp (always UTC), or None."""
    date, stamp = meta_gps.get("GPSDateStamp"), meta_gps.get("GPSTimeStamp")
    if not isinstance(date, str) or not isinstance(stamp, list) or len(stamp) != 3:
        return None
    if any(not isinstance(v, int | float) for v in stamp):
        return None
    m = re.match(r"^\s*(\d{4})[:-](\d{2})[:-](\d{2})", date)
    if not m:
        return None
    try:
        base = datetime(int(m.group(1)), int(m.group(2)), int(m.group(3)), tzinfo=UTC)
    except ValueError:
        return None
    h, mi, s = (float(v) for v in stamp)
    if not (0 <= h < 24 and 0 <= mi < 60 and 0 <= s < 61):
        return None
    return base + timedelta(hours=h, minutes=mi, seconds=s)


def capture_time(image: LoadedImage) -> CaptureTime | None:
    """The capture time from EXIF (DateTimeOriginal, then DateTimeDigitized), else from XMP."""
    exif = image.metadata.exif.get("Exif", {})
    for tag, sub, off in (("DateTimeOriginal", "SubsecTimeOriginal", "OffsetTimeOriginal"),
                          ("DateTimeDigitized", "SubsecTimeDigitized", "OffsetTimeDigitized")):
        offset = exif.get(off) or exif.get("OffsetTime")
        when = parse_exif_time(exif.get(tag), exif.get(sub), offset)
        if when is not None:
            offset_tag = (off if exif.get(off) else "OffsetTime") if when.tzinfo else ""
            return CaptureTime(when, f"EXIF {tag}" + (f" + {offset_tag}" if offset_tag else ""),
                               "exif_offset" if offset_tag else "exif", tag, offset_tag)
    for _, ns, name, value in image.metadata.xmp_properties():
        if (ns, name) in ((EXIF_XMP_NS, "DateTimeOriginal"), (XMP_NS, "CreateDate")):
            when = parse_exif_time(value)
            if when is not None:
                return CaptureTime(when, f"XMP {name}", "xmp", name)
    return None


def _difference(earlier: datetime, later: datetime, config: CaptureConfig = _DEFAULT) -> tuple[timedelta, timedelta]:
    """``later - earlier`` and its uncertainty: 14 h (by default) when either time has no zone."""
    if earlier.tzinfo is not None and later.tzinfo is not None:
        return later - earlier, timedelta(0)
    a = earlier.astimezone(UTC).replace(tzinfo=None) if earlier.tzinfo is not None else earlier
    b = later.astimezone(UTC).replace(tzinfo=None) if later.tzinfo is not None else later
    return b - a, config.naive_tolerance


def _with_gps(shot: CaptureTime, gps: datetime | None,
              config: CaptureConfig = _DEFAULT) -> tuple[CaptureTime, dict[str, Any]]:
    """Cross-check the capture time with the GPS UTC stamp; a zone-less time gets its offset from GPS."""
    if gps is None:
        return shot, {}
    info: dict[str, Any] = {"gps_utc": gps.isoformat(timespec="seconds")}
    if shot.aware:
        drift = abs(shot.when - gps)
        info["gps_agrees"] = drift <= timedelta(minutes=config.gps_agreement_minutes)
        return shot, info
    implied = shot.when.replace(tzinfo=UTC) - gps
    quarter = round(implied.total_seconds() / 900) * 900
    if abs(quarter) <= 14 * 3600 and abs(implied.total_seconds() - quarter) <= 300:
        zone = timezone(timedelta(seconds=quarter))
        info["offset_from_gps"] = zone.tzname(None)
        return CaptureTime(shot.when.replace(tzinfo=zone), shot.source + " + offset from GPS time",
                           shot.part.split("_")[0] + "_gps", shot.tag), info
    info["gps_agrees"] = False
    return shot, info


def _time_finding(ctx: CheckContext, i: int, image: LoadedImage) -> Finding | None:
    cfg: CaptureConfig = ctx.config
    delivered, ordered = ctx.claim.delivered_at, ctx.claim.order_time
    if delivered is None and ordered is None:
        return None
    shot = capture_time(image)
    gps = gps_time(image.metadata.exif.get("GPS", {}))
    if shot is None and gps is not None:
        shot = CaptureTime(gps, "EXIF GPS date/time stamp (UTC)", "gps")
    if shot is None:
        return None
    shot, gps_info = _with_gps(shot, gps, cfg)
    verdicts: list[tuple[str, datetime, timedelta, timedelta]] = []
    for name, moment in (("order", ordered), ("delivery", delivered)):
        if moment is None:
            continue
        gap, tolerance = _difference(shot.when, moment, cfg)
        if gap > tolerance + cfg.clock_margin:
            verdicts.append((name, moment, gap, tolerance))
    if not verdicts:
        return None
    name, moment, gap, tolerance = verdicts[0]  # the order comes first: predating it is the stronger fact
    margin = gap - tolerance - cfg.clock_margin
    before_delivery = cfg.delivery_score + cfg.delivery_score_rise * min(
        1.0, margin / timedelta(hours=cfg.delivery_full_after_hours))
    score = (cfg.order_score_with_zone if shot.aware else cfg.order_score_without_zone) if name == "order" \
        else before_delivery
    gps_confirms = gps is not None and (moment.tzinfo is not None) and gps < moment.astimezone(UTC) - cfg.clock_margin
    if gps_confirms:
        score = min(1.0, score + cfg.gps_confirms_bonus)
    notes = [] if shot.aware and moment.tzinfo else ["no_zone"]
    if gps_confirms and gps:
        notes.append("gps")
    details = {"capture_time": shot.when.isoformat(), "source": shot.source, "has_offset": shot.aware,
               "compared_with": name, "reference_time": moment.isoformat(),
               "gap_hours": round(gap / timedelta(hours=1), 2),
               "tolerance_hours": tolerance / timedelta(hours=1), **gps_info,
               "gap_minutes": int(abs(gap).total_seconds() // 60),
               "time_source": {"part": shot.part, "tag": shot.tag, "offset_tag": shot.offset_tag}, "notes": notes}
    if delivered is not None:
        details["delivered_at"] = delivered.isoformat()
    if ordered is not None:
        details["order_time"] = ordered.isoformat()
    return ctx.finding("capture.after_delivery_mismatch", image=i, score=score, details=details, variant=name)


# --------------------------------------------------------------------------------------------- cameras

_CAMERA_TAGS = ("Make", "Model", "ExposureTime", "FNumber", "ISOSpeedRatings", "PhotographicSensitivity",
                "FocalLength", "LensModel", "ApertureValue", "ShutterSpeedValue")
_BLANK = {"", "n/a", "na", "none", "unknown", "0", "0000000000"}


def _utf8(text: str) -> str:
    """EXIF ASCII fields often hold UTF-8 (Chinese apps) that readers decode as Latin-1: undo that."""
    try:
        return text.encode("latin-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return text


def _text(value: Any) -> str | None:
    if value is None:
        return None
    text = _utf8(str(value)).strip().strip("\x00").strip()
    return None if text.lower() in _BLANK else text


def has_camera_data(image: LoadedImage) -> bool:
    """Whether the EXIF names a camera or records an exposure."""
    return any(_text(image.metadata.exif_value(tag)) for tag in _CAMERA_TAGS)


@dataclass(frozen=True, slots=True)
class Camera:
    model: str | None
    body_serial: str | None
    lens_serial: str | None


def camera_of(image: LoadedImage) -> Camera:
    """Make + model (the make not repeated), body and lens serial numbers from EXIF."""
    make, model = _text(image.metadata.exif_value("Make")), _text(image.metadata.exif_value("Model"))
    name = None
    if make or model:
        if make and model and model.lower().startswith(make.lower().split()[0]):
            name = model
        else:
            name = " ".join(x for x in (make, model) if x)
    return Camera(model=name, body_serial=_text(image.metadata.exif_value("BodySerialNumber")),
                  lens_serial=_text(image.metadata.exif_value("LensSerialNumber")))


def _camera_finding(ctx: CheckContext, cams: dict[int, Camera]) -> Finding | None:
    cfg: CaptureConfig = ctx.config
    named = {i: c for i, c in cams.items() if c.model}
    if len(named) < 2:
        return None
    models = {c.model.lower() for c in named.values() if c.model}
    listing = {str(i): {"camera": c.model, "body_serial": c.body_serial, "lens_serial": c.lens_serial}
               for i, c in named.items()}
    cameras = [{"image": i, "camera": c.model} for i, c in named.items()]
    if len(models) > 1:
        return ctx.finding("capture.camera_mismatch", image=None, score=cfg.camera_model_mismatch,
                           variant="model", details={"images": listing, "cameras": cameras})
    bodies = {c.body_serial for c in named.values() if c.body_serial}
    if len(bodies) > 1:
        serials = [{"image": i, "serial": c.body_serial} for i, c in named.items() if c.body_serial]
        return ctx.finding("capture.camera_mismatch", image=None, score=cfg.camera_body_mismatch,
                           variant="body", details={"images": listing, "cameras": cameras, "serials": serials})
    lenses = {c.lens_serial for c in named.values() if c.lens_serial}
    if len(lenses) > 1:
        serials = [{"image": i, "serial": c.lens_serial} for i, c in named.items() if c.lens_serial]
        return ctx.finding("capture.camera_mismatch", image=None, score=cfg.camera_lens_mismatch,
                           variant="lens", details={"images": listing, "cameras": cameras, "serials": serials})
    return None


# ---------------------------------------------------------------------------------------------- editors

#: (pattern, display name, kind): "retouch" edits content; "develop" adjusts a raw/whole photo
EDITORS: tuple[tuple[re.Pattern[str], str, str], ...] = tuple(
    (re.compile(p, re.IGNORECASE), name, kind) for p, name, kind in (
        (r"photoshop", "Adobe Photoshop", "retouch"),
        (r"\bgimp\b", "GIMP", "retouch"),
        (r"meitu|mtxx|美图秀秀|美图", "Meitu 美图秀秀", "retouch"),
        (r"醒图|hypic|xingtu", "Hypic 醒图", "retouch"),
        (r"snapseed", "Snapseed", "retouch"),
        (r"picsart", "PicsArt", "retouch"),
        (r"facetune", "Facetune", "retouch"),
        (r"beautycam|美颜相机", "BeautyCam 美颜相机", "retouch"),
        (r"\bwink\b", "Wink", "retouch"),
        (r"fotor", "Fotor", "retouch"),
        (r"\bcanva\b", "Canva", "retouch"),
        (r"pixlr", "Pixlr", "retouch"),
        (r"affinity photo", "Affinity Photo", "retouch"),
        (r"pixelmator", "Pixelmator", "retouch"),
        (r"paint\.net", "Paint.NET", "retouch"),
        (r"\bkrita\b", "Krita", "retouch"),
        (r"photoscape", "PhotoScape", "retouch"),
        (r"polarr|泼辣修图", "Polarr 泼辣修图", "retouch"),
        (r"remini", "Remini", "retouch"),
        (r"lightroom", "Adobe Lightroom", "develop"),
        (r"camera raw", "Adobe Camera Raw", "develop"),
        (r"\bvsco\b", "VSCO", "develop"),
        (r"capture one", "Capture One", "develop"),
        (r"luminar", "Luminar", "develop"),
        (r"darktable", "darktable", "develop"),
        (r"rawtherapee", "RawTherapee", "develop"),
        (r"acdsee", "ACDSee", "develop"),
    ))
_EDIT_ACTIONS = {"saved", "derived", "converted", "edited", "modified", "cropped", "filtered", "produced"}


def _software_strings(image: LoadedImage) -> list[tuple[str, str]]:
    meta = image.metadata
    found: list[tuple[str, str]] = []
    for tag in ("Software", "ProcessingSoftware", "HostComputer"):
        value = _text(meta.exif.get("IFD0", {}).get(tag))
        if value:
            found.append((f"EXIF {tag}", value))
    for _, _ns, name, value in meta.xmp_properties():
        if name in ("CreatorTool", "softwareAgent", "Software", "HistorySoftwareAgent") and _text(value):
            found.append((f"XMP {name}", value))
    for chunk in meta.text_chunks:
        if chunk.key.lower() in ("software", "comment", "description") and chunk.text.strip():
            found.append((f"{chunk.kind} {chunk.key}", chunk.text.strip()[:200]))
    return found


def history_events(image: LoadedImage) -> list[dict[str, str]]:
    """The ``xmpMM:History`` events of every XMP packet (action, when, softwareAgent, …)."""
    events: list[dict[str, str]] = []
    for packet in image.metadata.xmp:
        if packet.root is None:
            continue
        for li in packet.root.iter(f"{{{RDF_NS}}}li"):
            event = {key.split("}", 1)[1]: value for key, value in li.attrib.items() if key.startswith(f"{{{EVT_NS}}}")}
            for child in li:
                if child.tag.startswith(f"{{{EVT_NS}}}") and (child.text or "").strip():
                    event[child.tag.split("}", 1)[1]] = child.text.strip()
            if event:
                events.append(event)
    return events


def _editor_finding(ctx: CheckContext, i: int, image: LoadedImage) -> Finding | None:
    cfg: CaptureConfig = ctx.config
    after = timedelta(minutes=cfg.edit_after_capture_minutes)
    hits: dict[str, tuple[str, str, str]] = {}
    for source, value in _software_strings(image):
        for pattern, name, kind in EDITORS:
            if pattern.search(value) and name not in hits:
                hits[name] = (kind, source, value)
    if not hits:
        return None
    shot = capture_time(image)
    later_edits: list[dict[str, str]] = []
    for event in history_events(image):
        when = parse_exif_time(event.get("when"))
        if event.get("action", "").lower() not in _EDIT_ACTIONS or when is None:
            continue
        if shot is None:
            later_edits.append(event)
            continue
        gap, tolerance = _difference(shot.when, when, cfg)
        if gap > tolerance + after:
            later_edits.append(event)
    modified = parse_exif_time(image.metadata.exif.get("IFD0", {}).get("DateTime"))
    modified_later = False
    if shot is not None and modified is not None:
        shot_naive = shot.when.replace(tzinfo=None)
        modified_later = modified - shot_naive > after
    retouch = any(kind == "retouch" for kind, _, _ in hits.values())
    score = (cfg.editor_retouch if retouch else cfg.editor_develop) + \
        (cfg.editor_after_capture_bonus if later_edits or modified_later else 0.0)
    notes: list[str] = []
    agents = sorted({e["softwareAgent"] for e in later_edits if e.get("softwareAgent")})
    if later_edits:
        notes.append("history_by" if agents else "history")
    elif modified_later and modified is not None:
        notes.append("modified")
    details: dict[str, Any] = {
        "software": [{"name": n, "kind": k, "source": s, "value": v} for n, (k, s, v) in hits.items()],
        "edits_after_capture": later_edits[:20], "modified_after_capture": modified_later,
        "edits_after_capture_count": len(later_edits), "edit_agents": agents, "notes": notes}
    if modified is not None:
        details["modified_at"] = modified.isoformat()
    return ctx.finding("capture.editing_software", image=i, score=score, details=details,
                       variant="retouch" if retouch else "develop")


# ------------------------------------------------------------------------------------------- screenshots

_SCREENSHOT_WORDS = re.compile(r"screen ?shot|screen ?capture|截屏|截图|屏幕快照|snipping|gnome-screenshot|"
                               r"spectacle|flameshot|shareX|snipaste", re.IGNORECASE)


def _screenshot_labels(image: LoadedImage) -> list[tuple[str, str]]:
    meta = image.metadata
    labels: list[tuple[str, str]] = []
    comment = meta.exif.get("Exif", {}).get("UserComment")
    if isinstance(comment, str) and _SCREENSHOT_WORDS.search(comment):
        labels.append(("EXIF UserComment", comment.strip()[:120]))
    for source, value in _software_strings(image):
        if _SCREENSHOT_WORDS.search(value):
            labels.append((source, value[:120]))
    for _, _, name, value in meta.xmp_properties():
        if name not in ("CreatorTool", "softwareAgent", "Software") and _SCREENSHOT_WORDS.search(value):
            labels.append((f"XMP {name}", value[:120]))
    return labels


def _screenshot_finding(ctx: CheckContext, i: int, image: LoadedImage, camera: bool) -> Finding | None:
    cfg: CaptureConfig = ctx.config
    labels = _screenshot_labels(image)
    width, height = image.original_size  # the file's size, also when it was analysed reduced
    family = screen_family(width, height)
    bar = detect_status_bar(image.pixels) if not camera else None
    signs: list[dict[str, Any]] = []
    if labels:
        score = cfg.screenshot_labelled
        signs += [{"part": "label", "source": src, "value": val} for src, val in labels]
    else:
        if camera:
            return None
        score = 0.0
        if family:  # with no camera data; WeChat-style re-saves also lose it, hence moderate
            score += cfg.screenshot_common_photo_size if is_common_photo_size(width, height) \
                else cfg.screenshot_screen_size
        if bar:
            score += cfg.screenshot_status_bar
        if image.format == "PNG" and (family or bar):
            score += cfg.screenshot_png
        if score < cfg.screenshot_min:  # camera data missing and nothing else: not a screenshot finding
            return None
    if family:
        signs.append({"part": "screen_size", "width": width, "height": height, "family": family})
    if not camera:
        signs.append({"part": "no_camera"})
    if image.format == "PNG":
        signs.append({"part": "png"})
    if bar:
        signs.append({"part": "status_bar", "rows": bar.height})
    details: dict[str, Any] = {"labels": [{"source": s, "value": v} for s, v in labels], "screen_family": family,
                               "format": image.format, "camera_data": camera, "signs": signs}
    if bar:
        details["status_bar"] = {"height": bar.height, "background": list(bar.background),
                                 "uniform_fraction": bar.uniform_fraction, "glyph_fraction": bar.glyph_fraction,
                                 "glyphs": bar.glyphs}
    return ctx.finding("capture.screenshot", image=i, score=min(score, cfg.screenshot_max), details=details,
                       variant="signs")


def _no_camera_finding(ctx: CheckContext, i: int, image: LoadedImage) -> Finding:
    return ctx.finding(
        "capture.no_camera_data", image=i, score=ctx.config.no_camera_data, details={"format": image.format},
        variant="missing")


# ------------------------------------------------------------------------------------------------ check

@check("capture", config=CaptureConfig)
def run(ctx: CheckContext) -> list[Finding]:
    """Capture facts of each claim photo; reference photos are not judged."""
    findings: list[Finding] = []
    cameras: dict[int, Camera] = {}
    claims = list(ctx.claim_images)
    for i, image in claims:
        camera = has_camera_data(image)
        if camera:
            cameras[i] = camera_of(image)
        timing = _time_finding(ctx, i, image)
        if timing:
            findings.append(timing)
        shot = _screenshot_finding(ctx, i, image, camera)
        if shot:
            findings.append(shot)
        elif not camera and image.format in EXIF_FORMATS:
            findings.append(_no_camera_finding(ctx, i, image))
        edited = _editor_finding(ctx, i, image)
        if edited:
            findings.append(edited)
    mismatch = _camera_finding(ctx, cameras)
    if mismatch:
        findings.append(mismatch)
    return findings

"""Sentences of the ``capture`` check (capture facts read from a claim photo's metadata): its findings.

Parameters come from the finding's ``details`` (:mod:`refundguard.checks.capture`): times as ISO strings, shown in
the reader's zone with their offset, or as written and marked "no time zone" when the file records none
(``{capture_time:recorded}``); the gap between two times in minutes (``{gap_minutes:span}``); photo indexes as the
photos' names. Optional sentences after a finding's text are lists of note names (``notes``).
(The capture *service*'s texts — shot kinds and session errors — are in :mod:`refundguard.messages.texts.capture`.)
"""

from refundguard.messages.catalogue import CATALOGUE

# where the capture time was read (``details.time_source``: ``{"part": name, "tag": ..., "offset_tag": ...}``)
CATALOGUE.define("capture.source.", {
    "exif": ("EXIF {tag}", "EXIF {tag}"),
    "exif_offset": ("EXIF {tag} + {offset_tag}", "EXIF {tag} + {offset_tag}"),
    "exif_gps": ("EXIF {tag} + offset from GPS time", "EXIF {tag}，时区由 GPS 时间推得"),
    "xmp": ("XMP {tag}", "XMP {tag}"),
    "xmp_gps": ("XMP {tag} + offset from GPS time", "XMP {tag}，时区由 GPS 时间推得"),
    "gps": ("EXIF GPS date/time stamp (UTC)", "EXIF GPS 日期时间戳（UTC）"),
})
# sentences after the time finding's text (``details.notes``)
CATALOGUE.define("capture.time_note.", {
    "no_zone": ("Compared with a ±{tolerance_hours:g} h tolerance because a time has no zone.",
                "因有时间未记录时区，按 ±{tolerance_hours:g} 小时容差比较。"),
    "gps": ("The GPS time stamp ({gps_utc:time}) agrees.", "GPS 时间戳（{gps_utc:time}）与之一致。"),
})
_TAKEN_EN = "Photo taken {capture_time:recorded} ({time_source:parts:capture.source.}), {gap_minutes:span} before "
_TAKEN_ZH = "照片拍摄于 {capture_time:recorded}（{time_source:parts:capture.source.}），比"
_CANNOT_EN = ("({reference_time:clock}): a photo of damage on the received item cannot predate it."
              "{notes:sentences:capture.time_note.}")
_CANNOT_ZH = ("（{reference_time:clock}）早 {gap_minutes:span}；收货后拍摄的损坏照片不可能早于此时间。"
              "{notes:sentences:capture.time_note.}")
CATALOGUE.define("capture.after_delivery_mismatch:", {
    "order": (_TAKEN_EN + "the order was placed " + _CANNOT_EN, _TAKEN_ZH + "下单时间" + _CANNOT_ZH),
    "delivery": (_TAKEN_EN + "the item was delivered " + _CANNOT_EN, _TAKEN_ZH + "签收时间" + _CANNOT_ZH),
})

# one photo's camera or serial number (``details.cameras`` / ``details.serials``: ``{"image": i, ...}``)
CATALOGUE.define("capture.camera.", {
    "model": ("{image:photo}: {camera}", "{image:photo}：{camera}"),
    "serial": ("{image:photo}: {serial}", "{image:photo}：{serial}"),
})
CATALOGUE.define("capture.camera_mismatch:", {
    "model": ("The photos of this claim come from different cameras ({cameras:each:capture.camera.model}).",
              "本申请的照片来自不同的相机（{cameras:each:capture.camera.model}）。"),
    "body": ("Same camera model but different camera bodies (serial numbers {serials:each:capture.camera.serial}).",
             "相机型号相同但机身不同（序列号 {serials:each:capture.camera.serial}）。"),
    "lens": ("Same camera, different lenses (lens serial numbers {serials:each:capture.camera.serial}); lenses can "
             "be swapped, so this is weak.",
             "同一相机但镜头不同（镜头序列号 {serials:each:capture.camera.serial}）；镜头可以更换，此项证据较弱。"),
})

# one editor found (``details.software``: ``{"name", "kind", "source", "value"}``)
CATALOGUE.define("capture.software.", {
    "tool": ("{name} ({source}: '{value}')", "{name}（{source}：'{value}'）"),
})
CATALOGUE.define("capture.edit_note.", {
    "history": ("Its edit history records {edits_after_capture_count:plural:save|saves} after capture.",
                "编辑历史记录了拍摄后进行的 {edits_after_capture_count} 次保存。"),
    "history_by": ("Its edit history records {edits_after_capture_count:plural:save|saves} after capture by "
                   "{edit_agents:list}.",
                   "编辑历史记录了拍摄后由 {edit_agents:list} 进行的 {edits_after_capture_count} 次保存。"),
    "modified": ("The file was modified at {modified_at:recorded}, after capture.",
                 "文件修改时间 {modified_at:recorded} 晚于拍摄时间。"),
})
CATALOGUE.define("capture.editing_software:", {
    "retouch": ("The file was processed with an image editor: {software:each:capture.software.tool}."
                "{notes:sentences:capture.edit_note.}",
                "该文件经过图像编辑软件处理：{software:each:capture.software.tool}。{notes:sentences:capture.edit_note.}"),
    "develop": ("The file was processed with photo development software (whole-image adjustments): "
                "{software:each:capture.software.tool}.{notes:sentences:capture.edit_note.}",
                "该文件经过照片后期软件（整体调整）处理：{software:each:capture.software.tool}。"
                "{notes:sentences:capture.edit_note.}"),
})

# why a photo looks like a screenshot (``details.signs``: parts with their own values)
CATALOGUE.define("capture.screenshot_sign.", {
    "label": ("{source} says '{value}'", "{source} 为 '{value}'"),
    "screen_size": ("the size {width}×{height} is a native {family} screen size",
                    "尺寸 {width}×{height} 与 {family} 屏幕分辨率完全相同"),
    "no_camera": ("there is no camera data", "没有相机拍摄信息"),
    "png": ("it is a PNG (phones save camera photos as JPEG/HEIF)", "文件为 PNG（手机拍照保存为 JPEG/HEIF）"),
    "status_bar": ("the top {rows} px rows look like a status bar (flat band with small glyphs)",
                   "顶部 {rows} 像素像状态栏（纯色条带上有小图标文字）"),
})
CATALOGUE.define("capture.screenshot:", {
    "signs": ("This looks like a screenshot, not a camera photo: {signs:parts:capture.screenshot_sign.}.",
              "这像是截图而非相机拍摄的照片：{signs:parts:capture.screenshot_sign.}。"),
})
CATALOGUE.define("capture.no_camera_data:", {
    "missing": ("This {format} has no camera data (no make, model or exposure). Messaging apps strip it too, so this "
                "is weak evidence on its own.",
                "该 {format} 文件没有相机信息（无品牌、型号或曝光参数）。聊天软件也会删除这些信息，单独来看证据很弱。"),
})

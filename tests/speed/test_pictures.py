"""The per-analysis picture cache and reduced-size decoding."""

from __future__ import annotations

import io
import threading

import numpy as np
from PIL import Image

from refundguard.media.derived import Pictures, reduce_to, reduced_decode
from refundguard.media.load import load_image


def _jpeg(w: int, h: int, orientation: int = 1) -> bytes:
    rng = np.random.default_rng(3)
    pixels = np.clip(rng.normal(128, 40, (h, w, 3)), 0, 255).astype(np.uint8)
    pixels[: h // 4, : w // 4] = (250, 20, 20)  # a red top-left block, to check the orientation
    img = Image.fromarray(pixels)
    buf = io.BytesIO()
    exif = img.getexif()
    if orientation != 1:
        exif[0x0112] = orientation
    img.save(buf, "JPEG", quality=90, exif=exif.tobytes())
    return buf.getvalue()


def test_values_are_made_once_and_shared_between_threads():
    image = load_image(_jpeg(640, 480))
    pics = Pictures()
    calls = []

    def make():
        calls.append(1)
        return np.zeros(3)

    threads = [threading.Thread(target=lambda: pics.get(image, "x", make)) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(calls) == 1
    small = pics.reduced(image, 320)
    assert small.shape == (240, 320, 3) and pics.reduced(image, 320) is small
    assert pics.reduced(image, 2000) is image.pixels  # never enlarged
    assert pics.reduced_gray(image, 320).shape == (240, 320)
    levels = pics.pyramid(image, 320, 3)
    assert [lv.shape for lv in levels] == [(240, 320), (120, 160), (60, 80)]
    same_file = load_image(_jpeg(640, 480))  # same bytes: same key
    assert pics.reduced(same_file, 320) is small


def test_an_analysis_keeps_only_the_kept_values_and_they_survive_pickling():
    import pickle

    image = load_image(_jpeg(320, 240))
    pics = Pictures()
    pics.reduced(image, 100)
    pics.get(image, "index/photo_codes", lambda: "codes")
    kept = pickle.loads(pickle.dumps(pics.kept()))
    assert len(kept) == 1
    assert kept.get(image, "index/photo_codes", lambda: "made again") == "codes"
    assert kept.get(image, "reduced/100", lambda: "made again") == "made again"  # freed with the analysis


def test_reduced_decode_uses_draft_mode_and_keeps_orientation():
    data = _jpeg(1600, 1200, orientation=6)  # stored landscape, shown portrait
    shown = load_image(data).pixels
    small = reduced_decode(data, 400)
    assert small.shape == (400, 300, 3)
    expected = reduce_to(shown, 400)
    assert float(np.abs(small.astype(int) - expected.astype(int)).mean()) < 6.0
    assert small[:60, -60:, 0].mean() > 200  # the red block is top-right once rotated
    with Image.open(io.BytesIO(data)) as im:
        im.draft("RGB", (400, 300))
        assert im.size == (400, 300)  # the decoder itself scaled by 1/4


def test_thumbnails_are_made_once_and_kept_in_the_store(tmp_path):
    import base64

    from refundguard.service.evidence.store import EvidenceStore
    from refundguard.web.thumbs import thumbnail_url

    store = EvidenceStore(tmp_path)
    stored = store.put_bytes(_jpeg(1600, 1200), kinds=frozenset({"image"}), max_bytes=10 << 20)
    made = []
    original = store.derived

    def counting(sha, name, make):
        return original(sha, name, lambda data: made.append(name) or make(data))

    store.derived = counting  # type: ignore[method-assign]
    first = thumbnail_url(store, stored.sha256, max_side=400)
    second = thumbnail_url(store, stored.sha256, max_side=400)
    assert first == second and made == ["thumb-400.jpg"]
    jpeg = base64.b64decode(first.split(",", 1)[1])
    with Image.open(io.BytesIO(jpeg)) as im:
        assert im.format == "JPEG" and max(im.size) == 400
    assert list((tmp_path / "derived").rglob("*.thumb-400.jpg"))

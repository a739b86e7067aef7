"""What the comparison derives from one photo alone is made once per photo and shared by its pairs
(``structure.Planes``): the shared values must be exactly those each direction made for itself before."""

from __future__ import annotations

from dataclasses import fields

import cv2
import numpy as np
import pytest

from refundguard.checks._views import structure
from refundguard.checks._views.dense import correspond, flow_image
from refundguard.checks._views.structure import Planes, align, log_chroma, log_luminance, oriented
from tests.checks.multiview.test_views_modules import base, crack, prepared, view_b


def _same(a: structure.Aligned, b: structure.Aligned) -> None:
    for f in fields(a):
        x, y = getattr(a, f.name), getattr(b, f.name)
        if isinstance(x, np.ndarray):
            assert x.dtype == y.dtype and np.array_equal(x, y), f.name
        else:
            assert x == y, f.name


def _pair() -> tuple:
    a = base()
    painted, _ = crack(a)
    # view B seen closer (scaled up): the resolution bands that blur more than the base have pixels
    h, w = a.shape[:2]
    closer = cv2.resize(view_b(a, gain=0.8), None, fx=1.6, fy=1.6, interpolation=cv2.INTER_CUBIC)
    return prepared(painted, np.ascontiguousarray(closer[:h, :w]))


def test_planes_hold_the_photo_s_own_values_read_only() -> None:
    wa, _, _ = _pair()
    planes = Planes(wa.gray, wa.rgb)
    assert np.array_equal(planes.plane("lum"), log_luminance(wa.gray))
    assert np.array_equal(planes.plane("chroma"), log_chroma(wa.rgb))
    assert np.array_equal(planes.plane("gray"), wa.gray.astype(np.float32))
    assert np.array_equal(planes.plane("flow"), flow_image(wa.gray))
    assert np.array_equal(planes.blurred("lum", 1.5), cv2.GaussianBlur(log_luminance(wa.gray), (0, 0), 1.5))
    assert planes.blurred("chroma", 1.0) is planes.blurred("chroma", 1.0)  # the base blur: made once, kept
    assert planes.plane("flow") is planes.plane("flow") and planes.plane("gray") is planes.plane("gray")
    band = planes.blurred("lum", 2.0)
    assert planes.blurred("lum", 2.0) is band  # a band's blur: kept for the pair ...
    base = planes.blurred("lum", 1.0)
    planes.drop_bands()  # ... and let go after it; the base blur stays
    assert planes.blurred("lum", 2.0) is not band and planes.blurred("lum", 1.0) is base
    with pytest.raises(ValueError):
        planes.blurred("lum", 1.0)[0, 0] = 0.0


def test_align_with_planes_shared_across_directions_and_pairs_is_the_same_bit_for_bit() -> None:
    wa, wb, vm = _pair()
    corr_ab, corr_ba = correspond(wa.gray, wb.gray, vm)
    bands = structure._bands(corr_ab.scale) + structure._bands(1.0 / np.maximum(corr_ab.scale, 1e-3))
    assert bands, "the views should differ in resolution somewhere"
    alone = [align(wa.gray, wa.rgb, wb.gray, wb.rgb, corr_ab), align(wb.gray, wb.rgb, wa.gray, wa.rgb, corr_ba)]
    pa, pb = Planes(wa.gray, wa.rgb), Planes(wb.gray, wb.rgb)
    for _ in range(2):  # the second round reads every value from the planes the first made
        shared = [align(wa.gray, wa.rgb, wb.gray, wb.rgb, corr_ab, planes=(pa, pb)),
                  align(wb.gray, wb.rgb, wa.gray, wa.rgb, corr_ba, planes=(pb, pa))]
        for x, y in zip(alone, shared, strict=True):
            _same(x, y)
    flows = correspond(wa.gray, wb.gray, vm, flow_images=(pa.plane("flow"), pb.plane("flow")))
    assert np.array_equal(flows[0].map, corr_ab.map) and np.array_equal(flows[1].valid, corr_ba.valid)


def test_warping_some_pixels_gives_the_full_warp_s_values_there() -> None:
    wa, wb, vm = _pair()
    corr, _ = correspond(wa.gray, wb.gray, vm)
    rng = np.random.default_rng(3)
    where = rng.random(corr.valid.shape) < 0.3
    for img in (log_luminance(wb.gray), log_chroma(wb.rgb)):
        assert np.array_equal(structure._at(corr, where).warp(img), structure._warp(img, corr)[where])
    nowhere = np.zeros_like(where)
    assert structure._at(corr, nowhere).warp(log_luminance(wb.gray)).shape == (0,)


def test_oriented_reads_the_same_weights_as_the_double_angle_table() -> None:
    img = cv2.GaussianBlur(np.random.default_rng(8).normal(0, 1, (70, 90)).astype(np.float32), (0, 0), 1.2)
    table = structure._orientation_weights(6)
    gx = cv2.Sobel(img, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(img, cv2.CV_32F, 0, 1, ksize=3)
    mag, angle = cv2.cartToPolar(gx, gy)
    index = (angle * np.float32(2 * structure._ANGLE_STEPS / (2 * np.pi)) + np.float32(0.5)).astype(np.int32)
    index %= structure._ANGLE_STEPS
    expected = np.zeros((6, *img.shape), np.float32)
    for k in range(6):
        expected[k] += table[k][index] * mag
    assert np.array_equal(oriented(img), expected)

"""_align.match.ratio_matches: the matrix-product nearest neighbours are OpenCV's brute-force matcher's, exactly."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from skimage import data

from refundguard.checks._align.match import RATIO, _two_nearest, ratio_matches
from refundguard.checks._align.prepare import detect


def _opencv(query: np.ndarray, train: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    pairs = cv2.BFMatcher(cv2.NORM_L2).knnMatch(query, train, k=2)
    idx = np.array([[p[0].trainIdx, p[1].trainIdx] for p in pairs])
    dist = np.array([[p[0].distance, p[1].distance] for p in pairs], np.float32)
    good = [p[0] for p in pairs if len(p) == 2 and p[0].distance < RATIO * p[1].distance]
    return idx, dist, np.array([[m.queryIdx, m.trainIdx] for m in good]).reshape(-1, 2)


def _sift(gray: np.ndarray) -> np.ndarray:
    d = detect(gray.astype(np.float32) / 255.0).descriptors
    assert d is not None
    return d


@pytest.mark.parametrize("mirrored", [False, True])
def test_real_sift_descriptors_match_as_opencv_matches_them(mirrored):
    a = cv2.cvtColor(data.astronaut(), cv2.COLOR_RGB2GRAY)
    b = cv2.warpAffine(a, cv2.getRotationMatrix2D((256, 256), 7, 0.9), (512, 512))
    qa, tb = _sift(b[:, ::-1] if mirrored else b), _sift(a)
    idx, dist, good = _opencv(qa, tb)
    first, second, d1, d2 = _two_nearest(qa, tb)
    assert np.array_equal(np.stack([first, second], 1), idx)
    assert np.array_equal(np.stack([d1, d2], 1), dist)  # the same float32 distances, bit for bit
    query, train = ratio_matches(qa, tb)
    assert np.array_equal(np.stack([query, train], 1), good)


def test_ties_keep_the_lower_index_first_as_opencv():
    rng = np.random.default_rng(3)
    train = rng.integers(0, 40, (300, 128)).astype(np.float32)
    train[150:] = train[:150]  # every train vector twice: each nearest distance is a tie
    query = np.concatenate([train[:100] + rng.integers(0, 2, (100, 128)), rng.integers(0, 40, (50, 128))]
                           ).astype(np.float32)
    idx, dist, good = _opencv(query, train)
    first, second, d1, d2 = _two_nearest(query, train)
    assert np.array_equal(np.stack([first, second], 1), idx)
    assert np.array_equal(np.stack([d1, d2], 1), dist)
    assert np.array_equal(np.stack(ratio_matches(query, train), 1).reshape(-1, 2), good)


def test_descriptors_that_are_not_whole_numbers_go_to_opencv():
    rng = np.random.default_rng(4)
    query, train = rng.random((60, 128), np.float32), rng.random((80, 128), np.float32)
    assert _two_nearest(query, train) is None
    _, _, good = _opencv(query, train)
    assert np.array_equal(np.stack(ratio_matches(query, train), 1).reshape(-1, 2), good)
    big = np.full((10, 128), 300.0, np.float32)  # squared lengths over 2^23: sums no longer exact in float32
    assert _two_nearest(big, big) is None

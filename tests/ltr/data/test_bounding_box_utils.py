"""Box geometry: the official box-to-pixel rule (against a transcription of the official code), the tight
box of a mask (against OpenCV), one box's pixel range and mask."""
from __future__ import annotations

import cv2
import numpy as np
import pytest
import torch

from ltr.data.bounding_box_utils import box_mask, box_pixel_bounds, box_region, mask_to_box, rasterize_boxes

SIZE = (30, 40)  # (H, W)


def official_mask(box, size) -> np.ndarray:
    """The official rasterisation, transcribed: int() of each value, then int(v + 0.5), then slicing."""
    x, y, w, h = (int(int(v) + 0.5) for v in box)
    mask = np.zeros(size, bool)
    mask[max(y, 0):y + h, max(x, 0):x + w] = True
    return mask


def random_boxes(n: int) -> np.ndarray:
    """Fractional boxes, some starting left of / above the image, none ending there (the official
    slicing would wrap around for those)."""
    rng = np.random.default_rng(0)
    xy = rng.uniform(-8, 45, (n, 2))
    wh = rng.uniform(0, 30, (n, 2))
    wh = np.maximum(wh, np.ceil(-xy) + 1)
    return np.concatenate([xy, wh], 1)


def test_rasterisation_is_the_official_rule():
    boxes = random_boxes(300)
    expected = np.stack([official_mask(b, SIZE) for b in boxes])
    masks = rasterize_boxes(torch.tensor(boxes, dtype=torch.float64), SIZE)[:, 0].numpy().astype(bool)
    np.testing.assert_array_equal(masks, expected)
    for box, exp in zip(boxes[:100], expected):
        np.testing.assert_array_equal(box_mask(box, SIZE), exp)


def test_bounds_and_region_of_one_box():
    # x = 10.6 -> 10, w = 5.6 -> 5: columns [10, 15); y = -3.5 -> int -3 -> int(-2.5) = -2, h = 9 -> rows [-2, 7)
    assert box_pixel_bounds([10.6, -3.5, 5.6, 9.0]).tolist() == [[10, -2, 15, 7]]
    assert box_region([10.6, -3.5, 5.6, 9.0], SIZE) == (0, 7, 10, 15)
    assert box_region([35.0, 25.0, 20.0, 20.0], SIZE) == (25, 30, 35, 40)
    y0, y1, x0, x1 = box_region([np.nan, 1.0, 3.0, 3.0], SIZE)
    assert y1 <= y0 or x1 <= x0
    assert not box_mask([50.0, 1.0, 3.0, 3.0], SIZE).any()


def test_box_mask_pixel_rule_and_clipping():
    mask = box_mask(np.array([2.5, 1.2, 3.0, 2.0]), (6, 8))  # columns [2, 5), rows [1, 3)
    expected = np.zeros((6, 8), bool)
    expected[1:3, 2:5] = True
    np.testing.assert_array_equal(mask, expected)
    clipped = box_mask(np.array([-3.0, 4.0, 20.0, 10.0]), (6, 8))
    assert clipped[4:, :].all() and not clipped[:4].any()
    assert not box_mask(np.full(4, np.nan), (6, 8)).any()
    assert not box_mask(np.array([3.0, 3.0, 0.0, 2.0]), (6, 8)).any()


def test_mask_to_box_is_the_tight_box_and_the_zero_box_when_empty():
    rng = np.random.default_rng(0)
    for _ in range(50):
        mask = np.zeros((40, 60), np.uint8)
        x, y = rng.integers(0, 50), rng.integers(0, 30)
        mask[y:y + rng.integers(1, 10), x:x + rng.integers(1, 10)] = 1
        mask[rng.integers(0, 40), rng.integers(0, 60)] = 1
        assert mask_to_box(mask).tolist() == list(cv2.boundingRect(mask))
    assert mask_to_box(np.zeros((4, 4))).tolist() == [0, 0, 0, 0]


@pytest.mark.parametrize("box", [[3.0, 4.0, 7.0, 5.0], [0.0, 0.0, 40.0, 30.0], [12.0, 0.0, 1.0, 1.0]])
def test_the_tight_box_of_a_box_mask_is_the_box(box):
    assert mask_to_box(box_mask(box, SIZE)).tolist() == box

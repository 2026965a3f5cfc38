"""J and F against values worked out by hand, the empty-mask conventions, protocols and statistics."""
from __future__ import annotations

import numpy as np
import pytest

from pytracking.analysis.metrics import (boundary_f_measure, boundary_map, boundary_precision_recall, boundary_radius,
                                           dataset_summary, disk, region_similarity, scored_frame_count,
                                           select_frames, sequence_statistics)


def square(size: int, y: int, x: int, side: int) -> np.ndarray:
    m = np.zeros((size, size), bool)
    m[y:y + side, x:x + side] = True
    return m


def test_region_similarity_of_shifted_squares_and_void():
    gt, pred = square(40, 10, 10, 10), square(40, 10, 13, 10)
    # overlap 10 x 7 = 70 pixels, union 100 + 100 - 70 = 130
    assert region_similarity(pred, gt) == pytest.approx(70 / 130)
    void = np.zeros_like(gt)
    void[:, 20:23] = True  # the 30 predicted pixels right of the ground truth
    assert region_similarity(pred, gt, void) == pytest.approx(70 / 100)


def test_empty_mask_conventions():
    empty, obj = np.zeros((20, 20), bool), square(20, 5, 5, 6)
    assert region_similarity(empty, empty) == 1.0
    assert region_similarity(empty, obj) == 0.0
    assert region_similarity(obj, empty) == 0.0
    assert boundary_precision_recall(empty, empty) == (1.0, 1.0)
    assert boundary_precision_recall(empty, obj) == (1.0, 0.0)  # nothing predicted: precise, but misses all
    assert boundary_precision_recall(obj, empty) == (0.0, 1.0)
    assert boundary_f_measure(empty, empty) == 1.0
    assert boundary_f_measure(empty, obj) == 0.0
    assert boundary_f_measure(obj, empty) == 0.0
    # a mask filling the image has no boundary at all (the image border is none)
    assert boundary_precision_recall(np.ones((20, 20), bool), obj) == (1.0, 0.0)


def test_boundary_map_is_offset_half_a_pixel_towards_the_origin():
    mask = np.array([[0, 0, 0, 0],
                     [0, 1, 1, 0],
                     [0, 1, 1, 0],
                     [0, 0, 0, 0]], bool)
    expected = np.array([[1, 1, 1, 0],   # (0,0) differs from its lower-right neighbour only
                         [1, 0, 1, 0],   # (1,1) equals right, lower and lower-right
                         [1, 1, 1, 0],   # last column: compared with the lower pixel only
                         [0, 0, 0, 0]], bool)  # last row: compared with the right pixel only
    np.testing.assert_array_equal(boundary_map(mask), expected)
    # foreground on the last column: its boundary is the column before it, not the image border
    edge = np.zeros((3, 3), bool)
    edge[:, 2] = True
    np.testing.assert_array_equal(boundary_map(edge), np.array([[0, 1, 0]] * 3, bool))
    assert not boundary_map(np.ones((5, 7), bool)).any()


def test_disk_is_exactly_the_offsets_within_the_radius():
    assert [int(disk(r).sum()) for r in (1, 1.5, 2, 3)] == [5, 9, 13, 29]
    d3 = disk(3)
    assert d3.shape == (7, 7) and d3[3 + 1, 3 + 3] == 0  # 1 + 9 > 9 (OpenCV's 7x7 ellipse has it)


def test_boundary_radius():
    assert boundary_radius((480, 854)) == 8.0  # ceil(0.008 * 979.6)
    assert boundary_radius((240, 427)) == 4.0  # ceil(0.008 * 489.8)
    assert boundary_radius((100, 100)) == 2.0  # ceil(0.008 * 141.4)
    assert boundary_radius((480, 854), bound=3) == 3.0
    with pytest.raises(ValueError):
        boundary_radius((10, 10), bound=0)


@pytest.mark.parametrize("shift", [0, 1, 2, 3])
def test_boundary_shift_within_tolerance_scores_one(shift):
    gt = square(100, 30, 30, 30)
    assert boundary_f_measure(square(100, 30, 30 + shift, 30), gt, bound=3) == 1.0


def test_boundary_shift_beyond_tolerance_scores_below_one():
    gt = square(100, 30, 30, 30)
    assert boundary_f_measure(square(100, 30, 34, 30), gt, bound=3) < 1.0
    assert boundary_f_measure(square(100, 30, 34, 30), gt, bound=4) == 1.0


def test_boundary_of_a_thin_shape_follows_the_disk_exactly():
    # a single pixel at (y, x) has the 2x2 boundary {y-1, y} x {x-1, x}
    gt = np.zeros((100, 100), bool)
    gt[50, 50] = True
    diagonal = np.roll(gt, (2, 2), axis=(0, 1))  # every boundary pixel moves by (2, 2): 8 <= 9
    assert boundary_f_measure(diagonal, gt, bound=3) == 1.0
    # moved by (1, 3): only the corner pair (offset (1, 3), 10 > 9) has no partner within r = 3,
    # so precision = recall = 3/4
    moved = np.roll(gt, (1, 3), axis=(0, 1))
    assert boundary_precision_recall(moved, gt, bound=3) == (0.75, 0.75)
    assert boundary_f_measure(moved, gt, bound=3) == pytest.approx(0.75)


def test_void_pixels_are_background_for_boundaries():
    gt = square(60, 10, 10, 20)
    pred = gt.copy()
    pred[40:50, 40:50] = True
    void = np.zeros_like(gt)
    void[38:52, 38:52] = True
    assert boundary_f_measure(pred, gt) < 1.0
    assert boundary_f_measure(pred, gt, void) == 1.0


def test_protocols_select_frames():
    np.testing.assert_array_equal(select_frames(range(5), "all"), [0, 1, 2, 3, 4])
    np.testing.assert_array_equal(select_frames(range(5), "davis"), [1, 2, 3])
    with pytest.raises(ValueError, match="3 frames"):
        select_frames([1.0, 1.0], "davis")
    with pytest.raises(ValueError, match="unknown protocol"):
        select_frames([1.0], "semi")


def test_statistics_with_a_length_not_divisible_by_four():
    values = [1, 1, 1, .9, .8, .7, .5, .3, .2, 0]
    # 'all': bins of 3, 3, 2, 2 frames; recall counts values strictly above 0.5
    stats = sequence_statistics(values, "all")
    assert stats["mean"] == pytest.approx(6.4 / 10)
    assert stats["recall"] == pytest.approx(6 / 10)
    assert stats["decay"] == pytest.approx(1.0 - 0.1)
    # 'davis': the 8 inner frames, bins [1, 1] [.9, .8] [.7, .5] [.3, .2]
    stats = sequence_statistics(values, "davis")
    assert stats["mean"] == pytest.approx(5.4 / 8)
    assert stats["recall"] == pytest.approx(5 / 8)
    assert stats["decay"] == pytest.approx(1.0 - 0.25)
    # three frames leave one bin empty: decay is first minus last frame
    assert sequence_statistics([0.9, 0.5, 0.3])["decay"] == pytest.approx(0.6)


def test_dataset_summary_weighs_sequences_equally():
    long_bad = sequence_statistics([0.0] * 10)
    short_good = sequence_statistics([1.0] * 2)
    summary = dataset_summary({"a": long_bad, "b": short_good})
    assert summary == {"mean": 0.5, "recall": 0.5, "decay": 0.0}
    with pytest.raises(ValueError):
        dataset_summary({})


def test_scored_frame_count_follows_the_protocol():
    assert scored_frame_count(75, "all") == 75
    assert scored_frame_count(75, "davis") == 73  # frames 2..74 of 1..75
    assert scored_frame_count(3, "davis") == 1
    assert scored_frame_count(2, "davis") == 0  # too short: such a sequence cannot be scored
    with pytest.raises(ValueError, match="unknown protocol"):
        scored_frame_count(75, "nope")

"""Tracking measures on hand-made boxes: every expected value below is worked out by hand."""
import math

import numpy as np
import pytest

from ltr.data.bounding_box_utils import box_overlaps
from pytracking.analysis.tracking_metrics import (MEASURES, centre_errors, clip_boxes, dataset_measures,
                                                    sequence_measures)

GT = np.array([[10.0, 10.0, 20.0, 20.0]] * 5)


def measures(pred, gt=GT, visible=None, image_size=None):
    m = sequence_measures(pred, gt, visible, image_size)
    return {k: m[k] for k in MEASURES}


def test_perfect_boxes():
    assert measures(GT) == pytest.approx({"AO": 1.0, "SR0.5": 1.0, "SR0.75": 1.0,
                                          "AUC": 20 / 21,  # IoU 1 is not > 1: the last threshold always fails
                                          "Precision": 1.0, "NormPrecision": 1.0})


def test_known_shift():
    # 10 px right of a 20x20 box: overlap 10x20 = 200, union 400 + 400 - 200 = 600 -> IoU 1/3;
    # centre error 10 px (<= 20), normalised 10/20 = 0.5: only the last of 51 thresholds (0.5) passes.
    m = measures(GT + [10, 0, 0, 0])
    assert m == pytest.approx({"AO": 1 / 3, "SR0.5": 0.0, "SR0.75": 0.0,
                               "AUC": 7 / 21,  # IoU 1/3 > t for t = 0, 0.05, ..., 0.30
                               "Precision": 1.0, "NormPrecision": 1 / 51})
    # 30 px down: no overlap, centre error 30 px > 20, normalised 1.5
    assert measures(GT + [0, 30, 0, 0]) == pytest.approx(dict.fromkeys(MEASURES, 0.0))


def test_success_needs_an_overlap_above_the_threshold_precision_an_error_at_most_20px():
    # the upper half of the box: IoU exactly 0.5, centre 5 px off; 20 px off: exactly at the precision limit
    half = measures(GT * [1, 1, 1, 0.5], GT)
    assert half["SR0.5"] == 0.0 and half["AO"] == pytest.approx(0.5) and half["AUC"] == pytest.approx(10 / 21)
    assert measures(GT + [20, 0, 0, 0])["Precision"] == 1.0 and measures(GT + [21, 0, 0, 0])["Precision"] == 0.0


def test_mixed_frames_and_the_initial_frame():
    # frames: perfect (initial), shift 10 (IoU 1/3), perfect, shift 5x5 (overlap 15x15 = 225, union 575)
    pred = GT[:4] + [[0, 0, 0, 0], [10, 0, 0, 0], [0, 0, 0, 0], [5, 5, 0, 0]]
    iou4 = 225 / 575
    m = measures(pred, GT[:4])
    assert m["AO"] == pytest.approx((1 / 3 + 1 + iou4) / 3)  # GOT-10k skips the initial frame
    assert m["SR0.5"] == pytest.approx(1 / 3) and m["SR0.75"] == pytest.approx(1 / 3)
    # success curve over all 4 frames: the perfect two pass 20 thresholds, IoU 1/3 passes 7, iou4 = 0.391 passes 8
    assert m["AUC"] == pytest.approx((20 + 7 + 20 + 8) / (4 * 21))
    # normalised errors 0, 0.5, 0, sqrt(2)/4 = 0.354 (passes t >= 0.36: 15 of 51 thresholds)
    assert m["NormPrecision"] == pytest.approx((51 + 1 + 51 + 15) / (4 * 51))


def test_invisible_and_missing_frames_are_skipped():
    gt = np.array([[np.nan] * 4, [10, 10, 20, 20], [10, 10, 20, 20], [10, 10, 0, 0], [10, 10, 20, 20],
                   [10, 10, 20, 20]])
    visible = np.array([False, True, True, True, False, True])
    pred = np.array([[0, 0, 5, 5], [10, 10, 20, 20], [20, 10, 20, 20], [0, 0, 5, 5], [0, 0, 5, 5],
                     [np.nan] * 4])
    m = sequence_measures(pred, gt, visible)
    # scored: frames 1 (initial, IoU 1), 2 (IoU 1/3), 5 (no prediction: IoU 0); frame 3 has a zero-size box
    assert m["frames_scored"] == 3
    assert m["iou"] == [None, 1.0, pytest.approx(1 / 3), None, None, 0.0]
    assert m["AO"] == pytest.approx((1 / 3 + 0) / 2) and m["got10k_ious"] == pytest.approx([1 / 3, 0.0])
    assert m["Precision"] == pytest.approx(2 / 3)  # the missing prediction has an infinite centre error


def test_no_visible_frame_gives_nan_and_is_left_out_of_the_dataset_curves():
    empty = sequence_measures(GT[:2], np.full((2, 4), np.nan))
    assert all(math.isnan(empty[k]) for k in MEASURES) and empty["frames_scored"] == 0
    full = sequence_measures(GT, GT)
    ds = dataset_measures({"a": full, "b": empty})
    assert ds["AUC"] == pytest.approx(20 / 21) and ds["n_sequences"] == 2


def test_dataset_ao_weighs_frames_and_auc_weighs_sequences():
    short = sequence_measures(GT[:3], GT[:3])  # 2 GOT-10k frames with IoU 1
    long_ = sequence_measures(GT + [10, 0, 0, 0], GT)  # 4 GOT-10k frames with IoU 1/3
    ds = dataset_measures({"short": short, "long": long_})
    assert ds["AO"] == pytest.approx((2 * 1 + 4 / 3) / 6)
    assert ds["SR0.5"] == pytest.approx(2 / 6)
    assert ds["AUC"] == pytest.approx((20 / 21 + 7 / 21) / 2)
    assert ds["Precision"] == pytest.approx(1.0) and ds["NormPrecision"] == pytest.approx((1 + 1 / 51) / 2)
    assert ds["got10k_frames_scored"] == 6 and ds["frames_scored"] == 8


def test_got10k_clips_boxes_to_the_image():
    # a prediction reaching 10 px past the right border of a 40 px wide image: clipped, it equals the GT
    gt = np.array([[20.0, 0, 20, 20]] * 2)
    pred = np.array([[20.0, 0, 20, 20], [20.0, 0, 30, 20]])
    assert sequence_measures(pred, gt, image_size=(20, 40))["AO"] == pytest.approx(1.0)
    assert sequence_measures(pred, gt)["AO"] == pytest.approx(400 / 600)
    assert clip_boxes(np.array([[-5.0, 5, 50, 10]]), (20, 40)).tolist() == [[0, 5, 40, 10]]


def test_box_helpers():
    a = np.array([[0.0, 0, 10, 10], [0, 0, 10, 10], [0, 0, 0, 10], [np.nan, 0, 1, 1]])
    b = np.array([[5.0, 0, 10, 10], [20, 20, 5, 5], [0, 0, 10, 10], [0, 0, 1, 1]])
    assert box_overlaps(a, b).tolist() == pytest.approx([50 / 150, 0, 0, 0])
    assert centre_errors(a[:1], b[:1]).tolist() == [5.0]
    assert centre_errors(a[:1], b[:1], normalised=True).tolist() == [0.5]
    assert np.isinf(centre_errors(a[2:], b[2:])).all()
    with pytest.raises(ValueError, match="3 predicted boxes for 5 frames"):
        sequence_measures(GT[:3], GT)

"""Box->mask baselines: box-fill pixel rule, GrabCut (fallbacks, better than box-fill) and the registry."""
from __future__ import annotations

import cv2
import numpy as np
import pytest

from pytracking.evaluation.baselines import METHODS, BoxFill, GrabCut, MaskFolder, box_mask, get_method
from pytracking.evaluation.metrics import region_similarity
from pytracking.evaluation.sequences import box_from_mask, load_davis
from oracles import inscribed_ellipse

NAN_BOX = np.full(4, np.nan)


def test_box_mask_pixel_rule_and_clipping():
    mask = box_mask(np.array([2.5, 1.2, 3.0, 2.0]), (6, 8))  # columns [2, 5), rows [1, 3)
    expected = np.zeros((6, 8), bool)
    expected[1:3, 2:5] = True
    np.testing.assert_array_equal(mask, expected)
    clipped = box_mask(np.array([-3.0, 4.0, 20.0, 10.0]), (6, 8))
    assert clipped[4:, :].all() and not clipped[:4].any()
    assert not box_mask(NAN_BOX, (6, 8)).any()
    assert not box_mask(np.array([3.0, 3.0, 0.0, 2.0]), (6, 8)).any()


def test_boxfill_on_a_sequence(synthetic_davis):
    seq = load_davis(synthetic_davis, sequences=["alpha"])[1]  # object 2, absent in frames 0-1
    masks = list(BoxFill()(seq))
    assert len(masks) == len(seq) and not masks[0].any()
    np.testing.assert_array_equal(masks[3], seq.gt_mask(3))  # the synthetic objects are squares


def blob_image() -> tuple:
    """A bright disk on a dark noisy background, and its ground-truth mask."""
    img = np.random.default_rng(1).integers(0, 50, (80, 100, 3), dtype=np.uint8)
    gt = np.zeros((80, 100), np.uint8)
    cv2.circle(gt, (50, 40), 20, 1, -1)
    img[gt > 0] = (230, 210, 60)
    return img, gt.astype(bool)


def test_grabcut_beats_boxfill_on_a_disk_and_is_deterministic():
    img, gt = blob_image()
    box = box_from_mask(gt) + np.array([-5, -5, 10, 10])
    mask = GrabCut().segment(img, box)
    assert region_similarity(mask, gt) > 0.95 > region_similarity(box_mask(box, gt.shape), gt)
    np.testing.assert_array_equal(GrabCut().segment(img, box), mask)


def test_grabcut_degenerate_boxes_fall_back_to_boxfill():
    img, _ = blob_image()
    whole = np.array([0.0, 0.0, 100.0, 80.0])
    assert GrabCut().segment(img, whole).all()  # no background to model: the box itself
    tiny = np.array([10.0, 10.0, 2.0, 30.0])
    np.testing.assert_array_equal(GrabCut().segment(img, tiny), box_mask(tiny, (80, 100)))
    assert not GrabCut().segment(img, NAN_BOX).any()


def test_grabcut_beats_the_image_blind_masks_on_real_davis(davis16_root):
    """GrabCut uses the image: it must beat both masks that only look at the box, filling it and the
    inscribed ellipse. Measured on these 9 frames: GrabCut 0.866, ellipse 0.665, box-fill 0.592 (J);
    the bar asks for half of GrabCut's measured lead over the better of the two."""
    seqs = load_davis(davis16_root, year="2016", resolution="240p", sequences=["bear", "car-turn", "hike"])
    seqs = [s.select([0, len(s) // 2, len(s) - 1]) for s in seqs]
    scores = {}
    for method in (BoxFill(), GrabCut()):
        scores[method.name] = np.mean([region_similarity(m, s.gt_mask(i))
                                       for s in seqs for i, m in enumerate(method(s))])
    scores["ellipse"] = np.mean([region_similarity(inscribed_ellipse(s.boxes[i], s.gt_mask(i).shape), s.gt_mask(i))
                                 for s in seqs for i in range(len(s))])
    assert scores["grabcut"] > max(scores["ellipse"], scores["boxfill"]) + 0.1, scores


def test_registry():
    assert {"boxfill", "grabcut", "maskfolder"} <= set(METHODS)
    assert get_method("grabcut", iterations=2).iterations == 2
    assert isinstance(get_method("maskfolder", folder="x"), MaskFolder)
    with pytest.raises(KeyError, match="boxfill"):
        get_method("sam")

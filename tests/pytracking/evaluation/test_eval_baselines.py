"""Box->mask baselines: box-fill pixel rule, GrabCut (fallbacks, better than box-fill) and the registry."""
from __future__ import annotations

from types import SimpleNamespace

import cv2
import numpy as np
import pytest

from ltr.data.bounding_box_utils import box_mask, mask_to_box
from pytracking.evaluation.baselines import METHODS, BoxFill, GrabCut, MaskFolder, get_method
from pytracking.analysis.metrics import region_similarity
from ltr.dataset.davis import read_davis
from ltr.dataset.sequence import targets_of
from oracles import inscribed_ellipse

NAN_BOX = np.full(4, np.nan)


def test_boxfill_and_grabcut_use_the_box_encoders_pixels():
    """Box-fill covers the pixels the box encoder and the box-fill training masks give a box, which
    changed its numbers for fractional boxes and boxes starting left of the image: x = 10.6, w = 5.6
    was columns [10, 16) under plain truncation and is [10, 15); x = -5, w = 20 was [0, 15), is [0, 16)."""
    seq = SimpleNamespace(boxes=np.array([[10.6, 2.0, 5.6, 3.0], [-5.0, 2.0, 20.0, 3.0]]), image_size=(8, 30))
    first, second = BoxFill()(seq)
    assert np.flatnonzero(first.any(0)).tolist() == list(range(10, 15))
    assert np.flatnonzero(second.any(0)).tolist() == list(range(0, 16))
    image = np.zeros((8, 30, 3), np.uint8)
    np.testing.assert_array_equal(GrabCut(min_side=10).segment(image, seq.boxes[0]), first)  # fallback


def test_boxfill_on_a_sequence(synthetic_davis):
    seq = targets_of(read_davis(synthetic_davis, sequences=["alpha"]))[1]  # object 2, absent in frames 0-1
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
    box = mask_to_box(gt) + np.array([-5, -5, 10, 10])
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
    seqs = targets_of(read_davis(davis16_root, year="2016", resolution="240p", sequences=["bear", "car-turn", "hike"]))
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

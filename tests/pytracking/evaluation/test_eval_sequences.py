"""Evaluation sequences: tight boxes, DAVIS loaders (synthetic multi-object and real 2016), mask folders."""
from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from ltr.data.bounding_box_utils import mask_to_box
from ltr.data.image_loader import ImageReadError
from ltr.dataset.davis import read_davis
from ltr.dataset.sequence import VideoSequence, targets_of
from pytracking.evaluation.baselines import mask_folder_path, read_folder_mask


def test_davis2017_gives_one_sequence_per_object(synthetic_davis):
    seqs = {s.name: s for s in targets_of(read_davis(synthetic_davis, year="2017", split="train"))}  # no train.txt: all
    assert sorted(seqs) == ["alpha_1", "alpha_2", "beta_1"]
    obj2 = seqs["alpha_2"]
    assert len(obj2) == 6 and obj2.object_id == 2
    np.testing.assert_array_equal(obj2.visible, [False, False, True, True, True, True])
    assert np.isnan(obj2.boxes[:2]).all()
    np.testing.assert_array_equal(obj2.boxes[2], [40, 30, 8, 8])
    np.testing.assert_array_equal(seqs["alpha_1"].boxes[3], [11, 8, 10, 10])
    expected = np.zeros((48, 64), bool)
    expected[30:38, 40:48] = True
    np.testing.assert_array_equal(obj2.gt_mask(4), expected)
    assert obj2.image_size == (48, 64)


def test_davis_sequence_selection(synthetic_davis):
    assert [s.name for s in targets_of(read_davis(synthetic_davis, year="2017", split="val"))] == ["beta_1"]
    assert [s.name for s in targets_of(read_davis(synthetic_davis, year="2016", sequences=["alpha"]))] == ["alpha"]
    with pytest.raises(FileNotFoundError, match="gamma"):
        targets_of(read_davis(synthetic_davis, sequences=["gamma"]))
    with pytest.raises(ValueError, match="2018"):
        targets_of(read_davis(synthetic_davis, year="2018"))


def test_select_keeps_frames_boxes_and_masks_aligned(synthetic_davis):
    seq = targets_of(read_davis(synthetic_davis, sequences=["alpha"]))[1]
    sub = seq.select([1, 3])
    assert [f.stem for f in sub.frames] == ["00001", "00003"]
    np.testing.assert_array_equal(sub.visible, [False, True])
    np.testing.assert_array_equal(sub.gt_mask(1), seq.gt_mask(3))


def test_inconsistent_lengths_are_rejected(tmp_path):
    with pytest.raises(ValueError, match="differ in length"):
        VideoSequence("x", [tmp_path / "a.jpg", tmp_path / "b.jpg"], np.zeros((1, 4)))


def test_mask_folder_reader(synthetic_davis, tmp_path):
    seq = targets_of(read_davis(synthetic_davis, sequences=["beta"]))[0]
    folder = tmp_path / "pred"
    path = mask_folder_path(folder, seq, 2)
    assert path == folder / "beta_1" / "00002.png"
    with pytest.raises(ImageReadError, match=f"{path}.*No such file"):
        read_folder_mask(folder, seq, 2)
    path.parent.mkdir(parents=True)
    Image.fromarray(np.where(seq.gt_mask(2), 7, 0).astype(np.uint8)).save(path)  # any value > 0 is foreground
    np.testing.assert_array_equal(read_folder_mask(folder, seq, 2), seq.gt_mask(2))
    Image.fromarray(np.zeros((10, 10), np.uint8)).save(path)
    with pytest.raises(ImageReadError, match=f"{path} is 10x10, its frame .*00002.jpg is 64x48"):
        read_folder_mask(folder, seq, 2)


def test_real_davis2016_boxes_are_the_tight_boxes_of_the_masks(davis16_root):
    (bear,) = targets_of(read_davis(davis16_root, year="2016", resolution="240p", sequences=["bear"]))
    assert len(bear) == 82 and bear.image_size == (240, 427) and bear.visible.all()
    for i in (0, 40, 81):
        np.testing.assert_array_equal(bear.boxes[i], mask_to_box(bear.gt_mask(i)))
    (dog,) = targets_of(read_davis(davis16_root, year="2016", resolution="480p", sequences=["dog-agility"]))
    assert len(dog) == 25 and dog.image_size == (480, 854)

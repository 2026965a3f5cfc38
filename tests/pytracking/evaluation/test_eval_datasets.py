"""Named evaluation datasets: choices, the held-out DAVIS videos, val splits, YT300 and boxes-only sets."""
from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from ltr.data.bounding_box_utils import mask_to_box
from ltr.dataset.splits import DAVIS16_HELDOUT
from pytracking.evaluation.evaluate_masks import main as evaluate_masks
from pytracking.evaluation.datasets import DATASETS, get_dataset, load_dataset, load_folder


def test_unknown_name_lists_the_choices():
    with pytest.raises(ValueError, match="unknown evaluation dataset 'davis'.*davis16_heldout.*got10k_val"):
        load_dataset("davis")
    assert set(DATASETS) == {"davis2016_val", "davis2017_val", "davis16_heldout", "yt300", "lasot_test", "got10k_val",
                             "folder"}
    assert not get_dataset("lasot_test").scored and not get_dataset("got10k_val").scored


def test_davis16_heldout_is_the_six_held_out_videos(davis16_root):
    seqs = load_dataset("davis16_heldout", root=davis16_root)
    assert [s.name for s in seqs] == DAVIS16_HELDOUT and len(seqs) == 6
    assert all(s.image_size == (240, 427) and s.gt_masks for s in seqs)
    with pytest.raises(ValueError, match="bear"):  # a training video is no held-out video
        load_dataset("davis16_heldout", root=davis16_root, sequences=["bear"])


def test_val_splits_need_the_split_file(davis16_root, synthetic_davis):
    with pytest.raises(FileNotFoundError, match="val"):  # the shared copy is train only
        load_dataset("davis2016_val", root=davis16_root, resolution="240p")
    assert [s.name for s in load_dataset("davis2017_val", root=synthetic_davis)] == ["beta_1"]


def test_yt300_one_sequence_per_visible_object(tmp_path, synthetic_davis):
    """A YouTube-VOS tree from the synthetic DAVIS one; 'alpha' is held out, object 3 is never visible."""
    train = tmp_path / "train"
    for sub in ("JPEGImages", "Annotations"):
        shutil.copytree(synthetic_davis / sub / "480p", train / sub)
    objects = {"alpha": ["1", "2", "3"], "beta": ["1"]}
    (train / "meta.json").write_text(json.dumps(
        {"videos": {v: {"objects": {o: {"category": "x"} for o in objs}} for v, objs in objects.items()}}))
    (tmp_path / "yt300.txt").write_text("alpha\n")
    seqs = load_dataset("yt300", root=tmp_path)
    assert [s.name for s in seqs] == ["alpha_1", "alpha_2"]
    alpha_2 = seqs[1]
    assert np.isnan(alpha_2.boxes[:2]).all() and not alpha_2.visible[:2].any()
    assert alpha_2.object_id == 2 and alpha_2.gt_mask(3).sum() == 8 * 8  # object 2 is an 8x8 square
    np.testing.assert_array_equal(alpha_2.boxes[3], mask_to_box(alpha_2.gt_mask(3)))


def test_boxes_only_dataset_loads_but_cannot_be_scored(tmp_path, capsys):
    root = tmp_path / "got10k" / "val"
    seq_dir = root / "GOT-10k_Val_000001"
    seq_dir.mkdir(parents=True)
    (root / "list.txt").write_text("GOT-10k_Val_000001\n")
    for i in range(3):
        (seq_dir / f"{i + 1:08d}.jpg").write_bytes(b"")
    (seq_dir / "groundtruth.txt").write_text("1,2,10,12\n2,2,10,12\n3,2,10,12\n")
    (seq_dir / "absence.label").write_text("0\n1\n0\n")
    (seq_dir / "cover.label").write_text("8\n0\n8\n")
    (seq,) = load_dataset("got10k_val", root=tmp_path / "got10k")
    assert seq.gt_masks is None and seq.visible.tolist() == [True, False, True]
    np.testing.assert_array_equal(seq.boxes[2], [3, 2, 10, 12])
    with pytest.raises(SystemExit) as exit_info:  # evaluate_masks scores masks: a boxes-only dataset is not offered
        evaluate_masks(["--dataset", "got10k_val", "--root", str(tmp_path / "got10k"), "--method", "boxfill",
                  "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert exit_info.value.code == 2 and err.count("\n") == 1 and "invalid choice: 'got10k_val'" in err


def test_folder_of_frames_with_vot_polygons(vot_bag_root, tmp_path):
    (seq,) = load_dataset("folder", root=vot_bag_root)  # frames in imgs/, groundtruth.txt beside them
    polygon = [float(v) for v in (vot_bag_root / "groundtruth.txt").read_text().splitlines()[0].split(",")]
    xs, ys = polygon[0::2], polygon[1::2]
    assert seq.name == "vot2015-bag" and len(seq) == 196 and seq.visible.all()
    np.testing.assert_allclose(seq.boxes[0], [min(xs), min(ys), max(xs) - min(xs), max(ys) - min(ys)])
    (same,) = load_folder(vot_bag_root / "imgs")  # the frames folder itself: groundtruth.txt one level up
    assert same.name == "vot2015-bag" and np.array_equal(same.boxes, seq.boxes, equal_nan=True)
    boxes = tmp_path / "boxes.txt"
    boxes.write_text("\n".join(["1,2,3,4"] * 196) + "\n")
    (mine,) = load_folder(vot_bag_root, boxes, name="bag")
    assert mine.name == "bag" and mine.boxes[0].tolist() == [1, 2, 3, 4]
    with pytest.raises(ValueError, match="unknown sequences"):
        load_dataset("folder", root=vot_bag_root, sequences=["bag"])
    with pytest.raises(ValueError, match="needs --root"):
        load_dataset("folder")
    with pytest.raises(FileNotFoundError, match="no frames"):
        load_dataset("folder", root=tmp_path)


@pytest.mark.parametrize("frames_folder", ["", "imgs", "img"])
def test_the_folder_dataset_takes_the_frame_folders_its_help_names(tmp_path, frames_folder):
    import cv2

    assert "(or its imgs/ or img/)" in DATASETS["folder"].description  # as --root's help says
    frames = tmp_path / "bag" / frames_folder
    frames.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(frames / "00000001.jpg"), np.zeros((32, 48, 3), np.uint8))
    (tmp_path / "bag" / "groundtruth.txt").write_text("4,4,20,10\n")
    (seq,) = load_dataset("folder", root=tmp_path / "bag")
    assert seq.name == "bag" and len(seq) == 1 and seq.boxes[0].tolist() == [4, 4, 20, 10]

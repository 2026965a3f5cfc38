"""A DAVIS dataset with its masks replaced by a mask folder or by the filled true boxes."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from ltr.data.image_loader import ImageReadError
from ltr.data.bounding_box_utils import mask_to_box
from ltr.dataset.davis import Davis
from ltr.dataset.replaced_masks import ReplacedMasks
from pytracking.annotate.writer import write_mask

SEQUENCES = ["bear", "car-turn"]


@pytest.fixture
def davis(davis16_root: Path, tmp_path: Path) -> Davis:
    return Davis(davis16_root, "2016", resolution="240p", sequences=SEQUENCES, meta_path=tmp_path / "meta.json")


def write_pseudo_masks(davis: Davis, root: Path, skip: int) -> None:
    """The annotation tool's DAVIS layout: <root>/<video>/<frame>.png (0/1); the true masks' lower
    halves stand in for pseudo-masks; frame ``skip`` of each video has no file."""
    for seq_id in range(davis.get_num_sequences()):
        stems = davis.frame_names(seq_id)
        _, annos, _ = davis.get_frames(seq_id, list(range(len(stems))))
        (root / davis.get_sequence_name(seq_id)).mkdir(parents=True)
        for i, (stem, mask) in enumerate(zip(stems, annos["mask"])):
            if i != skip:
                half = mask.numpy() > 0
                half[: half.shape[0] // 2] = False
                write_mask(root / davis.get_sequence_name(seq_id) / f"{stem}.png", half)


def test_mask_folder_replaces_masks_keeps_frames_and_boxes(davis, tmp_path):
    write_pseudo_masks(davis, tmp_path / "masks", skip=3)
    replaced = ReplacedMasks(davis, mask_root=tmp_path / "masks")
    assert replaced.has_masks() and replaced.get_num_sequences() == 2 and replaced.get_sequence_name(1) == "car-turn"
    info, true_info = replaced.get_sequence_info(0), davis.get_sequence_info(0)
    assert not info["visible"][3] and torch.equal(info["visible"][4:], true_info["visible"][4:])
    frames, annos, _ = replaced.get_frames(0, [0, 5])
    true_frames, true_annos, _ = davis.get_frames(0, [0, 5])
    assert all(np.array_equal(a, b) for a, b in zip(frames, true_frames))
    assert all(torch.equal(a, b) for a, b in zip(annos["bbox"], true_annos["bbox"]))  # crops follow the true box
    for mask, true in zip(annos["mask"], true_annos["mask"]):
        half = true.clone()
        half[: half.shape[0] // 2] = 0
        assert torch.equal(mask, half) and mask.sum() < true.sum()


def test_mask_folder_problems_name_the_file(davis, tmp_path):
    bear_only = Davis(davis.root, "2016", resolution="240p", sequences=["bear"], meta_path=tmp_path / "meta.json")
    write_pseudo_masks(bear_only, tmp_path / "masks", skip=-1)
    with pytest.raises(FileNotFoundError, match="car-turn"):
        ReplacedMasks(davis, mask_root=tmp_path / "masks")
    (tmp_path / "masks" / "car-turn").mkdir()
    write_mask(tmp_path / "masks" / "car-turn" / "00000.png", np.ones((10, 10), bool))
    replaced = ReplacedMasks(davis, mask_root=tmp_path / "masks")
    assert replaced.get_sequence_info(1)["visible"].sum() == 1
    with pytest.raises(ImageReadError, match="car-turn/00000.png is 10x10"):
        replaced.get_frames(1, [0])


def test_box_fill_masks_are_the_true_boxes(davis):
    replaced = ReplacedMasks(davis, box_fill=True)
    assert replaced.name == "davis2016_boxfill"
    _, annos, _ = replaced.get_frames(1, [0, 10, 20])
    _, true_annos, _ = davis.get_frames(1, [0, 10, 20])
    for mask, true, box in zip(annos["mask"], true_annos["mask"], annos["bbox"]):
        x, y, w, h = (int(v) for v in box)
        assert mask.sum() == w * h and mask[y:y + h, x:x + w].all()
        assert mask_to_box(mask.numpy()).tolist() == mask_to_box(true.numpy()).tolist()
        assert mask.sum() > true.sum()
    with pytest.raises(ValueError, match="exactly one"):
        ReplacedMasks(davis)

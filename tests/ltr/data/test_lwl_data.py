"""LWL samples: the official frame selection (1 train + 3 later test frames), and the processing
(separate train/test rolls and jitter, rotation/scaling applied alike to frames and masks)."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from ltr.data.processing import LWLProcessing
from ltr.data.sampler import LWLSampler, sample_lwl_frame_ids
from ltr.data.transforms import rotation_scale_matrix, warp_affine, warp_box
from ltr.dataset.base_video_dataset import BaseVideoDataset
from oracles import tight_box


class MaskedToy(BaseVideoDataset):
    """Sequences with given visibility; a frame's pixels hold its frame id, its mask is a square."""

    def __init__(self, visibility, masks: bool = True):
        self.name, self.visibility, self.masks = "toy", [np.asarray(v, bool) for v in visibility], masks

    def has_masks(self):
        return self.masks

    def get_num_sequences(self):
        return len(self.visibility)

    def get_sequence_name(self, seq_id):
        return f"toy-{seq_id}"

    def get_sequence_info(self, seq_id):
        visible = torch.from_numpy(self.visibility[seq_id])
        return {"bbox": torch.tensor([[8.0, 6.0, 16.0, 12.0]]).repeat(len(visible), 1), "visible": visible,
                "valid": visible}

    def get_frames(self, seq_id, frame_ids, info=None):
        info = info or self.get_sequence_info(seq_id)
        mask = torch.zeros(32, 48)
        mask[6:18, 8:24] = 1
        annos = {k: [v[f] for f in frame_ids] for k, v in info.items()}
        annos["mask"] = [mask.clone() for _ in frame_ids]
        return [np.full((32, 48, 3), f, np.uint8) for f in frame_ids], annos, {}


def test_lwl_frame_ids_one_train_three_later_visible_test_frames():
    rng = np.random.default_rng(0)
    for visible in (np.ones(400, bool), rng.random(400) < 0.5):
        for _ in range(300):
            train, test = sample_lwl_frame_ids(visible, 1, 3, 20, rng)
            assert len(train) == 1 and len(test) == 3 and test == sorted(test)
            assert visible[train + test].all()
            assert train[0] < test[0] and test[-1] < train[0] + 20 + 5  # at most one widening here
            assert train[0] < 400 - 3
    two = sample_lwl_frame_ids(np.ones(50, bool), 2, 3, 10, np.random.default_rng(1))[0]
    assert len(two) == 2 and two == sorted(two) and two[1] - two[0] <= 10


def test_lwl_frame_ids_need_an_earlier_visible_frame_and_widen_the_gap():
    visible = np.zeros(160, bool)
    visible[[0, 1, 150]] = True
    rng = np.random.default_rng(0)
    for _ in range(20):
        # base 0 has no visible predecessor (official rule); from base 1 only frame 150 follows, 149
        # frames later, reached by widening the window 5 frames per try.
        assert sample_lwl_frame_ids(visible, 1, 3, 10, rng) == ([1], [150, 150, 150])
    first_only = np.zeros(30, bool)
    first_only[3:12] = True
    assert all(sample_lwl_frame_ids(first_only, 1, 3, 5, rng)[0] != [3] for _ in range(100))
    lonely = np.zeros(30, bool)
    lonely[5] = True
    assert sample_lwl_frame_ids(lonely, 1, 3, 10, rng) is None


def test_lwl_sampler_splits_loaded_frames_and_needs_masks():
    pattern = np.arange(80) % 4 != 0
    sampler = LWLSampler([MaskedToy([[True] * 8, pattern])], samples_per_epoch=10, max_gap=12, seed=3)
    for index in range(30):
        sample = sampler[index]
        train, test = sample["train_frame_ids"], sample["test_frame_ids"]
        assert sample["sequence"] == "toy-1"  # 8 visible frames are not more than 2 * (1 + 3)
        assert len(train) == 1 and len(test) == 3 and pattern[train + test].all() and test[-1] < train[0] + 12 + 5
        assert [int(f[0, 0, 0]) for f in sample["train_images"] + sample["test_images"]] == train + test
        assert len(sample["train_masks"]) == 1 and len(sample["test_boxes"]) == 3
    assert sampler[7]["test_frame_ids"] == sampler[7]["test_frame_ids"]
    with pytest.raises(ValueError, match="masks"):
        LWLSampler([MaskedToy([pattern], masks=False)])


def target_sample(size=(120, 200)):
    """Images that are bright exactly on the target's mask: a 30x50 rectangle with a bump on its top
    left (so that a mirrored mask differs from the original)."""
    mask = np.zeros(size, np.float32)
    mask[40:70, 60:110] = 1
    mask[30:40, 60:75] = 1
    image = np.repeat((mask * 255).astype(np.uint8)[..., None], 3, axis=2)
    box = torch.tensor([60.0, 30.0, 50.0, 40.0])  # x, y, w, h of the rectangle and its bump
    data = {"dataset": "toy", "sequence": "s"}
    for split, n in (("train", 1), ("test", 3)):
        data.update({f"{split}_images": [image] * n, f"{split}_masks": [torch.from_numpy(mask)] * n,
                     f"{split}_boxes": [box] * n, f"{split}_frame_ids": list(range(n))})
    return data


def iou(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Per-frame IoU of boolean masks (F,H,W)."""
    return (a & b).sum((1, 2)).float() / (a | b).sum((1, 2)).float()


STILL = dict(scale_jitter=0.0, center_jitter=0.0, test_scale_jitter=0.0, test_center_jitter=0.0, p_grayscale=0.0,
             p_flip=0.0, brightness_jitter=0.0, max_rotation=0.0, max_scale=0.0, crop_mode="replicate",
             search_area_factor=3.0, normalization="lite")


def test_lwl_processing_shapes_and_boxes_of_masks():
    out = LWLProcessing(output_size=(64, 96))(target_sample(), np.random.default_rng(0))
    assert out["train_images"].shape == (1, 3, 64, 96) and out["test_images"].shape == (3, 3, 64, 96)
    assert out["train_masks"].shape == (1, 64, 96) and out["test_masks"].shape == (3, 64, 96)
    assert out["test_frame_ids"].tolist() == [0, 1, 2] and out["dataset"] == "toy"
    for split in ("train", "test"):
        assert set(out[f"{split}_masks"].unique().tolist()) == {0.0, 1.0}
        for mask, box in zip(out[f"{split}_masks"], out[f"{split}_boxes"]):
            assert box.tolist() == tight_box(mask.numpy()).tolist()
    again = LWLProcessing(output_size=(64, 96))(target_sample(), np.random.default_rng(0))
    assert all(torch.equal(out[k], again[k]) for k in ("train_images", "test_images", "test_masks"))


def test_lwl_processing_rotates_frames_and_masks_alike():
    still = LWLProcessing(output_size=(64, 96), **STILL)
    moved = LWLProcessing(output_size=(64, 96), **dict(STILL, max_rotation=15.0, max_scale=0.2))
    plain = still(target_sample(), np.random.default_rng(0))
    for seed in range(5):
        out = moved(target_sample(), np.random.default_rng(seed))
        for split in ("train", "test"):
            bright = out[f"{split}_images"][:, 0] > 0  # lite: (x - 127) / 128 > 0 on the target
            assert (iou(bright, out[f"{split}_masks"] > 0) > 0.8).all()
            assert not torch.equal(out[f"{split}_masks"], plain[f"{split}_masks"])  # it did rotate


def test_lwl_processing_rolls_the_test_flip_separately():
    reference = LWLProcessing(output_size=(64, 96), **STILL)(target_sample(), np.random.default_rng(0))
    proc = LWLProcessing(output_size=(64, 96), **dict(STILL, p_flip=0.5))
    rolls = set()
    for seed in range(40):
        out = proc(target_sample(), np.random.default_rng(seed))
        flipped = []
        for split in ("train", "test"):
            masks, ref = out[f"{split}_masks"] > 0, reference[f"{split}_masks"] > 0
            mirrored = iou(masks, ref.flip(-1)) > iou(masks, ref)
            assert mirrored.all() or not mirrored.any()  # one roll for all frames of a split
            flipped.append(bool(mirrored[0]))
        rolls.add(tuple(flipped))
    assert rolls == {(False, False), (False, True), (True, False), (True, True)}


def test_rotation_matrix_warps_and_box_encloses_the_warped_mask():
    assert np.allclose(rotation_scale_matrix((64, 96), 0.0, 1.0), [[1, 0, 0], [0, 1, 0]])
    mask = np.zeros((64, 96), np.uint8)
    mask[20:40, 30:70] = 1
    warp = rotation_scale_matrix((64, 96), 12.0, 1.1)
    warped = warp_affine(mask, warp, is_mask=True)
    assert set(np.unique(warped)) == {0, 1} and abs(int(warped.sum()) - 1.21 * mask.sum()) < 0.05 * mask.sum()
    x, y, w, h = tight_box(warped)
    bx, by, bw, bh = warp_box(np.array([30.0, 20.0, 40.0, 20.0]), warp)  # the tight box of ``mask``
    assert bx - 1 <= x and by - 1 <= y and x + w <= bx + bw + 1 and y + h <= by + bh + 1
    assert w * h > 0.9 * bw * bh * 0.75  # a rotated rectangle fills most of its enclosing box

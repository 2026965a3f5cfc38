"""Sampler invariants and reproducibility (a sample depends only on seed and index)."""
from __future__ import annotations

import pickle

import numpy as np
import pytest
import torch
from torch.utils.data import DataLoader

from ltr.data.image_loader import ImageReadError
from ltr.data.processing import Box2SegProcessing
from ltr.data.sampler import Box2SegSampler, collate_stack_dim1, sample_frame_ids
from ltr.dataset import SyntheticVideos
from ltr.dataset.base_video_dataset import BaseVideoDataset


class ToyDataset(BaseVideoDataset):
    """Box-only sequences with given visibility; a frame's pixels hold its frame id."""

    def __init__(self, name: str, visibility, broken=()):
        self.name, self.visibility, self.broken = name, [np.asarray(v, bool) for v in visibility], set(broken)

    def get_num_sequences(self):
        return len(self.visibility)

    def get_sequence_name(self, seq_id):
        return f"{self.name}-{seq_id}"

    def get_sequence_info(self, seq_id):
        visible = torch.from_numpy(self.visibility[seq_id])
        return {"bbox": torch.tensor([[4.0, 4.0, 8.0, 8.0]]).repeat(len(visible), 1), "visible": visible,
                "valid": visible}

    def get_frames(self, seq_id, frame_ids, info=None):
        if seq_id in self.broken:
            raise ImageReadError(f"cannot read image /nowhere/{seq_id}.jpg")
        info = info or self.get_sequence_info(seq_id)
        frames = [np.full((16, 16, 3), f, np.uint8) for f in frame_ids]
        return frames, {k: [v[f] for f in frame_ids] for k, v in info.items()}, {}


def test_sample_frame_ids_invariants():
    rng = np.random.default_rng(0)
    visible = rng.random(400) < 0.6
    for _ in range(300):
        ids = sample_frame_ids(visible, 3, 20, rng)
        assert len(ids) == 3 and ids == sorted(ids) and visible[ids].all()
        assert ids[0] < ids[1] and ids[-1] < ids[0] + 20 and ids[0] <= 400 - 3


def test_sample_frame_ids_widens_the_gap_and_gives_up():
    visible = np.zeros(200, bool)
    visible[[0, 1, 150]] = True  # from base 0 or 1 the next visible frame may be 150 frames away
    ids = sample_frame_ids(visible, 2, 10, np.random.default_rng(0))
    assert ids is not None and visible[ids].all()
    only_last = np.zeros(10, bool)
    only_last[5] = True
    assert sample_frame_ids(only_last, 2, 10, np.random.default_rng(0)) is None


def test_sampler_only_visible_frames_of_accepted_sequences():
    short = [True] * 6 + [False] * 20  # 6 visible frames: not more than 2 * 3, never used
    pattern = np.arange(60) % 3 != 0
    ds = ToyDataset("toy", [short, pattern, short])
    sampler = Box2SegSampler([ds], samples_per_epoch=10, num_frames=3, max_gap=7)
    for index in range(50):
        sample = sampler[index]
        ids = sample["frame_ids"]
        assert sample["sequence"] == "toy-1" and pattern[ids].all() and ids == sorted(ids)
        assert ids[-1] < ids[0] + 7 and [int(f[0, 0, 0]) for f in sample["images"]] == ids
        assert sample["masks"] is None and len(sample["boxes"]) == 3


def test_sampler_same_index_same_sample_any_order_and_workers():
    ds = SyntheticVideos(num_sequences=5, num_frames=20, image_size=(60, 80))
    proc = Box2SegProcessing(output_size=(32, 48))
    sampler = Box2SegSampler([ds], samples_per_epoch=6, num_frames=3, max_gap=10, processing=proc, seed=7)
    a, b = sampler[5], sampler[3]
    assert torch.equal(sampler[5]["images"], a["images"]) and torch.equal(sampler[3]["masks"], b["masks"])
    assert not torch.equal(a["images"], b["images"])
    assert sampler[10 ** 9]["images"].shape == (3, 3, 32, 48)  # any global index, beyond the epoch too
    other_seed = Box2SegSampler([ds], samples_per_epoch=6, num_frames=3, processing=proc, seed=8)
    assert not torch.equal(other_seed[5]["images"], a["images"])

    def batches(workers):
        return list(DataLoader(sampler, batch_size=3, num_workers=workers, collate_fn=collate_stack_dim1))
    serial, parallel = batches(0), batches(2)
    assert serial[0]["images"].shape == (3, 3, 3, 32, 48) and serial[0]["masks"].shape == (3, 3, 32, 48)
    assert serial[0]["boxes"].shape == (3, 3, 4) and serial[0]["dataset"] == ["synthetic"] * 3
    assert torch.equal(serial[1]["images"][:, 2], a["images"])  # sample 5 = second batch, third item
    for s, p in zip(serial, parallel):
        assert all(torch.equal(s[k], p[k]) for k in ("images", "masks", "boxes", "frame_ids"))
    assert torch.equal(pickle.loads(pickle.dumps(sampler))[5]["images"], a["images"])  # spawned workers


def test_sampler_dataset_weights():
    a, b = ToyDataset("a", [[True] * 30]), ToyDataset("b", [[True] * 30, [True] * 30, [True] * 30])
    assert {Box2SegSampler([a, b], [1, 0], 10)[i]["dataset"] for i in range(20)} == {"a"}
    n = 700  # the paper's 6:1 (YouTube-VOS : DAVIS): P(a) = 6/7, whatever the sizes of the datasets
    count = sum(Box2SegSampler([a, b], [6, 1], 10)[i]["dataset"] == "a" for i in range(n))
    assert abs(count - n * 6 / 7) < 4 * np.sqrt(n * 6 / 7 * 1 / 7)  # 4 standard deviations of the binomial
    by_size = sum(Box2SegSampler([a, b], None, 10)[i]["dataset"] == "a" for i in range(n))
    assert abs(by_size - n / 4) < 4 * np.sqrt(n / 4 * 3 / 4)  # no weights: by number of sequences, 1:3
    with pytest.raises(ValueError, match="p_datasets"):
        Box2SegSampler([a, b], [1], 10)


def test_sampler_skips_unreadable_frames_with_a_warning():
    ds = ToyDataset("toy", [[True] * 30, [True] * 30], broken={0})
    sampler = Box2SegSampler([ds], samples_per_epoch=10)
    with pytest.warns(UserWarning, match=r"toy-0.*/nowhere/0.jpg"):
        names = {sampler[i]["sequence"] for i in range(20)}
    assert names == {"toy-1"}
    with pytest.raises(RuntimeError, match="failed to load"), pytest.warns(UserWarning):
        Box2SegSampler([ToyDataset("bad", [[True] * 30], broken={0})], samples_per_epoch=10, max_draws=5)[0]


def test_sampler_reports_datasets_without_usable_sequences():
    with pytest.raises(RuntimeError, match="no sequence with more than 6 visible frames"):
        Box2SegSampler([ToyDataset("short", [[True] * 5])], samples_per_epoch=10, max_draws=20)[0]

"""The procedural dataset: determinism and exact, consistent masks."""
from __future__ import annotations

import numpy as np
import torch

from ltr.data.bounding_box_utils import mask_to_box
from ltr.dataset import SyntheticVideos


def test_deterministic_from_seed_and_sequence():
    a, b = SyntheticVideos(num_sequences=3, num_frames=12), SyntheticVideos(num_sequences=3, num_frames=12)
    fa, aa, _ = a.get_frames(2, [0, 7, 11])
    fb, ab, _ = b.get_frames(2, [11, 7])  # any order / subset renders the same frames
    assert np.array_equal(fa[2], fb[0]) and np.array_equal(fa[1], fb[1])
    assert torch.equal(aa["mask"][1], ab["mask"][1])
    assert not np.array_equal(fa[0], a.get_frames(1, [0])[0][0])
    other = SyntheticVideos(num_sequences=3, num_frames=12, seed=1)
    assert not np.array_equal(fa[0], other.get_frames(2, [0])[0][0])


def test_masks_match_info_and_are_mostly_visible():
    ds = SyntheticVideos(num_sequences=4, num_frames=20, image_size=(96, 128))
    assert ds.has_masks() and len(ds) == 4
    visible_fraction = []
    for seq in range(len(ds)):
        info = ds.get_sequence_info(seq)
        frames, annos, _ = ds.get_frames(seq, list(range(20)), info)
        for t, (image, mask) in enumerate(zip(frames, annos["mask"])):
            assert image.shape == (96, 128, 3) and image.dtype == np.uint8
            assert mask.shape == (96, 128) and set(mask.unique().tolist()) <= {0.0, 1.0}
            assert bool(info["visible"][t]) == (mask.sum() > ds.vis_threshold)
            assert info["bbox"][t].tolist() == annos["bbox"][t].tolist() == mask_to_box(mask.numpy()).tolist()
        visible_fraction.append(info["visible"].float().mean())
    assert np.mean(visible_fraction) > 0.7

"""LaSOT and GOT-10k fixtures with malformed annotation files and pseudo masks."""
from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch

from ltr.dataset import Got10k, Lasot


def visible_except(*frames: int) -> list:
    """Visibility of the 12-frame fixture sequences with ``frames`` not visible."""
    return [i not in frames for i in range(12)]


def test_lasot_visibility_from_flags_and_bad_lines(lasot_root):
    root, _ = lasot_root
    with pytest.warns(UserWarning, match=r"groundtruth.txt:3: non-numeric"):
        ds = Lasot(root)
        info = ds.get_sequence_info(0)
    assert not ds.has_masks() and [ds.get_sequence_name(i) for i in range(2)] == ["bear-1", "bear-2"]
    assert info["visible"].tolist() == visible_except(2, 4, 10, 11)  # bad line, occluded, short out_of_view
    assert info["valid"].tolist() == visible_except(2) and torch.isfinite(info["bbox"]).all()
    frames, annos, meta = ds.get_frames(0, [0, 5], info)
    assert frames[0].shape == (240, 427, 3) and "mask" not in annos and meta["object_class"] == "bear"
    assert torch.equal(annos["bbox"][1], info["bbox"][5])


def test_lasot_zero_box_on_occluded_frame_is_silent(lasot_root):
    ds = Lasot(lasot_root[0], sequences=["bear-2"])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        info = ds.get_sequence_info(0)
    assert info["visible"].tolist() == visible_except(8) and info["bbox"][8].tolist() == [0, 0, 0, 0]


def test_lasot_pseudo_masks(lasot_root, davis_clip):
    root, masks = lasot_root
    ds = Lasot(root, mask_root=masks, sequences=["bear-1"])
    with pytest.warns(UserWarning):
        info = ds.get_sequence_info(0)
    assert ds.has_masks() and info["visible"].tolist() == visible_except(2, 4, 6, 10, 11)  # + missing mask
    _, annos, _ = ds.get_frames(0, [3])
    assert np.array_equal(annos["mask"][0].numpy(), davis_clip[3][1].astype(np.float32))


def test_got10k_visibility_and_cover(got10k_root):
    root, _ = got10k_root
    with pytest.warns(UserWarning) as record:
        ds = Got10k(root)
        info = ds.get_sequence_info(0)
    text = "\n".join(str(w.message) for w in record)
    assert "groundtruth.txt:2: NaN" in text and "cover.label: 10 values for 12 frames" in text
    assert info["visible"].tolist() == visible_except(1, 3, 5, 10, 11)
    assert info["visible_ratio"][0] == 1.0 and info["visible_ratio"][5] == 0.0
    assert ds.get_sequence_info(1)["visible"].all()


def test_got10k_skips_sequences_without_masks(got10k_root):
    root, masks = got10k_root
    with pytest.warns(UserWarning, match="1 sequences have no mask folder"):
        ds = Got10k(root, mask_root=masks)
    assert len(ds) == 1 and ds.get_sequence_name(0) == "GOT-10k_Train_000001"


def test_missing_list_and_unknown_sequence_are_named(got10k_root, lasot_root, tmp_path):
    with pytest.raises(FileNotFoundError, match="list.txt"):
        Got10k(tmp_path)
    with pytest.raises(ValueError, match="bear-9"):
        Lasot(lasot_root[0], sequences=["bear-9"])

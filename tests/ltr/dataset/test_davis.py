"""DAVIS read from the real shared data (2016) and from a DAVIS-2017-layout fixture."""
from __future__ import annotations

import json

import numpy as np
import pytest
import torch

import faults
from ltr.data.image_loader import imread_indexed
from ltr.data.bounding_box_utils import mask_to_box
from ltr.dataset import Davis


def test_davis2016_real_frames_masks_boxes(davis16_root, tmp_path):
    ds = Davis(davis16_root, version="2016", resolution="240p", sequences=["bear", "dog-agility"],
               meta_path=tmp_path / "meta.json")
    assert ds.has_masks() and ds.get_num_sequences() == 2 and ds.get_sequence_name(1) == "dog-agility"
    info = ds.get_sequence_info(0)
    assert info["bbox"].shape == (82, 4) and info["visible"].dtype == torch.bool and info["visible"].all()
    frames, annos, meta = ds.get_frames(0, [0, 40], info)
    png = imread_indexed(davis16_root / "Annotations" / "240p" / "bear" / "00040.png")
    assert frames[1].shape == (240, 427, 3) and frames[1].dtype == np.uint8
    assert annos["mask"][1].dtype == torch.float32 and set(annos["mask"][1].unique().tolist()) == {0.0, 1.0}
    assert torch.equal(annos["mask"][1], torch.from_numpy((png > 0).astype(np.float32)))
    assert annos["bbox"][1].tolist() == mask_to_box(png > 0).tolist() == info["bbox"][40].tolist()
    assert meta["frame_names"] == ["00000", "00040"]


def test_davis_default_resolution_and_cache(davis16_root, tmp_path, monkeypatch):
    ds = Davis(davis16_root, version="2016", sequences=["dog-agility"], meta_path=tmp_path / "m.json")
    assert ds.resolution == "480p" and ds.get_frames(0, [0])[0][0].shape == (480, 854, 3)
    monkeypatch.setattr("ltr.dataset.vos_base.scan_video", lambda *a: pytest.fail("cached meta was rescanned"))
    assert len(Davis(davis16_root, version="2016", sequences=["dog-agility"], meta_path=tmp_path / "m.json")) == 1


def test_davis_unknown_sequence_is_named(davis16_root, tmp_path):
    with pytest.raises(ValueError, match="no-such-seq"):
        Davis(davis16_root, version="2016", resolution="240p", sequences=["no-such-seq"], meta_path=tmp_path / "m")


def test_davis2017_one_sample_per_object_and_split_file(davis17_root):
    ds = Davis(davis17_root, version="2017", split="train")
    assert ds.resolution == "480p" and (davis17_root / "generated_meta_2017_480p.json").is_file()
    assert [ds.get_sequence_name(i) for i in range(len(ds))] == ["s0_1", "s0_2"]  # s1 is not in train.txt
    assert ds.get_sequence_info(1)["visible"].tolist() == [True] * 6 + [False] * 6
    _, annos, _ = ds.get_frames(1, [0, 8])
    labels = imread_indexed(davis17_root / "Annotations" / "480p" / "s0" / "00000.png")
    assert np.array_equal(annos["mask"][0].numpy(), (labels == 2).astype(np.float32))
    assert not annos["mask"][1].any()
    assert annos["bbox"][0].tolist() == [10, 5, 40, 20]
    _, annos, _ = ds.get_frames(0, [0])
    assert np.array_equal(annos["mask"][0].numpy(), (labels == 1).astype(np.float32))


def test_davis2017_without_split_file_uses_all_sequences(davis17_root):
    assert len(Davis(davis17_root, version="2017", split="val")) == 4


def test_unreadable_annotation_is_reported_never_sampled_and_not_cached(davis17_root, tmp_path):
    bad = faults.truncate(davis17_root / "Annotations" / "480p" / "s0" / "00003.png")
    meta = tmp_path / "meta.json"
    with pytest.warns(UserWarning, match=f"{bad}"):
        ds = Davis(davis17_root, "2017", meta_path=meta)
    assert ds.problems == {"s0_1": [f"cannot read mask {bad} (truncated PNG (no IEND chunk))"],
                           "s0_2": [f"cannot read mask {bad} (truncated PNG (no IEND chunk))"]}
    visible = ds.get_sequence_info(0)["visible"].tolist()
    assert visible == [i != 3 for i in range(12)]
    assert "s0" not in json.loads(meta.read_text())  # rescanned next time, once the file is fixed


def test_a_long_scan_in_a_log_is_one_line_without_a_bar(tmp_path, monkeypatch, capsys):
    """stderr captured by pytest is not a terminal: a scan of many videos says so once, with no bar."""
    from ltr.dataset import vos_base

    monkeypatch.setattr(vos_base, "SCAN_NOTICE", 3)
    monkeypatch.setattr(vos_base, "scan_video", lambda anno_dir, binary: {"shape": [2, 2], "frames": [],
                                                                          "objects": {}})
    meta = vos_base.load_video_meta(tmp_path / "meta.json", tmp_path, ["a", "b", "c"], binary=True)
    assert sorted(meta) == ["a", "b", "c"]
    err = capsys.readouterr().err
    assert err == (f"[data] scanning the annotations of 3 videos in {tmp_path} (once: cached in "
                   f"{tmp_path / 'meta.json'})\n")

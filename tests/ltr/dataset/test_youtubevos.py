"""YouTube-VOS 2019 train layout: sparse annotations, one sample per object, the YT300 split."""
from __future__ import annotations

import numpy as np
import pytest

from ltr.data.image_loader import imread_indexed

from ltr.dataset import YouTubeVOS, load_yt300, pick_yt300


def test_pick_yt300_is_seeded_and_sorted():
    names = [f"vid{i:04d}" for i in range(1000)]
    picked = pick_yt300(reversed(names))
    assert len(picked) == 300 and picked == sorted(picked) and picked == pick_yt300(names)
    assert picked != pick_yt300(names, seed=1)
    assert pick_yt300(names[:5]) == names[:5]


def test_load_yt300_writes_then_reads(tmp_path):
    path = tmp_path / "yt300.txt"
    first = load_yt300(path, [f"v{i}" for i in range(400)])
    assert path.read_text().split() == first
    assert load_yt300(path, ["other"]) == first  # the file wins


def test_ytvos_objects_sparse_frames_and_masks(ytvos_root):
    (ytvos_root / "yt300.txt").write_text("v1\n")
    ds = YouTubeVOS(ytvos_root, split="train")
    assert [ds.get_sequence_name(i) for i in range(len(ds))] == ["v0_1", "v0_2", "v2_1", "v2_2"]
    assert (ytvos_root / "train" / "generated_meta.json").is_file()
    info = ds.get_sequence_info(1)
    assert info["bbox"].shape == (6, 4)  # only the annotated (even) frames
    assert info["visible"].tolist() == [True] * 3 + [False] * 3
    frames, annos, meta = ds.get_frames(1, [0, 2])
    assert meta["frame_names"] == ["00000", "00004"] and frames[0].shape == (240, 427, 3)
    labels = imread_indexed(ytvos_root / "train" / "Annotations" / "v0" / "00004.png")
    assert np.array_equal(annos["mask"][1].numpy(), (labels == 2).astype(np.float32))
    assert annos["bbox"][1].tolist() == [10, 5, 40, 20] == info["bbox"][2].tolist()
    assert YouTubeVOS(ytvos_root, split="yt300").get_sequence_name(0) == "v1_1"


def test_ytvos_creates_yt300_file_and_checks_names(ytvos_root, tmp_path):
    ds = YouTubeVOS(ytvos_root, split="yt300", yt300_file=tmp_path / "held.txt", meta_path=tmp_path / "m.json")
    assert len(ds) == 6 and (tmp_path / "held.txt").read_text().split() == ["v0", "v1", "v2"]
    assert len(YouTubeVOS(ytvos_root, split="train", yt300_file=tmp_path / "held.txt",
                          meta_path=tmp_path / "m.json")) == 0
    (tmp_path / "bad.txt").write_text("nope\n")
    with pytest.raises(ValueError, match="nope"):
        YouTubeVOS(ytvos_root, yt300_file=tmp_path / "bad.txt")


def test_ytvos_missing_meta_names_file(tmp_path):
    (tmp_path / "train").mkdir()
    with pytest.raises(FileNotFoundError, match="meta.json"):
        YouTubeVOS(tmp_path)

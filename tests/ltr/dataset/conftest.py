"""Small datasets in their real on-disk layouts, built in tmp_path from real DAVIS frames."""
from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import List, Tuple

import numpy as np
import pytest
from PIL import Image

from ltr.data.image_loader import imread_indexed
from ltr.data.bounding_box_utils import mask_to_box

CLIP_LENGTH = 12
RECT = (slice(5, 25), slice(10, 50))  # object 2 of the multi-object fixtures: box [10, 5, 40, 20]


@pytest.fixture(scope="session")
def davis_clip(davis16_root: Path) -> List[Tuple[Path, np.ndarray]]:
    """The first frames of a real DAVIS-2016 sequence (240p): (JPEG path, bool mask) pairs."""
    images, annos = (davis16_root / d / "240p" / "bear" for d in ("JPEGImages", "Annotations"))
    return [(images / f"{i:05d}.jpg", imread_indexed(annos / f"{i:05d}.png") > 0) for i in range(CLIP_LENGTH)]


def write_palette_png(path: Path, labels: np.ndarray) -> None:
    """A palette ('P' mode) PNG like YouTube-VOS / DAVIS-2017 annotations."""
    im = Image.fromarray(labels.astype(np.uint8), mode="P")
    im.putpalette([0, 0, 0, 128, 0, 0, 0, 128, 0] + [255] * (256 * 3 - 9))
    path.parent.mkdir(parents=True, exist_ok=True)
    im.save(path)


def two_objects(mask: np.ndarray, with_second: bool) -> np.ndarray:
    """Labels: object 1 = the DAVIS mask, object 2 = a rectangle (when present)."""
    labels = mask.astype(np.uint8)
    if with_second:
        labels[RECT] = 2
    return labels


def write_frames(clip, directory: Path, name: str = "{:05d}.jpg", start: int = 0) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    for i, (jpg, _) in enumerate(clip):
        shutil.copy(jpg, directory / name.format(i + start))


@pytest.fixture
def ytvos_root(tmp_path: Path, davis_clip) -> Path:
    """YouTube-VOS 2019 train: videos v0..v2, JPEGs for 12 frames but annotations only for even
    frames (6 annotated frames); object 2 is present in annotated frames 0..2 only."""
    root = tmp_path / "ytvos"
    videos = {}
    for v in ("v0", "v1", "v2"):
        write_frames(davis_clip, root / "train" / "JPEGImages" / v)
        for k, i in enumerate(range(0, CLIP_LENGTH, 2)):
            write_palette_png(root / "train" / "Annotations" / v / f"{i:05d}.png", two_objects(davis_clip[i][1], k < 3))
        videos[v] = {"objects": {"1": {"category": "bear", "frames": [f"{i:05d}" for i in range(0, CLIP_LENGTH, 2)]},
                                 "2": {"category": "box", "frames": ["00000", "00002", "00004"]}}}
    (root / "train" / "meta.json").write_text(json.dumps({"videos": videos}))
    return root


@pytest.fixture
def davis17_root(tmp_path: Path, davis_clip) -> Path:
    """DAVIS-2017 layout at 480p: s0 (two objects, the second in frames 0..5) listed in
    ImageSets/2017/train.txt, and s1 that is not listed."""
    root = tmp_path / "davis17"
    for seq in ("s0", "s1"):
        write_frames(davis_clip, root / "JPEGImages" / "480p" / seq)
        for i, (_, mask) in enumerate(davis_clip):
            write_palette_png(root / "Annotations" / "480p" / seq / f"{i:05d}.png", two_objects(mask, i < 6))
    (root / "ImageSets" / "2017").mkdir(parents=True)
    (root / "ImageSets" / "2017" / "train.txt").write_text("s0\n")
    return root


def box_lines(clip) -> List[str]:
    return [",".join(f"{v:g}" for v in mask_to_box(m)) for _, m in clip]


def write_mask_pngs(clip, directory: Path, skip: int) -> None:
    """Pseudo masks %08d.png numbered from 1, foreground value 1, frame ``skip`` (0-based) missing."""
    directory.mkdir(parents=True, exist_ok=True)
    for i, (_, mask) in enumerate(clip):
        if i != skip:
            Image.fromarray(mask.astype(np.uint8)).save(directory / f"{i + 1:08d}.png")


@pytest.fixture
def lasot_root(tmp_path: Path, davis_clip) -> Tuple[Path, Path]:
    """LaSOT class 'bear': bear-1 (line 3 malformed, frame 5 fully occluded, out_of_view.txt short:
    10 values for 12 frames; no pseudo mask for frame 7) and bear-2 (frame 9 fully occluded with
    box 0,0,0,0, which is expected and not worth a warning)."""
    root, masks = tmp_path / "lasot", tmp_path / "lasot_masks"
    for name in ("bear-1", "bear-2"):
        seq = root / "bear" / name
        write_frames(davis_clip, seq / "img", "{:08d}.jpg", start=1)
        lines, occ, oov = box_lines(davis_clip), ["0"] * CLIP_LENGTH, ["0"] * CLIP_LENGTH
        if name == "bear-1":
            lines[2] = "12,abc,40,30"
            occ[4] = "1"
            oov = oov[:10]
        else:
            lines[8], occ[8] = "0,0,0,0", "1"
        (seq / "groundtruth.txt").write_text("\n".join(lines) + "\n")
        (seq / "full_occlusion.txt").write_text(",".join(occ))
        (seq / "out_of_view.txt").write_text(",".join(oov))
        write_mask_pngs(davis_clip, masks / name, skip=6 if name == "bear-1" else -1)
    return root, masks


@pytest.fixture
def got10k_root(tmp_path: Path, davis_clip) -> Tuple[Path, Path]:
    """GOT-10k train with two sequences; _000001 has a NaN box on line 2, frame 4 absent, cover 0
    on frame 6 and a short cover.label (10 lines for 12 frames); pseudo masks only for _000001."""
    root, masks = tmp_path / "got10k", tmp_path / "got10k_masks"
    names = ["GOT-10k_Train_000001", "GOT-10k_Train_000002"]
    for name in names:
        seq = root / name
        write_frames(davis_clip, seq, "{:08d}.jpg", start=1)
        lines, absent, cover = box_lines(davis_clip), ["0"] * CLIP_LENGTH, ["8"] * CLIP_LENGTH
        if name == names[0]:
            lines[1] = "NaN,NaN,NaN,NaN"
            absent[3] = "1"
            cover[5] = "0"
            cover = cover[:10]
        (seq / "groundtruth.txt").write_text("\n".join(lines) + "\n")
        (seq / "absence.label").write_text("\n".join(absent) + "\n")
        (seq / "cover.label").write_text("\n".join(cover) + "\n")
    write_mask_pngs(davis_clip, masks / names[0], skip=-1)
    (root / "list.txt").write_text("\n".join(names) + "\n")
    return root, masks

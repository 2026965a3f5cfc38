"""Builders and readers shared by the annotation-tool tests (LaSOT / GOT-10k layouts from real
DAVIS-2016 frames, palette-PNG checks)."""
from __future__ import annotations

import shutil
from pathlib import Path
from typing import Dict, List, Sequence, Tuple

import numpy as np
from PIL import Image

from ltr.data.bounding_box_utils import mask_to_box
from ltr.data.image_loader import imread_mask
from pytracking.annotate.engine import AnnotateSettings
from ltr.dataset.sequence import VideoSequence

SMALL = AnnotateSettings(num_frames=3, interval=2, iters=2, crop_size=(64, 112), batch_windows=2, workers=2)
SMALL_ARGS = ["--crop-size", "64x112", "--num-frames", "3", "--interval", "2", "--iters", "2",
              "--batch-windows", "2", "--workers", "2"]
Clip = Tuple[List[Path], np.ndarray]


def davis_clip(root: Path, name: str, count: int) -> Clip:
    """The first ``count`` 240p frames of a DAVIS-2016 sequence and their tight mask boxes."""
    frames = sorted((root / "JPEGImages" / "240p" / name).glob("*.jpg"))[:count]
    boxes = [mask_to_box(imread_mask(root / "Annotations" / "240p" / name / f"{f.stem}.png")) for f in frames]
    return frames, np.array(boxes)


def clip_sequence(clip: Clip, name: str = "clip") -> VideoSequence:
    frames, boxes = clip
    return VideoSequence(name, list(frames), boxes.copy(), np.ones(len(frames), bool),
                         mask_names=[f"{f.stem}.png" for f in frames])


def _copy_frames(frames: Sequence[Path], folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for i, frame in enumerate(frames):
        shutil.copy(frame, folder / f"{i + 1:08d}.jpg")


def _box_lines(boxes: np.ndarray, hidden: Sequence[int] = ()) -> str:
    return "".join("0,0,0,0\n" if i in hidden else ",".join(f"{v:g}" for v in b) + "\n" for i, b in enumerate(boxes))


def write_lasot(root: Path, name: str, clip: Clip, occluded: Sequence[int] = (), out_of_view: Sequence[int] = ()
                ) -> Path:
    """A LaSOT sequence; hidden frames get LaSOT's 0,0,0,0 box."""
    frames, boxes = clip
    seq_dir = root / name.rsplit("-", 1)[0] / name
    _copy_frames(frames, seq_dir / "img")
    (seq_dir / "groundtruth.txt").write_text(_box_lines(boxes, set(occluded) | set(out_of_view)))
    for file, hidden in (("full_occlusion.txt", occluded), ("out_of_view.txt", out_of_view)):
        (seq_dir / file).write_text(",".join("1" if i in hidden else "0" for i in range(len(frames))) + "\n")
    return seq_dir


def write_got10k(root: Path, name: str, clip: Clip, absent: Sequence[int] = (), covered: Sequence[int] = ()) -> Path:
    """A GOT-10k sequence (appended to list.txt); absent frames keep their box, covered ones get cover 0."""
    frames, boxes = clip
    seq_dir = root / name
    _copy_frames(frames, seq_dir)
    (seq_dir / "groundtruth.txt").write_text(_box_lines(boxes))
    (seq_dir / "absence.label").write_text("".join(f"{int(i in absent)}\n" for i in range(len(frames))))
    (seq_dir / "cover.label").write_text("".join(f"{0 if i in covered else 8}\n" for i in range(len(frames))))
    with open(root / "list.txt", "a") as f:
        f.write(name + "\n")
    return seq_dir


def read_png(path: Path) -> np.ndarray:
    with Image.open(path) as image:
        assert image.mode == "P", f"{path} is {image.mode}, not a palette PNG"
        assert image.getpalette()[3:6] == [128, 0, 0]
        return np.array(image)


def read_masks(folder: Path) -> Dict[str, np.ndarray]:
    """Every mask under an output folder, by relative path."""
    return {str(p.relative_to(folder)): read_png(p) for p in sorted(folder.rglob("*.png"))}

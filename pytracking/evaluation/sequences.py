"""Evaluation sequences for box->mask: frames, one box per frame, optional ground-truth masks.

Boxes are derived from the ground-truth masks (tight boxes, as in the paper), so a method sees
exactly what an annotator would give it. One ``EvalSequence`` is one object: DAVIS 2017 sequences
with several objects become one sequence per object, named ``<seq>_<obj>``.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import List, Optional, Sequence, Tuple

import numpy as np

from ltr.data.bounding_box_utils import mask_to_box
from ltr.data.image_loader import ImageReadError, PathLike, check_mask_size, imread_indexed, imread_mask, imread_rgb
from pytracking.evaluation.environment import env_settings

FRAME_SUFFIXES = (".jpg", ".jpeg", ".png")


@dataclass
class EvalSequence:
    """One object in one video: frame paths, boxes (N, 4) [x, y, w, h] (NaN = no box), visibility.

    ``object_id`` selects the label in indexed ground-truth masks; None means foreground = any
    non-zero value (single-object annotations such as DAVIS 2016's 0/255 PNGs). ``error`` says why
    the sequence cannot be evaluated at all (e.g. an unreadable annotation): it is reported as failed.
    ``problems`` lists bad input found while loading that left some frames without a box (a broken
    groundtruth line, a label file of the wrong length; "<file>:<line>: <what>"), so that a run on the
    sequence can report them as the annotation tool does, instead of scoring fewer frames silently.
    """
    name: str
    frames: List[Path]
    boxes: np.ndarray
    gt_masks: Optional[List[Path]] = None
    object_id: Optional[int] = None
    visible: Optional[np.ndarray] = None  # default: the frame has a box
    error: str = ""
    problems: List[str] = field(default_factory=list)
    # Set by select(): the whole sequence and where these frames lie in it (context for temporal methods).
    origin: Optional["EvalSequence"] = field(default=None, repr=False, compare=False)
    origin_indices: Optional[List[int]] = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        self.frames = [Path(f) for f in self.frames]
        self.boxes = np.asarray(self.boxes, dtype=float).reshape(-1, 4)
        if self.visible is None:
            self.visible = ~np.isnan(self.boxes).any(axis=1)
        self.visible = np.asarray(self.visible, dtype=bool)
        if self.gt_masks is not None:
            self.gt_masks = [Path(p) for p in self.gt_masks]
        lengths = {len(self.frames), len(self.boxes), len(self.visible), len(self.gt_masks or self.frames)}
        if len(lengths) != 1:
            raise ValueError(f"sequence {self.name}: frames, boxes, visible flags and masks differ in length")

    def __len__(self) -> int:
        return len(self.frames)

    @cached_property
    def image_size(self) -> Tuple[int, int]:
        """(H, W) of the frames, read once from the first frame."""
        return imread_rgb(self.frames[0]).shape[:2]

    def frame(self, i: int) -> np.ndarray:
        """Frame ``i`` as HxWx3 uint8 RGB."""
        return imread_rgb(self.frames[i])

    def gt_mask(self, i: int) -> np.ndarray:
        """Ground-truth mask of this object in frame ``i`` as HxW bool (ImageReadError when it is
        unreadable or not the size of the frames)."""
        if self.gt_masks is None:
            raise ValueError(f"sequence {self.name} has no ground-truth masks")
        path = self.gt_masks[i]
        mask = imread_mask(path) if self.object_id is None else imread_indexed(path) == self.object_id
        check_mask_size(mask, self.image_size, path, self.frames[i])
        return mask

    def select(self, indices: Sequence[int]) -> "EvalSequence":
        """A sequence of the given frames only (quick runs, 'J against the number of frames').

        It remembers the whole sequence (``source``), so a temporal method can still draw its
        context from frames that are not scored.
        """
        idx = list(indices)
        whole, where = self.source()
        return replace(self, frames=[self.frames[i] for i in idx], boxes=self.boxes[idx],
                       visible=self.visible[idx],
                       gt_masks=None if self.gt_masks is None else [self.gt_masks[i] for i in idx],
                       origin=whole, origin_indices=[where[i] for i in idx])

    def source(self) -> Tuple["EvalSequence", List[int]]:
        """The whole sequence these frames were selected from and their indices in it
        (the sequence itself and 0..n-1 when it is no selection)."""
        if self.origin is None:
            return self, list(range(len(self)))
        return self.origin, list(self.origin_indices)


def _boxes(masks: Sequence[np.ndarray]) -> np.ndarray:
    """(N, 4) boxes of a list of masks, NaN rows where a mask is empty."""
    boxes = np.array([mask_to_box(m) for m in masks]).reshape(-1, 4)
    boxes[boxes[:, 2] == 0] = np.nan
    return boxes


def _sequence_names(root: Path, year: str, split: str, resolution: str) -> List[str]:
    """Names from ``ImageSets/<year>/<split>.txt`` when present, else every frame folder."""
    listing = root / "ImageSets" / year / f"{split}.txt"
    if listing.is_file():
        return [line.split()[0] for line in listing.read_text().splitlines() if line.strip()]
    frame_root = root / "JPEGImages" / resolution
    if not frame_root.is_dir():
        raise FileNotFoundError(f"no DAVIS frames at {frame_root} (and no {listing})")
    return sorted(p.name for p in frame_root.iterdir() if p.is_dir())


def _frame_paths(folder: Path) -> List[Path]:
    frames = sorted(p for p in folder.iterdir() if p.suffix.lower() in FRAME_SUFFIXES) if folder.is_dir() else []
    if not frames:
        raise FileNotFoundError(f"no frames in {folder}")
    return frames


def load_davis(root: Optional[PathLike] = None, year: str = "2017", split: str = "val",
               resolution: str = "480p", sequences: Optional[Sequence[str]] = None) -> List[EvalSequence]:
    """DAVIS 2016 (one object, masks 0/255) or 2017 (one EvalSequence per object) at any resolution.

    ``root`` defaults to the environment's ``davis16_dir`` / ``davis_dir``. ``sequences`` picks
    sequences explicitly; otherwise ``ImageSets/<year>/<split>.txt`` or every sequence. Every
    frame needs its ``Annotations/<resolution>/<seq>/<stem>.png``, since the boxes come from it.
    """
    if year not in ("2016", "2017"):
        raise ValueError(f"DAVIS year must be '2016' or '2017', got {year!r}")
    if root is None:
        env = env_settings()
        root = env.davis16_dir if year == "2016" else env.davis_dir
        if not root:
            raise ValueError(f"no DAVIS {year} root given and none configured in pytracking/evaluation/local.py")
    root = Path(root)
    names = list(sequences) if sequences is not None else _sequence_names(root, year, split, resolution)
    out: List[EvalSequence] = []
    for name in names:
        frames = _frame_paths(root / "JPEGImages" / resolution / name)
        annos = [root / "Annotations" / resolution / name / f"{f.stem}.png" for f in frames]
        try:
            labels = [imread_indexed(p) for p in annos]
        except ImageReadError as err:  # no boxes without the annotation: the sequence is reported as failed
            out.append(EvalSequence(name, frames, np.full((len(frames), 4), np.nan), annos, error=str(err)))
            continue
        if year == "2016":
            out.append(EvalSequence(name, frames, _boxes([lab > 0 for lab in labels]), annos))
            continue
        for obj in np.unique(np.concatenate([np.unique(lab) for lab in labels])):
            if obj == 0:
                continue
            boxes = _boxes([lab == obj for lab in labels])
            out.append(EvalSequence(f"{name}_{obj}", frames, boxes, annos, object_id=int(obj)))
    return out


def mask_folder_path(folder: PathLike, seq: EvalSequence, i: int) -> Path:
    """Where the annotation tool stores frame ``i``: ``<folder>/<sequence name>/<frame stem>.png``."""
    return Path(folder) / seq.name / f"{seq.frames[i].stem}.png"


def read_folder_mask(folder: PathLike, seq: EvalSequence, i: int) -> np.ndarray:
    """Frame ``i``'s mask from a folder in the annotation layout (foreground > 0); ImageReadError when
    it is missing, unreadable or not the size of the frame."""
    path = mask_folder_path(folder, seq, i)
    mask = imread_mask(path)
    check_mask_size(mask, seq.image_size, path, seq.frames[i])
    return mask

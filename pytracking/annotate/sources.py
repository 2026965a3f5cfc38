"""Dataset readers for the annotation tool: each yields target sequences (frame paths, one box per
frame, which frames to annotate, output file names) and the bad input it found.

Work is split into *units* (a LaSOT/GOT-10k sequence, a DAVIS/YouTube-VOS video, the folder), the
granularity of sharding and of done-markers; a VOS video yields one target sequence per object.
Reading never raises on bad annotations: problems become messages naming the file and line and the
affected frames are not annotated. A unit that cannot be read at all raises ``SequenceError``.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import List, Optional, Sequence, Tuple, Union

import numpy as np

from ltr.data.bounding_box_utils import mask_to_box
from ltr.data.image_loader import ImageReadError, PathLike, check_mask_size, image_size, imread_indexed
from ltr.data.tracking_files import read_boxes
from ltr.dataset.got10k import Got10k
from ltr.dataset.lasot import Lasot
from ltr.dataset.vos_base import TrackingDataset, restrict
from pytracking.evaluation.sequences import FRAME_SUFFIXES

DATASETS = ("lasot", "got10k", "davis", "youtubevos", "folder")


class SequenceError(Exception):
    """A unit that cannot be annotated at all (missing files, no frames); the job skips it."""


@dataclass
class TargetSequence:
    """One target in one video. ``visible[i]``: annotate frame i (a valid box, the target in view);
    ``skipped`` counts frames lost to bad input, described in ``problems``."""

    name: str
    frames: List[Path]
    boxes: np.ndarray  # (N, 4) [x, y, w, h]; NaN rows: no box
    visible: np.ndarray  # (N,) bool
    mask_names: List[str]  # output PNG name of each frame
    box_file: Optional[Path] = None  # where the boxes come from: line i+1 is frame i
    problems: List[str] = field(default_factory=list)
    skipped: int = 0

    def __len__(self) -> int:
        return len(self.frames)

    def where(self, i: int) -> str:
        """Where frame i's box comes from, for messages."""
        return f"{self.box_file}:{i + 1}" if self.box_file else f"{self.name} frame {self.frames[i].name}"


def _frame_files(folder: Path) -> List[Path]:
    return sorted(p for p in folder.iterdir() if p.suffix.lower() in FRAME_SUFFIXES) if folder.is_dir() else []


class TrackingSource:
    """LaSOT / GOT-10k: ``%08d.jpg`` frames, groundtruth.txt and per-frame visibility flags.

    A bad box on a frame the flags call invisible (LaSOT writes 0,0,0,0 when occluded) is expected;
    on a visible frame it is bad input. The frame count is the larger of the groundtruth length and
    the highest frame number on disk, so a short groundtruth and a missing frame are both caught.
    """

    def __init__(self, dataset: TrackingDataset):
        self.dataset = dataset
        self.name = dataset.name

    def units(self) -> List[str]:
        return sorted(self.dataset.names)

    def load(self, unit: str) -> List[TargetSequence]:
        ds = self.dataset
        seq_dir = ds.sequence_dir(unit)
        box_file = seq_dir / "groundtruth.txt"
        try:
            boxes, box_problems = read_boxes(box_file)
        except FileNotFoundError as err:
            raise SequenceError(str(err)) from None
        frame_dir = ds.frame_path(unit, 0).parent
        on_disk = max((int(p.stem) for p in frame_dir.glob("*.jpg") if p.stem.isdigit()), default=0)
        n = max(len(boxes), on_disk)
        if n == 0:
            raise SequenceError(f"{unit}: no frames in {frame_dir} and no boxes in {box_file}")
        try:
            flags, _, problems = ds.read_visibility(seq_dir, n)
        except FileNotFoundError as err:
            raise SequenceError(str(err)) from None
        lost = np.zeros(n, dtype=bool)
        for row, message in zip(np.flatnonzero(np.isnan(boxes).any(1)), box_problems):
            if flags[row]:
                problems.append(message)
                lost[row] = True
        if len(boxes) < n:
            problems.append(f"{box_file}: {len(boxes)} lines for {n} frames; frames {len(boxes) + 1}..{n} "
                            "get empty masks")
            lost[len(boxes):] = flags[len(boxes):]
            boxes = np.concatenate([boxes, np.full((n - len(boxes), 4), np.nan)])
        elif on_disk < n:
            problems.append(f"{box_file}: {n} lines for the {on_disk} frames in {frame_dir}; frames "
                            f"{on_disk + 1}..{n} get empty masks")
            lost[on_disk:] = True
        return [TargetSequence(unit, [ds.frame_path(unit, i) for i in range(n)], boxes,
                               flags & ~np.isnan(boxes).any(1) & ~lost, [f"{i + 1:08d}.png" for i in range(n)],
                               box_file, problems, skipped=int(lost.sum()))]


class VOSSource:
    """DAVIS (``JPEGImages/<res>/<video>``, ``Annotations/<res>/<video>``) or YouTube-VOS
    (``<split>/JPEGImages/<video>``, ``<split>/Annotations/<video>``): boxes are the tight boxes of
    the ground-truth masks (for evaluating the masks against them). One target sequence per object,
    ``<video>_<obj>``; DAVIS-2016 (``binary``: 0/255 masks) keeps the video name."""

    def __init__(self, name: str, image_root: Path, anno_root: Path, binary: bool = False,
                 listing: Optional[Path] = None):
        self.name, self.image_root, self.anno_root, self.binary = name, image_root, anno_root, binary
        self.listing = listing

    def units(self) -> List[str]:
        if self.listing is not None and self.listing.is_file():
            return sorted(line.split()[0] for line in self.listing.read_text().splitlines() if line.strip())
        if not self.anno_root.is_dir():
            raise FileNotFoundError(f"no {self.name} annotations at {self.anno_root}")
        return sorted(p.name for p in self.anno_root.iterdir() if p.is_dir())

    def _labels(self, unit: str, frame: Path) -> np.ndarray:
        """The annotation of a frame; it must cover the frame (its boxes would be wrong otherwise)."""
        path = self.anno_root / unit / f"{frame.stem}.png"
        labels = imread_indexed(path)
        size = image_size(frame)
        if size is not None:
            check_mask_size(labels, size, path, frame)
        return labels

    def load(self, unit: str) -> List[TargetSequence]:
        # The frames of a video are those with an annotation (YouTube-VOS annotates every 5th frame).
        frames = [f for f in _frame_files(self.image_root / unit) if (self.anno_root / unit / f"{f.stem}.png").is_file()]
        if not frames:
            raise SequenceError(f"{unit}: no frames with annotations in {self.image_root / unit}")
        try:
            labels = [self._labels(unit, f) for f in frames]
        except ImageReadError as err:
            raise SequenceError(str(err)) from None
        if self.binary:
            labels = [(lab > 0).astype(np.uint8) for lab in labels]
        objects = sorted(set(np.concatenate([np.unique(lab) for lab in labels]).tolist()) - {0})
        sequences = []
        for obj in objects:
            boxes = np.array([mask_to_box(lab == obj) for lab in labels])
            boxes[boxes[:, 2] == 0] = np.nan
            name = unit if self.binary else f"{unit}_{obj}"
            sequences.append(TargetSequence(name, frames, boxes, ~np.isnan(boxes).any(1),
                                            [f"{f.stem}.png" for f in frames]))
        return sequences


def _declares_no_box(line: str) -> bool:
    """The folder format's explicit 'no box': an empty line, a NaN, or a zero width or height."""
    try:
        values = [float(v) for v in line.replace(",", " ").split()]
    except ValueError:
        return False
    return not values or any(np.isnan(values)) or (len(values) == 4 and 0.0 in values[2:])


class FolderSource:
    """Frames in a folder (sorted file names) and a boxes file, one ``x,y,w,h`` line per frame
    (8 values: a rotated polygon, its axis-aligned hull). Empty, NaN or zero-size lines mean no box."""

    name = "folder"

    def __init__(self, root: Path, box_file: Path, sequence_name: Optional[str] = None):
        self.root, self.box_file = root, box_file
        self.sequence_name = sequence_name or root.name

    def units(self) -> List[str]:
        return [self.sequence_name]

    def load(self, unit: str) -> List[TargetSequence]:
        frames = _frame_files(self.root)
        if not frames:
            raise SequenceError(f"no frames ({', '.join(FRAME_SUFFIXES)}) in {self.root}")
        try:
            boxes, box_problems = read_boxes(self.box_file)
        except FileNotFoundError as err:
            raise SequenceError(str(err)) from None
        n = len(frames)
        lines = self.box_file.read_text(errors="replace").splitlines()
        problems = []
        for row, message in zip(np.flatnonzero(np.isnan(boxes).any(1)), box_problems):
            if row < n and not _declares_no_box(lines[row]):
                problems.append(message)
        skipped = len(problems)
        if len(boxes) < n:
            problems.append(f"{self.box_file}: {len(boxes)} lines for {n} frames; frames "
                            f"{frames[len(boxes)].name}..{frames[-1].name} get empty masks")
            skipped += n - len(boxes)
            boxes = np.concatenate([boxes, np.full((n - len(boxes), 4), np.nan)])
        elif len(boxes) > n:
            problems.append(f"{self.box_file}: {len(boxes)} lines for {n} frames; ignoring the last {len(boxes) - n}")
            boxes = boxes[:n]
        return [TargetSequence(unit, frames, boxes, ~np.isnan(boxes).any(1), [f"{f.stem}.png" for f in frames],
                               self.box_file, problems, skipped=skipped)]


Source = Union[TrackingSource, VOSSource, FolderSource]


def make_source(dataset: str, root: PathLike, sequences: Optional[Sequence[str]] = None,
                boxes: Optional[PathLike] = None, name: Optional[str] = None, year: str = "2017",
                split: Optional[str] = None, resolution: str = "480p") -> Tuple[Source, List[str]]:
    """The reader for ``dataset`` at ``root`` and its units (all, or ``sequences``, which must exist)."""
    root = Path(root)
    if not root.is_dir():
        raise FileNotFoundError(f"{dataset} root not found: {root}")
    if dataset == "lasot":
        source: Source = TrackingSource(Lasot(root, sequences=sequences))
    elif dataset == "got10k":
        source = TrackingSource(Got10k(root, sequences=sequences))
    elif dataset == "davis":
        source = VOSSource("davis", root / "JPEGImages" / resolution, root / "Annotations" / resolution,
                           binary=year == "2016", listing=root / "ImageSets" / year / f"{split or 'val'}.txt")
    elif dataset == "youtubevos":
        split_dir = root / (split or "train")
        source = VOSSource("youtubevos", split_dir / "JPEGImages", split_dir / "Annotations")
    elif dataset == "folder":
        if boxes is None:
            raise ValueError("the folder source needs --boxes (one x,y,w,h line per frame)")
        source = FolderSource(root, Path(boxes), name)
    else:
        raise ValueError(f"unknown dataset {dataset!r}; choose one of {DATASETS}")
    units = source.units()
    if sequences is not None and dataset not in ("lasot", "got10k"):
        units = restrict(units, sequences, f"{dataset} at {root}")
    return source, units

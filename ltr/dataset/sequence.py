"""One video as annotation, evaluation and tracking see it: frames, and per target (object) a box
per frame, which frames are usable, and where its ground-truth masks are, if any.

Every dataset layout has one reader in ``ltr/dataset`` that produces it (``read_davis``,
``read_vos_video``, ``TrackingDataset.read_sequence`` for LaSOT and GOT-10k, ``read_folder``). A
video holds one target (LaSOT, GOT-10k, a folder, DAVIS-2016) or several (DAVIS-2017, YouTube-VOS:
``object_ids`` are their labels in the indexed annotation PNGs). Methods that work on one object at a
time take ``targets()``: one single-target sequence per object, named ``<video>_<id>``.
"""
from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import List, Optional, Sequence, Tuple

import numpy as np

from ltr.data.image_loader import check_mask_size, imread_indexed, imread_mask, imread_rgb

FRAME_SUFFIXES = (".jpg", ".jpeg", ".png")


class SequenceError(FileNotFoundError):
    """A video that cannot be read at all (missing files, no frames): a job skips it."""


def frame_files(folder: Path) -> List[Path]:
    """The frames in a folder, sorted by name (none when it is no folder)."""
    return sorted(p for p in folder.iterdir() if p.suffix.lower() in FRAME_SUFFIXES) if folder.is_dir() else []


class VideoSequence:
    """Frames and targets of one video.

    ``boxes``: (N, 4) [x, y, w, h] of a single target, or (K, N, 4) of K targets; NaN rows: no box.
    ``visible``: (N,) or (K, N), use frame i for the target (default: it has a box; never without one).
    ``object_ids``: each target's label in the indexed ``gt_masks`` (default [None]: foreground is any
    non-zero value, as in DAVIS-2016's 0/255 PNGs). ``mask_names``: the output file of each frame
    (default ``<frame stem>.png``). ``box_file``: where the boxes come from (line i+1 is frame i).
    ``problems``: bad input found while reading ("<file>:<line>: <what>") that left ``skipped`` frames
    without a box, so that a run reports them instead of scoring fewer frames silently. ``error``: why
    the video cannot be used at all (e.g. an unreadable annotation); it is reported as failed.
    """

    def __init__(self, name: str, frames: Sequence[Path], boxes: np.ndarray, visible: Optional[np.ndarray] = None,
                 gt_masks: Optional[Sequence[Path]] = None, object_ids: Optional[Sequence[Optional[int]]] = None,
                 mask_names: Optional[Sequence[str]] = None, box_file: Optional[Path] = None,
                 problems: Optional[List[str]] = None, skipped: int = 0, error: str = "", video: Optional[str] = None):
        self.name = name
        self.video = video or name  # the video a single target was taken from (its name otherwise)
        self.frames = [Path(f) for f in frames]
        n = len(self.frames)
        mismatch = ValueError(f"sequence {name}: frames, boxes, visible flags and masks differ in length")
        boxes = np.asarray(boxes, dtype=float)
        self.target_boxes = boxes[None] if boxes.ndim == 2 else boxes
        if self.target_boxes.ndim != 3 or self.target_boxes.shape[1:] != (n, 4):
            raise mismatch
        finite = np.isfinite(self.target_boxes).all(axis=2)
        visible = finite if visible is None else np.asarray(visible, dtype=bool)
        visible = visible[None] if visible.ndim == 1 else visible
        if visible.shape != finite.shape:
            raise mismatch
        self.target_visible = visible & finite
        self.object_ids: List[Optional[int]] = list(object_ids) if object_ids is not None else [None]
        if len(self.object_ids) != len(self.target_boxes):
            raise ValueError(f"sequence {name}: {len(self.target_boxes)} targets but object ids {self.object_ids}")
        self.gt_masks = None if gt_masks is None else [Path(p) for p in gt_masks]
        self.mask_names = list(mask_names) if mask_names is not None else [f"{f.stem}.png" for f in self.frames]
        if len({n, len(self.gt_masks or self.frames), len(self.mask_names)}) != 1:
            raise mismatch
        self.box_file = box_file
        self.problems = list(problems or [])
        self.skipped = skipped
        self.error = error
        # Set by select(): the whole sequence and where these frames lie in it (context for temporal methods).
        self.origin: Optional[VideoSequence] = None
        self.origin_indices: Optional[List[int]] = None

    def __len__(self) -> int:
        return len(self.frames)

    def __repr__(self) -> str:
        return f"VideoSequence({self.name!r}, {len(self)} frames, objects {self.object_ids})"

    @property
    def num_targets(self) -> int:
        return len(self.object_ids)

    def _single(self, what: str) -> int:
        if self.num_targets != 1:
            raise ValueError(f"sequence {self.name} has {self.num_targets} targets: {what} of one of its targets()")
        return 0

    @property
    def boxes(self) -> np.ndarray:
        """(N, 4) boxes of the single target."""
        return self.target_boxes[self._single("boxes")]

    @property
    def visible(self) -> np.ndarray:
        """(N,) usable frames of the single target."""
        return self.target_visible[self._single("visible flags")]

    @property
    def object_id(self) -> Optional[int]:
        return self.object_ids[self._single("the object id")]

    def targets(self) -> List["VideoSequence"]:
        """One single-target sequence per object, named ``<video>_<id>`` (the video's name for a target
        without an id); a single target already taken from its video is itself."""
        if self.num_targets == 1 and (self.object_ids[0] is None or self.name != self.video):
            return [self]
        out = []
        for k, obj in enumerate(self.object_ids):
            target = VideoSequence(self.name if obj is None else f"{self.name}_{obj}", self.frames,
                                   self.target_boxes[k], self.target_visible[k], self.gt_masks, [obj],
                                   self.mask_names, self.box_file, self.problems, self.skipped, self.error, self.name)
            out.append(target)
        return out

    @cached_property
    def image_size(self) -> Tuple[int, int]:
        """(H, W) of the frames, read once from the first frame."""
        return imread_rgb(self.frames[0]).shape[:2]

    def frame(self, i: int) -> np.ndarray:
        """Frame ``i`` as HxWx3 uint8 RGB."""
        return imread_rgb(self.frames[i])

    def where(self, i: int) -> str:
        """Where frame i's box comes from, for messages."""
        return f"{self.box_file}:{i + 1}" if self.box_file else f"{self.name} frame {self.frames[i].name}"

    def gt_mask(self, i: int) -> np.ndarray:
        """Ground-truth mask of the single target in frame ``i`` as HxW bool (ImageReadError when it is
        unreadable or not the size of the frames)."""
        if self.gt_masks is None:
            raise ValueError(f"sequence {self.name} has no ground-truth masks")
        obj, path = self.object_id, self.gt_masks[i]
        mask = imread_mask(path) if obj is None else imread_indexed(path) == obj
        check_mask_size(mask, self.image_size, path, self.frames[i])
        return mask

    def select(self, indices: Sequence[int]) -> "VideoSequence":
        """A sequence of the given frames only (quick runs, 'J against the number of frames').

        It remembers the whole sequence (``source``), so a temporal method can still draw its
        context from frames that are not scored.
        """
        idx = list(indices)
        whole, where = self.source()
        part = VideoSequence(self.name, [self.frames[i] for i in idx], self.target_boxes[:, idx],
                             self.target_visible[:, idx],
                             None if self.gt_masks is None else [self.gt_masks[i] for i in idx], self.object_ids,
                             [self.mask_names[i] for i in idx], self.box_file, self.problems, self.skipped,
                             self.error, self.video)
        part.origin, part.origin_indices = whole, [where[i] for i in idx]
        return part

    def source(self) -> Tuple["VideoSequence", List[int]]:
        """The whole sequence these frames were selected from and their indices in it
        (the sequence itself and 0..n-1 when it is no selection)."""
        if self.origin is None:
            return self, list(range(len(self)))
        return self.origin, list(self.origin_indices)


def targets_of(videos: Iterable[VideoSequence]) -> List[VideoSequence]:
    """Every target of every video, one single-target sequence each."""
    return [target for video in videos for target in video.targets()]

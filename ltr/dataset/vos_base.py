"""Shared dataset logic: VOS datasets (a label PNG per annotated frame, one sample per object) and
tracking datasets (boxes + visibility files) with optional pseudo masks.

VOS datasets need per-frame object boxes and pixel counts to sample visible frames; scanning every
annotation PNG is slow, so the scan result is cached in a JSON file next to the data (like
pytracking's generated_meta.json) and only videos missing from it are scanned.
"""
from __future__ import annotations

import json
import os
import sys
import warnings
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

import numpy as np
import torch
from tqdm import tqdm

from ltr.admin.console import is_terminal
from ltr.admin.environment import ConfigError, ConfigPathError, env_settings
from ltr.data.bounding_box_utils import mask_to_box
from ltr.data.image_loader import (ImageReadError, PathLike, check_mask_size, image_size, imread_binary_mask,
                                   imread_indexed, imread_rgb)
from ltr.data.tracking_files import read_boxes
from ltr.dataset.base_video_dataset import BaseVideoDataset
from ltr.dataset.sequence import SequenceError, VideoSequence, frame_files

VideoMeta = Dict  # {"shape": [h, w], "frames": [stem], "objects": {id: {"pixels": [n], "bbox": [[x,y,w,h]]}}}
SCAN_NOTICE = 100  # videos to scan from which the scan is shown (a bar on a terminal, a line in a log)


def read_labels(path: PathLike, binary: bool) -> np.ndarray:
    """Label map of an annotation PNG; ``binary`` maps any foreground to object 1 (DAVIS-2016 0/255)."""
    labels = imread_indexed(path)
    return (labels > 0).astype(np.uint8) if binary else labels


def scan_video(anno_dir: Path, binary: bool) -> VideoMeta:
    """Per-frame pixel count and tight box of every object in a video's annotation PNGs; an unreadable
    PNG is listed under 'unreadable' and its frame has no object (so it is never sampled)."""
    files = sorted(anno_dir.glob("*.png"))
    if not files:
        raise FileNotFoundError(f"no annotation PNGs in {anno_dir}")
    per_frame, shape, unreadable = [], None, []
    for f in files:
        try:
            labels = read_labels(f, binary)
        except ImageReadError as err:
            unreadable.append(str(err))
            per_frame.append({})
            continue
        shape = list(labels.shape)
        counts = np.bincount(labels.ravel())
        per_frame.append({int(k): (int(counts[k]), mask_to_box(labels == k).tolist())
                          for k in np.flatnonzero(counts[1:]) + 1})
    objects = {}
    for obj in sorted(set().union(*per_frame)):
        stats = [frame.get(obj, (0, [0.0, 0.0, 0.0, 0.0])) for frame in per_frame]
        objects[str(obj)] = {"pixels": [s[0] for s in stats], "bbox": [s[1] for s in stats]}
    meta = {"shape": shape, "frames": [f.stem for f in files], "objects": objects}
    return {**meta, "unreadable": unreadable} if unreadable else meta


def _tight_boxes(masks: Iterable[np.ndarray]) -> np.ndarray:
    """(N, 4) tight boxes of masks, NaN rows (no box) where a mask is empty."""
    boxes = np.array([mask_to_box(m) for m in masks], dtype=float).reshape(-1, 4)
    boxes[boxes[:, 2] == 0] = np.nan
    return boxes


def read_vos_video(name: str, image_root: Path, anno_root: Path, binary: bool, every_frame_annotated: bool,
                   check_sizes: bool = False) -> VideoSequence:
    """A video in a VOS layout (``<image_root>/<name>/<frame>``, ``<anno_root>/<name>/<stem>.png``) with
    one target per object of its annotations, boxed by the tight boxes of its masks (as in the paper);
    ``binary`` (DAVIS-2016's 0/255 PNGs): one target, any foreground. With ``every_frame_annotated``
    (DAVIS) a missing annotation makes the video an error; otherwise (YouTube-VOS annotates every 5th
    frame) the frames are those with an annotation. An unreadable annotation makes the video an error
    naming it, and so does one not the size of its frame with ``check_sizes`` (the annotation tool's
    boxes would be wrong; evaluation lists such a frame as unscored instead). SequenceError when there
    are no frames."""
    frames = frame_files(image_root / name)
    annos = [anno_root / name / f"{f.stem}.png" for f in frames]
    if not every_frame_annotated:
        frames, annos = [f for f, a in zip(frames, annos) if a.is_file()], [a for a in annos if a.is_file()]
    if not frames:
        raise SequenceError(f"{name}: no frames{'' if every_frame_annotated else ' with annotations'} in "
                            f"{image_root / name}")
    try:
        labels = [read_labels(a, binary) for a in annos]
        for lab, anno, frame in zip(labels, annos, frames):
            size = image_size(frame) if check_sizes else None
            if size is not None:
                check_mask_size(lab, size, anno, frame)
    except ImageReadError as err:  # no boxes without the annotation: the video is reported as failed
        return VideoSequence(name, frames, np.full((len(frames), 4), np.nan), gt_masks=annos, error=str(err))
    if binary:
        return VideoSequence(name, frames, _tight_boxes(lab > 0 for lab in labels), gt_masks=annos)
    objects = sorted(set(np.concatenate([np.unique(lab) for lab in labels]).tolist()) - {0})
    boxes = np.stack([_tight_boxes(lab == obj for lab in labels) for obj in objects]) if objects \
        else np.zeros((0, len(frames), 4))
    return VideoSequence(name, frames, boxes, gt_masks=annos, object_ids=objects)


def load_video_meta(meta_path: Path, anno_root: Path, videos: Sequence[str], binary: bool) -> Dict[str, VideoMeta]:
    """Metadata of ``videos`` from the cache file, scanning (and caching) the ones it lacks.

    The file is keyed by video name only, so it must hold a single label mode (``binary`` or not).
    Delete it to rescan after the annotations changed; an unwritable location only costs a rescan.
    """
    cache: Dict[str, VideoMeta] = {}
    if meta_path.is_file():
        with open(meta_path) as f:
            cache = json.load(f)
    missing = [v for v in videos if v not in cache]
    if missing:
        terminal = is_terminal(sys.stderr)
        if len(missing) >= SCAN_NOTICE and not terminal:  # a log gets one line, not a bar's carriage returns
            print(f"[data] scanning the annotations of {len(missing)} videos in {anno_root} (once: cached in "
                  f"{meta_path})", file=sys.stderr, flush=True)
        with ThreadPoolExecutor(max_workers=min(8, os.cpu_count() or 1)) as pool:
            scanned = pool.map(lambda v: scan_video(anno_root / v, binary), missing)
            cache.update(zip(missing, tqdm(scanned, total=len(missing), desc=f"scanning {anno_root}",
                                           disable=len(missing) < SCAN_NOTICE or not terminal)))
        problems = [p for v in missing for p in cache[v].get("unreadable", [])]
        if problems:
            warnings.warn(f"{len(problems)} unreadable annotation(s) in {anno_root}; their frames are not sampled "
                          "(fix them and run again: such videos are not cached):\n  " + "\n  ".join(problems[:10]))
        try:
            meta_path.parent.mkdir(parents=True, exist_ok=True)
            tmp = meta_path.with_name(meta_path.name + f".{os.getpid()}.tmp")
            with open(tmp, "w") as f:
                json.dump({v: m for v, m in cache.items() if "unreadable" not in m}, f)
            os.replace(tmp, meta_path)
        except OSError as err:
            warnings.warn(f"could not cache annotation metadata in {meta_path} ({err}); it will be rescanned")
    return {v: cache[v] for v in videos}


def dataset_root(root: Optional[PathLike], env_field: str, what: str, env=None,
                 local_file: str = "ltr/admin/local.py") -> Path:
    """``root``, or when None the path configured as ``env_field`` in ``env`` (default: the LTR environment)."""
    if root is None:
        root = getattr(env_settings() if env is None else env, env_field, "")
        if not root:
            raise ConfigError(f"no {what} root given and {env_field!r} is not configured "
                              f"({local_file} or BOX2SEG_{env_field.upper()})")
    root = Path(root)
    if not root.is_dir():
        raise ConfigPathError(f"{what} root not found: {root} (where datasets come from: README, 'Official weights')")
    return root


def restrict(available: Sequence[str], wanted: Optional[Sequence[str]], what: str) -> List[str]:
    """``wanted`` (in its order) if all are available, else a ValueError naming the missing ones."""
    if wanted is None:
        return list(available)
    missing = sorted(set(wanted) - set(available))
    if missing:
        raise ConfigError(f"{what}: unknown sequences {missing}")
    return list(wanted)


class VOSDataset(BaseVideoDataset):
    """Video object segmentation data: a sample is one object of one video; the frames of a video
    are its annotated frames; visible = more than ``vis_threshold`` object pixels."""

    def __init__(self, name: str, image_root: Path, anno_root: Path, videos: Sequence[str],
                 objects: Optional[Dict[str, List[str]]], meta_path: Path, vis_threshold: int = 10,
                 binary: bool = False):
        """``objects``: object ids per video (None: every id found in the annotations)."""
        self.name = name
        self.image_root, self.anno_root = Path(image_root), Path(anno_root)
        self.binary = binary
        self.vis_threshold = vis_threshold
        self.meta = load_video_meta(Path(meta_path), self.anno_root, videos, binary)
        if objects is None:
            objects = {v: sorted(self.meta[v]["objects"], key=int) for v in videos}
        self.samples: List[Tuple[str, str]] = [(v, o) for v in videos for o in objects[v]]
        self.problems: Dict[str, List[str]] = {self.get_sequence_name(i): list(self.meta[v]["unreadable"])
                                               for i, (v, _) in enumerate(self.samples) if "unreadable" in self.meta[v]}

    def has_masks(self) -> bool:
        return True

    def get_num_sequences(self) -> int:
        return len(self.samples)

    def get_sequence_name(self, seq_id: int) -> str:
        video, obj = self.samples[seq_id]
        return video if self.binary else f"{video}_{obj}"

    def frame_names(self, seq_id: int) -> List[str]:
        """File stems of the sequence's frames (frame id i -> ``<stem>.jpg`` / ``<stem>.png``)."""
        return list(self.meta[self.samples[seq_id][0]]["frames"])

    def get_sequence_info(self, seq_id: int) -> Dict[str, torch.Tensor]:
        video, obj = self.samples[seq_id]
        meta = self.meta[video]
        n = len(meta["frames"])
        stats = meta["objects"].get(obj, {"pixels": [0] * n, "bbox": [[0.0] * 4] * n})
        visible = torch.tensor(stats["pixels"]) > self.vis_threshold
        return {"bbox": torch.tensor(stats["bbox"], dtype=torch.float32).view(n, 4),
                "visible": visible, "valid": visible.clone()}

    def get_frames(self, seq_id: int, frame_ids: List[int], info: Optional[Dict] = None
                   ) -> Tuple[List[np.ndarray], Dict[str, List[torch.Tensor]], Dict]:
        video, obj = self.samples[seq_id]
        info = self.get_sequence_info(seq_id) if info is None else info
        stems = [self.frame_names(seq_id)[f] for f in frame_ids]
        frames = [imread_rgb(self.image_root / video / f"{s}.jpg") for s in stems]
        masks = []
        for stem, frame in zip(stems, frames):
            path = self.anno_root / video / f"{stem}.png"
            labels = read_labels(path, self.binary)
            check_mask_size(labels, frame.shape[:2], path, self.image_root / video / f"{stem}.jpg")
            masks.append(labels == int(obj))
        annos = {k: [v[f] for f in frame_ids] for k, v in info.items()}
        annos["mask"] = [torch.from_numpy(m.astype(np.float32)) for m in masks]
        annos["bbox"] = [torch.tensor(mask_to_box(m), dtype=torch.float32) for m in masks]
        return frames, annos, {"sequence": video, "object_id": obj, "frame_names": stems}


class TrackingDataset(BaseVideoDataset):
    """A tracking dataset (groundtruth.txt boxes + visibility files), optionally with pseudo masks
    ``<mask_root>/<sequence>/%08d.png`` (frame numbers from 1, foreground > 0).

    With masks, frames without a mask file are not visible. Malformed annotation lines make their
    frame not visible, with a warning naming the file and line; ``problems`` keeps them by sequence.
    """

    def __init__(self, root: PathLike, names: Sequence[str], mask_root: Optional[PathLike] = None):
        self.root = Path(root)
        self.mask_root = None if mask_root is None else Path(mask_root)
        names = list(names)
        if self.mask_root is not None:
            with_masks = [n for n in names if (self.mask_root / n).is_dir()]
            if len(with_masks) < len(names):
                warnings.warn(f"{self.name}: {len(names) - len(with_masks)} sequences have no mask folder in "
                              f"{self.mask_root} and are skipped")
            names = with_masks
        self.names = names
        self._info: Dict[int, Dict[str, torch.Tensor]] = {}
        self.problems: Dict[str, List[str]] = {}

    def read_sequence(self, name: str) -> VideoSequence:
        """The sequence as annotation and evaluation use it: every frame, its box, visible = in view
        (the flags) with a valid box, and the bad input found.

        A bad box on a frame the flags call invisible (LaSOT writes 0,0,0,0 when occluded) is expected;
        on a visible frame it is bad input. The frame count is the larger of the groundtruth length and
        the highest frame number on disk, so a short groundtruth and a missing frame are both caught.
        FileNotFoundError (or SequenceError, one) when the sequence cannot be read at all.
        """
        seq_dir = self.sequence_dir(name)
        box_file = seq_dir / "groundtruth.txt"
        boxes, box_problems = read_boxes(box_file)
        frame_dir = self.frame_path(name, 0).parent
        on_disk = max((int(p.stem) for p in frame_dir.glob("*.jpg") if p.stem.isdigit()), default=0)
        n = max(len(boxes), on_disk)
        if n == 0:
            raise SequenceError(f"{name}: no frames in {frame_dir} and no boxes in {box_file}")
        flags, _, problems = self.read_visibility(seq_dir, n)
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
        return VideoSequence(name, [self.frame_path(name, i) for i in range(n)], boxes, flags & ~lost,
                             mask_names=[f"{i + 1:08d}.png" for i in range(n)], box_file=box_file,
                             problems=problems, skipped=int(lost.sum()))

    # Subclasses: where a sequence lives and how its visibility files are read.
    def sequence_dir(self, name: str) -> Path:
        raise NotImplementedError

    def frame_path(self, name: str, frame_id: int) -> Path:
        raise NotImplementedError

    def read_visibility(self, seq_dir: Path, n: int) -> Tuple[np.ndarray, Dict[str, torch.Tensor], List[str]]:
        """(visible flags (n,), extra info entries, problem messages) from the visibility files."""
        raise NotImplementedError

    def object_class(self, name: str) -> Optional[str]:
        return None

    def has_masks(self) -> bool:
        return self.mask_root is not None

    def get_num_sequences(self) -> int:
        return len(self.names)

    def get_sequence_name(self, seq_id: int) -> str:
        return self.names[seq_id]

    def mask_path(self, name: str, frame_id: int) -> Path:
        return self.mask_root / name / f"{frame_id + 1:08d}.png"

    def get_sequence_info(self, seq_id: int) -> Dict[str, torch.Tensor]:
        if seq_id not in self._info:
            self._info[seq_id] = self._read_info(self.names[seq_id])
        return self._info[seq_id]

    def _read_info(self, name: str) -> Dict[str, torch.Tensor]:
        seq_dir = self.sequence_dir(name)
        boxes, box_problems = read_boxes(seq_dir / "groundtruth.txt")
        flags, extra, problems = self.read_visibility(seq_dir, len(boxes))
        valid = np.isfinite(boxes).all(1)
        # A bad box on a frame the flags already call invisible (e.g. 0,0,0,0 when absent) is expected.
        problems += [p for p, f in zip(box_problems, np.flatnonzero(~valid)) if flags[f]]
        if problems:
            warnings.warn(f"{self.name} sequence {name}: {len(problems)} annotation problem(s); affected frames are "
                          "treated as not visible:\n  " + "\n  ".join(problems[:10]))
            self.problems[name] = problems
        visible = flags & valid
        if self.mask_root is not None:
            stems = {p.stem for p in (self.mask_root / name).glob("*.png")}
            visible &= np.array([f"{i + 1:08d}" in stems for i in range(len(boxes))], dtype=bool)
        info = {"bbox": torch.from_numpy(np.nan_to_num(boxes)).float(), "valid": torch.from_numpy(valid),
                "visible": torch.from_numpy(visible)}
        info.update(extra)
        return info

    def get_frames(self, seq_id: int, frame_ids: List[int], info: Optional[Dict] = None
                   ) -> Tuple[List[np.ndarray], Dict[str, List[torch.Tensor]], Dict]:
        name = self.names[seq_id]
        info = self.get_sequence_info(seq_id) if info is None else info
        frames = [imread_rgb(self.frame_path(name, f)) for f in frame_ids]
        annos = {k: [v[f] for f in frame_ids] for k, v in info.items()}
        if self.mask_root is not None:
            annos["mask"] = []
            for f, frame in zip(frame_ids, frames):
                mask = imread_binary_mask(self.mask_path(name, f))
                check_mask_size(mask, frame.shape[:2], self.mask_path(name, f), self.frame_path(name, f))
                annos["mask"].append(torch.from_numpy(mask.astype(np.float32)))
        return frames, annos, {"sequence": name, "object_class": self.object_class(name)}

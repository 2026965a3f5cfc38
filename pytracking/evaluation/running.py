"""Run a tracker over evaluation sequences and write pytracking's results layout (facts §6.3):

    <results_path>/<tracker>/<run>/<seq>.txt         one box per frame: x, y, w, h as tab-separated ints
    <results_path>/<tracker>/<run>/<seq>_time.txt    seconds spent on each frame
    <results_path>/<tracker>/<run>/run.json          how the results were made (mode, networks, masks folder)
    <segmentation_path>/<tracker>/<run>/<seq>/<frame stem>.png   palette PNG, 0 background, 1 target

Modes: 'vos' initialises with the ground-truth mask of the initial frame and reports the tracker's
boxes; 'box' (the paper's GOT-10k protocol) is given only the initial frame's box, which the box2seg
network turns into the initial mask, and reports the tight box (extreme points) of each predicted mask,
the previous box when the mask is empty. The initial frame is the first with a visible target; earlier
frames get the box 0 0 0 0 and empty masks. A sequence is skipped when its box file exists: it is
written last and atomically, so an interrupted run redoes exactly the unfinished sequences. A frame
that cannot be read is reported and gets the previous box and an empty mask; the run goes on.

A video with several objects (DAVIS-2017, YouTube-VOS) is tracked with all of them together: one tracker
per object, each started at the object's initial frame, their probabilities merged per frame into one
label map (``soft_aggregate``, as LWL does), so that objects never overlap and DAVIS-2017 J&F compares
with published numbers. Each object's results are written as its own sequence ``<video>_<id>`` (boxes,
times, and its label's mask), so they are scored like those of objects tracked one at a time
(``arguments.OBJECTS``: 'together', or 'separate' to give ``run_sequences`` the single-object sequences).
"""
from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence, Tuple

import numpy as np

from ltr.data.bounding_box_utils import box_mask, mask_to_box
from ltr.data.image_loader import ImageReadError
from ltr.dataset.sequence import VideoSequence
from pytracking.annotate.writer import remove_partial, write_atomic, write_mask
from pytracking.evaluation.arguments import MODES
from pytracking.evaluation.box2seg_method import Box2Seg
from pytracking.evaluation.environment import env_settings
from pytracking.tracker.base import Tracker, soft_aggregate
from pytracking.utils.cli import Progress

# run.json fields that must match for results to be resumed in the same folder
RUN_IDENTITY = ("tracker", "parameters", "mode", "network", "box2seg", "objects")

InitialMask = Callable[[VideoSequence, int, np.ndarray], np.ndarray]  # (sequence, frame index, image) -> mask


class SequenceFailure(Exception):
    """A sequence that cannot be tracked at all (no visible target, unreadable initial frame)."""


@dataclass(frozen=True)
class ResultLayout:
    """Where one run of a tracker writes its boxes, times and masks."""

    results_dir: Path
    segmentation_dir: Path

    @classmethod
    def of(cls, tracker: str, run: str) -> "ResultLayout":
        """``<results_path>/<tracker>/<run>`` and ``<segmentation_path>/<tracker>/<run>`` of the environment."""
        env = env_settings()
        return cls(Path(env.results_path) / tracker / run, Path(env.segmentation_path) / tracker / run)

    def box_file(self, sequence: str) -> Path:
        return self.results_dir / f"{sequence}.txt"

    def time_file(self, sequence: str) -> Path:
        return self.results_dir / f"{sequence}_time.txt"

    def mask_dir(self, sequence: str) -> Path:
        return self.segmentation_dir / sequence

    @property
    def run_file(self) -> Path:
        return self.results_dir / "run.json"


def claim_results(layout: ResultLayout, info: Mapping[str, Any]) -> None:
    """Write ``run.json``; refuse (ValueError) a folder holding results made another way, since
    finished sequences are skipped and the two would mix."""
    if layout.run_file.is_file():
        before = json.loads(layout.run_file.read_text())
        differ = [k for k in RUN_IDENTITY if before.get(k) != info.get(k)]
        if differ:
            raise ValueError(f"{layout.results_dir} holds results made with other {', '.join(differ)} "
                             f"({', '.join(f'{k}={before.get(k)}' for k in differ)}); choose another --name "
                             "or delete the folder")
    layout.results_dir.mkdir(parents=True, exist_ok=True)
    write_atomic(layout.run_file, lambda tmp: tmp.write_text(json.dumps(dict(info), indent=1)))


def initial_frame(seq: VideoSequence) -> Optional[int]:
    """The first frame with a visible target and a box, where tracking starts."""
    usable = np.flatnonzero(seq.visible & np.isfinite(seq.boxes).all(axis=1))
    return int(usable[0]) if len(usable) else None


def ground_truth_mask(seq: VideoSequence, i: int, image: np.ndarray) -> np.ndarray:
    """VOS mode: the ground-truth mask of the initial frame."""
    return seq.gt_mask(i)


class Box2SegMask:
    """Box mode: the initial box -> a mask by the box2seg network, through the annotation engine with a
    one-frame window (same crop and paste-back as the annotation tool). An empty result falls back to
    the box itself, counted in ``fallbacks``."""

    def __init__(self, method: Box2Seg):
        if method.settings.num_frames != 1:
            raise ValueError("the initial mask comes from a one-frame window (num_frames=1)")
        self.method = method
        self.fallbacks: List[str] = []

    def __call__(self, seq: VideoSequence, i: int, image: np.ndarray) -> np.ndarray:
        mask = next(iter(self.method(seq.select([i]))))
        if not mask.any():
            self.fallbacks.append(seq.name)
            mask = box_mask(seq.boxes[i], image.shape[:2])
        return mask


def _write_rows(path: Path, rows: np.ndarray, fmt: str) -> None:
    write_atomic(path, lambda tmp: np.savetxt(tmp, rows, fmt=fmt, delimiter="\t"))


def track_sequence(tracker: Tracker, seq: VideoSequence, mode: str, initial_mask: InitialMask, layout: ResultLayout,
                   progress: Progress) -> Dict[str, Any]:
    """Track one sequence and write its results, counting its frames in ``progress``; returns a record
    (frames, timing, problems: the sequence's bad annotations, then its unreadable frames). Raises
    SequenceFailure when it cannot be started."""
    if mode not in MODES:
        raise ValueError(f"unknown mode {mode!r}; choose one of {MODES}")
    if seq.error:  # an unreadable annotation: say which file, not "no visible target" (its boxes are NaN)
        raise SequenceFailure(f"{seq.name}: {seq.error}")
    start = initial_frame(seq)
    if start is None:
        raise SequenceFailure(f"{seq.name}: no frame with a visible target to start from")
    if start:
        progress.write(f"{seq.name}: starts at frame {start + 1} ({seq.frames[start].name}), the first with a visible "
                       "target; the frames before it get no box and an empty mask")
    try:
        image = seq.frame(start)
        mask = initial_mask(seq, start, image)
    except ImageReadError as err:
        raise SequenceFailure(f"{seq.name}: cannot initialise: {err}") from None
    size = image.shape[:2]
    mask_dir = layout.mask_dir(seq.name)
    mask_dir.mkdir(parents=True, exist_ok=True)
    remove_partial(mask_dir)
    n = len(seq)
    boxes, times, problems = np.zeros((n, 4)), np.zeros(n), []
    empty = np.zeros(size, dtype=bool)
    for i in range(start):
        write_mask(mask_dir / f"{seq.frames[i].stem}.png", empty)

    tic = time.perf_counter()
    out = tracker.initialize(image, mask, seq.boxes[start])
    times[start] = time.perf_counter() - tic
    box = boxes[start] = seq.boxes[start]
    write_mask(mask_dir / f"{seq.frames[start].stem}.png", out.mask)
    progress.frame(start + 1)
    for i in range(start + 1, n):
        try:
            image = seq.frame(i)
        except ImageReadError as err:
            problems.append(f"{err}; kept the previous box")
            boxes[i] = box
            write_mask(mask_dir / f"{seq.frames[i].stem}.png", empty)
            progress.frame()
            continue
        tic = time.perf_counter()
        out = tracker.track(image)
        times[i] = time.perf_counter() - tic
        if mode == "box":
            tight = mask_to_box(out.mask)
            box = box if tight[2] == 0 else tight
        else:
            box = out.box
        boxes[i] = box
        write_mask(mask_dir / f"{seq.frames[i].stem}.png", out.mask)
        progress.frame()
    _write_rows(layout.time_file(seq.name), times, "%f")
    _write_rows(layout.box_file(seq.name), boxes, "%d")
    tracked = n - start - len(problems)
    return {"sequence": seq.name, "frames": n, "initial_frame": start, "seconds": float(times.sum()),
            "fps": tracked / max(float(times.sum()), 1e-9), "problems": seq.problems + problems}


class _Object:
    """One object of a video tracked together with the others: its tracker and results so far."""

    def __init__(self, target: VideoSequence, start: int, size: Tuple[int, int]):
        self.target, self.start = target, start
        self.tracker: Optional[Tracker] = None
        self.boxes, self.times = np.zeros((len(target), 4)), np.zeros(len(target))
        self.box = self.tracked_box = target.boxes[start]
        self.prob = np.zeros(size, dtype=np.float32)

    def fail(self, reason: str) -> Dict[str, str]:
        return {"sequence": self.target.name, "reason": f"{self.target.name}: {reason}"}


def _start_objects(video: VideoSequence, size: Tuple[int, int], failed: List[Dict[str, str]]) -> List[_Object]:
    """The objects of a video that can be tracked; the others are added to ``failed``."""
    objects = []
    for target in video.targets():
        start = initial_frame(target)
        if start is None:
            failed.append({"sequence": target.name,
                           "reason": f"{target.name}: no frame with a visible target to start from"})
        else:
            objects.append(_Object(target, start, size))
    return objects


def track_video(make_tracker: Callable[[], Tracker], video: VideoSequence, mode: str, initial_mask: InitialMask,
                layout: ResultLayout, progress: Progress) -> Tuple[List[Dict[str, Any]], List[Dict[str, str]]]:
    """Track every object of a video together, merging their probabilities each frame, and write each
    object's results, counting the video's frames in ``progress``; returns a record per object tracked and
    the objects that could not be."""
    if video.error:
        raise SequenceFailure(f"{video.name}: {video.error}")
    try:
        size = video.image_size
    except ImageReadError as err:
        raise SequenceFailure(f"{video.name}: cannot initialise: {err}") from None
    failed: List[Dict[str, str]] = []
    objects = _start_objects(video, size, failed)
    for obj in objects:
        layout.mask_dir(obj.target.name).mkdir(parents=True, exist_ok=True)
        remove_partial(layout.mask_dir(obj.target.name))
    problems: List[str] = []
    empty = np.zeros(size, dtype=bool)
    first = min((obj.start for obj in objects), default=len(video))
    progress.frame(first)
    for i in range(first, len(video)):
        image, error = None, None
        try:
            image = video.frame(i)
        except ImageReadError as err:
            problems.append(f"{err}; kept the previous box")
            error = err
        for obj in [obj for obj in objects if obj.start <= i]:
            if obj.start == i:
                try:
                    if error is not None:
                        raise error
                    mask = initial_mask(obj.target, i, image)
                except ImageReadError as err:
                    failed.append(obj.fail(f"cannot initialise: {err}"))
                    objects.remove(obj)
                    continue
            if image is None:
                continue
            tic = time.perf_counter()
            if obj.start == i:
                obj.tracker = make_tracker()
                out = obj.tracker.initialize(image, mask, obj.target.boxes[i])
            else:
                out = obj.tracker.track(image)
            obj.times[i] = time.perf_counter() - tic
            obj.prob, obj.tracked_box = out.prob, out.box
        started = [obj for obj in objects if obj.start <= i]
        labels = None
        if started and image is not None:
            labels, merged = soft_aggregate(np.stack([obj.prob for obj in started]))
            for k, obj in enumerate(started):
                obj.tracker.merged(merged[k + 1])
        for k, obj in enumerate(started):
            mask = empty if labels is None else labels == k + 1
            if labels is not None and i > obj.start:
                tight = mask_to_box(mask)
                obj.box = (obj.box if tight[2] == 0 else tight) if mode == "box" else obj.tracked_box
            obj.boxes[i] = obj.box
            write_mask(layout.mask_dir(obj.target.name) / f"{video.frames[i].stem}.png", mask)
        progress.frame()
    records = []
    for n, obj in enumerate(objects):
        name = obj.target.name
        for i in range(obj.start):
            write_mask(layout.mask_dir(name) / f"{video.frames[i].stem}.png", empty)
        _write_rows(layout.time_file(name), obj.times, "%f")
        _write_rows(layout.box_file(name), obj.boxes, "%d")
        seconds = float(obj.times.sum())
        tracked = len(video) - obj.start - len(problems)
        records.append({"sequence": name, "frames": len(video), "initial_frame": obj.start, "seconds": seconds,
                        "fps": tracked / max(seconds, 1e-9),
                        "problems": (video.problems + problems) if n == 0 else []})
    return records, failed


def run_sequences(make_tracker: Callable[[], Tracker], sequences: Sequence[VideoSequence], mode: str,
                  initial_mask: InitialMask, layout: ResultLayout, progress: Progress) -> Dict[str, Any]:
    """Track every sequence that has no results yet (a new tracker for each object; the objects of a
    video with several together), with progress and problems on ``progress``; records, failures and counts."""
    run: Dict[str, Any] = {"sequences": [], "failed": [], "already_done": 0}
    for k, seq in enumerate(sequences):
        names = [target.name for target in seq.targets()]
        if names and all(layout.box_file(name).is_file() for name in names):
            run["already_done"] += 1
            continue
        progress.sequence(k, seq.name, len(seq))
        try:
            if seq.num_targets == 1:
                records, failed = [track_sequence(make_tracker(), seq, mode, initial_mask, layout, progress)], []
            else:
                records, failed = track_video(make_tracker, seq, mode, initial_mask, layout, progress)
        except SequenceFailure as err:
            progress.sequence_failed(f"skipping {err}")
            run["failed"].append({"sequence": seq.name, "reason": str(err)})
            continue
        progress.sequence_done()
        for failure in failed:
            progress.write(f"skipping {failure['reason']}")
        run["failed"] += failed
        for record in records:
            for problem in record["problems"]:
                progress.write(problem)
        run["sequences"] += records
    return run

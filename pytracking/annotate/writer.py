"""Outputs of the annotation tool: mask PNGs, done-markers, overlays and videos, run summaries.

Layout under ``--out`` (masks exactly as pytracking's LasotVOS / Got10kVOS read them):
    <dataset>_masks/<sequence>/<frame>.png   palette PNG, background 0, foreground 1 (shown dark red)
    <dataset>_coco/<sequence>.json           with --format coco/both: COCO-style run-length masks
    done/<dataset>/<unit>.json               written last: the unit is complete (what made it, per-sequence
                                             stats)
    vis/<dataset>/<sequence>/<frame>.jpg     with --vis: overlays, and vis/<dataset>/<sequence>.mp4
    summaries/<dataset>-<time>-shard<i>of<n>.json
Every file is written to a '.tmp-' sibling and renamed, so a killed job never leaves a truncated
file under its final name; leftovers are removed when the sequence is redone.
"""
from __future__ import annotations

import json
import os
import time
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import cv2
import numpy as np
from PIL import Image

from ltr.data.bounding_box_utils import Size, box_overlaps, box_pixel_bounds, box_region, mask_to_box
from ltr.data.image_loader import ImageReadError, image_size, imread_rgb
from ltr.dataset.sequence import SequenceError, VideoSequence

TMP_PREFIX = ".tmp-"
PALETTE = [0, 0, 0, 128, 0, 0] + [0, 0, 0] * 254  # index 1 = DAVIS's first object colour
SUSPICIOUS_IOU = 0.5
VIDEO_FPS = 25
MAX_PENDING_WRITES = 64


def write_atomic(path: Path, write: Callable[[Path], None]) -> None:
    """Write ``path`` through a temporary sibling and a rename (atomic on POSIX file systems); a
    failed write (disk full, I/O error) leaves neither the file nor the temporary behind."""
    tmp = path.with_name(TMP_PREFIX + path.name)
    try:
        write(tmp)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_mask(path: Path, mask: np.ndarray) -> None:
    """A binary mask as a palette PNG with values 0 and 1."""
    image = Image.fromarray(mask.astype(np.uint8))
    image.putpalette(PALETTE)
    write_atomic(path, lambda tmp: image.save(tmp, format="PNG", compress_level=1))


def remove_partial(folder: Path) -> int:
    """Delete temporary files a killed run left in ``folder``; returns how many."""
    stray = list(folder.glob(TMP_PREFIX + "*")) if folder.is_dir() else []
    for path in stray:
        path.unlink()
    return len(stray)




def frame_stats(mask: np.ndarray, box: Sequence[float]) -> Tuple[float, bool]:
    """(fraction of the box's pixels the mask fills, suspicious?): suspicious = an empty mask (its zero
    tight box overlaps nothing) or a tight box that overlaps the given box with IoU < 0.5."""
    y0, y1, x0, x1 = box_region(box, mask.shape)
    area = max((y1 - y0) * (x1 - x0), 1)
    fill = float(mask[y0:y1, x0:x1].sum()) / area
    return fill, box_overlaps(mask_to_box(mask), box)[0] < SUSPICIOUS_IOU


def overlay(image: np.ndarray, mask: Optional[np.ndarray], box: Sequence[float]) -> np.ndarray:
    """BGR picture of a frame with the mask in red and the given box in green."""
    out = cv2.cvtColor(image, cv2.COLOR_RGB2BGR)
    if mask is not None and mask.shape == out.shape[:2]:
        out[mask] = (0.5 * out[mask] + 0.5 * np.array([0, 0, 255])).astype(np.uint8)
    if np.isfinite(box).all():
        x0, y0, x1, y1 = (int(v) for v in box_pixel_bounds(box)[0].tolist())
        cv2.rectangle(out, (x0, y0), (x1 - 1, y1 - 1), (0, 255, 0), 1)
    return out


def write_overlay(frame: Path, mask: Optional[np.ndarray], box: Sequence[float], path: Path) -> None:
    """Overlay JPEG of one frame (nothing if the frame cannot be read)."""
    try:
        image = imread_rgb(frame)
    except ImageReadError:
        return
    picture = overlay(image, mask, box)
    write_atomic(path, lambda tmp: cv2.imwrite(str(tmp), picture))


def write_video(pictures: List[Path], path: Path, fps: int = VIDEO_FPS) -> None:
    """An MP4 of the given JPEGs in order (resized to the first one's size)."""
    first = cv2.imread(str(pictures[0]))
    size = (first.shape[1], first.shape[0])

    def encode(tmp: Path) -> None:
        video = cv2.VideoWriter(str(tmp), cv2.VideoWriter_fourcc(*"mp4v"), fps, size)
        try:
            for picture in pictures:
                video.write(cv2.resize(cv2.imread(str(picture)), size))
        finally:
            video.release()

    write_atomic(path, encode)


class OutputLayout:
    """Where a dataset's outputs go under the output root."""

    def __init__(self, out: Path, dataset: str):
        self.out, self.dataset = Path(out), dataset

    def mask_dir(self, sequence: str) -> Path:
        return self.out / f"{self.dataset}_masks" / sequence

    def vis_dir(self, sequence: str) -> Path:
        return self.out / "vis" / self.dataset / sequence

    def coco_file(self, sequence: str) -> Path:
        return self.out / f"{self.dataset}_coco" / f"{sequence}.json"

    def video(self, sequence: str) -> Path:
        return self.out / "vis" / self.dataset / f"{sequence}.mp4"

    def marker(self, unit: str) -> Path:
        return self.out / "done" / self.dataset / f"{unit}.json"

    def is_done(self, unit: str) -> bool:
        return self.marker(unit).is_file()

    def start_unit(self, unit: str) -> None:
        """Forget an earlier completion (and a half-written marker) before (re)doing a unit."""
        marker = self.marker(unit)
        for path in (marker, marker.with_name(TMP_PREFIX + marker.name)):
            path.unlink(missing_ok=True)

    def mark_done(self, unit: str, records: List[Dict], made_with: Dict) -> None:
        """Record that every output of ``unit`` is written (the last step of a unit), and what made them."""
        write_json(self.marker(unit), {"unit": unit, "made_with": made_with, "sequences": records})

    def made_with(self, unit: str) -> Optional[Dict]:
        """What made a finished unit's outputs, as ``mark_done`` recorded it (None: not recorded or unreadable)."""
        try:
            return json.loads(self.marker(unit).read_text()).get("made_with")
        except (OSError, ValueError, AttributeError):
            return None

    def summary_path(self, shard: int, num_shards: int) -> Path:
        stamp = time.strftime("%Y%m%d-%H%M%S")
        return self.out / "summaries" / f"{self.dataset}-{stamp}-shard{shard}of{num_shards}.json"


def coco_rle(mask: np.ndarray) -> Dict:
    """A binary mask as COCO's compressed run-length encoding ({"size": [H, W], "counts": str})."""
    from pycocotools import mask as mask_utils

    rle = mask_utils.encode(np.asfortranarray(mask.astype(np.uint8)))
    return {"size": [int(v) for v in rle["size"]], "counts": rle["counts"].decode("ascii")}


def coco_document(seq: VideoSequence, rles: Dict[int, Tuple[Dict, int]]) -> Dict:
    """One sequence in COCO's format: an image per frame (``file_name``: the frame, in the folder that
    ``info.frames_folder`` names, as COCO tools expect; ``mask_name``: its mask PNG's name), one annotation
    per frame (category 1, the target; an empty mask has area 0)."""
    images, annotations = [], []
    for i in sorted(rles):
        rle, area = rles[i]
        height, width = rle["size"]
        images.append({"id": i + 1, "file_name": seq.frames[i].name, "mask_name": seq.mask_names[i],
                       "height": height, "width": width})
        box = seq.boxes[i]
        annotations.append({"id": i + 1, "image_id": i + 1, "category_id": 1, "iscrowd": 0,
                            "segmentation": rle, "area": area,
                            "bbox": [float(v) for v in box] if np.isfinite(box).all() else None})
    info = {"sequence": seq.name, "frames_folder": str(seq.frames[0].parent) if len(seq) else ""}
    return {"info": info, "images": images, "annotations": annotations,
            "categories": [{"id": 1, "name": "target"}]}


def write_json(path: Path, content: Dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, lambda tmp: tmp.write_text(json.dumps(content, indent=1)))


class SequenceWriter:
    """Writes one target sequence's masks (and overlays) on a thread pool and collects its stats."""

    def __init__(self, layout: OutputLayout, seq: VideoSequence, pool: ThreadPoolExecutor, vis: bool,
                 formats: Sequence[str] = ("png",)):
        self.seq, self.pool = seq, pool
        self.mask_dir = layout.mask_dir(seq.name) if "png" in formats else None
        self.coco_file = layout.coco_file(seq.name) if "coco" in formats else None
        self.rles: Dict[int, Tuple[Dict, int]] = {}
        self.vis_dir = layout.vis_dir(seq.name) if vis else None
        self.video = layout.video(seq.name)
        for folder in (self.mask_dir, self.vis_dir):
            if folder is not None:
                folder.mkdir(parents=True, exist_ok=True)
                remove_partial(folder)
        self.pending: deque = deque()
        self.fills: List[float] = []
        self.suspicious: List[str] = []
        self.problems = list(seq.problems)
        self.skipped = seq.skipped
        self._fallback: Optional[Size] = None

    def _size(self, i: int) -> Size:
        """Frame i's size; for an unreadable frame the size of the first readable one."""
        size = image_size(self.seq.frames[i])
        if size is None and self._fallback is None:
            self._fallback = next((s for s in map(image_size, self.seq.frames) if s is not None), None)
            if self._fallback is None:
                raise SequenceError(f"{self.seq.name}: no readable frame (first: {self.seq.frames[0]})")
        return size or self._fallback

    def _submit(self, fn: Callable, *args) -> None:
        if len(self.pending) >= MAX_PENDING_WRITES:
            if self.pending[0].exception() is not None:  # waits for the oldest write
                self.wait()  # a write failed: let the others finish, then raise
            self.pending.popleft()
        self.pending.append(self.pool.submit(fn, *args))

    def add(self, i: int, mask: Optional[np.ndarray], problem: str = "") -> None:
        """Frame i's mask; None: an empty mask (target absent, or the frame unusable: ``problem``)."""
        if problem:
            self.problems.append(problem)
            self.skipped += 1
        if mask is None:
            mask = np.zeros(self._size(i), dtype=bool)
        else:
            fill, suspicious = frame_stats(mask, self.seq.boxes[i])
            self.fills.append(fill)
            if suspicious:
                self.suspicious.append(self.seq.mask_names[i])
        if self.mask_dir is not None:
            self._submit(write_mask, self.mask_dir / self.seq.mask_names[i], mask)
        if self.coco_file is not None:
            self.rles[i] = coco_rle(mask), int(mask.sum())
        if self.vis_dir is not None:
            self._submit(write_overlay, self.seq.frames[i], mask, self.seq.boxes[i],
                         self.vis_dir / f"{Path(self.seq.mask_names[i]).stem}.jpg")

    def wait(self) -> None:
        """Wait for every pending write; then re-raise the first failure (the rest have finished, so
        nothing of this sequence is still being written when the caller moves on)."""
        failures = []
        while self.pending:
            error = self.pending.popleft().exception()
            if error is not None:
                failures.append(error)
        if failures:
            raise failures[0]

    def finish(self, notes: Sequence[str] = ()) -> Dict:
        """Wait for every write (re-raising failures), write the video; the sequence's stats."""
        self.wait()
        if self.vis_dir is not None:
            pictures = [self.vis_dir / f"{Path(m).stem}.jpg" for m in self.seq.mask_names]
            pictures = [p for p in pictures if p.is_file()]
            if pictures:
                write_video(pictures, self.video)
        if self.coco_file is not None:
            write_json(self.coco_file, coco_document(self.seq, self.rles))
        return {"sequence": self.seq.name, "frames": len(self.seq), "masks": len(self.fills),
                "skipped": self.skipped, "mean_fill": float(np.mean(self.fills)) if self.fills else None,
                "suspicious": sorted(self.suspicious), "problems": self.problems, "notes": list(notes)}


def format_table(records: List[Dict], limit: int = 40) -> str:
    """A readable table of per-sequence stats; beyond ``limit`` rows the most suspicious ones."""
    rows = records
    if len(rows) > limit:
        rows = sorted(rows, key=lambda r: (-len(r["suspicious"]) - r["skipped"], r["mean_fill"] or 0))[:limit]
    width = max([len("sequence")] + [len(r["sequence"]) for r in rows])
    lines = [f"{'sequence':<{width}}  {'frames':>7}  {'masks':>7}  {'skipped':>7}  {'fill':>5}  {'suspicious':>10}"]
    for r in rows:
        fill = "-" if r["mean_fill"] is None else f"{r['mean_fill']:.2f}"
        lines.append(f"{r['sequence']:<{width}}  {r['frames']:>7}  {r['masks']:>7}  {r['skipped']:>7}  {fill:>5}  "
                     f"{len(r['suspicious']):>10}")
    if len(records) > limit:
        lines.append(f"({limit} of {len(records)} sequences shown, most suspicious first; all are in the JSON summary)")
    lines.append(f"(fill: the mean share of the box's pixels in the mask; suspicious: masks that are empty or whose\n"
                 f" tight box overlaps the given box with IoU < {SUSPICIOUS_IOU}; the JSON summary names them)")
    return "\n".join(lines)

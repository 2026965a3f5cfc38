"""A folder of frames and a boxes file (VOT, a user's own video): one target, no masks.

The boxes file has one line per frame (sorted file names): ``x,y,w,h`` or a rotated VOT polygon
``x1,y1,...,x4,y4`` (its axis-aligned hull). Empty, NaN or zero-size lines mean no box.
"""
from __future__ import annotations

from pathlib import Path
from typing import Optional, Tuple

import numpy as np

from ltr.data.image_loader import PathLike
from ltr.data.tracking_files import read_boxes
from ltr.dataset.sequence import FRAME_SUFFIXES, SequenceError, VideoSequence, frame_files


def _declares_no_box(line: str) -> bool:
    """The folder format's explicit 'no box': an empty line, only NaNs, or a box of zero width or height.
    A line that mixes NaNs and numbers is a broken line, not a declaration."""
    try:
        values = [float(v) for v in line.replace(",", " ").split()]
    except ValueError:
        return False
    return not values or all(np.isnan(values)) or (len(values) == 4 and 0.0 in values[2:])


def read_folder(frames_dir: Path, box_file: Path, name: Optional[str] = None) -> VideoSequence:
    """The frames of ``frames_dir`` with the boxes of ``box_file``, named ``name`` (default: the folder's
    name). Broken lines and a boxes file of the wrong length are problems; SequenceError when there are
    no frames or no boxes file."""
    frames = frame_files(frames_dir)
    if not frames:
        raise SequenceError(f"no frames ({', '.join(FRAME_SUFFIXES)}) in {frames_dir}")
    boxes, box_problems = read_boxes(box_file)
    n = len(frames)
    lines = box_file.read_text(errors="replace").splitlines()
    problems = []
    for row, message in zip(np.flatnonzero(np.isnan(boxes).any(1)), box_problems):
        if row < n and not _declares_no_box(lines[row]):
            problems.append(message)
    skipped = len(problems)
    if len(boxes) < n:
        problems.append(f"{box_file}: {len(boxes)} lines for {n} frames; frames "
                        f"{frames[len(boxes)].name}..{frames[-1].name} get empty masks")
        skipped += n - len(boxes)
        boxes = np.concatenate([boxes, np.full((n - len(boxes), 4), np.nan)])
    elif len(boxes) > n:
        problems.append(f"{box_file}: {len(boxes)} lines for {n} frames; ignoring the last {len(boxes) - n}")
        boxes = boxes[:n]
    return VideoSequence(name or frames_dir.name, frames, boxes, box_file=box_file, problems=problems,
                         skipped=skipped)


def find_folder(root: PathLike, boxes: Optional[PathLike] = None) -> Tuple[Path, Path, str]:
    """(frames folder, boxes file, name) of a sequence folder: the frames are in ``root`` or in its
    ``imgs/`` or ``img/`` folder (VOT, LaSOT); the boxes file is ``boxes``, else the first groundtruth.txt
    in the frames folder, ``root`` or the frames' parent; the name is the frames folder's (its parent's
    when it is imgs/ or img/)."""
    root = Path(root)
    if not root.is_dir():
        raise SequenceError(f"folder root not found: {root}")
    frames = next((d for d in (root, root / "imgs", root / "img") if frame_files(d)), None)
    if frames is None:
        raise SequenceError(f"no frames ({', '.join(FRAME_SUFFIXES)}) in {root} nor in its imgs/ or img/ folder")
    if boxes is None:
        candidates = [d / "groundtruth.txt" for d in (frames, root, frames.parent)]
        boxes = next((p for p in candidates if p.is_file()), root / "groundtruth.txt")
    return frames, Path(boxes), (frames.parent if frames.name in ("imgs", "img") else frames).name

"""Builders and readers shared by the tracker tests (run_tracker.py end to end, its fault injection)."""
from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
from PIL import Image

DAVIS_FRAMES = 8


def copy_clip(source: Path, root: Path, frames: int) -> Path:
    """``root``/imgs with the first ``frames`` frames of the VOT-layout folder ``source`` and
    ``root``/groundtruth.txt with their lines."""
    (root / "imgs").mkdir(parents=True)
    for frame in sorted((source / "imgs").glob("*.jpg"))[:frames]:
        shutil.copy(frame, root / "imgs" / frame.name)
    lines = (source / "groundtruth.txt").read_text().splitlines()[:frames]
    (root / "groundtruth.txt").write_text("\n".join(lines) + "\n")
    return root


def read_png(path: Path) -> np.ndarray:
    with Image.open(path) as image:
        assert image.mode == "P" and image.getpalette()[3:6] == [128, 0, 0], f"{path} is no DAVIS palette PNG"
        return np.array(image)


def read_rows(path: Path) -> np.ndarray:
    lines = path.read_text().splitlines()
    assert all(len(line.split("\t")) == 4 for line in lines), "rows must be 4 tab-separated values"
    return np.array([[int(v) for v in line.split("\t")] for line in lines])

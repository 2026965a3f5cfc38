"""Damage for fault-injection tests: each builder breaks one file of a copied fixture in place, the
way real datasets break, and returns what an honest error message must name.

Used by the fault tests of every entry point (annotation, training, evaluation); a new entry point
(e.g. the tracker) gets its fault test by copying a fixture, applying these and running it.
"""
from __future__ import annotations

import shutil
from pathlib import Path
from typing import Callable, Dict, List

import numpy as np
from PIL import Image

# ---- frames (JPEG/PNG images) --------------------------------------------------------------------


def truncate(path: Path, keep: float = 1 / 3) -> str:
    """Keep only the first part of the file (a half-copied or half-downloaded image)."""
    data = path.read_bytes()
    path.write_bytes(data[:int(len(data) * keep)])
    return str(path)


def zero_bytes(path: Path) -> str:
    """An empty file under the image's name."""
    path.write_bytes(b"")
    return str(path)


def not_an_image(path: Path) -> str:
    """Text under an image's name (an HTML error page saved by a download script)."""
    path.write_text("<html><body>404 Not Found</body></html>\n")
    return str(path)


def directory_instead(path: Path) -> str:
    """A directory where the image should be."""
    path.unlink()
    path.mkdir()
    return str(path)


def missing(path: Path) -> str:
    """The file is gone."""
    path.unlink()
    return str(path)


FRAME_FAULTS: Dict[str, Callable[[Path], str]] = {
    "truncated": truncate, "zero-byte": zero_bytes, "not-an-image": not_an_image, "directory": directory_instead,
}

# ---- masks (PNG) ---------------------------------------------------------------------------------


def rewrite_png(path: Path, edit: Callable[[np.ndarray], np.ndarray]) -> None:
    """Replace a mask's labels by ``edit(labels)``, keeping its palette."""
    with Image.open(path) as image:
        palette, labels = image.getpalette(), np.array(image)
    out = Image.fromarray(edit(labels).astype(np.uint8))
    if palette is not None and out.mode == "L":
        out = out.convert("P")
        out.putpalette(palette)
    out.save(path)


def wrong_size(path: Path) -> str:
    """A mask of half the frame's size (written for a downscaled copy of the video)."""
    rewrite_png(path, lambda labels: labels[::2, ::2])
    return str(path)


def values_255(path: Path) -> str:
    """Foreground 255 instead of 1 (a 0/255 mask where pytracking's pseudo-masks hold 0/1)."""
    rewrite_png(path, lambda labels: np.where(labels > 0, 255, 0))
    return str(path)


MASK_FAULTS: Dict[str, Callable[[Path], str]] = {
    "truncated": truncate, "zero-byte": zero_bytes, "not-an-image": not_an_image, "wrong-size": wrong_size,
    "values-255": values_255,
}

# ---- annotation text files -----------------------------------------------------------------------

BAD_BOX_LINES: Dict[str, str] = {  # fault -> a groundtruth line showing it
    "negative-size": "10,10,-5,20",
    "nan": "nan,nan,nan,nan",
    "inf": "10,inf,30,40",
    "text-garbage": "box of the bear",
    "too-few-values": "10,10,30",
}


def set_line(path: Path, line: int, text: str) -> str:
    """Replace 1-based ``line`` of a text file; returns 'file:line'."""
    lines = path.read_text().splitlines()
    lines[line - 1] = text
    path.write_text("\n".join(lines) + "\n")
    return f"{path}:{line}"


def keep_lines(path: Path, count: int) -> str:
    """Cut a text file to its first ``count`` lines (groundtruth or labels for too few frames)."""
    path.write_text("".join(path.read_text().splitlines(True)[:count]))
    return str(path)


def add_lines(path: Path, count: int) -> str:
    """Repeat the last line ``count`` more times (groundtruth or labels for too many frames)."""
    lines = path.read_text().splitlines()
    path.write_text("\n".join(lines + lines[-1:] * count) + "\n")
    return str(path)


def shorten_values(path: Path, count: int) -> str:
    """Keep the first ``count`` values of a label file, whether one per line (GOT-10k) or
    comma-separated on one line (LaSOT)."""
    text = path.read_text()
    if "," in text:
        path.write_text(",".join(text.strip().split(",")[:count]) + "\n")
    else:
        keep_lines(path, count)
    return str(path)


# ---- helpers -------------------------------------------------------------------------------------


def copy_tree(src: Path, dst: Path) -> Path:
    """A private copy of a fixture to damage."""
    shutil.copytree(src, dst)
    return dst


def named_everywhere(needles: List[str], *texts: str) -> List[str]:
    """The needles missing from any of ``texts`` (empty: every message names what it must)."""
    return [n for n in needles if not all(n in t for t in texts)]

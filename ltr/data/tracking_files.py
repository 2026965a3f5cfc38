"""Tolerant readers for tracking annotation files (groundtruth boxes, per-frame flags).

Real tracking datasets contain the odd broken line (an empty line, 'NaN', a zero-size box); a
training run or the annotation tool must not die on it. These readers therefore never raise on
malformed content: a bad entry becomes "no box" / a conservative flag value plus a problem message
"<file>:<line>: <what>" that callers can show. Only a missing file raises FileNotFoundError.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Iterator, List, Tuple, Union

import numpy as np

PathLike = Union[str, Path]
_SEPARATORS = re.compile(r"[,\s]+")


def _read_lines(path: PathLike) -> List[str]:
    """The file's lines without trailing blank lines (a final newline is not an extra frame)."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"annotation file not found: {path}")
    lines = path.read_text(errors="replace").splitlines()
    while lines and not lines[-1].strip():
        lines.pop()
    return lines


def _tokens(line: str) -> List[str]:
    return [t for t in _SEPARATORS.split(line.strip()) if t]


def _parse_box(tokens: List[str]) -> Tuple[np.ndarray, str]:
    """One line's box [x, y, w, h] (8 values: the polygon's axis-aligned hull), or NaNs and why."""
    nan = np.full(4, np.nan)
    if not tokens:
        return nan, "empty line"
    if len(tokens) not in (4, 8):
        return nan, f"expected 4 (x,y,w,h) or 8 (polygon) values, got {len(tokens)}"
    try:
        values = np.array([float(t) for t in tokens])
    except ValueError:
        return nan, f"non-numeric value in {' '.join(tokens)!r}"
    if not np.all(np.isfinite(values)):
        return nan, "NaN or infinite value"
    if len(values) == 8:
        xs, ys = values[0::2], values[1::2]
        values = np.array([xs.min(), ys.min(), xs.max() - xs.min(), ys.max() - ys.min()])
    if values[2] <= 0 or values[3] <= 0:
        return nan, f"box has zero or negative size (w={values[2]:g}, h={values[3]:g})"
    return values, ""


def read_boxes(path: PathLike) -> Tuple[np.ndarray, List[str]]:
    """Boxes (N, 4) float [x, y, w, h], one per line, and problem messages.

    Values may be separated by commas, tabs or spaces. A line that yields no usable box becomes a
    NaN row; problems[k] describes the k-th NaN row (one message per NaN row, in line order).
    """
    path = Path(path)
    lines = _read_lines(path)
    boxes = np.full((len(lines), 4), np.nan)
    problems = []
    for i, line in enumerate(lines):
        boxes[i], why = _parse_box(_tokens(line))
        if why:
            problems.append(f"{path}:{i + 1}: {why}")
    return boxes, problems


def _values(lines: List[str]) -> Iterator[Tuple[int, str]]:
    """(1-based line number, token) for every value of the file, whatever the layout."""
    for i, line in enumerate(lines):
        for tok in _tokens(line):
            yield i + 1, tok


def read_ints(path: PathLike, n: int, fill: int = 0) -> Tuple[np.ndarray, List[str]]:
    """``n`` integers (one per line or all on one comma-separated line), and problem messages.

    Unparseable values, and the missing tail of a short file, get ``fill``; extra values are dropped.
    """
    path = Path(path)
    out = np.full(n, fill, dtype=np.int64)
    problems = []
    count = 0
    for count, (line_no, tok) in enumerate(_values(_read_lines(path)), start=1):
        if count > n:
            continue
        try:
            value = float(tok)
            valid = value.is_integer()
        except ValueError:
            valid = False
        if valid:
            out[count - 1] = int(value)
        else:
            problems.append(f"{path}:{line_no}: value {tok!r} is not an integer; using {fill}")
    if count < n:
        problems.append(f"{path}: {count} values for {n} frames; frames {count + 1}..{n} set to {fill}")
    elif count > n:
        problems.append(f"{path}: {count} values for {n} frames; ignoring the last {count - n}")
    return out, problems


def read_flags(path: PathLike, n: int, fill: bool = True) -> Tuple[np.ndarray, List[str]]:
    """``n`` boolean flags (non-zero = set), e.g. LaSOT occlusion or GOT-10k absence.

    ``fill`` (default: set) is used for bad or missing values: for occlusion/absence flags that
    makes the frame not visible, the safe choice for training.
    """
    values, problems = read_ints(path, n, fill=int(fill))
    return values != 0, problems

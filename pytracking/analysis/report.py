"""Score a box->mask method on evaluation sequences and write tables and plots.

Results always carry the protocol they were computed with ('all' or 'davis'), so no table can
be read under the wrong one. Per-frame J and F cover every frame; the statistics use the frames
the protocol keeps.
"""
from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

import cv2
import numpy as np

from pytracking.evaluation.baselines import Method
from pytracking.utils.cli import Progress, count
from pytracking.analysis.metrics import (DEFAULT_BOUND, PROTOCOLS, STATISTICS, boundary_f_measure, dataset_summary,
                                        region_similarity, sequence_statistics)
from ltr.data.image_loader import ImageReadError, PathLike
from ltr.dataset.sequence import VideoSequence

MEASURES = ("J", "F")


def method_name(method: Method) -> str:
    """The name a method reports under: its ``name`` attribute, else its function or class name."""
    return getattr(method, "name", None) or getattr(method, "__name__", None) or type(method).__name__


def _score_sequence(method: Method, seq: VideoSequence, bound: float, progress: Progress) -> Dict[str, List[float]]:
    """Per-frame J and F of one sequence; checks that the method gives one mask of the right size per frame."""
    scores: Dict[str, List[float]] = {"J": [], "F": []}
    name = method_name(method)
    for i, pred in enumerate(method(seq)):
        if i >= len(seq):
            raise ValueError(f"method {name} gave more masks than the {len(seq)} frames of {seq.name}")
        gt, pred = seq.gt_mask(i), np.asarray(pred, dtype=bool)
        if pred.shape != gt.shape:
            raise ValueError(f"method {name}: mask for {seq.frames[i]} is {pred.shape}, ground truth {gt.shape}")
        scores["J"].append(region_similarity(pred, gt))
        scores["F"].append(boundary_f_measure(pred, gt, bound=bound))
        progress.frame()
    if len(scores["J"]) != len(seq):
        raise ValueError(f"method {name} gave {len(scores['J'])} masks for the {len(seq)} frames of {seq.name}")
    return scores


def evaluate_method(method: Method, sequences: Sequence[VideoSequence], protocol: str = "all",
                    bound: float = DEFAULT_BOUND, progress: bool = True, label: Optional[str] = None) -> Dict[str, Any]:
    """Per-frame J/F, per-sequence mean/recall/decay and dataset averages of one method, with progress on
    stderr under ``label`` (default: the method and protocol) when ``progress``.

    Returns ``{"method", "protocol", "protocol_description", "bound", "sequences": {name: {"frames",
    "J": {"per_frame", "mean", "recall", "decay"}, "F": {...}}}, "failed": {name: why}, "dataset":
    {"J": {...}, "F": {...}, "J&F-mean", "n_sequences", "n_failed"}}``. A sequence with an unreadable
    or missing file (frame, ground truth, prediction) is not scored: it is listed under "failed" with
    the file named, and the dataset averages (None when nothing was scored) leave it out.
    """
    if protocol not in PROTOCOLS:
        raise ValueError(f"unknown protocol {protocol!r}; choose one of {sorted(PROTOCOLS)}")
    names = [s.name for s in sequences]
    if not names or len(set(names)) != len(names):
        raise ValueError(f"need at least one sequence and unique sequence names, got {names}")
    per_seq: Dict[str, Dict[str, Any]] = {}
    failed: Dict[str, str] = {}
    with Progress(len(sequences), label or f"{method_name(method)} [{protocol}]", enabled=progress) as bar:
        for k, seq in enumerate(sequences):
            bar.sequence(k, seq.name, len(seq))
            try:
                if seq.error:
                    raise ImageReadError(seq.error)
                scores = _score_sequence(method, seq, bound, bar)
            except ImageReadError as err:
                failed[seq.name] = str(err)
                bar.sequence_failed(f"{method_name(method)}: sequence {seq.name} failed, not scored: {err}")
                continue
            bar.sequence_done()
            entry: Dict[str, Any] = {"frames": [f.stem for f in seq.frames]}
            for m in MEASURES:
                try:
                    entry[m] = {"per_frame": scores[m], **sequence_statistics(scores[m], protocol)}
                except ValueError as err:
                    raise ValueError(f"sequence {seq.name}: {err}") from err
            per_seq[seq.name] = entry
    dataset: Dict[str, Any] = {m: dataset_summary({n: e[m] for n, e in per_seq.items()}) if per_seq
                               else dict.fromkeys(STATISTICS) for m in MEASURES}
    dataset["J&F-mean"] = (dataset["J"]["mean"] + dataset["F"]["mean"]) / 2 if per_seq else None
    dataset["n_sequences"] = len(per_seq)
    dataset["n_failed"] = len(failed)
    return {"method": method_name(method), "protocol": protocol, "protocol_description": PROTOCOLS[protocol],
            "bound": bound, "sequences": per_seq, "failed": failed, "dataset": dataset}


def format_value(value: Optional[float]) -> str:
    """A statistic as a table cell ('n/a' when it could not be computed)."""
    return "n/a" if value is None else f"{value:.3f}"


def results_markdown(results: Mapping[str, Any]) -> str:
    """A markdown table: one row per sequence (failed ones marked, with why below) and a mean row,
    under a line naming the protocol."""
    ds, failed = results["dataset"], results["failed"]
    bound = results["bound"]
    tol = f"r = {bound:g} px" if bound >= 1 else f"r = ceil({bound:g} x image diagonal)"
    scored = f"{count(ds['n_sequences'], 'sequence')}, J&F-mean {format_value(ds['J&F-mean'])}"
    lines = [f"# {results['method']}: protocol '{results['protocol']}' ({results['protocol_description']})", "",
             f"{scored}{f', {len(failed)} FAILED (not scored)' if failed else ''}, boundary tolerance {tol}.", ""]
    cols = [f"{m}-{s}" for m in MEASURES for s in STATISTICS]
    lines += ["| Sequence | " + " | ".join(cols) + " |", "|---|" + "---:|" * len(cols)]

    def row(label: str, stats: Mapping[str, Any]) -> str:
        return f"| {label} | " + " | ".join(format_value(stats[m][s]) for m in MEASURES for s in STATISTICS) + " |"

    lines += [row(name, e) for name, e in results["sequences"].items()]
    lines += [f"| {name} | " + " | ".join(["FAILED"] * len(cols)) + " |" for name in failed]
    lines.append(row("**Mean**", ds))
    if failed:
        lines += ["", "Failed sequences (not in the mean):"] + [f"- {name}: {why}" for name, why in failed.items()]
    return "\n".join(lines) + "\n"


def write_results(results: Mapping[str, Any], out_dir: PathLike) -> Tuple[Path, Path]:
    """Write ``results.json`` (everything, per-frame values included) and ``results.md`` (the table)."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    json_path, md_path = out / "results.json", out / "results.md"
    json_path.write_text(json.dumps(results, indent=1))
    md_path.write_text(results_markdown(results))
    return json_path, md_path


# --- plots (OpenCV only) --------------------------------------------------------------------------

_COLOURS = [(180, 119, 31), (14, 127, 255), (44, 160, 44), (40, 39, 214), (189, 103, 148),
            (75, 86, 140), (194, 119, 227), (127, 127, 127), (34, 189, 188), (207, 190, 23)]  # BGR, tab10
_FONT, _SCALE, _INK, _GRID = cv2.FONT_HERSHEY_SIMPLEX, 0.5, (40, 40, 40), (225, 225, 225)


def _nice_ticks(lo: float, hi: float, target: int = 6) -> List[float]:
    """Round tick values (1, 2 or 5 times a power of ten) spanning [lo, hi]."""
    if hi <= lo:
        lo, hi = lo - 0.5, hi + 0.5
    raw = (hi - lo) / target
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 5, 10) if m * mag >= raw)
    start, stop = math.floor(lo / step + 1e-9) * step, math.ceil(hi / step - 1e-9) * step
    return [start + k * step for k in range(int(round((stop - start) / step)) + 1)]


def _text(img: np.ndarray, text: str, org: Tuple[int, int], align: str = "left") -> None:
    """Draw text with its baseline at org; align 'left', 'center' or 'right' horizontally."""
    (w, h), _ = cv2.getTextSize(text, _FONT, _SCALE, 1)
    x = org[0] - {"left": 0, "center": w // 2, "right": w}[align]
    cv2.putText(img, text, (x, org[1]), _FONT, _SCALE, _INK, 1, cv2.LINE_AA)


def plot_curve(xs: Sequence[float], series: Mapping[str, Sequence[float]], path: PathLike,
               xlabel: str, ylabel: str) -> Path:
    """Line plot PNG (axes, labelled ticks, grid, legend) of several series over shared x values.

    Drawn with OpenCV so that the benchmark needs no plotting library; NaN values leave gaps.
    """
    xs = np.asarray(xs, dtype=float)
    ys = {name: np.asarray(v, dtype=float) for name, v in series.items()}
    if len(xs) == 0 or not ys:
        raise ValueError("plot_curve needs x values and at least one series")
    for name, v in ys.items():
        if v.shape != xs.shape:
            raise ValueError(f"series {name!r} has {len(v)} values for {len(xs)} x values")
    finite = np.concatenate([v[np.isfinite(v)] for v in ys.values()])
    xt = _nice_ticks(float(xs.min()), float(xs.max()))
    yt = _nice_ticks(float(finite.min()), float(finite.max())) if len(finite) else _nice_ticks(0.0, 1.0)

    legend_w = max(cv2.getTextSize(n, _FONT, _SCALE, 1)[0][0] for n in ys) + 50
    left, right, top, bottom, pw, ph = 80, 20 + legend_w, 20, 60, 640, 400
    img = np.full((top + ph + bottom, left + pw + right, 3), 255, np.uint8)

    def to_px(x: float, y: float) -> Tuple[int, int]:
        return (int(round(left + (x - xt[0]) / (xt[-1] - xt[0]) * pw)),
                int(round(top + ph - (y - yt[0]) / (yt[-1] - yt[0]) * ph)))

    for x in xt:
        px = to_px(x, yt[0])[0]
        cv2.line(img, (px, top), (px, top + ph), _GRID, 1)
        cv2.line(img, (px, top + ph), (px, top + ph + 5), _INK, 1)
        _text(img, f"{round(x, 10):g}", (px, top + ph + 22), "center")
    for y in yt:
        py = to_px(xt[0], y)[1]
        cv2.line(img, (left, py), (left + pw, py), _GRID, 1)
        cv2.line(img, (left - 5, py), (left, py), _INK, 1)
        _text(img, f"{round(y, 10):g}", (left - 9, py + 5), "right")
    cv2.rectangle(img, (left, top), (left + pw, top + ph), _INK, 1)
    _text(img, xlabel, (left + pw // 2, top + ph + 48), "center")
    (lw, lh), _ = cv2.getTextSize(ylabel, _FONT, _SCALE, 1)
    label = np.full((lh + 8, lw + 4, 3), 255, np.uint8)
    _text(label, ylabel, (2, lh + 2))
    label = cv2.rotate(label, cv2.ROTATE_90_COUNTERCLOCKWISE)
    y0 = max(0, top + ph // 2 - label.shape[0] // 2)
    img[y0:y0 + label.shape[0], 8:8 + label.shape[1]] = label[: img.shape[0] - y0]

    for k, (name, v) in enumerate(ys.items()):
        colour = _COLOURS[k % len(_COLOURS)]
        pts = [to_px(x, y) if np.isfinite(y) else None for x, y in zip(xs, v)]
        for a, b in zip(pts, pts[1:]):
            if a is not None and b is not None:
                cv2.line(img, a, b, colour, 2, cv2.LINE_AA)
        for p in filter(None, pts):
            cv2.circle(img, p, 3, colour, -1, cv2.LINE_AA)
        ly = top + 15 + 22 * k
        cv2.line(img, (left + pw + 15, ly - 5), (left + pw + 40, ly - 5), colour, 2, cv2.LINE_AA)
        _text(img, name, (left + pw + 45, ly))

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if not cv2.imwrite(str(path), img):
        raise OSError(f"could not write plot {path}")
    return path

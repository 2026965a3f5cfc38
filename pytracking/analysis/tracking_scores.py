"""Scores of tracking runs: box measures always, J and F where the dataset has ground-truth masks and
the run wrote masks; one run's table and several runs side by side (used by run_tracker.py and
tracking_report.py). Which frames count is explained in tracking_metrics.py; a sequence without
results counts as lost (every box wrong, every mask empty) and is listed.
"""
from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

import numpy as np

from ltr.data.image_loader import ImageReadError, PathLike
from ltr.data.tracking_files import read_boxes
from ltr.dataset.sequence import VideoSequence
from pytracking.analysis.metrics import PROTOCOLS
from pytracking.analysis.report import evaluate_method, plot_curve
from pytracking.analysis.tracking_metrics import (MEASURES, OVERLAP_THRESHOLDS, dataset_measures, sequence_measures,
                                                  thresholds)
from pytracking.evaluation.baselines import MaskFolder
from pytracking.utils.cli import count

MASK_MEASURES = ("J-mean", "F-mean", "J&F-mean")
COLUMNS = MEASURES + MASK_MEASURES


# ---- results ----------------------------------------------------------------------------------------

def read_predictions(path: Path, n: int) -> Optional[np.ndarray]:
    """The (n, 4) boxes of a result file (zero-size or unreadable rows: NaN); None when it does not exist."""
    if not path.is_file():
        return None
    boxes, _ = read_boxes(path)
    if len(boxes) != n:
        raise ValueError(f"{path}: {len(boxes)} boxes for {n} frames")
    return boxes


def _image_size(seq: VideoSequence) -> Optional[Tuple[int, int]]:
    try:
        return seq.image_size
    except ImageReadError:
        return None


# ---- evaluation ---------------------------------------------------------------------------------------

def evaluate_run(sequences: Sequence[VideoSequence], results_dir: PathLike, segmentation_dir: Optional[PathLike],
                 protocol: str = "davis", label: Optional[str] = None) -> Dict[str, Any]:
    """Box measures of a run's results and, when every sequence has ground-truth masks and the run has a
    masks folder, J and F under ``protocol``. Returns {"label", "results_dir", "segmentation_dir",
    "protocol", "measures" (dataset values and curves), "sequences" (per sequence), "missing" (no results),
    "unscored" (masks that could not be scored, with why: counted as J = F = 0)}."""
    results_dir = Path(results_dir)
    per_seq: Dict[str, Dict[str, Any]] = {}
    missing = []
    for seq in sequences:
        pred = read_predictions(results_dir / f"{seq.name}.txt", len(seq))
        if pred is None:
            missing.append(seq.name)
            pred = np.full((len(seq), 4), np.nan)
        per_seq[seq.name] = sequence_measures(pred, seq.boxes, seq.visible, _image_size(seq))
    measures = dataset_measures(per_seq)
    unscored: Dict[str, str] = {}
    if segmentation_dir is not None and all(s.gt_masks is not None for s in sequences):
        vos = evaluate_method(MaskFolder(segmentation_dir), sequences, protocol, progress=False)
        unscored = {name: why for name, why in vos["failed"].items() if name not in missing}
        for m in ("J", "F"):
            measures.update({f"{m}-{k}": v for k, v in vos["dataset"][m].items()})
            for name, entry in per_seq.items():  # a sequence whose masks could not be read scores 0
                entry[f"{m}-mean"] = vos["sequences"][name][m]["mean"] if name in vos["sequences"] else 0.0
            measures[f"{m}-mean"] = float(np.mean([entry[f"{m}-mean"] for entry in per_seq.values()]))
        measures["J&F-mean"] = (measures["J-mean"] + measures["F-mean"]) / 2
        for entry in per_seq.values():
            entry["J&F-mean"] = (entry["J-mean"] + entry["F-mean"]) / 2
    return {"label": label or results_dir.name, "results_dir": str(results_dir),
            "segmentation_dir": None if segmentation_dir is None else str(segmentation_dir), "protocol": protocol,
            "measures": measures, "sequences": per_seq, "missing": missing, "unscored": unscored,
            "thresholds": thresholds()}


def _cell(value: Any) -> str:
    return "–" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value:.3f}"


def _columns(rows: Sequence[Mapping[str, Any]]) -> Tuple[str, ...]:
    return tuple(c for c in COLUMNS if any(c in r for r in rows))


def _table(header: str, rows: Sequence[Tuple[str, Mapping[str, Any]]]) -> List[str]:
    cols = _columns([r for _, r in rows])
    lines = [f"| {header} | " + " | ".join(cols) + " |", "|---|" + "---:|" * len(cols)]
    lines += [f"| {label} | " + " | ".join(_cell(r.get(c)) for c in cols) + " |" for label, r in rows]
    return lines


def _notes(result: Mapping[str, Any]) -> List[str]:
    m = result["measures"]
    lines = [f"{count(m['n_sequences'], 'sequence')}, {count(m['frames_scored'], 'frame')} scored (LaSOT measures), "
             f"{m['got10k_frames_scored']} (GOT-10k measures: the initial frame skipped)"
             + (f"; J/F under protocol '{result['protocol']}' ({PROTOCOLS[result['protocol']]})"
                if "J-mean" in m else "; no J/F (no ground-truth masks or no masks folder)") + "."]
    if result["missing"]:
        lines.append(f"No results for {count(len(result['missing']), 'sequence')}, counted as lost: "
                     + ", ".join(result["missing"]) + ".")
    for name, why in result.get("unscored", {}).items():
        lines.append(f"{name}: masks not scored, counted as J = F = 0 ({why}).")
    return lines


def run_markdown(result: Mapping[str, Any]) -> str:
    """One run: a row per sequence and the dataset row."""
    rows = [(name, entry) for name, entry in result["sequences"].items()]
    lines = [f"# {result['label']}", "", *_notes(result), ""]
    lines += _table("Sequence", rows + [("**Dataset**", result["measures"])])
    return "\n".join(lines) + "\n"


def comparison_markdown(results: Sequence[Mapping[str, Any]], dataset: str) -> str:
    """Several runs: a row per run."""
    lines = [f"# Tracking on {dataset}", ""]
    for r in results:
        lines += [f"- {r['label']} ({r['results_dir']}): " + " ".join(_notes(r))]
    lines.append("")
    lines += _table("Run", [(r["label"], r["measures"]) for r in results])
    return "\n".join(lines) + "\n"


def write_json(path: Path, content: Any) -> Path:
    """JSON with NaN written as null (valid JSON for every reader)."""
    def clean(value: Any) -> Any:
        if isinstance(value, float) and math.isnan(value):
            return None
        if isinstance(value, dict):
            return {k: clean(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [clean(v) for v in value]
        return value

    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(clean(content), indent=1))
    return path


def write_run_summary(result: Mapping[str, Any], out_dir: PathLike, dataset: str) -> Tuple[Path, Path]:
    """<out_dir>/summary_<dataset>.json and .md of one run."""
    out_dir = Path(out_dir)
    md = out_dir / f"summary_{dataset}.md"
    md.write_text(run_markdown(result))
    return write_json(out_dir / f"summary_{dataset}.json", {"dataset": dataset, **result}), md


def plot_success(results: Sequence[Mapping[str, Any]], path: PathLike) -> Path:
    """Success curves (share of frames with IoU > threshold) of several runs, AUC in the legend."""
    series = {f"{r['label']} [{r['measures']['AUC']:.3f}]": r["measures"]["success"] for r in results}
    return plot_curve(OVERLAP_THRESHOLDS, series, path, "overlap threshold", "success rate")

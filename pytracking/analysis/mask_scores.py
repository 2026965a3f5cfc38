"""Scores and summaries of box->mask runs (pytracking/evaluation/mask_runs.py) on a dataset with
ground-truth masks: one row per run, the protocol and settings named, and the J-against-T plot; what
evaluate_masks.py and tables.py write."""
from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

from ltr.data.image_loader import PathLike
from ltr.dataset.sequence import VideoSequence
from pytracking.analysis.metrics import PROTOCOLS, STATISTICS, scored_frame_count
from pytracking.analysis.report import MEASURES, evaluate_method, format_value, plot_curve, write_results
from pytracking.evaluation.box2seg_method import Box2Seg, aggregation_parameters
from pytracking.evaluation.mask_runs import Run
from pytracking.utils.cli import EXIT_OK, EXIT_PROBLEMS, count

COLUMNS = tuple(f"{m}-{s}" for m in MEASURES for s in STATISTICS) + ("J&F-mean",)


def evaluate_runs(runs: Sequence[Run], sequences: Sequence[VideoSequence], protocol: str, out: PathLike,
                  tool: str) -> List[Dict[str, Any]]:
    """Evaluate every run, writing <out>/<label>/results.{json,md}, with progress lines starting with
    ``tool`` (so a log says whose they are); one summary row per run (values None for a run without a method;
    sequences that failed, with why, under 'failed' and in the note)."""
    rows = []
    for k, run in enumerate(runs):
        if run.method is None:
            rows.append({"label": run.label, "family": run.family, "T": run.num_frames, **dict.fromkeys(COLUMNS),
                         "note": run.note})
            continue
        results = evaluate_method(run.method, sequences, protocol,
                                  label=f"{tool} run {k + 1}/{len(runs)} {run.label} [{protocol}]")
        json_path, _ = write_results(results, Path(out) / run.label)
        ds = results["dataset"]
        stats = {f"{m}-{s}": ds[m][s] for m in MEASURES for s in STATISTICS}
        failed = results["failed"]
        note = f"{len(failed)} of {len(sequences)} sequences FAILED, not scored: {', '.join(failed)}" if failed else ""
        rows.append({"label": run.label, "family": run.family, "T": run.num_frames, **stats,
                     "J&F-mean": ds["J&F-mean"], "note": note, "failed": failed, "results": str(json_path)})
    return rows


def summary_markdown(rows: Sequence[Mapping[str, Any]], title: str, context: Mapping[str, Any]) -> str:
    """The table (rows = method/T) under a title and the protocol, dataset and settings it was made with."""
    protocol = context["protocol"]
    lines = [f"# {title}", "", f"Protocol '{protocol}' ({PROTOCOLS[protocol]}).",
             ", ".join(f"{k}: {v}" for k, v in context.items() if k not in ("protocol", "sequences", "weights")) + ".",
             ""]
    lines += ["| Method | T | " + " | ".join(COLUMNS) + " | Note |", "|---|---:|" + "---:|" * len(COLUMNS) + "---|"]
    for r in rows:
        cells = [r["label"], "-" if r["T"] is None else str(r["T"])] + [format_value(r[c]) for c in COLUMNS]
        cells.append(r["note"])
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def write_summary(rows: Sequence[Mapping[str, Any]], out: PathLike, stem: str, title: str,
                  context: Mapping[str, Any]) -> Tuple[Path, Path]:
    """<out>/<stem>.json (rows and context) and <out>/<stem>.md (the table)."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    json_path, md_path = out / f"{stem}.json", out / f"{stem}.md"
    json_path.write_text(json.dumps({"title": title, **context, "rows": list(rows)}, indent=1))
    md_path.write_text(summary_markdown(rows, title, context))
    return json_path, md_path


def plot_j_vs_frames(rows: Sequence[Mapping[str, Any]], path: PathLike) -> Optional[Path]:
    """J-mean against T, one curve per family; methods without T as flat lines. None without any T."""
    frame_counts = sorted({r["T"] for r in rows if r["T"] is not None})
    if not frame_counts:
        return None
    series: Dict[str, List[float]] = {}
    for r in rows:
        value = math.nan if r["J-mean"] is None else r["J-mean"]
        curve = series.setdefault(r["family"], [math.nan] * len(frame_counts))
        for k, t in enumerate(frame_counts):
            if r["T"] in (None, t):
                curve[k] = value
    return plot_curve(frame_counts, series, path, "number of frames T", "J-mean")


def run_context(args: argparse.Namespace, sequences: Sequence[VideoSequence], weights: Any, runs: Sequence[Run]
                ) -> Dict[str, Any]:
    """What a summary was computed on: dataset, protocol, box2seg settings, weights, and the frames each
    run's J and F are averaged over when no sequence fails (``--frame-step`` and the protocol applied)."""
    method = next((r.method for r in runs if isinstance(r.method, Box2Seg)), None)
    box2seg = None if method is None else method.settings
    settings = {} if box2seg is None else {
        "interval": box2seg.interval, "iters": box2seg.iters, "crop_size": "x".join(map(str, box2seg.crop_size)),
        "search_area": box2seg.search_area,
        "mode": "fast" if box2seg.fast else "exact", "solver": box2seg.solver, **aggregation_parameters(method.net)}
    return {"dataset": args.dataset, "protocol": args.protocol, "frame_step": args.frame_step, **settings,
            "n_sequences": len(sequences),
            "n_frames_scored": sum(scored_frame_count(len(s), args.protocol) for s in sequences), "weights": weights,
            "sequences": [s.name for s in sequences]}


def finish(rows: Sequence[Mapping[str, Any]], out: PathLike, stem: str, title: str, context: Mapping[str, Any],
           plot: bool) -> int:
    """Write the summary (and the J-vs-T plot), print the table and where everything went; the exit code
    (EXIT_PROBLEMS when some sequence failed in some run)."""
    json_path, md_path = write_summary(rows, out, stem, title, context)
    print(md_path.read_text())
    print(f"summary: {md_path} and {json_path}")
    if plot:
        plot_path = plot_j_vs_frames(rows, Path(out) / f"{stem}_j_vs_frames.png")
        print(f"plot: {plot_path}" if plot_path else "no plot: no run has a number of frames T")
    failed = sorted({name for r in rows for name in r.get("failed", {})})
    if failed:
        print(f"{count(len(failed), 'sequence')} FAILED in some run and not scored: {', '.join(failed)} (why: in the "
              "log and the per-run results)", file=sys.stderr)
    return EXIT_PROBLEMS if failed else EXIT_OK

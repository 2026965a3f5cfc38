"""Box->mask runs (a method at a number of frames T) on a dataset with ground-truth masks, their
summaries and the J-against-T plot: what box2mask.py and tables.py compute and write.

Only datasets with ground-truth masks are offered (``SCORED``): a folder or a tracking dataset has
boxes only, so nothing could be scored (pytracking/annotate/run.py writes masks for those).
"""
from __future__ import annotations

import argparse
import json
import math
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

from ltr.data.image_loader import PathLike
from ltr.dataset.sequence import VideoSequence
from ltr.models.box2seg.box2seg_net import Box2SegNet
from pytracking.evaluation.baselines import Method, get_method
from pytracking.evaluation.box2seg_method import Box2Seg, aggregation_parameters, fixed_num_frames
from pytracking.evaluation.datasets import DATASETS, get_dataset
from pytracking.evaluation.metrics import PROTOCOLS, STATISTICS
from pytracking.evaluation.report import MEASURES, evaluate_method, format_value, plot_curve, write_results
from pytracking.annotate.settings import AnnotateSettings
from pytracking.utils.cli import (EXIT_OK, EXIT_PROBLEMS, UsageError, add_inference_arguments, add_protocol_argument,
                                  inference_settings)

COLUMNS = tuple(f"{m}-{s}" for m in MEASURES for s in STATISTICS) + ("J&F-mean",)
SCORED = {name: d for name, d in DATASETS.items() if d.scored}


def add_data_arguments(p: argparse.ArgumentParser) -> None:
    """--dataset (those with masks), --root, --resolution, --sequences, --frame-step, --protocol, --out."""
    g = p.add_argument_group("data")
    g.add_argument("--dataset", required=True, choices=list(SCORED),
                   help="; ".join(f"{k}: {v.description}" for k, v in SCORED.items()))
    g.add_argument("--root", help="dataset root (default: from pytracking/evaluation/local.py)")
    g.add_argument("--resolution", help="DAVIS resolution folder (default 480p; davis16_heldout 240p)")
    g.add_argument("--sequences", nargs="+", help="only these videos")
    g.add_argument("--frame-step", type=int, default=1, metavar="K",
                   help="score every K-th frame only, 0, K, 2K, ... (box2seg's windows still use all frames)")
    add_protocol_argument(g)
    g.add_argument("--out", required=True, help="output folder")


@dataclass
class Run:
    """One evaluation: a method at one T (None: the method has no T); ``label`` names its row and folder.
    A run without a method is a configuration that cannot be evaluated: its row says why (``note``)."""

    label: str
    method: Optional[Method]
    family: str  # rows of one family form one curve in the plot
    num_frames: Optional[int] = None
    note: str = ""


def add_box2seg_arguments(p: argparse.ArgumentParser) -> None:
    """The inference group, Δ defaulting to the dataset's (the paper's 5 on DAVIS)."""
    add_inference_arguments(p, f"the paper's, 5 on the DAVIS datasets, {AnnotateSettings().interval} elsewhere")


def box2seg_settings(args: argparse.Namespace) -> Dict[str, Any]:
    """Box2Seg keyword arguments (all but T) from the command line, checked; Δ defaults to the dataset's,
    crop size and search area (None) to what the checkpoint was trained for."""
    settings = inference_settings(args)
    return dict(settings, interval=settings["interval"] or get_dataset(args.dataset).interval, device=args.device)


def load_sequences(args: argparse.Namespace) -> List[VideoSequence]:
    """The dataset's sequences, every ``--frame-step``-th frame of each; refuses datasets without masks."""
    if args.frame_step < 1:
        raise UsageError("--frame-step must be at least 1")
    sequences = get_dataset(args.dataset).loader(args.root, args.resolution, args.sequences)
    if not sequences:
        raise UsageError(f"no sequences in {args.dataset}")
    return [s.select(range(0, len(s), args.frame_step)) if args.frame_step > 1 else s for s in sequences]


def box2seg_runs(net: Box2SegNet, name: str, frame_counts: Sequence[int], settings: Mapping[str, Any]) -> List[Run]:
    """One run per T; a T the network cannot use (a fixed-T aggregation) gets a run without a method."""
    if any(t < 1 for t in frame_counts):
        raise UsageError("--num-frames values must be at least 1")
    fixed = fixed_num_frames(net)
    runs = []
    for t in dict.fromkeys(frame_counts):
        if fixed is not None and t != fixed:
            runs.append(Run(f"{name}_T{t}", None, name, t, f"n/a: aggregates exactly T={fixed} frames"))
        else:
            method = Box2Seg(net=net, name=name, num_frames=t, **settings)
            runs.append(Run(method.name, method, name, t))
    return runs


def baseline_run(name: str, masks: Optional[str] = None) -> Run:
    """A method without T (box-fill, GrabCut, a folder of predicted masks)."""
    if name == "maskfolder":
        if not masks:
            raise UsageError("--method maskfolder needs --masks DIR")
        if not Path(masks).is_dir():
            raise UsageError(f"--masks: no folder {masks}")
        method = get_method(name, folder=masks)
    else:
        method = get_method(name)
    return Run(name, method, name)


# ---- evaluation and summaries ------------------------------------------------------------------------

def evaluate_runs(runs: Sequence[Run], sequences: Sequence[VideoSequence], protocol: str, out: PathLike
                  ) -> List[Dict[str, Any]]:
    """Evaluate every run, writing <out>/<label>/results.{json,md}; one summary row per run (values
    None for a run without a method; sequences that failed, with why, under 'failed' and in the note)."""
    rows = []
    for run in runs:
        if run.method is None:
            rows.append({"label": run.label, "family": run.family, "T": run.num_frames, **dict.fromkeys(COLUMNS),
                         "note": run.note})
            continue
        results = evaluate_method(run.method, sequences, protocol)
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
    """What a summary was computed on: dataset, protocol, frames scored, box2seg settings, weights."""
    method = next((r.method for r in runs if isinstance(r.method, Box2Seg)), None)
    box2seg = None if method is None else method.settings
    settings = {} if box2seg is None else {
        "interval": box2seg.interval, "iters": box2seg.iters, "crop_size": "x".join(map(str, box2seg.crop_size)),
        "search_area": box2seg.search_area,
        "mode": "fast" if box2seg.fast else "exact", "solver": box2seg.solver, **aggregation_parameters(method.net)}
    return {"dataset": args.dataset, "protocol": args.protocol, "frame_step": args.frame_step, **settings,
            "n_sequences": len(sequences),
            "n_frames_scored": sum(len(s) for s in sequences), "weights": weights,
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
        print(f"{len(failed)} sequences FAILED in some run and were not scored: {', '.join(failed)} (why: in the "
              "log and the per-run results)", file=sys.stderr)
    return EXIT_PROBLEMS if failed else EXIT_OK

"""Score box->mask methods on a named dataset, box2seg for several numbers of frames T.

    python pytracking/evaluation/box2mask.py --dataset davis16_heldout --method box2seg boxfill \\
        --weights ckpt.pth.tar --num-frames 1 3 5 9 --interval 5 --protocol all --out DIR \\
        [--frame-step 4] [--crop-size 96x160] [--search-area 2.0] [--device cpu] [--sequences boat surf]
    python pytracking/evaluation/box2mask.py --dataset davis2017_val --method maskfolder --masks PRED --out DIR

Each run (box2seg: one per T; boxfill, grabcut and maskfolder ignore T: one run) writes
<out>/<run>/results.{json,md}; all runs together give <out>/summary.{json,md} (one row per run, the
protocol named) and <out>/summary_j_vs_frames.png (J-mean against T; methods without T: flat lines).
``--frame-step k`` scores every k-th frame only (for every method alike); box2seg's temporal
windows still use all frames. A sequence with a missing or unreadable file (frame, ground truth,
prediction) is not scored: it is named in the log, the tables and the JSON. Exit code 0: every
sequence scored; 1: some failed; 2: usage or configuration errors.
"""
from __future__ import annotations

import argparse
import json
import math
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

if __package__ in (None, ""):  # run as a script: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from ltr.data.image_loader import PathLike
from ltr.models.box2seg.box2seg_net import Box2SegNet
from pytracking.annotate.crop import parse_size
from pytracking.annotate.engine import AnnotateSettings
from pytracking.annotate.run import UsageError, add_mode_arguments, load_weights
from pytracking.evaluation.baselines import Method, get_method
from pytracking.evaluation.box2seg_method import (Box2Seg, aggregation_parameters, fixed_num_frames,
                                                  without_aggregated_scores)
from pytracking.evaluation.datasets import DATASETS, get_dataset
from pytracking.evaluation.environment import env_settings
from pytracking.utils.loading import DEFAULT_BOX2SEG
from pytracking.evaluation.metrics import PROTOCOLS, STATISTICS
from pytracking.evaluation.report import MEASURES, evaluate_method, format_value, plot_curve, write_results
from pytracking.evaluation.sequences import EvalSequence

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
METHOD_CHOICES = ("box2seg", "boxfill", "grabcut", "maskfolder")
COLUMNS = tuple(f"{m}-{s}" for m in MEASURES for s in STATISTICS) + ("J&F-mean",)


@dataclass
class Run:
    """One evaluation: a method at one T (None: the method has no T); ``label`` names its row and folder.
    A run without a method is a configuration that cannot be evaluated: its row says why (``note``)."""

    label: str
    method: Optional[Method]
    family: str  # rows of one family form one curve in the plot
    num_frames: Optional[int] = None
    note: str = ""


# ---- command line pieces shared with tables.py -------------------------------------------------------

def add_data_arguments(p: argparse.ArgumentParser) -> None:
    """--dataset, --root, --resolution, --sequences, --frame-step, --protocol, --out."""
    g = p.add_argument_group("data")
    g.add_argument("--dataset", required=True, choices=list(DATASETS),
                   help="; ".join(f"{k}: {v.description}" for k, v in DATASETS.items()))
    g.add_argument("--root", help="dataset root (default: from pytracking/evaluation/local.py)")
    g.add_argument("--resolution", help="DAVIS resolution folder (default 480p; davis16_heldout 240p)")
    g.add_argument("--sequences", nargs="+", help="only these videos")
    g.add_argument("--frame-step", type=int, default=1, metavar="K",
                   help="score every K-th frame only, 0, K, 2K, ... (box2seg's windows still use all frames)")
    g.add_argument("--protocol", default="all", choices=list(PROTOCOLS),
                   help="; ".join(f"{k}: {v}" for k, v in PROTOCOLS.items()))
    g.add_argument("--out", required=True, help="output folder")


def add_inference_arguments(p: argparse.ArgumentParser) -> None:
    """box2seg inference settings other than T (defaults: the paper's; it uses Δ=5 on DAVIS)."""
    d = AnnotateSettings()
    g = p.add_argument_group("box2seg inference")
    g.add_argument("--interval", type=int, help=f"Δ, frames between window slots (default: the paper's, 5 on the DAVIS "
                                                f"datasets, {d.interval} elsewhere)")
    g.add_argument("--iters", type=int, default=d.iters, help=f"steepest-descent iterations (default {d.iters})")
    g.add_argument("--search-area", type=float, help="crop side / box side (default: what the checkpoint was "
                                                      f"trained for, else {d.search_area:g})")
    g.add_argument("--crop-size", type=parse_size, metavar="HxW", help="network input size, multiples of 16 "
                   "(default: what the checkpoint was trained for, else 480x832)")
    g.add_argument("--batch-windows", type=int, default=d.batch_windows, help=f"windows segmented together (default {d.batch_windows})")
    g.add_argument("--bf16", action="store_true", help="bfloat16 autocast (for CUDA)")
    add_mode_arguments(g)
    g.add_argument("--device", help="e.g. cuda:0 or cpu (default: a GPU when there is one)")
    g.add_argument("--workers", type=int, default=d.workers, help=f"threads reading frames (default {d.workers})")


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="box2mask.py", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--method", nargs="+", default=["box2seg"], choices=METHOD_CHOICES, help="methods to evaluate")
    p.add_argument("--weights", help=f"box2seg: our checkpoint or the official sta.pth.tar (default: the shipped "
                                     f"{DEFAULT_BOX2SEG})")
    p.add_argument("--num-frames", type=int, nargs="+", default=[AnnotateSettings().num_frames], metavar="T",
                   help="box2seg: frames per temporal window, one run each (default %(default)s)")
    p.add_argument("--masks", help="maskfolder: predictions as <masks>/<sequence>/<frame stem>.png")
    p.add_argument("--zero-scores", action="store_true",
                   help="box2seg: also run each T with the aggregated scores s_t and ŝ_t replaced by zeros "
                        "(runs box2seg_s0_T*); the J it loses is what S contributes")
    add_data_arguments(p)
    add_inference_arguments(p)
    return p


def inference_settings(args: argparse.Namespace) -> Dict[str, Any]:
    """Box2Seg keyword arguments (all but T) from the command line, checked; Δ defaults to the dataset's,
    crop size and search area (None) to what the checkpoint was trained for."""
    for flag in ("interval", "iters", "batch_windows", "workers"):
        if getattr(args, flag) is not None and getattr(args, flag) < 1:
            raise UsageError(f"--{flag.replace('_', '-')} must be at least 1")
    if args.search_area is not None and args.search_area <= 0:
        raise UsageError("--search-area must be positive")
    interval = args.interval or get_dataset(args.dataset).interval
    return dict(interval=interval, iters=args.iters, search_area=args.search_area, crop_size=args.crop_size,
                batch_windows=args.batch_windows, bf16=args.bf16, workers=args.workers, device=args.device,
                fast=args.fast, solver=args.solver)


def load_sequences(args: argparse.Namespace) -> List[EvalSequence]:
    """The dataset's sequences, every ``--frame-step``-th frame of each; refuses datasets without masks."""
    if args.frame_step < 1:
        raise UsageError("--frame-step must be at least 1")
    dataset = get_dataset(args.dataset)
    if not dataset.scored:
        raise UsageError(f"{args.dataset} has boxes but no ground-truth masks, so nothing can be scored; "
                         "to segment it, use pytracking/annotate/run.py")
    sequences = dataset.loader(args.root, args.resolution, args.sequences)
    if not sequences:
        raise UsageError(f"no sequences in {args.dataset}")
    return [s.select(range(0, len(s), args.frame_step)) if args.frame_step > 1 else s for s in sequences]


def load_box2seg(weights: Optional[str]) -> Box2SegNet:
    """A box2seg network from a checkpoint path (or a name in network_path); UsageError when unusable."""
    return load_weights(weights, env_settings().network_path)


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

def evaluate_runs(runs: Sequence[Run], sequences: Sequence[EvalSequence], protocol: str, out: PathLike
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


def run_context(args: argparse.Namespace, sequences: Sequence[EvalSequence], weights: Any, runs: Sequence[Run]
                ) -> Dict[str, Any]:
    """What a summary was computed on: dataset, protocol, frames scored, box2seg settings, weights."""
    box2seg = next((r.method.settings for r in runs if isinstance(r.method, Box2Seg)), None)
    settings = {} if box2seg is None else {
        "interval": box2seg.interval, "iters": box2seg.iters, "crop_size": "x".join(map(str, box2seg.crop_size)),
        "search_area": box2seg.search_area,
        "mode": "fast" if box2seg.fast else "exact", "solver": box2seg.solver}
    if box2seg is not None:
        settings.update(aggregation_parameters(next(r.method.net for r in runs if isinstance(r.method, Box2Seg))))
    return {"dataset": args.dataset, "protocol": args.protocol, "frame_step": args.frame_step, **settings,
            "n_sequences": len(sequences),
            "n_frames_scored": sum(len(s) for s in sequences), "weights": weights,
            "sequences": [s.name for s in sequences]}


def finish(rows: Sequence[Mapping[str, Any]], out: PathLike, stem: str, title: str, context: Mapping[str, Any],
           plot: bool) -> int:
    """Write the summary (and the J-vs-T plot), print the table and where everything went; the exit code
    (EXIT_FAILED when some sequence failed in some run)."""
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
    return EXIT_FAILED if failed else EXIT_OK


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = inference_settings(args)
        sequences = load_sequences(args)
        runs: List[Run] = []
        for name in dict.fromkeys(args.method):
            if name == "box2seg":
                net = load_box2seg(args.weights)
                runs += box2seg_runs(net, "box2seg", args.num_frames, settings)
                if args.zero_scores:
                    runs += box2seg_runs(without_aggregated_scores(net), "box2seg_s0", args.num_frames, settings)
            else:
                runs.append(baseline_run(name, args.masks))
        Path(args.out).mkdir(parents=True, exist_ok=True)
    except (UsageError, ValueError, OSError) as err:  # OSError: e.g. an output folder that cannot be made
        print(f"error: {err}", file=sys.stderr)
        return EXIT_USAGE
    rows = evaluate_runs(runs, sequences, args.protocol, args.out)
    weights = next((str(getattr(r.method.net, "weights_path", args.weights)) for r in runs
                    if isinstance(r.method, Box2Seg)), args.weights)
    return finish(rows, args.out, "summary", f"box->mask on {args.dataset}",
                  run_context(args, sequences, weights, runs), plot=True)


if __name__ == "__main__":
    sys.exit(main())

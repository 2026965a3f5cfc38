"""Run a tracker on a dataset, write pytracking's results layout and score it.

    python pytracking/run_tracker.py lwl default --dataset davis16_heldout                 # VOS mode
    python pytracking/run_tracker.py lwl default --dataset got10k_val --mode box            # first box only
    python pytracking/run_tracker.py lwl default --dataset folder --root /data/vot2015-bag --mode box
    python pytracking/run_tracker.py lwl lwl_ytvos --dataset davis2017_val --device cuda:0
    python pytracking/run_tracker.py lwl default --network ckpt.pth.tar --name model_ii --dataset davis16_heldout

Parameters: pytracking/parameter/<tracker>/<param>.py. Modes: 'vos' starts from the ground-truth mask
of the first frame with a visible target; 'box' from its box only, which the box2seg network turns into
the initial mask, and every later box is the tight box of the predicted mask (the paper's GOT-10k
protocol). The objects of a video (DAVIS-2017, YouTube-VOS) are tracked together, their probabilities
merged into one label map as LWL does; --objects separate tracks them one at a time. Results:
<results_path>/<tracker>/<run>/<seq>.txt (+ _time.txt, run.json) and masks
<segmentation_path>/<tracker>/<run>/<seq>/<frame>.png, where <run> is --name (default: the parameter
name) plus '_box' in box mode; paths come from pytracking/evaluation/local.py (BOX2SEG_RESULTS_PATH,
BOX2SEG_SEGMENTATION_PATH override them). Sequences with results are skipped. At the end the run is
scored (box measures; J and F when the dataset has masks): a table, and
<results_path>/<tracker>/<run>/summary_<dataset>.{md,json}. Compare runs with
pytracking/analysis/tracking_report.py.
Exit code 0; 1 when some input was bad (a frame, a groundtruth line; listed at the end and under
"problems" in summary_<dataset>.json); 2 on usage or configuration errors.
"""
from __future__ import annotations

import importlib
import os
import pkgutil
import sys
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Dict, List, Optional, Sequence, Tuple

if __package__ in (None, ""):  # run as a script: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pytracking.analysis.metrics import PROTOCOLS
from pytracking.evaluation.arguments import DATA_FIELDS, MODES, OBJECTS, add_dataset_arguments, load_sequences
from pytracking.utils.cli import (EXIT_INTERRUPTED, EXIT_OK, EXIT_PROBLEMS, Parser, Progress, UsageError,
                                  add_device_arguments, add_protocol_argument, continue_command, count, find_network,
                                  folder_name, load_checked, load_weights, output_folder, pick_device, set_threads,
                                  setting_name, usage_error)
from pytracking.tracker import get_tracker_class, tracker_names

if TYPE_CHECKING:
    from ltr.dataset.sequence import VideoSequence
    from pytracking.evaluation.running import InitialMask, ResultLayout
    from pytracking.tracker.base import Tracker

MAX_TABLE_ROWS = 40


def build_parser() -> Parser:
    p = Parser(prog="run_tracker.py", description=__doc__)
    p.add_argument("tracker", help=f"tracker name: {', '.join(tracker_names())}")
    p.add_argument("param", help="parameter module in pytracking/parameter/<tracker>/, e.g. default, lwl_ytvos")
    add_dataset_arguments(p)
    p.add_argument("--mode", default="vos", choices=MODES, help="vos: first-frame mask given; box: first box only")
    p.add_argument("--objects", default="together", choices=OBJECTS,
                   help="a video's objects (DAVIS-2017, YouTube-VOS): tracked together, their probabilities merged "
                        "into one label map as LWL does (default), or one at a time")
    p.add_argument("--network", help="the tracker's network (a file, or a name in network_path or "
                                     "pytracking/networks/); default: the parameters'")
    p.add_argument("--box2seg", help="box mode: the box2seg network for the initial mask; default: the parameters' "
                                     "(the shipped one)")
    p.add_argument("--name", type=folder_name,
                   help="the results run's name: results go to <results_path>/<tracker>/<name> (default: the "
                        "parameter name; '_box' is appended in box mode); not a sequence name as in "
                        "annotate/run.py: a --dataset folder sequence keeps its folder's name")
    add_protocol_argument(p, PROTOCOLS)
    add_device_arguments(p)
    return p


def load_parameters(tracker: str, param: str) -> Any:
    """``parameters()`` of pytracking/parameter/<tracker>/<param>.py; UsageError naming the choices."""
    package = importlib.import_module(f"pytracking.parameter.{tracker}")
    available = sorted(m.name for m in pkgutil.iter_modules(package.__path__))
    if param not in available:
        raise UsageError(f"unknown {tracker} parameters {param!r}; choose one of {', '.join(available)}")
    return importlib.import_module(f"pytracking.parameter.{tracker}.{param}").parameters()


def prepare(args) -> Tuple[Callable[[], Tracker], InitialMask, List[VideoSequence], ResultLayout, Dict[str, Any]]:
    """Everything a run needs, checked before any tracking starts (UsageError on any mistake)."""
    from pytracking.evaluation.box2seg_method import Box2Seg
    from pytracking.evaluation.environment import env_settings
    from pytracking.evaluation.running import Box2SegMask, ResultLayout, claim_results, ground_truth_mask

    try:
        tracker_class = get_tracker_class(args.tracker)
    except ValueError as err:
        raise UsageError(str(err)) from None
    name = tracker_class.__name__
    params = load_parameters(args.tracker, args.param)
    set_threads(args.threads)
    network_path = env_settings().network_path
    net_path = find_network(args.network or params.net, network_path, f"{name} network:")
    box2seg_path = find_network(args.box2seg or params.box2seg_net, network_path, "box2seg network:") \
        if args.mode == "box" else None
    sequences = load_sequences(args, videos=args.objects == "together")
    if args.mode == "vos":
        without = [s.name for s in sequences if s.gt_masks is None]
        if without:
            raise UsageError(f"VOS mode needs a first-frame mask, and {args.dataset} has none "
                             f"({', '.join(without[:3])}); use --mode box")
    run_name = (args.name or args.param) + ("_box" if args.mode == "box" else "")
    layout = ResultLayout.of(args.tracker, run_name)
    output_folder(layout.results_dir, setting_name("results_path"))  # before the networks load
    output_folder(layout.segmentation_dir, setting_name("segmentation_path"))
    device = pick_device(args.device, os.environ)
    net = load_checked(net_path, tracker_class.network_type, f"the {name} network",
                       f"the {name} tracker's network", backbone_pretrained=False)
    if box2seg_path is None:
        initial_mask: InitialMask = ground_truth_mask
    else:
        box2seg = load_weights(str(box2seg_path), network_path)
        initial_mask = Box2SegMask(Box2Seg(net=box2seg, device=str(device), num_frames=1, workers=1))
    record = tracker_class.inference_record(net, params)
    sample_size, search_area = record.crop_size, record.search_area
    data = {k: getattr(args, k) for k in DATA_FIELDS}
    if data["root"] is not None:
        data["root"] = str(Path(data["root"]).resolve())
    info = {"tracker": args.tracker, "parameters": args.param, "mode": args.mode, "objects": args.objects,
            "network": str(net_path), "box2seg": None if box2seg_path is None else str(box2seg_path), **data,
            "results_dir": str(layout.results_dir), "segmentation_dir": str(layout.segmentation_dir),
            "settings": {**asdict(params), "image_sample_size": list(sample_size), "search_area_scale": search_area,
                         "solver": record.solver},
            "device": str(device)}
    try:
        claim_results(layout, info)
    except ValueError as err:
        raise UsageError(str(err)) from None
    print(f"[{args.tracker}] network {net_path}, crop {sample_size[0]}x{sample_size[1]}, search area "
          f"{search_area:g}, {args.mode} mode, on {device}; results in {layout.results_dir}, masks in "
          f"{layout.segmentation_dir}", file=sys.stderr)
    return (lambda: tracker_class(net, params, device)), initial_mask, sequences, layout, info


def bad_input(run: Dict[str, Any], initial_mask: InitialMask) -> List[str]:
    """Every problem of the run (bad annotations, unreadable frames, sequences that could not start,
    box2seg fallbacks): listed at the end and in summary_<dataset>.json, so that exit code 1 says why,
    as the annotation tool's summary does."""
    problems = [p for r in run["sequences"] for p in r["problems"]] + [f["reason"] for f in run["failed"]]
    fallbacks = getattr(initial_mask, "fallbacks", [])
    return problems + [f"{name}: box2seg gave an empty initial mask; started from the box" for name in fallbacks]


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        make_tracker, initial_mask, sequences, layout, _ = prepare(args)
    except (UsageError, ValueError, FileNotFoundError) as err:
        return usage_error(err)
    from ltr.dataset.sequence import targets_of
    from pytracking.evaluation.running import run_sequences
    from pytracking.analysis.tracking_scores import (comparison_markdown, evaluate_run, run_markdown,
                                                     write_run_summary)

    try:
        run = run_sequences(make_tracker, sequences, args.mode, initial_mask, layout,
                            Progress(len(sequences), f"[{args.tracker}] {layout.results_dir.name}"))
    except KeyboardInterrupt:
        print(f"\n[{args.tracker}] interrupted; results so far: {layout.results_dir}; continue with (sequences with "
              f"results are skipped): {continue_command(__file__, argv)}", file=sys.stderr)
        return EXIT_INTERRUPTED
    sequences = targets_of(sequences)
    result = evaluate_run(sequences, layout.results_dir, layout.segmentation_dir, args.protocol,
                          layout.results_dir.name)
    problems = bad_input(run, initial_mask) + [f"{name}: masks not scored: {why}"
                                               for name, why in result["unscored"].items()]
    json_path, md_path = write_run_summary({**result, "problems": problems}, layout.results_dir, args.dataset)
    print(run_markdown(result) if len(sequences) <= MAX_TABLE_ROWS else comparison_markdown([result], args.dataset))
    tracked = run["sequences"]
    print(f"{count(len(tracked), 'sequence')} tracked ({count(sum(r['frames'] for r in tracked), 'frame')}, "
          f"{sum(r['seconds'] for r in tracked):.1f} s), {run['already_done']} already had results; "
          f"summary: {md_path} and {json_path}")
    if problems:
        print(f"\nBAD INPUT ({len(problems)}):\n  " + "\n  ".join(problems))
    return EXIT_PROBLEMS if problems else EXIT_OK


if __name__ == "__main__":
    sys.exit(main())

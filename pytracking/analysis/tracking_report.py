"""Score tracking runs and put several side by side: box measures always, J and F where the dataset has
ground-truth masks and the run wrote masks.

    python pytracking/analysis/tracking_report.py --results RUN_DIR [LABEL=RUN_DIR ...] --out DIR
        [--protocol davis] [--dataset davis16_heldout --root R --sequences S ...]

A run folder is ``<results_path>/<tracker>/<run>`` as run_tracker.py writes it; its run.json names the
folder of its masks and the data it ran on (dataset, root, resolution, sequences, boxes), which is
used when --dataset is not given. Writes <out>/tracking_report.json (everything, per sequence too),
<out>/tracking_report.md (one row per run: AO, SR0.5, SR0.75 (GOT-10k), AUC, Precision,
NormPrecision (LaSOT), J/F/J&F means) and <out>/success_plot.png (success curves, AUC in the legend).
Which frames count is explained in tracking_metrics.py; a sequence without results counts as lost
(every box wrong, every mask empty) and is listed. Exit code 0; 2 on usage errors.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, Dict, Optional, Sequence, Tuple

if __package__ in (None, ""):  # run as a script: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from pytracking.analysis.metrics import PROTOCOLS
from pytracking.evaluation.arguments import DATA_FIELDS, add_dataset_arguments, load_sequences
from pytracking.utils.cli import (EXIT_OK, Parser, UsageError, add_protocol_argument, output_folder, set_threads,
                                  usage_error)


def parse_run(spec: str) -> Tuple[str, Path, Dict[str, Any]]:
    """'[LABEL=]DIR' -> (label, results folder, its run.json or {})."""
    label, _, folder = spec.rpartition("=")
    results_dir = Path(folder)
    if not results_dir.is_dir():
        raise UsageError(f"--results: no folder {results_dir}")
    run_file = results_dir / "run.json"
    return label or results_dir.name, results_dir, json.loads(run_file.read_text()) if run_file.is_file() else {}


def recorded_data(args, runs: Sequence[Tuple[str, Path, Dict[str, Any]]]) -> None:
    """Without --dataset, the data the first run's run.json records (--root etc. given still apply)."""
    if args.dataset is not None:
        return
    recorded = next((info for _, _, info in runs if info.get("dataset")), None)
    if recorded is None:
        raise UsageError("--dataset is needed: no run.json in the --results folders records it")
    for field in DATA_FIELDS:
        if getattr(args, field) is None:
            setattr(args, field, recorded.get(field))
    print(f"[report] data from run.json: {', '.join(f'{k} {recorded.get(k)}' for k in DATA_FIELDS if recorded.get(k))}",
          file=sys.stderr)


def build_parser() -> Parser:
    p = Parser(prog="tracking_report.py", description=__doc__)
    p.add_argument("--results", nargs="+", required=True, metavar="[LABEL=]DIR",
                   help="run folders <results_path>/<tracker>/<run> (label: the folder's name)")
    add_dataset_arguments(p, required=False, default_help=" (default: what the first run's run.json records)")
    add_protocol_argument(p, PROTOCOLS)
    p.add_argument("--out", required=True, help="output folder")
    p.add_argument("--threads", type=int, help="CPU threads of OpenCV and PyTorch (default: their choice)")
    return p


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = build_parser().parse_args(argv)
    from pytracking.analysis.tracking_scores import comparison_markdown, evaluate_run, plot_success, write_json

    try:
        set_threads(args.threads)
        runs = [parse_run(spec) for spec in args.results]
        recorded_data(args, runs)
        sequences = load_sequences(args)
        results = [evaluate_run(sequences, folder, info.get("segmentation_dir"), args.protocol, label)
                   for label, folder, info in runs]
        out = output_folder(args.out)
    except (UsageError, ValueError) as err:
        return usage_error(err)
    json_path = write_json(out / "tracking_report.json", {"dataset": args.dataset, "runs": results})
    md_path = out / "tracking_report.md"
    md_path.write_text(comparison_markdown(results, args.dataset))
    plot = plot_success(results, out / "success_plot.png")
    print(md_path.read_text())
    print(f"report: {md_path} and {json_path}; plot: {plot}")
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())

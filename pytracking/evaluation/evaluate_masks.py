"""Run box->mask methods (box2seg, box-fill, GrabCut, a folder of predicted masks) on a named dataset with
ground-truth masks and score their masks, box2seg for several numbers of frames T.

    python pytracking/evaluation/evaluate_masks.py --dataset davis16_heldout --method box2seg boxfill \\
        --weights ckpt.pth.tar --num-frames 1 3 5 9 --interval 5 --protocol davis --out DIR \\
        [--frame-step 4] [--crop-size 96x160] [--search-area 2.0] [--device cpu] [--sequences boat surf]
    python pytracking/evaluation/evaluate_masks.py --dataset davis2017_val --method maskfolder --masks PRED --out DIR

Each run (box2seg: one per T; boxfill, grabcut and maskfolder ignore T: one run) writes
<out>/<run>/results.{json,md}; all runs together give <out>/summary.{json,md} (one row per run, the
protocol named) and <out>/summary_j_vs_frames.png (J-mean against T; methods without T: flat lines).
``--frame-step k`` scores every k-th frame only (for every method alike); box2seg's temporal
windows still use all frames. A sequence with a missing or unreadable file (frame, ground truth,
prediction) is not scored: it is named in the log, the tables and the JSON. Exit code 0: every
sequence scored; 1: some failed; 2: usage or configuration errors. Only datasets with ground-truth
masks are offered; for a folder or a tracking dataset (boxes only) pytracking/annotate/run.py writes the masks.
"""
from __future__ import annotations

import sys
from pathlib import Path
from typing import List, Optional, Sequence

if __package__ in (None, ""):  # run as a script: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from pytracking.annotate.settings import AnnotateSettings
from pytracking.analysis.metrics import PROTOCOLS
from pytracking.evaluation.arguments import (add_box2seg_arguments, add_scored_data_arguments, box2seg_settings,
                                             load_scored_sequences)
from pytracking.utils.cli import (Parser, UsageError, add_weights_argument, count, load_weights, output_folder,
                                  set_threads, usage_error)

METHOD_CHOICES = ("box2seg", "boxfill", "grabcut", "maskfolder")


def build_parser() -> Parser:
    p = Parser(prog="evaluate_masks.py", description=__doc__)
    p.add_argument("--method", nargs="+", default=["box2seg"], choices=METHOD_CHOICES, help="methods to evaluate")
    add_weights_argument(p)
    p.add_argument("--num-frames", type=int, nargs="+", default=[AnnotateSettings().num_frames], metavar="T",
                   help="box2seg: frames per temporal window, one run each (default %(default)s)")
    p.add_argument("--masks", help="maskfolder: predictions as <masks>/<sequence>/<frame stem>.png")
    p.add_argument("--zero-scores", action="store_true",
                   help="box2seg: also run each T with the aggregated scores s_t and ŝ_t replaced by zeros "
                        "(runs box2seg_s0_T*); the J it loses is what S contributes")
    add_scored_data_arguments(p, PROTOCOLS)
    add_box2seg_arguments(p)
    return p


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = build_parser().parse_args(argv)
    from pytracking.analysis.mask_scores import evaluate_runs, finish, run_context
    from pytracking.evaluation.box2seg_method import Box2Seg, without_aggregated_scores
    from pytracking.evaluation.environment import env_settings
    from pytracking.evaluation.mask_runs import Run, baseline_run, box2seg_runs

    try:
        settings = box2seg_settings(args)
        set_threads(args.threads)
        sequences = load_scored_sequences(args)
        runs: List[Run] = []
        for name in dict.fromkeys(args.method):
            if name == "box2seg":
                net = load_weights(args.weights, env_settings().network_path)
                runs += box2seg_runs(net, "box2seg", args.num_frames, settings)
                if args.zero_scores:
                    runs += box2seg_runs(without_aggregated_scores(net), "box2seg_s0", args.num_frames, settings)
            else:
                runs.append(baseline_run(name, args.masks))
        out = output_folder(args.out)
    except (UsageError, ValueError, OSError) as err:  # OSError: e.g. a dataset folder that is missing
        return usage_error(err)
    print(f"[evaluate_masks] {count(len(runs), 'run')} on {count(len(sequences), 'sequence')}; results to {out}",
          file=sys.stderr)
    rows = evaluate_runs(runs, sequences, args.protocol, out, "[evaluate_masks]")
    weights = next((str(getattr(r.method.net, "weights_path", args.weights)) for r in runs
                    if isinstance(r.method, Box2Seg)), args.weights)
    return finish(rows, out, "summary", f"box->mask on {args.dataset}", run_context(args, sequences, weights, runs),
                  plot=True)


if __name__ == "__main__":
    sys.exit(main())

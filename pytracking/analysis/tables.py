"""The paper's ablation tables from trained checkpoints, one command per table (runs scored as by evaluate_masks.py).

    python pytracking/analysis/tables.py table1 --dataset davis16_heldout --weights ckpt --interval 5 --out DIR
        Table 1: J against the number of frames T (default 1 3 5 7 9) of one checkpoint, with a plot.
    python pytracking/analysis/tables.py table2 --dataset davis16_heldout --interval 5 --out DIR \\
            --weights SingleImage=a.pth.tar MultiFrame=b.pth.tar MultiFrame+=c.pth.tar MultiFrameIterative=d.pth.tar
        Table 2: the network variants (default T 9) and the box-fill and GrabCut baselines.
    python pytracking/analysis/tables.py table3 --dataset davis16_heldout --interval 5 --out DIR \\
            --weights steepest_descent=a.pth.tar attention=b.pth.tar concat=c.pth.tar
        Table 3: the spatio-temporal aggregation against its alternatives (default T 3 9); 'concat'
        combines exactly its training T, so its other rows are n/a.

Each writes <out>/<table>.{md,json} (rows = method/T, the protocol named) and per-run results in
<out>/<run>/, and prints the table. Checkpoints given as NAME=PATH must hold that variant (table2) or
aggregation (table3). Every option of evaluate_masks.py's data and inference groups applies (see --help
of each command), e.g. --frame-step 4 --crop-size 240x432 for affordable CPU runs. Exit codes as
evaluate_masks.py: 0, 1 when some sequence failed (named in the tables), 2 on usage errors.
"""
from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Dict, List, Optional, Sequence, Tuple, Union

if __package__ in (None, ""):  # run as a script: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from ltr.models.box2seg.names import AGGREGATIONS, VARIANTS
from pytracking.analysis.metrics import PROTOCOLS
from pytracking.evaluation.arguments import (add_box2seg_arguments, add_scored_data_arguments, box2seg_settings,
                                             load_scored_sequences)
from pytracking.evaluation.environment import env_settings
from pytracking.utils.cli import Parser, UsageError, load_weights, output_folder, set_threads, usage_error

if TYPE_CHECKING:
    from ltr.models.box2seg.box2seg_net import Box2SegNet
    from pytracking.evaluation.mask_runs import Run


@dataclass(frozen=True)
class Table:
    """What a table compares: named checkpoints (``names``; None: one unnamed checkpoint), at which T
    by default, with which baselines, and the network property each name must match."""

    title: str
    frame_counts: Tuple[int, ...]
    names: Optional[Tuple[str, ...]] = None
    baselines: Tuple[str, ...] = ()
    property_of: Optional[Callable[[Box2SegNet], str]] = None
    plot: bool = False


TABLES: Dict[str, Table] = {
    "table1": Table("Table 1: J against the number of frames T", (1, 3, 5, 7, 9), plot=True),
    "table2": Table("Table 2: network variants", (9,), VARIANTS, ("boxfill", "grabcut"), lambda net: net.variant),
    "table3": Table("Table 3: spatio-temporal aggregation alternatives", (3, 9), AGGREGATIONS,
                    property_of=lambda net: net.target_model.kind),
}


def build_parser() -> Parser:
    p = Parser(prog="tables.py", description=__doc__)
    commands = p.add_subparsers(dest="table", required=True, metavar="TABLE")
    for name, table in TABLES.items():
        sub = commands.add_parser(name, help=table.title, description=table.title)
        if table.names is None:
            sub.add_argument("--weights", required=True, help="the checkpoint (ours or the official sta.pth.tar)")
        else:
            sub.add_argument("--weights", required=True, nargs="+", metavar="NAME=PATH",
                             help=f"checkpoints by name, NAME in {', '.join(table.names)}")
        sub.add_argument("--num-frames", type=int, nargs="+", default=list(table.frame_counts), metavar="T",
                         help=f"numbers of frames T (default {' '.join(map(str, table.frame_counts))})")
        add_scored_data_arguments(sub, PROTOCOLS)
        add_box2seg_arguments(sub)
    return p


def named_weights(table: Table, weights: Union[str, Sequence[str]]) -> Dict[str, str]:
    """NAME=PATH arguments -> {NAME: PATH} in the table's order (or {'box2seg': PATH} for one checkpoint)."""
    if table.names is None:
        return {"box2seg": weights}
    named: Dict[str, str] = {}
    for item in weights:
        name, sep, path = item.partition("=")
        if not sep or not path:
            raise UsageError(f"--weights {item!r}: expected NAME=PATH")
        if name not in table.names:
            raise UsageError(f"--weights {item!r}: NAME must be one of {', '.join(table.names)}")
        named[name] = path
    return {n: named[n] for n in table.names if n in named}


def table_runs(table: Table, weights: Dict[str, str], frame_counts: Sequence[int], settings: Dict) -> List[Run]:
    """Baseline runs, then every checkpoint at every T; a checkpoint must be what its name says."""
    from pytracking.evaluation.mask_runs import baseline_run, box2seg_runs

    runs = [baseline_run(b) for b in table.baselines]
    for name, path in weights.items():
        net = load_weights(path, env_settings().network_path)
        if table.property_of is not None and table.property_of(net) != name:
            raise UsageError(f"--weights {name}={path}: that checkpoint holds {table.property_of(net)!r}, not {name!r}")
        runs += box2seg_runs(net, name, frame_counts, settings)
    return runs


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = build_parser().parse_args(argv)
    from pytracking.analysis.mask_scores import evaluate_runs, finish, run_context

    table = TABLES[args.table]
    try:
        settings = box2seg_settings(args)
        set_threads(args.threads)
        sequences = load_scored_sequences(args)
        weights = named_weights(table, args.weights)
        runs = table_runs(table, weights, args.num_frames, settings)
        out = output_folder(args.out)
    except (UsageError, ValueError, OSError) as err:  # OSError: e.g. a dataset folder that is missing
        return usage_error(err)
    rows = evaluate_runs(runs, sequences, args.protocol, out, f"[tables] {args.table}")
    return finish(rows, out, args.table, f"{table.title} ({args.dataset})",
                  run_context(args, sequences, weights, runs), table.plot)


if __name__ == "__main__":
    sys.exit(main())

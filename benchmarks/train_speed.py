"""Training speed, side by side in one run: iterations/s of the box2seg training step with S's GEMM
solver and with the official double backward, the data loader alone, the backbone-only bound and the
ratios, a per-stage split (loader, forward parts, loss, backward, optimizer) and peak memory.

    python benchmarks/train_speed.py                        # CPU: EfficientNet-Lite0 net, 96x160, T=3, batch 2
    python benchmarks/train_speed.py --config paper --size 480x832 --batch 4 --device cuda   # box2seg default

The step is the real one: the train setting's sampler, processing, DataLoader (``--workers``),
actor (forward + Lovász loss), backward and Adam. Random-init weights; no checkpoint is written.
The headline iterations/s come from untimed steps; the split from separate steps that wait for the
device at every stage boundary.
"""
from __future__ import annotations

import sys
from pathlib import Path
from typing import List

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from presets import CONFIGS
from pytracking.utils.cli import Parser, add_device_arguments, size_argument


def build_parser() -> Parser:
    p = Parser(prog="train_speed.py", description=__doc__)
    add_device_arguments(p)
    p.add_argument("--config", choices=CONFIGS, default="lite",
                   help="; ".join(f"{k}: {v['description']}" for k, v in CONFIGS.items()))
    p.add_argument("--setting", default="synthetic",
                   help="train setting whose data and processing are used (synthetic needs no files; davis16 reads "
                        "the shared DAVIS-2016; default needs YouTube-VOS and DAVIS-2017)")
    p.add_argument("--size", type=size_argument, help="crop HxW (default 96x160; --config paper: 480x832)")
    p.add_argument("--num-frames", type=int, default=3, help="T")
    p.add_argument("--batch", type=int, default=2)
    p.add_argument("--iters", type=int, default=3, help="timed steps per solver and repeat")
    p.add_argument("--repeats", type=int, default=2, help="headline runs per solver, interleaved; the fastest counts")
    p.add_argument("--warmup", type=int, default=1)
    p.add_argument("--workers", type=int, default=0, help="data-loading worker processes")
    p.add_argument("--bf16", action="store_true", help="bf16 autocast (S stays fp32)")
    p.add_argument("--json", default="train_speed.json", help="where to write the results")
    return p


def main(argv: List[str] = None) -> int:
    args = build_parser().parse_args(argv)
    from train_timing import run

    return run(args)


if __name__ == "__main__":
    sys.exit(main())

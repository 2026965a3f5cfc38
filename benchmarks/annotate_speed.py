"""Annotation speed: frames/s of annotating one sequence with and without the per-frame feature
cache, and backbone-only frames/s (the bound: every frame needs at least one backbone pass).

    python benchmarks/annotate_speed.py                       # CPU: 128x224 crops, 40 frames, Δ = 3
    python benchmarks/annotate_speed.py --device cuda --bf16  # GPU: 480x832 crops, 150 frames, Δ = 15

The sequence is a real DAVIS-2016 one from ../shared/data (played forwards and backwards to reach
--frames) or, when that is absent or --synthetic is given, a generated one. Random-init weights are
used unless --weights is given: speed does not depend on them.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from dataclasses import asdict
from pathlib import Path
from typing import Callable, Dict, List

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import cv2
import numpy as np
import torch

from ltr.data.image_loader import imread_mask
from ltr.models.box2seg.box2seg_net import steepest_descent_resnet50
from pytracking.annotate.crop import parse_size
from pytracking.annotate.engine import AnnotateSettings, Annotator, prepare_frame
from pytracking.annotate.run import UsageError, load_weights, pick_device
from pytracking.annotate.sources import TargetSequence
from pytracking.evaluation.sequences import box_from_mask

SHARED_DAVIS = Path(__file__).resolve().parents[2] / "shared" / "data" / "davis2016-train"


def davis_sequence(name: str, count: int) -> TargetSequence:
    """A DAVIS-2016 240p sequence, ping-ponged to ``count`` frames (boxes from the masks)."""
    frames = sorted((SHARED_DAVIS / "JPEGImages" / "240p" / name).glob("*.jpg"))
    order = (list(range(len(frames))) + list(range(len(frames) - 2, 0, -1))) * (count // len(frames) + 2)
    picked = [frames[i] for i in order[:count]]
    boxes = np.array([box_from_mask(imread_mask(SHARED_DAVIS / "Annotations" / "240p" / name / f"{f.stem}.png"))
                      for f in picked])
    return TargetSequence(name, picked, boxes, np.ones(count, bool), [f"{i:05d}.png" for i in range(count)])


def synthetic_sequence(folder: Path, count: int, size=(480, 854)) -> TargetSequence:
    """A textured background with a moving, growing ellipse; JPEG frames written to ``folder``."""
    rng = np.random.default_rng(0)
    background = cv2.resize(rng.integers(0, 255, (size[0] // 8, size[1] // 8, 3), dtype=np.uint8), size[::-1])
    frames, boxes = [], []
    for t in range(count):
        image = background.copy()
        cx, cy = size[1] * (0.3 + 0.4 * t / count), size[0] * 0.5
        ax, ay = 60 + 40 * t / count, 40 + 20 * t / count
        cv2.ellipse(image, (int(cx), int(cy)), (int(ax), int(ay)), 0, 0, 360, (30, 160, 220), -1)
        path = folder / f"{t:05d}.jpg"
        cv2.imwrite(str(path), image)
        frames.append(path)
        boxes.append([int(cx - ax), int(cy - ay), 2 * int(ax) + 1, 2 * int(ay) + 1])
    return TargetSequence("synthetic", frames, np.array(boxes, float), np.ones(count, bool),
                          [f"{t:05d}.png" for t in range(count)])


def timed(fn: Callable[[], object], sync: Callable[[], None]) -> float:
    start = time.perf_counter()
    fn()
    sync()
    return time.perf_counter() - start


def main(argv: List[str] = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    p.add_argument("--crop-size", type=parse_size, help="HxW (default 128x224 on CPU, 480x832 on GPU)")
    p.add_argument("--frames", type=int, help="sequence length (default 40 on CPU, 150 on GPU)")
    p.add_argument("--interval", type=int, help="Δ (default 3 on CPU so that short runs still use full windows, 15 on GPU)")
    p.add_argument("--num-frames", type=int, default=9)
    p.add_argument("--iters", type=int, default=15)
    p.add_argument("--batch-windows", type=int, default=4)
    p.add_argument("--bf16", action="store_true")
    p.add_argument("--sequence", default="bear", help="DAVIS-2016 sequence")
    p.add_argument("--synthetic", action="store_true", help="use a generated sequence")
    p.add_argument("--weights", help="a checkpoint (default: random init)")
    p.add_argument("--json", default="annotate_speed.json", help="where to write the results")
    args = p.parse_args(argv)
    try:
        device = pick_device(args.device, os.environ)
        for flag in ("frames", "interval", "num_frames", "iters", "batch_windows"):
            if getattr(args, flag) is not None and getattr(args, flag) < 1:
                raise UsageError(f"--{flag.replace('_', '-')} must be at least 1")
        frames = SHARED_DAVIS / "JPEGImages" / "240p"
        if not args.synthetic and frames.is_dir() and not (frames / args.sequence).is_dir():
            raise UsageError(f"no DAVIS-2016 sequence {args.sequence!r} in {frames}")
        net = load_weights(args.weights, "") if args.weights else steepest_descent_resnet50()
    except UsageError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    gpu = device.type == "cuda"
    settings = AnnotateSettings(num_frames=args.num_frames, interval=args.interval or (15 if gpu else 3),
                                iters=args.iters, crop_size=args.crop_size or ((480, 832) if gpu else (128, 224)),
                                batch_windows=args.batch_windows, bf16=args.bf16)
    count = args.frames or (150 if gpu else 40)
    sync = torch.cuda.synchronize if gpu else (lambda: None)

    with tempfile.TemporaryDirectory() as tmp:
        if args.synthetic or not (SHARED_DAVIS / "JPEGImages" / "240p" / args.sequence).is_dir():
            seq = synthetic_sequence(Path(tmp), count)
        else:
            seq = davis_sequence(args.sequence, count)
        cached = Annotator(net, settings, device)
        uncached = Annotator(net, AnnotateSettings(**{**asdict(settings), "cache": False}), device)
        crops = [prepare_frame(seq, i, settings) for i in range(len(seq))]
        batch = settings.batch_windows * settings.num_frames

        def backbone() -> None:
            for start in range(0, len(crops), batch):
                cached.backbone(crops[start:start + batch])

        warmup = TargetSequence(seq.name, seq.frames[:2 * settings.num_frames], seq.boxes[:2 * settings.num_frames],
                                seq.visible[:2 * settings.num_frames], seq.mask_names[:2 * settings.num_frames])
        for annotator in (cached, uncached):
            list(annotator.annotate(warmup))
        seconds: Dict[str, float] = {
            "backbone only (bound)": timed(backbone, sync),
            "annotate, cached": timed(lambda: list(cached.annotate(seq)), sync),
            "annotate, no cache": timed(lambda: list(uncached.annotate(seq)), sync),
        }
    name = torch.cuda.get_device_name(device) if gpu else f"CPU ({torch.get_num_threads()} threads)"
    print(f"{seq.name}: {len(seq)} frames, crop {settings.crop_size[0]}x{settings.crop_size[1]}, "
          f"T={settings.num_frames}, Δ={settings.interval}, {settings.iters} iters, bf16={settings.bf16}, on {name}")
    print(f"{'mode':<24}{'seconds':>10}{'frames/s':>10}")
    for mode, s in seconds.items():
        print(f"{mode:<24}{s:>10.2f}{len(seq) / s:>10.2f}")
    result = {"device": name, "sequence": seq.name, "frames": len(seq), "settings": asdict(settings),
              "seconds": seconds, "frames_per_second": {m: len(seq) / s for m, s in seconds.items()}}
    Path(args.json).write_text(json.dumps(result, indent=1))
    print(f"written {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""What ``train_speed.py`` measures (see its --help); heavy imports live here, so the command answers --help and
argument mistakes before torch loads."""
from __future__ import annotations

import argparse
import contextlib
import importlib
import json
import tempfile
from pathlib import Path
from typing import Dict, Iterator

import torch

from presets import CONFIGS
from stages import (StageTimer, box2seg_stages, device_name, peak_memory_mib,
                    reset_peak_memory, split_rows, table, timed, use_device)
from ltr.admin.settings import Settings
from ltr.models.meta.solvers import SOLVERS
from ltr.trainers.build import build_trainer
from ltr.trainers.trainer import Trainer, move_to
from pytracking.utils.cli import UsageError, check_at_least_one, usage_error

STAGES = ("loader", "backbone", "encoders", "S", "decoder", "loss and rest of forward", "backward", "optimizer")


def build(args: argparse.Namespace, device: torch.device, workspace: str) -> Trainer:
    """The train setting with the benchmark's sizes and network, on the requested device."""
    settings = Settings()
    settings.project_path = f"ltr/box2seg/{args.setting}_speed"
    settings.env.workspace_dir = workspace
    importlib.import_module(f"ltr.train_settings.box2seg.{args.setting}").configure(settings)
    settings.output_size = tuple(args.size or (CONFIGS[args.config]["crop"] if args.config == "paper" else (96, 160)))
    settings.batch_size, settings.num_frames, settings.num_workers = args.batch, args.num_frames, args.workers
    settings.samples_per_epoch = args.batch * 64  # the loader cycles through them
    settings.net_kwargs = dict(CONFIGS[args.config]["net"], backbone_pretrained=False)
    settings.calibrate_random_backbone = 0  # speed does not depend on the weights
    settings.amp = "bf16" if args.bf16 else None
    settings.use_gpu = device.type == "cuda"
    settings.tensorboard = False
    return build_trainer(settings)


def batches(trainer: Trainer) -> Iterator[Dict]:
    """Training batches on the device, forever."""
    while True:
        for data in trainer.loader:
            for bookkeeping in ("replaced", "annotation_problems"):  # the trainer's, not the step's
                data.pop(bookkeeping, None)
            yield move_to(data, trainer.info.device)


def step(trainer: Trainer, data: Dict, timer: StageTimer = None) -> None:
    """One optimisation step (the trainer's), split into forward, backward and optimizer when timed."""
    def part(name: str):
        return timer.section(name) if timer is not None else contextlib.nullcontext()

    with part("forward"), torch.autocast(trainer.info.device.type, dtype=trainer.amp_dtype or torch.float32,
                                         enabled=trainer.amp_dtype is not None):
        loss, _ = trainer.actor(data)
    trainer.optimizer.zero_grad(set_to_none=True)
    with part("backward"):
        loss.backward()
    with part("optimizer"):
        trainer.optimizer.step()


def run(args: argparse.Namespace) -> int:
    """The benchmark for parsed arguments (``train_speed.py``'s); its exit code."""
    try:
        device = use_device(args)
        check_at_least_one(args, "num_frames", "batch", "iters", "repeats")
    except UsageError as err:
        return usage_error(err)
    with tempfile.TemporaryDirectory() as workspace:
        trainer = build(args, device, workspace)
        trainer.actor.train(True)
        net = trainer.actor.net
        data = batches(trainer)
        loader_seconds = timed(lambda: [next(data) for _ in range(args.iters)], device)
        sample = next(data)
        images = sample["images"]

        def backbone() -> None:
            with torch.no_grad():
                net.extract_backbone_features(images.reshape(-1, *images.shape[-3:]))

        backbone()
        seconds = {"backbone only (bound)": min(timed(backbone, device) for _ in range(3)),
                   "loader only": loader_seconds / args.iters}
        peaks: Dict[str, float] = {}
        splits: Dict[str, Dict[str, float]] = {}
        for solver in SOLVERS:
            trainer.actor.solver = solver
            for _ in range(args.warmup):
                step(trainer, next(data))
        for _ in range(args.repeats):
            for solver in SOLVERS:
                trainer.actor.solver = solver
                reset_peak_memory(device)
                s = timed(lambda: [step(trainer, next(data)) for _ in range(args.iters)], device) / args.iters
                seconds[solver] = min(seconds.get(solver, s), s)
                peaks[solver] = peak_memory_mib(device)
        for solver in SOLVERS:
            trainer.actor.solver = solver
            timer = StageTimer(device).attach(box2seg_stages(net))
            for _ in range(args.iters):
                with timer.section("loader"):
                    batch = next(data)
                step(trainer, batch, timer)
            timer.detach()
            split = {k: v / args.iters for k, v in timer.seconds.items()}
            split["loss and rest of forward"] = split.pop("forward") - sum(split.get(k, 0.0) for k in
                                                                         ("backbone", "encoders", "S", "decoder"))
            splits[solver] = split

    rate = {k: 1 / v for k, v in seconds.items()}
    bound = rate["backbone only (bound)"]
    h, w = trainer.settings.output_size
    print(f"box2seg training step, setting {args.setting}, {args.config} network, crop {h}x{w}, T={args.num_frames}, "
          f"batch {args.batch}, {trainer.settings.train_optim_iter} SD iterations per stage, bf16={args.bf16}, "
          f"{args.workers} loader workers, on {device_name(device)}")
    print(table(["what", "s/it", "it/s", "x bound", "x gemm", "peak MiB"],
                [[k, s, rate[k], rate[k] / bound, rate[k] / rate["gemm"] if k in SOLVERS else "-", peaks.get(k, "-")]
                 for k, s in seconds.items()]))
    print("\nper-stage split (seconds per iteration; the backbone is frozen: forward only)")
    print(table(["stage", *splits, "share (gemm)"], split_rows(splits, STAGES)))
    result = {"device": device_name(device), "args": {k: v for k, v in vars(args).items()}, "seconds_per_iteration":
              seconds, "iterations_per_second": rate, "peak_memory_mib": peaks, "split_seconds_per_iteration": splits}
    Path(args.json).write_text(json.dumps(result, indent=1, default=str))
    print(f"written {args.json}")
    return 0


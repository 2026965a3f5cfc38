#!/usr/bin/env python
"""Train a network: ``python ltr/run_training.py <module> <setting>`` (e.g. ``box2seg default``, ``lwl stage1``).

Runs on one GPU (or the CPU) as is; under ``torchrun --nproc_per_node N`` (or ``srun --ntasks N`` with
MASTER_ADDR and MASTER_PORT set) it trains with DistributedDataParallel on N GPUs (also across nodes).
Checkpoints go to ``<workspace>/checkpoints/ltr/<module>/<setting>/`` and TensorBoard logs to
``<tensorboard_dir>/ltr/<module>/<setting>/``.
"""
from __future__ import annotations

import importlib
import multiprocessing
import os
import pkgutil
import signal
import sys
from typing import TYPE_CHECKING

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from pytracking.utils.cli import (EXIT_INTERRUPTED, EXIT_OK, EXIT_PROBLEMS, Parser,  # noqa: E402 (path above)
                                  UsageError, continue_command, count, output_folder, reports_for_the_job,
                                  setting_name, usage_error)

if TYPE_CHECKING:
    from ltr.admin.settings import Settings

SETTINGS_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "train_settings")


def _available(folder: str) -> str:
    names = sorted(m.name for m in pkgutil.iter_modules([folder]) if not m.name.startswith("_"))
    return ", ".join(names) or "none"


def _interrupt(signum, frame) -> None:
    """SIGTERM (a job scheduler, ``kill``) ends the run like Ctrl-C: with the resume hint."""
    raise KeyboardInterrupt


def _output_folders(settings: "Settings", given_workspace: bool) -> None:
    """Create the checkpoint and TensorBoard folders before anything is built, so that one that cannot be
    made is a UsageError naming --workspace or the local.py setting it comes from."""
    from ltr.admin.settings import checkpoint_dir

    folders = [(checkpoint_dir(settings, settings.project_path), "workspace_dir")]
    if getattr(settings, "tensorboard", True):
        folders.append((settings.env.tensorboard_dir, "tensorboard_dir"))
    for path, field in folders:
        output_folder(path, "--workspace" if given_workspace else setting_name(field, "ltr/admin/local.py"))


def main(argv=None) -> int:
    """Exit code 0: trained; 1: trained, but some samples were replaced (unreadable data) or annotations
    were bad (both listed in the train log); 2: a usage or configuration error (one line on stderr);
    130: interrupted (Ctrl-C or SIGTERM; the message says how to continue)."""
    parser = Parser(prog="run_training.py", description=__doc__)
    parser.add_argument("train_module", help="package in ltr/train_settings: box2seg or lwl")
    parser.add_argument("train_name", help="setting in that package, e.g. box2seg: default, davis16, synthetic; "
                                           "lwl: stage1, stage2, box2seg_finetune, davis16_a")
    parser.add_argument("--resume", action="store_true", help="continue from the newest checkpoint of this setting")
    parser.add_argument("--epochs", type=int, help="override the number of epochs")
    parser.add_argument("--workspace", help="override the workspace directory (checkpoints, logs)")
    parser.add_argument("--bf16", action="store_true", help="bf16 autocast for backbone and decoder")
    parser.add_argument("--workers", type=int, help="override the number of data-loading workers")
    parser.add_argument("--cpu", action="store_true", help="train on the CPU even if a GPU is present")
    parser.add_argument("--threads", type=int, help="CPU threads of PyTorch per process (default: PyTorch's)")
    parser.add_argument("--cudnn-benchmark", type=int, default=1, help="cudnn.benchmark (default 1)")
    args = parser.parse_args(argv)
    if args.epochs is not None and args.epochs < 1:
        return usage_error("--epochs must be at least 1")
    if args.workers is not None and args.workers < 0:
        return usage_error("--workers must be 0 or more")
    if args.threads is not None and args.threads < 1:
        return usage_error("--threads must be at least 1")

    import cv2
    import torch

    from ltr.admin.environment import ConfigError
    from ltr.admin.settings import Settings
    from ltr.trainers.build import run

    cv2.setNumThreads(0)
    if args.threads is not None:
        torch.set_num_threads(args.threads)
    torch.backends.cudnn.benchmark = bool(args.cudnn_benchmark)
    if multiprocessing.get_start_method(allow_none=True) is None:
        multiprocessing.set_start_method("spawn")
    package = f"ltr.train_settings.{args.train_module}"
    try:
        setting = importlib.import_module(f"{package}.{args.train_name}")
    except ModuleNotFoundError as err:
        if err.name == package:
            return usage_error(f"no train module ltr/train_settings/{args.train_module}; available: "
                                f"{_available(SETTINGS_DIR)}")
        if err.name == f"{package}.{args.train_name}":
            return usage_error(f"no train setting ltr/train_settings/{args.train_module}/{args.train_name}.py; "
                                f"available: {_available(os.path.join(SETTINGS_DIR, args.train_module))}")
        raise  # something the setting imports is missing: a real error, with its traceback
    settings = Settings()
    settings.module_name, settings.script_name = args.train_module, args.train_name
    settings.project_path = f"ltr/{args.train_module}/{args.train_name}"
    if args.workspace:
        settings.env.workspace_dir = args.workspace
        settings.env.tensorboard_dir = os.path.join(args.workspace, "tensorboard")
    setting.configure(settings)
    if args.epochs is not None:
        settings.num_epochs = args.epochs
    if args.bf16:
        settings.amp = "bf16"
    if args.workers is not None:
        settings.num_workers = args.workers
    if args.cpu:
        settings.use_gpu = False
    try:
        _output_folders(settings, given_workspace=bool(args.workspace))
    except UsageError as err:
        return usage_error(err)
    print(f"[train] {settings.project_path}: {getattr(settings, 'description', '')}")
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        history = run(settings, resume=args.resume)
    except ConfigError as err:  # a dataset not configured or missing, checkpoints in the way, ...
        return usage_error(str(err))
    except KeyboardInterrupt:
        if reports_for_the_job():  # under a launcher every process is interrupted; one says how to continue
            command = continue_command(__file__, argv, ["--resume"])
            print(f"\n[train] interrupted; the finished epochs' checkpoints are in {settings.env.workspace_dir}/"
                  f"checkpoints/{settings.project_path}\n[train] continue with: {command}", file=sys.stderr)
        return EXIT_INTERRUPTED
    replaced, problems = (int(sum(epoch.get(f"Data/{k}", 0) for epoch in history))
                          for k in ("replaced_samples", "annotation_problems"))
    if replaced or problems:
        print(f"[train] done, but with {count(replaced, 'sample')} replaced because their data could not be read "
              f"and {count(problems, 'bad annotation')}; each is listed under 'replaced_samples' and "
              f"'annotation_problems' in {settings.env.workspace_dir}/checkpoints/{settings.project_path}/"
              "train_log.jsonl", file=sys.stderr)
        return EXIT_PROBLEMS
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())

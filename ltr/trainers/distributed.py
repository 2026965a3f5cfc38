"""Single-process, multi-GPU and multi-node training with DistributedDataParallel.

Started plainly, training runs in one process (GPU 0 if there is one, else CPU). Started by
``torchrun`` (or any launcher that sets RANK / WORLD_SIZE / LOCAL_RANK), each process joins the
group (NCCL on GPUs, gloo on CPU) and drives its local GPU.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from typing import List

import torch
import torch.distributed as dist


@dataclass
class DistInfo:
    """Where this process sits in the job."""

    rank: int = 0
    world_size: int = 1
    local_rank: int = 0
    device: torch.device = torch.device("cpu")

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @property
    def distributed(self) -> bool:
        return self.world_size > 1


def init_distributed(use_gpu: bool = True) -> DistInfo:
    """Join the process group described by the environment (if any) and pick this rank's device."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    rank = int(os.environ.get("RANK", "0"))
    local = int(os.environ.get("LOCAL_RANK", "0"))
    cuda = use_gpu and torch.cuda.is_available()
    device = torch.device("cuda", local) if cuda else torch.device("cpu")
    if cuda:
        torch.cuda.set_device(device)
    if world > 1 and not dist.is_initialized():
        dist.init_process_group("nccl" if cuda else "gloo", rank=rank, world_size=world)
    return DistInfo(rank, world, local, device)


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

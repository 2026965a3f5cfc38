"""Where this process sits among the processes a launcher started, read from the environment.

torchrun sets RANK / WORLD_SIZE / LOCAL_RANK in every worker; SLURM's ``srun`` sets SLURM_PROCID /
SLURM_NTASKS / SLURM_LOCALID in every task. Training (its process group), annotation (its shard), the
device choice and who prints what concerns the whole job all read them here. Nothing here imports
torch, so command lines can ask before they load it.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Mapping, Optional

# (launcher, its variables for the rank, the number of processes and the rank on this node), in the order read
LAUNCHERS = (("torchrun", "RANK", "WORLD_SIZE", "LOCAL_RANK"),
             ("slurm", "SLURM_PROCID", "SLURM_NTASKS", "SLURM_LOCALID"))


@dataclass(frozen=True)
class LaunchPlace:
    """This process's rank among ``world_size`` processes and on its node; ``launcher`` is '' when the
    process was started on its own."""

    rank: int = 0
    world_size: int = 1
    local_rank: int = 0
    launcher: str = ""

    @property
    def is_main(self) -> bool:
        return self.rank == 0


def launch_place(env: Optional[Mapping[str, str]] = None) -> LaunchPlace:
    """The place torchrun's variables give, else SLURM's, else one process on its own (``env``: the
    environment, by default this process's). A launcher counts when its rank and size are both set."""
    env = os.environ if env is None else env
    for launcher, rank, size, local in LAUNCHERS:
        if rank in env and size in env:
            return LaunchPlace(int(env[rank]), int(env[size]), int(env.get(local, 0)), launcher)
    return LaunchPlace()

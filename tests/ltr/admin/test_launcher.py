"""Where a process sits in a job, from torchrun's or SLURM's variables (their documented names)."""
import pytest

from ltr.admin.environment import ConfigError
from ltr.admin.launcher import LaunchPlace, launch_place
from ltr.trainers.distributed import init_distributed

TORCHRUN = {"RANK": "5", "WORLD_SIZE": "8", "LOCAL_RANK": "1"}  # worker 2 of 4 on the second of two nodes
SLURM = {"SLURM_PROCID": "3", "SLURM_NTASKS": "4", "SLURM_LOCALID": "3"}


def test_the_place_comes_from_torchrun_else_slurm_else_one_process():
    assert launch_place({}) == LaunchPlace(0, 1, 0, "") and launch_place({}).is_main
    assert launch_place(TORCHRUN) == LaunchPlace(5, 8, 1, "torchrun")
    assert launch_place(SLURM) == LaunchPlace(3, 4, 3, "slurm") and not launch_place(SLURM).is_main
    assert launch_place({**SLURM, **TORCHRUN}) == LaunchPlace(5, 8, 1, "torchrun")  # torchrun inside srun
    assert launch_place({"RANK": "1", "LOCAL_RANK": "1"}) == LaunchPlace()  # a rank without a size is no job


def test_training_under_srun_without_the_group_address_says_what_to_set():
    with pytest.raises(ConfigError, match="4 processes started by slurm .* set MASTER_ADDR and MASTER_PORT"):
        init_distributed(use_gpu=False, env=SLURM)
    with pytest.raises(ConfigError, match="set MASTER_PORT \\("):
        init_distributed(use_gpu=False, env={**SLURM, "MASTER_ADDR": "node1"})
    info = init_distributed(use_gpu=False, env={"SLURM_PROCID": "0", "SLURM_NTASKS": "1"})  # one task: no group
    assert (info.rank, info.world_size, info.is_main, info.distributed) == (0, 1, True, False)

"""Training: checkpoints in the official format, exact resume and DDP over two CPU processes (box2seg and LWL)."""
import importlib
import os
import random
import socket
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.multiprocessing as mp

sys.path.insert(0, str(Path(__file__).parent))
import faults  # noqa: E402
from tiny import tiny_lwl_settings, tiny_settings  # noqa: E402

from ltr.admin.environment import ConfigError  # noqa: E402
from ltr.admin.loading import load_network, torch_load_legacy, unwrap  # noqa: E402
from ltr.data.sampler import Box2SegSampler  # noqa: E402
from ltr.models.box2seg.box2seg_net import Box2SegNet  # noqa: E402
from ltr.models.inference import InferenceRecord  # noqa: E402
from ltr.models.loss.lovasz import LovaszSegLoss  # noqa: E402
from ltr.trainers.build import build_trainer  # noqa: E402
from ltr.trainers.trainer import bar_postfix  # noqa: E402

TINY = {"box2seg": tiny_settings, "lwl": tiny_lwl_settings}


def test_two_iterations_write_a_loadable_checkpoint(tmp_path, one_thread):
    trainer = build_trainer(tiny_settings(tmp_path, tensorboard=True))
    history = trainer.train()
    assert len(history) == 1 and history[0]["Loss/total"] > 0 and "J/refined" in history[0]
    assert 0.0 < history[0]["Stats/e_positive"] < 1.0  # the share of positive e_t units is monitored
    path = tmp_path / "checkpoints" / "ltr/box2seg/tiny" / "Box2SegNet_ep0001.pth.tar"
    raw = torch_load_legacy(path)
    assert {"net", "constructor", "optimizer", "lr_scheduler", "rng", "epoch"} <= set(raw)
    # what the network was trained for, so inference tools can default to it (synthetic: 2.5x the box)
    assert raw["inference"] == {"crop_size": [64, 112], "search_area": 2.5, "normalization": "lite", "solver": "gemm"}
    # the frozen EfficientNet-Lite0 comes from its pip package: not stored, yet the file loads
    assert raw["net"] and not any(k.startswith("feature_extractor.") for k in raw["net"])
    assert any(k.startswith("feature_extractor.") for k in trainer.actor.net.state_dict())
    loaded = load_network(path)
    assert isinstance(loaded, Box2SegNet) and loaded.inference == InferenceRecord((64, 112), 2.5, "lite", "gemm")
    assert list((tmp_path / "tensorboard").rglob("events.out.tfevents.*"))
    with pytest.raises(ConfigError, match=r"--resume .* another workspace \(--workspace, or BOX2SEG_WORKSPACE_DIR\)"):
        build_trainer(tiny_settings(tmp_path)).train()
    faults.truncate(path)
    with pytest.raises(ConfigError, match=f"cannot resume from {path}"):
        trainer.load_latest()


def test_progress_lines_in_a_log_go_to_stderr_with_the_other_tools_progress(tmp_path, one_thread, capsys):
    """stderr is not a terminal here: a plain line per iteration (2 iterations < 10 lines per epoch)."""
    build_trainer(tiny_settings(tmp_path, progress=True)).train()
    out, err = capsys.readouterr()
    assert "\r" not in err and "\x1b" not in err
    lines = [line.split(", ")[:2] for line in err.splitlines() if line.startswith("[train] epoch 1/1, iteration")]
    assert lines == [["[train] epoch 1/1", "iteration 1/2"], ["[train] epoch 1/1", "iteration 2/2"]]
    assert ", iteration " not in out and "[train] done: " in out


def test_a_terminal_bar_shows_the_stats_in_few_columns():
    shown = {"Lovász initial": "0.210", "Lovász refined": "0.208", "J initial": "0.751", "J refined": "0.752"}
    assert bar_postfix(shown) == "Lovász 0.210/0.208, J 0.751/0.752 (initial/refined)"
    assert bar_postfix({"Lovász": "0.500", "J test": "0.400"}) == "Lovász 0.500, J 0.400"  # LWL's


def rng_states():
    return random.getstate(), np.random.get_state(), torch.get_rng_state()


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def assert_same_rng_states(a, b) -> None:
    assert a[0] == b[0], "python random state differs"
    assert all(np.array_equal(x, y) for x, y in zip(a[1], b[1])), "numpy random state differs"
    assert torch.equal(a[2], b[2]), "torch random state differs"


@pytest.mark.parametrize("task", sorted(TINY))
def test_resume_continues_exactly(tmp_path, one_thread, task):
    tiny = TINY[task]
    seed_everything(7)
    straight = build_trainer(tiny(tmp_path / "a", num_epochs=2, lr_milestones=(1,), keep_checkpoints=1))
    straight_history = straight.train()
    straight_rng = rng_states()
    assert [p.name.split("_")[-1] for p in straight.checkpoints()] == ["ep0002.pth.tar"]  # only the newest kept

    seed_everything(7)
    first = build_trainer(tiny(tmp_path / "b", num_epochs=1, lr_milestones=(1,)))
    first.train()
    seed_everything(1234)  # a resumed process starts with other RNG states: the checkpoint restores them
    resumed = build_trainer(tiny(tmp_path / "b", num_epochs=2, lr_milestones=(1,)))
    resumed_history = resumed.train(resume=True)

    assert resumed.epoch == straight.epoch == 2
    assert resumed_history[-1]["Loss/total"] == pytest.approx(straight_history[-1]["Loss/total"], rel=1e-5)
    assert resumed.optimizer.param_groups[0]["lr"] == straight.optimizer.param_groups[0]["lr"]
    for (name, a), b in zip(straight.actor.net.state_dict().items(), resumed.actor.net.state_dict().values()):
        assert torch.allclose(a, b, atol=1e-6), name
    assert_same_rng_states(rng_states(), straight_rng)  # every global generator continued where it was


class PerImageLovasz(LovaszSegLoss):
    """The loss per image: a batch split over ranks then has the gradient of the whole batch in one process
    (the official per-batch Lovász couples the images of a batch, so no split reproduces it exactly)."""

    def __init__(self, per_image: bool = False):
        super().__init__(per_image=True)


def train_recording(settings) -> dict:
    """Train one epoch; the sample indices this process loaded, its gradients and its loss."""
    task = importlib.import_module(f"ltr.trainers.tasks.{settings.task}")
    task.LovaszSegLoss = PerImageLovasz
    trainer = build_trainer(settings)
    loaded, get = [], Box2SegSampler.__getitem__
    Box2SegSampler.__getitem__ = lambda sampler, index: loaded.append(index) or get(sampler, index)
    try:
        (stats,) = trainer.train()
    finally:
        Box2SegSampler.__getitem__, task.LovaszSegLoss = get, LovaszSegLoss
    net = unwrap(trainer.actor.net)
    return {"indices": loaded, "loss": stats["Loss/total"], "state": net.state_dict(),
            "grads": {n: p.grad.clone() for n, p in net.named_parameters() if p.grad is not None}}


def _ddp_worker(rank: int, world: int, port: int, workspace: str, task: str, launcher: str) -> None:
    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
    if launcher == "torchrun":
        os.environ.update(RANK=str(rank), WORLD_SIZE=str(world), LOCAL_RANK=str(rank))
    else:
        os.environ.update(SLURM_PROCID=str(rank), SLURM_NTASKS=str(world), SLURM_LOCALID=str(rank))
    torch.set_num_threads(1)
    settings = TINY[task](Path(workspace), samples_per_epoch=4, batch_size=4)
    torch.save(train_recording(settings), Path(workspace) / f"rank{rank}.pt")
    torch.distributed.destroy_process_group()


def ddp_two_ranks(tmp_path: Path, task: str, launcher: str = "torchrun") -> list:
    """What each of two DDP ranks recorded over one epoch of ``task``, started as ``launcher`` ('torchrun' or
    'slurm') would start them; both end with the same weights."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    mp.spawn(_ddp_worker, args=(2, port, str(tmp_path), task, launcher), nprocs=2, join=True)
    ranks = [torch.load(tmp_path / f"rank{r}.pt") for r in range(2)]
    net_type = {"box2seg": "Box2SegNet", "lwl": "LWTLNet"}[task]
    assert (tmp_path / "checkpoints" / f"ltr/{task}/tiny" / f"{net_type}_ep0001.pth.tar").is_file()
    assert sorted(ranks[0]["indices"]) == [0, 2] and sorted(ranks[1]["indices"]) == [1, 3]  # disjoint, whole epoch
    for name, a in ranks[0]["state"].items():
        assert torch.equal(a, ranks[1]["state"][name]), f"{name} differs between ranks after a DDP step"
    return ranks


def test_ddp_lwl_two_cpu_processes_started_by_srun(tmp_path, one_thread):
    ddp_two_ranks(tmp_path, "lwl", launcher="slurm")


def test_ddp_two_cpu_processes_equal_one_process(tmp_path, one_thread):
    """Two ranks split a batch of 4 (disjoint halves covering the epoch) and average their gradients: the
    same loss and gradients as one process on the whole batch."""
    ranks = ddp_two_ranks(tmp_path, "box2seg")
    single = train_recording(tiny_settings(tmp_path / "single", samples_per_epoch=4, batch_size=4))
    assert sorted(single["indices"]) == [0, 1, 2, 3]
    assert ranks[0]["loss"] == pytest.approx(single["loss"], rel=1e-5)
    assert ranks[0]["grads"].keys() == single["grads"].keys()
    for name, grad in single["grads"].items():
        error = (ranks[0]["grads"][name] - grad).abs().max().item()
        assert error <= 1e-4 * grad.abs().max().item(), f"{name}: gradients differ by {error:.3g}"

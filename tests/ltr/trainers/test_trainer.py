"""Training: checkpoints in the official format, exact resume and DDP over two CPU processes (box2seg and LWL)."""
import os
import socket
import sys
from pathlib import Path

import pytest
import torch
import torch.multiprocessing as mp

sys.path.insert(0, str(Path(__file__).parent))
from tiny import tiny_lwl_settings, tiny_settings  # noqa: E402

from ltr.admin.loading import load_network, torch_load_legacy  # noqa: E402
from ltr.models.box2seg.box2seg_net import Box2SegNet  # noqa: E402
from ltr.trainers.build import build_trainer  # noqa: E402

TINY = {"box2seg": tiny_settings, "lwl": tiny_lwl_settings}


def test_two_iterations_write_a_loadable_checkpoint(tmp_path):
    trainer = build_trainer(tiny_settings(tmp_path, tensorboard=True))
    history = trainer.train()
    assert len(history) == 1 and history[0]["Loss/total"] > 0 and "J/refined" in history[0]
    path = tmp_path / "checkpoints" / "ltr/box2seg/tiny" / "Box2SegNet_ep0001.pth.tar"
    raw = torch_load_legacy(path)
    assert {"net", "constructor", "optimizer", "lr_scheduler", "rng", "epoch"} <= set(raw)
    assert isinstance(load_network(path), Box2SegNet)
    assert list((tmp_path / "tensorboard").rglob("events.out.tfevents.*"))
    with pytest.raises(FileExistsError, match="--resume"):
        build_trainer(tiny_settings(tmp_path)).train()


@pytest.mark.parametrize("task", sorted(TINY))
def test_resume_continues_exactly(tmp_path, task):
    tiny = TINY[task]
    straight = build_trainer(tiny(tmp_path / "a", num_epochs=2, lr_milestones=(1,)))
    straight_history = straight.train()

    first = build_trainer(tiny(tmp_path / "b", num_epochs=1, lr_milestones=(1,)))
    first.train()
    torch.manual_seed(1234)  # a resumed process starts with other RNG state: the checkpoint restores it
    resumed = build_trainer(tiny(tmp_path / "b", num_epochs=2, lr_milestones=(1,)))
    resumed_history = resumed.train(resume=True)

    assert resumed.epoch == straight.epoch == 2
    assert resumed_history[-1]["Loss/total"] == pytest.approx(straight_history[-1]["Loss/total"], rel=1e-5)
    assert resumed.optimizer.param_groups[0]["lr"] == straight.optimizer.param_groups[0]["lr"]
    for (name, a), b in zip(straight.actor.net.state_dict().items(), resumed.actor.net.state_dict().values()):
        assert torch.allclose(a, b, atol=1e-6), name


def _ddp_worker(rank: int, world: int, port: int, workspace: str, task: str) -> None:
    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port), RANK=str(rank), WORLD_SIZE=str(world),
                      LOCAL_RANK=str(rank))
    torch.set_num_threads(1)
    trainer = build_trainer(TINY[task](Path(workspace), samples_per_epoch=2))
    trainer.train()
    torch.save(trainer.actor.net.module.state_dict(), Path(workspace) / f"rank{rank}.pt")
    torch.distributed.destroy_process_group()


@pytest.mark.parametrize("task", sorted(TINY))
def test_ddp_two_cpu_processes(tmp_path, task):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    mp.spawn(_ddp_worker, args=(2, port, str(tmp_path), task), nprocs=2, join=True)
    states = [torch.load(tmp_path / f"rank{r}.pt") for r in range(2)]
    for name, a in states[0].items():
        assert torch.equal(a, states[1][name]), f"{name} differs between ranks after a DDP step"
    net_type = {"box2seg": "Box2SegNet", "lwl": "LWTLNet"}[task]
    assert (tmp_path / "checkpoints" / f"ltr/{task}/tiny" / f"{net_type}_ep0001.pth.tar").is_file()

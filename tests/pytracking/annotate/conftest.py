"""Fixtures for the annotation tool: small checkpoints and LaSOT layouts built from real DAVIS-2016
frames (boxes from the ground-truth masks)."""
from __future__ import annotations

from pathlib import Path
from typing import Dict

import pytest
import torch

from annotate_helpers import SMALL, Clip, clip_sequence, davis_clip, write_lasot
from ltr.admin.loading import save_checkpoint
from ltr.models.box2seg.box2seg_net import steepest_descent_resnet50
from pytracking.annotate.engine import Annotator, prepare_frame


@pytest.fixture(autouse=True)
def _one_thread(one_thread):
    """Every test here runs with one intra-op thread (see tests/conftest.py)."""


@pytest.fixture(scope="session")
def clips(davis16_root: Path) -> Dict[str, Clip]:
    return {name: davis_clip(davis16_root, name, 6) for name in ("bear", "boat", "car-turn")}


@pytest.fixture(scope="session")
def checkpoints(tmp_path_factory, clips) -> Dict[str, Path]:
    """Random-init checkpoints: 'balanced' (decoder bias set so about half of the logits are positive,
    many close to 0: a strict test of identical numerics) and 'positive' (every logit > 0, so each
    mask must be exactly the rounded box: a test of the geometry)."""
    torch.manual_seed(0)
    net = steepest_descent_resnet50().eval()
    annotator = Annotator(net, SMALL)
    seq = clip_sequence(clips["bear"])
    frames = [prepare_frame(seq, i, SMALL, net.target_stride) for i in (0, 2, 4)]
    logits = annotator.segment([[0, 1, 2]], annotator.frame_features(frames))
    bias = net.decoder.project.conv2.bias
    folder = tmp_path_factory.mktemp("weights")
    with torch.no_grad():
        bias -= logits.median().item()
        balanced = save_checkpoint(folder / "balanced.pth.tar", net, epoch=1)
        bias += 1000.0
        positive = save_checkpoint(folder / "positive.pth.tar", net, epoch=1)
    return {"balanced": balanced, "positive": positive}


@pytest.fixture
def lasot_root(tmp_path, clips) -> Path:
    """Three LaSOT sequences; bear-1 has an occluded (frame 3) and an out-of-view frame (frame 5)."""
    root = tmp_path / "lasot"
    write_lasot(root, "bear-1", clips["bear"], occluded=[2], out_of_view=[4])
    write_lasot(root, "boat-1", clips["boat"])
    write_lasot(root, "car-2", clips["car-turn"])
    return root

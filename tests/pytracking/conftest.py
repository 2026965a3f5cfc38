"""Fixtures for the tracker tests: the first frames of the shared VOT2015 'bag' sequence and tiny
randomly initialised LWL and box2seg checkpoints (EfficientNet-Lite0 layout, 64x112 crops)."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import torch

from ltr.admin.loading import save_checkpoint
from ltr.models.box2seg.box2seg_net import steepest_descent_resnet50 as box2seg_net
from ltr.models.lwl.lwl_net import steepest_descent_resnet50 as lwl_net

CLIP_FRAMES = 20
TINY = dict(backbone_type="efficientnet_lite0", out_feature_dim=32, decoder_mdim=8)
INFERENCE = {"crop_size": [64, 112], "search_area": 4.0, "normalization": "lite"}


@pytest.fixture(scope="session")
def bag_clip(vot_bag_root: Path, tmp_path_factory) -> Path:
    """A 'bag' folder with its first 20 frames in imgs/ and their 20 polygon lines in groundtruth.txt."""
    root = tmp_path_factory.mktemp("clips") / "bag"
    (root / "imgs").mkdir(parents=True)
    for frame in sorted((vot_bag_root / "imgs").glob("*.jpg"))[:CLIP_FRAMES]:
        shutil.copy(frame, root / "imgs" / frame.name)
    lines = (vot_bag_root / "groundtruth.txt").read_text().splitlines()[:CLIP_FRAMES]
    (root / "groundtruth.txt").write_text("\n".join(lines) + "\n")
    return root


@pytest.fixture(scope="session")
def tiny_lwl(tmp_path_factory) -> Path:
    """A random LWL network that records 64x112 crops at search area 4 as its inference settings."""
    torch.manual_seed(0)
    path = tmp_path_factory.mktemp("networks") / "lwl_tiny.pth.tar"
    return save_checkpoint(path, lwl_net(**TINY), epoch=1, extra={"inference": INFERENCE})


@pytest.fixture(scope="session")
def positive_box2seg(tmp_path_factory) -> Path:
    """A random box2seg network whose every logit is positive, so its mask is exactly the rounded box."""
    torch.manual_seed(0)
    net = box2seg_net(**TINY)
    with torch.no_grad():
        net.decoder.project.conv2.bias += 1000.0
    path = tmp_path_factory.mktemp("networks") / "box2seg_positive.pth.tar"
    return save_checkpoint(path, net, epoch=1, extra={"inference": INFERENCE})

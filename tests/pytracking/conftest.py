"""Fixtures for the tracker tests: the first frames of the shared VOT2015 'bag' sequence and tiny
randomly initialised LWL and box2seg checkpoints (EfficientNet-Lite0 layout, 64x112 crops)."""
from __future__ import annotations

import shutil
from pathlib import Path
from typing import Dict

import pytest
import torch

from ltr.admin.loading import save_checkpoint
from ltr.models.box2seg.box2seg_net import steepest_descent_resnet50 as box2seg_net
from ltr.models.lwl.lwl_net import steepest_descent_resnet50 as lwl_net
from tracking_helpers import DAVIS_FRAMES, copy_clip

CLIP_FRAMES = 20
TINY = dict(backbone_type="efficientnet_lite0", out_feature_dim=32, decoder_mdim=8)
INFERENCE = {"crop_size": [64, 112], "search_area": 4.0, "normalization": "lite"}


@pytest.fixture(scope="session")
def bag_clip(vot_bag_root: Path, tmp_path_factory) -> Path:
    """A 'bag' folder with its first 20 frames in imgs/ and their 20 polygon lines in groundtruth.txt."""
    return copy_clip(vot_bag_root, tmp_path_factory.mktemp("clips") / "bag", CLIP_FRAMES)


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


@pytest.fixture
def env(tmp_path, monkeypatch) -> Dict[str, Path]:
    """Results, masks and networks in a temporary folder, through the BOX2SEG_* overrides."""
    paths = {k: tmp_path / k for k in ("results", "segmentation", "networks")}
    monkeypatch.setenv("BOX2SEG_RESULTS_PATH", str(paths["results"]))
    monkeypatch.setenv("BOX2SEG_SEGMENTATION_PATH", str(paths["segmentation"]))
    monkeypatch.setenv("BOX2SEG_NETWORK_PATH", str(paths["networks"]))
    return paths


@pytest.fixture(scope="session")
def davis_clip(davis16_root: Path, tmp_path_factory) -> Path:
    """A DAVIS-2016 val tree ('bear', the first 8 frames at 240p) for VOS mode."""
    root = tmp_path_factory.mktemp("davis")
    for kind, suffix in (("JPEGImages", ".jpg"), ("Annotations", ".png")):
        folder = root / kind / "240p" / "bear"
        folder.mkdir(parents=True)
        for f in sorted((davis16_root / kind / "240p" / "bear").glob("*" + suffix))[:DAVIS_FRAMES]:
            shutil.copy(f, folder / f.name)
    (root / "ImageSets" / "2016").mkdir(parents=True)
    (root / "ImageSets" / "2016" / "val.txt").write_text("bear\n")
    return root

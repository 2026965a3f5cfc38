"""The annotation engine with a stride-8 network: crops aligned to the network's own stride, S's maps at
an eighth of the crop, full-image masks; crop sizes are checked against the network's stride."""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

import pytracking.annotate.engine as engine
from annotate_helpers import SMALL_ARGS
from ltr.dataset.sequence import VideoSequence
from ltr.models.box2seg.box2seg_net import steepest_descent_resnet50
from pytracking.annotate.engine import AnnotateSettings, Annotator, prepare_frame
from pytracking.annotate.run import main
from pytracking.utils.cli import EXIT_USAGE

CROP = (96, 160)
SETTINGS = AnnotateSettings(num_frames=3, interval=1, iters=2, search_area=2.0, crop_size=CROP, batch_windows=2,
                            workers=1)
LITE = dict(backbone_type="efficientnet_lite0", out_feature_dim=32, decoder_mdim=8)


def synthetic_sequence(folder: Path, count: int = 4) -> VideoSequence:
    """A bright rectangle moving over noise in 120x200 frames; the boxes are the rectangle's."""
    rng = np.random.default_rng(0)
    frames, boxes = [], []
    for t in range(count):
        image = rng.integers(0, 80, (120, 200, 3), dtype=np.uint8)
        x, y, w, h = 60 + 5 * t, 40, 50, 30
        image[y:y + h, x:x + w] = 220
        frames.append(folder / f"{t:05d}.png")
        Image.fromarray(image).save(frames[-1])
        boxes.append([x, y, w, h])
    return VideoSequence("synthetic", frames, np.array(boxes, float), np.ones(count, bool))


@pytest.fixture(scope="module")
def net8():
    torch.manual_seed(0)
    return steepest_descent_resnet50(**LITE, target_stride=8, target_model_input_layer="layer2").eval()


def test_stride_8_network_gets_crops_of_its_stride_maps_of_an_eighth_and_full_masks(net8, tmp_path, monkeypatch):
    strides = []

    def spy(*args):
        strides.append(args[-1])
        return crop_frame(*args)

    crop_frame = engine.crop_frame
    monkeypatch.setattr(engine, "crop_frame", spy)
    seq = synthetic_sequence(tmp_path)
    annotator = Annotator(net8, SETTINGS)
    results = {r.index: r.mask for r in annotator.annotate(seq)}
    assert sorted(results) == [0, 1, 2, 3] and set(strides) == {8}
    assert all(mask.shape == (120, 200) and mask.dtype == bool for mask in results.values())
    features = annotator.frame_features([prepare_frame(seq, i, SETTINGS, 8) for i in range(3)])
    assert features[0].x.shape == (32, CROP[0] // 8, CROP[1] // 8)
    assert features[0].enc.e.shape == features[0].enc.m.shape == (16, CROP[0] // 8, CROP[1] // 8)
    logits = annotator.segment([[0, 1, 2]], features)
    assert logits.shape == (1, *CROP)


def test_crop_sizes_are_multiples_of_the_network_stride(net8):
    finer = replace(SETTINGS, crop_size=(72, 120))  # multiples of 8, not of 16
    Annotator(net8, finer)
    with pytest.raises(ValueError, match="multiples of 16"):
        Annotator(steepest_descent_resnet50(**LITE), finer)


def test_the_command_line_refuses_a_crop_size_the_network_cannot_take(lasot_root, checkpoints, tmp_path, capsys):
    """72x120 passes the command line's own check (multiples of 8, the finest stride), not a stride-16 network's."""
    args = ["lasot", "--root", str(lasot_root), "--out", str(tmp_path / "out"), "--weights",
            str(checkpoints["positive"]), *SMALL_ARGS, "--crop-size", "72x120"]
    assert main(args) == EXIT_USAGE
    assert "crop size 72x120: H and W must be positive multiples of 16" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()

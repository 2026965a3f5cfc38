"""The box2seg method, the evaluate_masks CLI and the table commands on held-out shared DAVIS videos, with a
random-init checkpoint at a tiny crop size (what is tested is the plumbing, not the accuracy)."""
from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch

import faults
from ltr.admin.loading import save_checkpoint
from ltr.data.bounding_box_utils import box_mask
from ltr.data.image_loader import ImageReadError
from ltr.models.box2seg.box2seg_net import steepest_descent_resnet50
from pytracking.analysis import tables
from pytracking.annotate.engine import AnnotateSettings, Annotator, prepare_frame
from pytracking.evaluation import evaluate_masks
from pytracking.evaluation.baselines import BoxFill, get_method
from pytracking.evaluation.box2seg_method import Box2Seg
from pytracking.evaluation.datasets import load_dataset

REPO = Path(__file__).resolve().parents[3]
SMALL = dict(num_frames=3, interval=2, iters=3, crop_size=(64, 112), search_area=2.0, workers=1, device="cpu")
SMALL_ARGS = ["--interval", "2", "--iters", "3", "--crop-size", "64x112", "--search-area", "2", "--workers", "1",
              "--device", "cpu"]


@pytest.fixture(autouse=True)
def _one_thread(one_thread):
    """Every test here runs with one intra-op thread (see tests/conftest.py)."""


@pytest.fixture(scope="module")
def surf(davis16_root):
    """The held-out 'surf' (55 frames)."""
    return load_dataset("davis16_heldout", root=davis16_root, sequences=["surf"])[0]


@pytest.fixture(scope="module")
def net(surf):
    """Random init with the decoder bias set so that about half of the logits are positive (partial masks)."""
    torch.manual_seed(0)
    net = steepest_descent_resnet50().eval()
    annotator = Annotator(net, AnnotateSettings(**{k: v for k, v in SMALL.items() if k != "device"}))
    target = surf  # the engine takes the evaluation sequence itself
    frames = [prepare_frame(target, i, annotator.settings, net.target_stride) for i in (0, 2, 4)]
    logits = annotator.segment([[0, 1, 2]], annotator.frame_features(frames))
    with torch.no_grad():
        net.decoder.project.conv2.bias -= logits.median().item()
    return net


@pytest.fixture(scope="module")
def checkpoint(net, tmp_path_factory) -> Path:
    return save_checkpoint(tmp_path_factory.mktemp("weights") / "random.pth.tar", net, epoch=1)


def test_method_on_two_heldout_videos(checkpoint, davis16_root):
    method = get_method("box2seg", weights=checkpoint, **SMALL)
    assert method.name == "box2seg_T3"
    sequences = load_dataset("davis16_heldout", root=davis16_root, sequences=["surf", "dance-jump"])
    for full in sequences:
        full.boxes[8] = np.nan  # a frame without a box gets an empty mask
        full.visible[8] = False
        seq = full.select(range(0, len(full), 4))
        masks = list(method(seq))
        assert len(masks) == len(seq)
        for mask, box in zip(masks, seq.boxes):
            assert mask.dtype == bool and mask.shape == seq.image_size == (240, 427)
            assert not (mask & ~box_mask(box, seq.image_size)).any()  # inside the box (none without one)
        filled = [m.sum() / max(box_mask(b, seq.image_size).sum(), 1) for m, b in zip(masks, seq.boxes)]
        assert 0 < np.mean(filled) < 1  # neither empty nor box-fill: real network output
        assert not masks[2].any()


def test_an_unreadable_frame_fails_the_sequence(net, surf, tmp_path):
    """Not an empty mask scored as a miss: the sequence fails, naming the frame."""
    seq = surf.select(range(0, 12, 4))
    broken = tmp_path / "00004.jpg"
    broken.write_bytes(seq.frames[1].read_bytes())
    faults.truncate(broken)
    whole = copy.copy(surf)
    whole.frames = [broken if f == seq.frames[1] else f for f in surf.frames]
    with pytest.raises(ImageReadError, match=f"surf: cannot read image {broken}"):
        list(Box2Seg(net=net, **SMALL)(whole.select(range(0, 12, 4))))


def test_only_selected_frames_are_segmented_with_windows_over_all_frames(net, surf):
    method = Box2Seg(net=net, **SMALL)
    windows = []
    segment = method.annotator.segment

    def spy(batch, features, slots=(0,)):
        windows.extend(batch)
        return segment(batch, features, slots)

    method.annotator.segment = spy
    by_five = dict(zip(range(0, len(surf), 5), method(surf.select(range(0, len(surf), 5)))))
    assert sorted(w[0] for w in windows) == list(range(0, len(surf), 5))
    assert [15, 13, 17] in windows and [0, 2, 4] in windows  # Δ = 2: unselected frames give context
    (alone,) = method(surf.select([15]))
    np.testing.assert_array_equal(alone, by_five[15])


def test_all_positive_logits_give_box_fill(net, surf):
    seq = surf.select(range(0, len(surf), 9))
    with torch.no_grad():
        net.decoder.project.conv2.bias += 1000.0
        try:
            masks = list(Box2Seg(net=net, **dict(SMALL, search_area=4.0))(seq))  # the crops hold the whole boxes
        finally:
            net.decoder.project.conv2.bias -= 1000.0
    for mask, box_fill in zip(masks, BoxFill()(seq)):
        np.testing.assert_array_equal(mask, box_fill)


def test_evaluate_masks_cli_end_to_end(checkpoint, davis16_root, tmp_path):
    out = tmp_path / "out"
    cmd = [sys.executable, str(REPO / "pytracking" / "evaluation" / "evaluate_masks.py"),
           "--dataset", "davis16_heldout",
           "--root", str(davis16_root), "--sequences", "surf", "--method", "boxfill", "box2seg", "--weights",
           str(checkpoint), "--num-frames", "1", "3", "--frame-step", "8", "--protocol", "davis", "--out", str(out),
           *SMALL_ARGS]
    env = dict(os.environ, OMP_NUM_THREADS="1", PYTHONPATH=str(REPO))
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 0, proc.stderr
    summary = json.loads((out / "summary.json").read_text())
    assert summary["protocol"] == "davis" and summary["dataset"] == "davis16_heldout" and summary["frame_step"] == 8
    assert [(r["label"], r["T"]) for r in summary["rows"]] == [("boxfill", None), ("box2seg_T1", 1), ("box2seg_T3", 3)]
    assert all(0 <= r["J-mean"] <= 1 for r in summary["rows"])
    table = (out / "summary.md").read_text()
    assert "Protocol 'davis'" in table and "| box2seg_T3 | 3 |" in table and "| J-mean |" in table
    assert table in proc.stdout
    for run in ("boxfill", "box2seg_T1", "box2seg_T3"):
        results = json.loads((out / run / "results.json").read_text())
        assert len(results["sequences"]["surf"]["frames"]) == 7  # frames 0, 8, ..., 48
    plot = cv2.imread(str(out / "summary_j_vs_frames.png"))
    assert plot is not None and plot.shape[0] > 100


def test_table1_and_a_mislabelled_checkpoint(checkpoint, davis16_root, tmp_path, capsys):
    common = ["--dataset", "davis16_heldout", "--root", str(davis16_root), "--sequences", "surf",
              "--frame-step", "9", "--out", str(tmp_path), *SMALL_ARGS]
    assert tables.main(["table1", "--weights", str(checkpoint), "--num-frames", "1", "3", *common]) == 0
    table = json.loads((tmp_path / "table1.json").read_text())
    assert [(r["label"], r["T"]) for r in table["rows"]] == [("box2seg_T1", 1), ("box2seg_T3", 3)]
    assert (tmp_path / "table1.md").read_text() in capsys.readouterr().out
    assert cv2.imread(str(tmp_path / "table1_j_vs_frames.png")) is not None
    assert tables.main(["table2", "--weights", f"MultiFrame={checkpoint}", *common]) == 2
    assert "holds 'MultiFrameIterative', not 'MultiFrame'" in capsys.readouterr().err


@pytest.mark.parametrize("cli", [evaluate_masks.main, lambda argv: tables.main(["table3", *argv])])
def test_help(cli, capsys):
    with pytest.raises(SystemExit) as done:
        cli(["--help"])
    assert done.value.code == 0 and "--frame-step" in capsys.readouterr().out

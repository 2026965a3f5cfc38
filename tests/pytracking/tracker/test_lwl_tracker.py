"""The LWL tracker: memory weights, the 'var' box, and its behaviour on real frames with a tiny network."""
from dataclasses import replace
from pathlib import Path
from typing import List

import numpy as np
import pytest
import torch

from ltr.admin.loading import load_network
from ltr.data.image_loader import imread_rgb
from pytracking.evaluation.datasets import load_folder
from ltr.models.inference import InferenceRecord
from pytracking.tracker.lwl import LWL, LWLParams, inference_record
from pytracking.tracker.lwl.lwl import mask_state, update_sample_weights

PARAMS = LWLParams(net="unused", image_sample_size=(32, 48), search_area_scale=3.0)


@pytest.fixture(autouse=True)
def _one_thread(one_thread):
    """One intra-op thread (see tests/conftest.py)."""


def test_memory_weights_grow_geometrically_and_keep_the_initial_minimum():
    lr = 0.1
    w = torch.tensor([1.0, 0.0, 0.0, 0.0], dtype=torch.float64)
    assert update_sample_weights(w, 1, None, 1, lr, 0.25, False) == 1
    # [1, 0, 0, 0] / 0.9, new = 0.1 -> [1/0.9, 0.1] / (1/0.9 + 0.1)
    assert w.tolist() == pytest.approx([(1 / 0.9) / (1 / 0.9 + 0.1), 0.1 / (1 / 0.9 + 0.1), 0, 0])
    assert update_sample_weights(w, 2, 1, 1, lr, 0.25, False) == 2
    assert float(w[2] / w[1]) == pytest.approx(1 / 0.9) and float(w.sum()) == pytest.approx(1.0)
    assert update_sample_weights(w, 3, 2, 1, lr, 0.25, False) == 3
    # full: the lightest non-initial sample (the oldest, slot 1) is replaced, however light slot 0 is
    w[0] = 1e-6
    assert update_sample_weights(w, 4, 3, 1, lr, 0.25, False) == 1
    assert float(w[0]) == pytest.approx(0.25) and float(w.sum()) == pytest.approx(1.0)
    assert float(w[1] / w[3]) == pytest.approx(1 / 0.9)  # the new sample is the heaviest of the others


def test_memory_weights_without_initial_minimum_and_with_lower_init_weight():
    w = torch.tensor([1.0, 0.0], dtype=torch.float64)
    update_sample_weights(w, 1, None, 1, 0.2, 0.0, True)
    assert w.tolist() == pytest.approx([1.25 / 2.25, 1 / 2.25])  # the first added sample weighs 1 before normalising
    w[0] = 0.01
    assert update_sample_weights(w, 2, 1, 1, 0.2, 0.0, False) == 0  # without a minimum the initial sample may go


def test_mask_state_is_centre_of_mass_and_four_standard_deviations():
    prob = torch.zeros(60, 80)
    prob[10:30, 5:45] = 1.0  # 20 rows, 40 columns: variance (n^2 - 1) / 12 per axis
    centre, size = mask_state(prob, 4.0, 100.0)
    assert centre.tolist() == pytest.approx([19.5, 24.5])
    assert size.tolist() == pytest.approx([4 * np.sqrt(399 / 12), 4 * np.sqrt(1599 / 12)])
    assert mask_state(prob * 0.1, 4.0, 100.0) is None  # 80 < min_mask_area


def test_crop_settings_come_from_the_checkpoint_record(tiny_lwl):
    net = load_network(tiny_lwl)
    assert inference_record(net, PARAMS) == InferenceRecord((64, 112), 4.0, "lite", "gemm")
    net.inference = None
    assert inference_record(net, PARAMS) == InferenceRecord((32, 48), 3.0, "lite", "gemm")


def test_the_tracker_solves_with_the_recorded_solver(tiny_lwl, bag_clip):
    """The learned filter and each refinement use the solver the network's record names."""
    net = _net(tiny_lwl)
    net.inference = InferenceRecord((32, 48), 3.0, "lite", "double_backward")
    optimizer, solvers = net.target_model.filter_optimizer, []
    forward = optimizer.forward
    optimizer.forward = lambda *args, solver=None, **kwargs: solvers.append(solver) or forward(*args, solver=solver,
                                                                                              **kwargs)
    tracker, seq = _start(net, bag_clip)
    for i in range(1, 3):
        tracker.track(seq.frame(i))
    assert solvers == ["double_backward"] * 2  # the first frame's filter and the refinement before frame 3


def _net(path: Path, logit_bias: float = 0.0):
    net = load_network(path)
    net.inference = None  # use PARAMS' small crop
    with torch.no_grad():
        net.decoder.project.conv2.bias += logit_bias
    return net


def _start(net, bag_clip: Path, params: LWLParams = PARAMS):
    seq = load_folder(bag_clip)[0]
    tracker = LWL(net, params)
    box = seq.boxes[0]
    mask = np.zeros(seq.image_size, bool)
    x, y, w, h = box.astype(int)
    mask[y:y + h, x:x + w] = True
    out = tracker.initialize(seq.frame(0), mask, box)
    assert np.array_equal(out.mask, mask) and np.array_equal(out.box, box)
    return tracker, seq


def test_a_confident_tracker_follows_its_mask_within_the_scale_limits(tiny_lwl, bag_clip):
    """All logits positive: each mask is the whole crop region, which its 'var' box exceeds, so the
    crop grows by the largest allowed step (x1.1) every frame and the box is the mask's 'var' box."""
    tracker, seq = _start(_net(tiny_lwl, 1000.0), bag_clip)
    scales = [tracker.scale]
    for i in range(1, 6):
        out = tracker.track(seq.frame(i))
        assert out.mask.any()
        (cy, cx), (h, w) = mask_state(torch.from_numpy(out.mask.astype(np.float32)), 4.0, 100.0)
        assert out.box == pytest.approx([cx - (w - 1) / 2, cy - (h - 1) / 2, w, h], rel=1e-5)
        scales.append(tracker.scale)
    assert np.diff(np.log(scales)) == pytest.approx(np.log(1.1))
    assert tracker.num_stored == 5 and float(tracker.memory_weights.sum()) == pytest.approx(1.0)


def test_an_empty_mask_keeps_the_previous_state(tiny_lwl, bag_clip):
    tracker, seq = _start(_net(tiny_lwl, -1000.0), bag_clip)
    pos, scale, box = tracker.pos.copy(), tracker.scale, tracker.box.copy()
    for i in range(1, 4):
        out = tracker.track(seq.frame(i))
        assert not out.mask.any()
        assert np.array_equal(out.box, box) and np.array_equal(tracker.pos, pos) and tracker.scale == scale


def test_a_merged_probability_replaces_the_trackers_own(tiny_lwl, bag_clip):
    """Objects tracked together: the next crop follows, and the memory learns from, the merged probability."""
    tracker, seq = _start(_net(tiny_lwl, 1000.0), bag_clip)
    pos, scale = tracker.pos.copy(), tracker.scale
    tracker.track(seq.frame(1))  # all logits positive: its own mask is the whole crop region
    merged = np.zeros(seq.image_size, np.float32)
    merged[40:60, 100:140] = 0.5  # rows 40..59, columns 100..139: centre (49.5, 119.5)
    tracker.merged(merged)
    assert tracker.pos.tolist() == pytest.approx([49.5, 119.5])
    assert torch.equal(tracker.previous[3].cpu(), torch.from_numpy(merged))
    tracker.merged(np.zeros_like(merged))  # merged away: the state before the frame stays
    assert np.array_equal(tracker.pos, pos) and tracker.scale == scale


def _filter_changes(tracker: LWL, seq, frames: int) -> List[bool]:
    changed = []
    for i in range(1, frames):
        before = tracker.filter.clone()
        tracker.track(seq.frame(i))
        changed.append(not torch.equal(before, tracker.filter))
    return changed


def test_the_filter_is_refined_every_train_skipping_frames_from_the_memory(tiny_lwl, bag_clip):
    """Frame numbers start at 1 (the initial frame); frame 2 has no tracked frame to learn from yet."""
    tracker, seq = _start(_net(tiny_lwl), bag_clip, replace(PARAMS, train_skipping=2))
    assert _filter_changes(tracker, seq, 6) == [False, True, False, True, False]  # frames 2..6
    assert tracker.num_stored == 5  # every tracked frame but the last joined the memory
    frozen, seq = _start(_net(tiny_lwl), bag_clip, replace(PARAMS, update_target_model=False))
    assert _filter_changes(frozen, seq, 4) == [False, False, False] and frozen.num_stored == 1


def test_tracking_is_deterministic(tiny_lwl, bag_clip):
    runs = []
    for _ in range(2):
        tracker, seq = _start(_net(tiny_lwl), bag_clip)
        runs.append([tracker.track(seq.frame(i)) for i in range(1, 4)])
    for a, b in zip(*runs):
        assert np.array_equal(a.mask, b.mask) and np.array_equal(a.box, b.box)


def test_frames_are_rgb_uint8(bag_clip):
    """The tracker takes frames as imread_rgb returns them."""
    image = imread_rgb(sorted((bag_clip / "imgs").glob("*.jpg"))[0])
    assert image.dtype == np.uint8 and image.shape == (360, 480, 3)

"""The inference engine: the feature cache, the memory layout and the solver change nothing but the
speed; fast mode decodes each frame once per stage, equals exact mode when windows hold one frame, and
its schedule never refines a window before all its frames have their stage-1 mask."""
from __future__ import annotations

from dataclasses import replace
from itertools import islice

import numpy as np
import pytest
import torch

from annotate_helpers import SMALL, clip_sequence
from ltr.admin.loading import load_network
from pytracking.annotate.engine import Annotator, batch_schedule, prepare_frame
from pytracking.annotate.windows import lattice_windows


def masks_of(annotator: Annotator, seq, targets=None):
    return {r.index: r.mask for r in annotator.annotate(seq, targets)}


def test_cached_and_uncached_masks_are_identical(checkpoints, clips):
    net = load_network(checkpoints["balanced"])
    seq = clip_sequence(clips["bear"])
    seq.visible[3] = False  # an invisible frame inside windows
    results = {cache: masks_of(Annotator(net, replace(SMALL, cache=cache, batch_windows=3)), seq)
               for cache in (True, False)}
    assert sorted(results[True]) == [0, 1, 2, 4, 5]
    for i, mask in results[True].items():
        np.testing.assert_array_equal(mask, results[False][i], err_msg=f"frame {i}")
    fills = [m.sum() / (seq.boxes[i][2] * seq.boxes[i][3]) for i, m in results[True].items()]
    assert all(0.05 < f < 0.95 for f in fills), f"degenerate masks make this test vacuous: {fills}"


@pytest.mark.parametrize("change", [dict(channels_last=False), dict(solver="double_backward")])
def test_layout_and_solver_give_the_same_logits(checkpoints, clips, change):
    """NCHW instead of the default channels-last, and the official solver: same refined logits."""
    net = load_network(checkpoints["balanced"])
    seq = clip_sequence(clips["boat"])
    frames = [prepare_frame(seq, i, SMALL, net.target_stride) for i in (2, 0, 4)]
    logits = {}
    for name, settings in (("default", SMALL), ("changed", replace(SMALL, **change))):
        annotator = Annotator(net, settings)
        logits[name] = annotator.segment([[2, 0, 4]], annotator.frame_features(frames))
        layout = torch.channels_last if settings.channels_last else torch.contiguous_format
        assert all(p.is_contiguous(memory_format=layout) for p in net.parameters() if p.dim() == 4), name
    assert logits["default"].std() > 0.01  # not a constant map
    torch.testing.assert_close(logits["changed"], logits["default"], rtol=1e-4, atol=1e-5)


def count_decoded_frames(net) -> list:
    """Frames decoded, appended on every decoder call."""
    decoded = []
    net.decoder.project.register_forward_hook(lambda module, args, out: decoded.append(out.shape[0]))
    return decoded


def test_fast_mode_decodes_each_window_once_per_stage(checkpoints, clips):
    seq = clip_sequence(clips["car-turn"])
    counts = {}
    for fast in (False, True):
        net = load_network(checkpoints["balanced"])
        decoded = count_decoded_frames(net)
        masks = masks_of(Annotator(net, replace(SMALL, fast=fast, batch_windows=1)), seq)
        assert sorted(masks) == list(range(len(seq)))
        counts[fast] = sum(decoded)
    windows = [w for r in range(SMALL.interval) for w in lattice_windows(r, len(seq), 3, SMALL.interval, seq.visible)]
    assert counts[False] == sum(len(w) + 1 for w in windows)  # exact: T initial masks and the refined one
    assert counts[True] == 2 * len(windows)


def test_windows_of_the_same_frames_are_segmented_once(checkpoints, clips):
    """Near a lattice's ends windows hold the same frames: one S, T initial masks and Ŝ serve them all, and
    each target's refined logits are those of its own window segmented alone."""
    net = load_network(checkpoints["balanced"])
    seq = clip_sequence(clips["bear"])
    windows = lattice_windows(0, len(seq), 3, 1, seq.visible)[:2]
    assert windows == [[0, 1, 2], [1, 0, 2]]
    annotator = Annotator(net, SMALL)
    frames = {i: prepare_frame(seq, i, SMALL, net.target_stride) for i in range(3)}
    features = {f: ff for f, ff in zip(frames, annotator.frame_features(list(frames.values())))}
    decoded = count_decoded_frames(net)
    shared = annotator.segment(windows[:1], [features[f] for f in windows[0]], slots=[0, 1])
    assert decoded == [3, 2]  # the initial masks of the window's frames, then the two targets
    for k, w in enumerate(windows):
        alone = annotator.segment([w], [features[f] for f in w])
        assert alone.std() > 0.01
        torch.testing.assert_close(shared[k], alone[0], rtol=1e-4, atol=1e-5)
    decoded.clear()
    masks = masks_of(Annotator(net, replace(SMALL, interval=1)), seq)
    assert sorted(masks) == list(range(len(seq)))
    # batches of two windows: {0,1,2} twice (3 + 2 decodes), [2,1,3] and [3,2,4] (2 x 3 + 2), {3,4,5} twice (3 + 2)
    assert sum(decoded) == 18


def test_fast_mode_equals_exact_mode_for_one_frame_windows(checkpoints, clips):
    """With T = 1 a frame's own window is the only window it is in: sharing changes nothing."""
    net = load_network(checkpoints["balanced"])
    seq = clip_sequence(clips["bear"])
    exact, fast = (masks_of(Annotator(net, replace(SMALL, num_frames=1, fast=f)), seq) for f in (False, True))
    assert sorted(fast) == sorted(exact) == list(range(len(seq)))
    for i in exact:
        np.testing.assert_array_equal(fast[i], exact[i], err_msg=f"frame {i}")


def test_fast_mode_for_a_subset_of_targets(checkpoints, clips):
    """Evaluation segments every k-th frame: stage 1 then also runs for the other frames of their windows."""
    net = load_network(checkpoints["balanced"])
    seq = clip_sequence(clips["boat"])
    seq.visible[1] = False
    annotator = Annotator(net, replace(SMALL, fast=True))
    subset = masks_of(annotator, seq, targets={0, 4})
    everything = masks_of(annotator, seq)
    assert sorted(subset) == [0, 4] and sorted(everything) == [0, 2, 3, 4, 5]
    for i in subset:
        np.testing.assert_array_equal(subset[i], everything[i])


@pytest.mark.parametrize("batch", [1, 2, 3])
def test_schedule_refines_windows_only_after_stage_one_of_their_frames(batch):
    usable = np.ones(40, bool)
    usable[[7, 22]] = False
    windows = lattice_windows(1, 40, 5, 3, usable)
    final = windows[2:9]
    first = [w for w in windows if w[0] in {f for v in final for f in v}]
    steps = list(islice(batch_schedule(first, final, batch, 40), 100))  # (it must end)
    assert len(steps) <= len(first) + len(final)
    done, refined = set(), []
    for stage, ws, bound in steps:
        assert len(ws) <= batch
        if stage == "first":
            done.update(w[0] for w in ws)
        else:
            assert all(f in done for w in ws for f in w), (ws, done)
            refined += ws
    assert refined == final and done == {w[0] for w in first}
    for k, (_, _, bound) in enumerate(steps):  # no later batch needs a frame below the bound
        assert all(f >= bound for _, ws, _ in steps[k + 1:] for w in ws for f in w)
    assert [(s, ws) for s, ws, _ in batch_schedule([], final, batch, 40)] == \
        [("final", final[k:k + batch]) for k in range(0, len(final), batch)]

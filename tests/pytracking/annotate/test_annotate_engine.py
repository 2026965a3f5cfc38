"""The inference engine: the feature cache changes nothing but the speed."""
from __future__ import annotations

from dataclasses import replace

import numpy as np

from annotate_helpers import SMALL, clip_sequence
from ltr.admin.loading import load_network
from pytracking.annotate.engine import Annotator


def test_cached_and_uncached_masks_are_identical(checkpoints, clips):
    net = load_network(checkpoints["balanced"])
    seq = clip_sequence(clips["bear"])
    seq.visible[3] = False  # an invisible frame inside windows
    results = {}
    for cache in (True, False):
        annotator = Annotator(net, replace(SMALL, cache=cache, batch_windows=3))
        results[cache] = {r.index: r.mask for r in annotator.annotate(seq)}
    assert sorted(results[True]) == [0, 1, 2, 4, 5]
    for i, mask in results[True].items():
        np.testing.assert_array_equal(mask, results[False][i], err_msg=f"frame {i}")
    fills = [m.sum() / (seq.boxes[i][2] * seq.boxes[i][3]) for i, m in results[True].items()]
    assert all(0.05 < f < 0.95 for f in fills), f"degenerate masks make this test vacuous: {fills}"

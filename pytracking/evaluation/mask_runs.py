"""Box->mask runs: a method (box2seg, box-fill, GrabCut, a folder of predicted masks) at a number of frames
T, as evaluate_masks.py and tables.py run them on a dataset with ground-truth masks
(pytracking/analysis/mask_scores.py scores them and writes the summaries)."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, List, Mapping, Optional, Sequence

from ltr.models.box2seg.box2seg_net import Box2SegNet
from pytracking.evaluation.baselines import Method, get_method
from pytracking.evaluation.box2seg_method import Box2Seg, fixed_num_frames
from pytracking.utils.cli import UsageError


@dataclass
class Run:
    """One evaluation: a method at one T (None: the method has no T); ``label`` names its row and folder.
    A run without a method is a configuration that cannot be evaluated: its row says why (``note``)."""

    label: str
    method: Optional[Method]
    family: str  # rows of one family form one curve in the plot
    num_frames: Optional[int] = None
    note: str = ""


def box2seg_runs(net: Box2SegNet, name: str, frame_counts: Sequence[int], settings: Mapping[str, Any]) -> List[Run]:
    """One run per T; a T the network cannot use (a fixed-T aggregation) gets a run without a method."""
    if any(t < 1 for t in frame_counts):
        raise UsageError("--num-frames values must be at least 1")
    fixed = fixed_num_frames(net)
    runs = []
    for t in dict.fromkeys(frame_counts):
        if fixed is not None and t != fixed:
            runs.append(Run(f"{name}_T{t}", None, name, t, f"n/a: aggregates exactly T={fixed} frames"))
        else:
            method = Box2Seg(net=net, name=name, num_frames=t, **settings)
            runs.append(Run(method.name, method, name, t))
    return runs


def baseline_run(name: str, masks: Optional[str] = None) -> Run:
    """A method without T (box-fill, GrabCut, a folder of predicted masks)."""
    if name == "maskfolder":
        if not masks:
            raise UsageError("--method maskfolder needs --masks DIR")
        if not Path(masks).is_dir():
            raise UsageError(f"--masks: no folder {masks}")
        method = get_method(name, folder=masks)
    else:
        method = get_method(name)
    return Run(name, method, name)

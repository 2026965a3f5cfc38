"""What every tracker gives the runner for a frame, the interface the runner drives, and how the
runner merges the objects of a video tracked together."""
from __future__ import annotations

from typing import NamedTuple, Optional, Protocol, Tuple

import numpy as np

MERGE_EPS = 1e-7  # probabilities are clipped to [eps, 1 - eps] before their odds are taken, as in LWL


class TrackerOutput(NamedTuple):
    """One frame's result: the full-image mask and the target box [x, y, w, h] the tracker estimates,
    and the foreground probability the mask thresholds (needed to merge objects tracked together)."""

    mask: np.ndarray  # (H, W) bool
    box: np.ndarray  # (4,) float
    prob: Optional[np.ndarray] = None  # (H, W) float in [0, 1]


def soft_aggregate(probs: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
    """One label map from K objects' foreground probabilities (K, H, W), as LWL merges them (the soft
    aggregation of RGMP): the background probability is prod_k (1 - p_k); background and objects are
    renormalised through their odds p / (1 - p); each pixel takes the most likely label.

    Returns the labels (H, W) (0 background, k + 1 object k; ties go to the lower label) and the merged
    probabilities (K + 1, H, W), background first, summing to 1. Unlike thresholding each object at
    0.5, every pixel gets one label, and two weak objects can together outweigh the background.
    """
    probs = np.asarray(probs, dtype=np.float64)
    background = np.prod(1.0 - probs, axis=0, keepdims=True)
    every = np.clip(np.concatenate([background, probs]), MERGE_EPS, 1.0 - MERGE_EPS)
    odds = every / (1.0 - every)
    merged = odds / odds.sum(axis=0, keepdims=True)
    return merged.argmax(axis=0), merged


class Tracker(Protocol):
    """Initialised on one frame with a mask and a box, then called on each following frame in order.

    The runner makes one per sequence as ``cls(net, params, device)``; the class (``get_tracker_class()``
    of its package) names the network class its parameters' file must hold (``network_type``) and gives
    the crop settings it uses with a network (``inference_record(net, params)``).
    """

    network_type: type

    def initialize(self, image: np.ndarray, mask: np.ndarray, box: np.ndarray) -> TrackerOutput: ...

    def track(self, image: np.ndarray) -> TrackerOutput: ...

    def merged(self, prob: np.ndarray) -> None:
        """Objects tracked together: this object's probability in the last frame after the merge."""

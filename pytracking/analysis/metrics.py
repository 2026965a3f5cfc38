"""DAVIS region (J) and boundary (F) measures and their per-sequence statistics.

Implements the facts in ../shared/spec/davis-metrics.md: J is the IoU, F the boundary F-measure with a disk
tolerance. Per-frame functions take HxW bool masks; statistics take per-frame arrays of one
sequence (one object) and a protocol: 'all' scores every frame, 'davis' drops the first and the
last frame like the semi-supervised DAVIS benchmark (for box->mask every frame has a box, so
results must say which protocol they use).
"""
from __future__ import annotations

import math
from typing import Dict, Mapping, Optional, Sequence, Tuple

import cv2
import numpy as np

PROTOCOLS: Dict[str, str] = {
    "all": "all frames",
    "davis": "first and last frame of each sequence dropped",
}
DEFAULT_BOUND = 0.008
STATISTICS = ("mean", "recall", "decay")
N_DECAY_BINS = 4


def _check_pair(pred: np.ndarray, gt: np.ndarray,
                void: Optional[np.ndarray]) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Masks as bool arrays of one shape, void (all False when absent) included."""
    pred, gt = np.asarray(pred, dtype=bool), np.asarray(gt, dtype=bool)
    void = np.zeros_like(gt) if void is None else np.asarray(void, dtype=bool)
    if pred.ndim != 2 or pred.shape != gt.shape or void.shape != gt.shape:
        raise ValueError(f"masks must be 2-D and of one shape: prediction {pred.shape}, "
                         f"ground truth {gt.shape}, void {void.shape}")
    return pred, gt, void


def region_similarity(pred: np.ndarray, gt: np.ndarray, void: Optional[np.ndarray] = None) -> float:
    """J = |P & G| / |P | G| over non-void pixels; 1 when the union is empty (nothing to find, nothing found)."""
    pred, gt, void = _check_pair(pred, gt, void)
    valid = ~void
    union = np.count_nonzero((pred | gt) & valid)
    return 1.0 if union == 0 else float(np.count_nonzero(pred & gt & valid) / union)


def boundary_map(mask: np.ndarray) -> np.ndarray:
    """One-pixel boundary, offset half a pixel towards the origin (the DAVIS rule).

    A pixel is a boundary pixel when it differs from its right, lower or lower-right neighbour;
    the last row compares only the right neighbour, the last column only the lower one, and the
    bottom-right pixel is never a boundary pixel (so the image border itself is no boundary).
    """
    m = np.asarray(mask, dtype=bool)
    b = np.zeros_like(m)
    b[:-1, :-1] = (m[:-1, :-1] != m[:-1, 1:]) | (m[:-1, :-1] != m[1:, :-1]) | (m[:-1, :-1] != m[1:, 1:])
    b[-1, :-1] = m[-1, :-1] != m[-1, 1:]
    b[:-1, -1] = m[:-1, -1] != m[1:, -1]
    return b


def boundary_radius(shape: Tuple[int, int], bound: float = DEFAULT_BOUND) -> float:
    """Tolerance in pixels: ceil(bound * image diagonal), or ``bound`` itself when it is >= 1."""
    if bound <= 0:
        raise ValueError(f"bound must be positive, got {bound}")
    return float(bound) if bound >= 1 else float(math.ceil(bound * math.hypot(*shape[:2])))


def disk(radius: float) -> np.ndarray:
    """Structuring element: exactly the offsets with dx^2 + dy^2 <= radius^2.

    Built by hand because OpenCV's MORPH_ELLIPSE is not this set (its 7x7 ellipse includes
    offset (1, 3), which lies outside the radius-3 disk).
    """
    k = int(math.floor(radius))
    d = np.arange(-k, k + 1)
    return (d[:, None] ** 2 + d[None, :] ** 2 <= radius ** 2).astype(np.uint8)


def boundary_precision_recall(pred: np.ndarray, gt: np.ndarray, void: Optional[np.ndarray] = None,
                              bound: float = DEFAULT_BOUND) -> Tuple[float, float]:
    """Boundary precision and recall within the disk tolerance; void pixels count as background.

    Conventions for empty boundaries: both empty -> (1, 1); only the prediction's -> (1, 0);
    only the ground truth's -> (0, 1).
    """
    pred, gt, void = _check_pair(pred, gt, void)
    b_pred, b_gt = boundary_map(pred & ~void), boundary_map(gt & ~void)
    n_pred, n_gt = np.count_nonzero(b_pred), np.count_nonzero(b_gt)
    if n_pred == 0 or n_gt == 0:
        return (1.0 if n_pred == 0 else 0.0), (1.0 if n_gt == 0 else 0.0)
    kernel = disk(boundary_radius(gt.shape, bound))
    dil_pred = cv2.dilate(b_pred.astype(np.uint8), kernel).astype(bool)
    dil_gt = cv2.dilate(b_gt.astype(np.uint8), kernel).astype(bool)
    return float(np.count_nonzero(b_pred & dil_gt) / n_pred), float(np.count_nonzero(b_gt & dil_pred) / n_gt)


def boundary_f_measure(pred: np.ndarray, gt: np.ndarray, void: Optional[np.ndarray] = None,
                       bound: float = DEFAULT_BOUND) -> float:
    """F = 2PR / (P + R) of boundary precision and recall; 0 when P + R = 0."""
    p, r = boundary_precision_recall(pred, gt, void, bound)
    return 0.0 if p + r == 0 else 2 * p * r / (p + r)


def select_frames(values: Sequence[float], protocol: str = "all") -> np.ndarray:
    """The per-frame values a protocol scores: all of them, or all but the first and the last."""
    values = np.asarray(values, dtype=float)
    if protocol not in PROTOCOLS:
        raise ValueError(f"unknown protocol {protocol!r}; choose one of {sorted(PROTOCOLS)}")
    if protocol == "davis":
        if len(values) < 3:
            raise ValueError(f"protocol 'davis' drops the first and last frame: needs >= 3 frames, got {len(values)}")
        values = values[1:-1]
    if len(values) == 0:
        raise ValueError("no frames to score")
    return values


def scored_frame_count(n_frames: int, protocol: str) -> int:
    """How many of a sequence's ``n_frames`` frames ``protocol`` scores, as ``select_frames`` picks them
    (0 when the sequence is too short for it), so that a summary states what its means are over."""
    if protocol not in PROTOCOLS:
        raise ValueError(f"unknown protocol {protocol!r}; choose one of {sorted(PROTOCOLS)}")
    try:
        return len(select_frames(np.zeros(n_frames), protocol))
    except ValueError:  # too few frames for the protocol
        return 0


def sequence_statistics(values: Sequence[float], protocol: str = "all") -> Dict[str, float]:
    """Mean, recall (fraction of frames > 0.5) and decay of one sequence's per-frame measure.

    Decay = mean of the first minus mean of the last of 4 near-equal consecutive bins (sizes
    differ by at most one, the earlier bins being the larger); with fewer than 4 frames the empty
    bins are skipped.
    """
    x = select_frames(values, protocol)
    bins = [b for b in np.array_split(x, N_DECAY_BINS) if len(b)]
    return {"mean": float(x.mean()), "recall": float(np.mean(x > 0.5)),
            "decay": float(bins[0].mean() - bins[-1].mean())}


def dataset_summary(per_sequence: Mapping[str, Mapping[str, float]]) -> Dict[str, float]:
    """Average each statistic over sequences (objects), so every object weighs the same."""
    if not per_sequence:
        raise ValueError("no sequences to summarise")
    return {k: float(np.mean([s[k] for s in per_sequence.values()])) for k in STATISTICS}

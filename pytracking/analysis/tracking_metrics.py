"""Box tracking measures: GOT-10k's AO and SR, LaSOT's success AUC, precision and normalised precision.

Boxes are [x, y, w, h] in pixels, one row per frame. Which frames count:
- A frame is *scorable* when its ground-truth box is finite with w, h > 0 and the target is marked
  visible (LaSOT: not fully occluded nor out of view; GOT-10k: present with cover > 0; DAVIS: a
  non-empty mask). The *initial frame* is the first scorable one: the tracker was given it.
- GOT-10k measures (AO, SR0.5, SR0.75) follow the GOT-10k toolkit: the initial frame and every frame
  without a visible target are skipped, both boxes are clipped to the image first, and AO / SR are
  averaged over the scored frames of all sequences together (long sequences weigh more). SR_t counts
  IoU > t.
- LaSOT measures follow the OTB/LaSOT success and precision plots as pytracking's analysis computes
  them: every scorable frame counts, the initial one included; frames without a visible target are
  left out (they have no box to compare with). Success at t counts IoU > t for the 21 thresholds
  t = 0, 0.05, ..., 1, and AUC is the mean of that curve, so a perfect tracker reaches 20/21.
  Precision is the share of frames whose centre error is <= 20 px; normalised precision is the mean
  over t = 0, 0.01, ..., 0.5 of the share whose centre error, divided per axis by the ground-truth
  width and height, is <= t. Curves are computed per sequence and averaged over sequences.
A missing or unusable prediction (NaN, zero size) has IoU 0 and an infinite centre error.
"""
from __future__ import annotations

from typing import Any, Dict, Mapping, Optional, Sequence, Tuple

import numpy as np

from ltr.data.bounding_box_utils import box_overlaps, usable_boxes

OVERLAP_THRESHOLDS = np.linspace(0.0, 1.0, 21)
CENTRE_THRESHOLDS = np.arange(0.0, 51.0)  # pixels
NORM_CENTRE_THRESHOLDS = np.linspace(0.0, 0.5, 51)
PRECISION_PIXELS = 20.0
SR_THRESHOLDS = (0.5, 0.75)
GOT10K_MEASURES = ("AO", "SR0.5", "SR0.75")
LASOT_MEASURES = ("AUC", "Precision", "NormPrecision")
MEASURES = GOT10K_MEASURES + LASOT_MEASURES


def clip_boxes(boxes: np.ndarray, image_size: Tuple[int, int]) -> np.ndarray:
    """Boxes cut to the (H, W) image: x in [0, W], w in [0, W - x] (likewise y, h), as GOT-10k does."""
    out = np.array(boxes, dtype=np.float64, copy=True)
    height, width = image_size
    out[:, 0] = np.clip(out[:, 0], 0, width)
    out[:, 1] = np.clip(out[:, 1], 0, height)
    out[:, 2] = np.clip(out[:, 2], 0, width - out[:, 0])
    out[:, 3] = np.clip(out[:, 3], 0, height - out[:, 1])
    return out


def centre_errors(pred: np.ndarray, gt: np.ndarray, normalised: bool = False) -> np.ndarray:
    """Distance between box centres (in pixels, or per axis in units of the ground-truth size); inf
    where either box is unusable."""
    pred, gt = np.asarray(pred, dtype=np.float64).reshape(-1, 4), np.asarray(gt, dtype=np.float64).reshape(-1, 4)
    valid = usable_boxes(pred) & usable_boxes(gt)
    offset = (pred[:, :2] + pred[:, 2:] / 2) - (gt[:, :2] + gt[:, 2:] / 2)
    if normalised:
        offset = offset / np.where(valid[:, None], gt[:, 2:], 1.0)
    return np.where(valid, np.hypot(offset[:, 0], offset[:, 1]), np.inf)


def scored_frames(gt: np.ndarray, visible: Optional[np.ndarray] = None) -> Tuple[np.ndarray, np.ndarray]:
    """(LaSOT frames, GOT-10k frames) as bool masks: the scorable frames, and those after the initial one."""
    gt = np.asarray(gt, dtype=np.float64).reshape(-1, 4)
    lasot = usable_boxes(gt) if visible is None else usable_boxes(gt) & np.asarray(visible, dtype=bool)
    got10k = lasot.copy()
    if lasot.any():
        got10k[np.argmax(lasot)] = False
    return lasot, got10k


def _got10k(ious: np.ndarray) -> Dict[str, float]:
    """AO and SR_t of the IoUs GOT-10k scores (NaN when there are none)."""
    if len(ious) == 0:
        return dict.fromkeys(GOT10K_MEASURES, float("nan"))
    return {"AO": float(ious.mean()), **{f"SR{t:g}": float((ious > t).mean()) for t in SR_THRESHOLDS}}


def sequence_measures(pred: np.ndarray, gt: np.ndarray, visible: Optional[np.ndarray] = None,
                      image_size: Optional[Tuple[int, int]] = None) -> Dict[str, Any]:
    """The measures of one sequence, its curves and per-frame values.

    ``image_size`` (H, W) enables GOT-10k's clipping. Returns the ``MEASURES`` (NaN when no frame
    counts), ``success`` / ``precision`` / ``norm_precision`` curves over the thresholds,
    ``got10k_ious`` (the IoUs AO averages) and ``iou`` per frame (None where not scored).
    """
    pred = np.asarray(pred, dtype=np.float64).reshape(-1, 4)
    gt = np.asarray(gt, dtype=np.float64).reshape(-1, 4)
    if len(pred) != len(gt):
        raise ValueError(f"{len(pred)} predicted boxes for {len(gt)} frames")
    lasot, got10k = scored_frames(gt, visible)
    clipped = (pred, gt) if image_size is None else (clip_boxes(pred, image_size), clip_boxes(gt, image_size))
    got_ious = box_overlaps(*clipped)[got10k]
    ious = box_overlaps(pred, gt)
    errors = centre_errors(pred, gt)[lasot]
    norm_errors = centre_errors(pred, gt, normalised=True)[lasot]

    def share(values: np.ndarray, thresholds: np.ndarray, above: bool) -> np.ndarray:
        if len(values) == 0:
            return np.full(len(thresholds), np.nan)
        hits = values[:, None] > thresholds[None] if above else values[:, None] <= thresholds[None]
        return hits.mean(axis=0)

    success = share(ious[lasot], OVERLAP_THRESHOLDS, above=True)
    norm_precision = share(norm_errors, NORM_CENTRE_THRESHOLDS, above=False)
    out: Dict[str, Any] = _got10k(got_ious)
    out.update({
        "AUC": float(success.mean()),
        "Precision": float(share(errors, np.array([PRECISION_PIXELS]), above=False)[0]),
        "NormPrecision": float(norm_precision.mean()),
        "frames_scored": int(lasot.sum()),
        "success": success.tolist(),
        "precision": share(errors, CENTRE_THRESHOLDS, above=False).tolist(),
        "norm_precision": norm_precision.tolist(),
        "got10k_ious": got_ious.tolist(),
        "iou": [float(v) if s else None for v, s in zip(ious, lasot)],
    })
    return out


def dataset_measures(per_sequence: Mapping[str, Mapping[str, Any]]) -> Dict[str, Any]:
    """The dataset's measures from ``sequence_measures`` results: AO and SR over all GOT-10k frames
    together, the LaSOT curves and values averaged over sequences (those with scored frames)."""
    if not per_sequence:
        raise ValueError("no sequences to summarise")
    got_ious = np.concatenate([np.asarray(s["got10k_ious"], dtype=np.float64) for s in per_sequence.values()])
    scored = [s for s in per_sequence.values() if s["frames_scored"]]

    def mean_curve(key: str, length: int) -> np.ndarray:
        return np.mean([s[key] for s in scored], axis=0) if scored else np.full(length, np.nan)

    success = mean_curve("success", len(OVERLAP_THRESHOLDS))
    out: Dict[str, Any] = _got10k(got_ious)
    out.update({
        "AUC": float(success.mean()),
        "Precision": float(np.mean([s["Precision"] for s in scored])) if scored else float("nan"),
        "NormPrecision": float(mean_curve("norm_precision", len(NORM_CENTRE_THRESHOLDS)).mean()),
        "n_sequences": len(per_sequence),
        "frames_scored": int(sum(s["frames_scored"] for s in per_sequence.values())),
        "got10k_frames_scored": int(len(got_ious)),
        "success": success.tolist(),
        "precision": mean_curve("precision", len(CENTRE_THRESHOLDS)).tolist(),
        "norm_precision": mean_curve("norm_precision", len(NORM_CENTRE_THRESHOLDS)).tolist(),
    })
    return out


def thresholds() -> Dict[str, Sequence[float]]:
    """The x values of the curves (for JSON output and plots)."""
    return {"success": OVERLAP_THRESHOLDS.tolist(), "precision": CENTRE_THRESHOLDS.tolist(),
            "norm_precision": NORM_CENTRE_THRESHOLDS.tolist()}

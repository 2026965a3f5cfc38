"""Box geometry, in one place: boxes to pixels, the tight box of a mask, box overlaps.

Conventions used everywhere in ltr and pytracking:
- a box is [x, y, w, h] in pixels, pixel i covering [i, i + 1);
- a ``Size`` is (H, W), the order of numpy / torch image shapes (training settings included);
- a box becomes pixels by the official rule (``box_pixel_bounds``), which the box encoder was trained
  with: every consumer (box encoder, box-fill masks and baselines, GrabCut's rectangle, the paste-back
  and the statistics of the annotation tool) goes through it, so a box covers the same pixels wherever
  it is drawn;
- the tight box of an empty mask is the zero box [0, 0, 0, 0] (area 0: it covers no pixel and
  overlaps nothing), as pytracking's ``masks_to_bboxes`` returns.
"""
from __future__ import annotations

from typing import Sequence, Tuple, Union

import numpy as np
import torch

Size = Tuple[int, int]  # (H, W)


def box_pixel_bounds(boxes: Union[torch.Tensor, np.ndarray, Sequence[float]]) -> torch.Tensor:
    """Pixel bounds (N, 4) [x0, y0, x1, y1] (float64, on the boxes' device, ends exclusive, not clipped)
    of boxes (N, 4) or one box (4,), the official way.

    Each of x, y, w and h goes through int() and then int(v + 0.5) again, as the official code does:
    truncation toward zero, after which a negative integer n becomes n + 1 (int(-19.5) = -19); the
    box covers columns [x, x + w) and rows [y, y + h) of those values. So x = 10.6, w = 5.6 covers
    columns [10, 15), not the [11, 16) of the pixel centres it contains. A NaN box covers nothing.
    """
    b = torch.nan_to_num(torch.as_tensor(boxes, dtype=torch.float64).reshape(-1, 4), nan=-1e9).trunc()
    b = torch.where(b < 0, b + 1, b)  # the second int(v + 0.5)
    return torch.cat([b[:, :2], b[:, :2] + b[:, 2:]], dim=1)


def rasterize_boxes(boxes: torch.Tensor, size: Size) -> torch.Tensor:
    """Binary masks (N, 1, H, W) of boxes (N, 4), covering ``box_pixel_bounds`` clipped to the image.

    The official slicing wraps around for a box whose end lies left of / above the image (a negative
    end index); such a box is empty here.
    """
    height, width = int(size[0]), int(size[1])
    x0, y0, x1, y1 = box_pixel_bounds(boxes).unbind(-1)
    cols = torch.arange(width, device=boxes.device, dtype=torch.float64)
    rows = torch.arange(height, device=boxes.device, dtype=torch.float64)
    in_x = (cols >= x0[:, None]) & (cols < x1[:, None])
    in_y = (rows >= y0[:, None]) & (rows < y1[:, None])
    mask = in_y[:, :, None] & in_x[:, None, :]
    return mask.unsqueeze(1).to(boxes.dtype if boxes.is_floating_point() else torch.float32)


def box_region(box: Sequence[float], image_size: Size) -> Tuple[int, int, int, int]:
    """The pixels of one box as ranges (y0, y1, x0, x1) clipped to the (H, W) image, for slicing
    ``image[y0:y1, x0:x1]``; empty (y1 <= y0 or x1 <= x0) when the box covers no pixel of it."""
    x0, y0, x1, y1 = box_pixel_bounds(box)[0].tolist()
    height, width = image_size[0], image_size[1]
    return (int(min(max(y0, 0), height)), int(min(max(y1, 0), height)),
            int(min(max(x0, 0), width)), int(min(max(x1, 0), width)))


def box_mask(box: Sequence[float], image_size: Size) -> np.ndarray:
    """One box as an (H, W) bool mask (all False for a box outside the image or NaN)."""
    mask = np.zeros(tuple(image_size), dtype=bool)
    y0, y1, x0, x1 = box_region(box, image_size)
    mask[y0:y1, x0:x1] = True
    return mask


def mask_to_box(mask: np.ndarray) -> np.ndarray:
    """Tight box [x_min, y_min, x_max - x_min + 1, y_max - y_min + 1] (float64) of the pixels > 0 of a
    mask; the zero box for an empty mask (so w == 0 exactly when the mask is empty)."""
    mask = np.asarray(mask) > 0
    cols, rows = np.flatnonzero(mask.any(0)), np.flatnonzero(mask.any(1))
    if cols.size == 0:
        return np.zeros(4)
    return np.array([cols[0], rows[0], cols[-1] - cols[0] + 1, rows[-1] - rows[0] + 1], dtype=np.float64)


def usable_boxes(boxes: np.ndarray) -> np.ndarray:
    """Rows of an (N, 4) array that are finite boxes with positive width and height."""
    boxes = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
    return np.isfinite(boxes).all(axis=1) & (boxes[:, 2] > 0) & (boxes[:, 3] > 0)


def box_overlaps(pred: np.ndarray, gt: np.ndarray) -> np.ndarray:
    """Per-row IoU of two (N, 4) box arrays (continuous coordinates); 0 where either box is unusable."""
    pred, gt = np.asarray(pred, dtype=np.float64).reshape(-1, 4), np.asarray(gt, dtype=np.float64).reshape(-1, 4)
    inter_w = np.minimum(pred[:, 0] + pred[:, 2], gt[:, 0] + gt[:, 2]) - np.maximum(pred[:, 0], gt[:, 0])
    inter_h = np.minimum(pred[:, 1] + pred[:, 3], gt[:, 1] + gt[:, 3]) - np.maximum(pred[:, 1], gt[:, 1])
    inter = np.clip(inter_w, 0, None) * np.clip(inter_h, 0, None)
    union = pred[:, 2] * pred[:, 3] + gt[:, 2] * gt[:, 3] - inter
    valid = usable_boxes(pred) & usable_boxes(gt) & (union > 0)
    return np.where(valid, inter / np.where(valid, union, 1.0), 0.0)

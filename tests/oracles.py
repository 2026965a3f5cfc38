"""Reference boxes and masks written independently of the code under test."""
from __future__ import annotations

from typing import Optional, Tuple

import numpy as np


def tight_box(mask: np.ndarray) -> Optional[np.ndarray]:
    """[x, y, w, h] of the smallest pixel rectangle holding every nonzero pixel; None for an empty mask."""
    rows, cols = np.nonzero(np.asarray(mask))
    if rows.size == 0:
        return None
    return np.array([cols.min(), rows.min(), cols.max() - cols.min() + 1, rows.max() - rows.min() + 1], np.float64)


def inscribed_ellipse(box: np.ndarray, size: Tuple[int, int]) -> np.ndarray:
    """(H, W) mask of the pixels whose centres lie in the ellipse inscribed in the x, y, w, h box: the
    image-blind guess that a box-to-mask method must beat besides filling the box."""
    ys = np.arange(size[0])[:, None] + 0.5
    xs = np.arange(size[1])[None, :] + 0.5
    x, y, w, h = np.asarray(box, np.float64)
    return ((xs - x - w / 2) / (w / 2)) ** 2 + ((ys - y - h / 2) / (h / 2)) ** 2 <= 1


def box_fill(box: np.ndarray, size: Tuple[int, int]) -> np.ndarray:
    """(H, W) mask of the pixels whose centres lie in the x, y, w, h box: the box taken as the mask."""
    ys = np.arange(size[0])[:, None] + 0.5
    xs = np.arange(size[1])[None, :] + 0.5
    x, y, w, h = np.asarray(box, np.float64)
    return (xs >= x) & (xs < x + w) & (ys >= y) & (ys < y + h)

"""Expected values written independently of the code under test."""
from __future__ import annotations

from typing import Optional

import numpy as np


def tight_box(mask: np.ndarray) -> Optional[np.ndarray]:
    """[x, y, w, h] of the smallest pixel rectangle holding every nonzero pixel; None for an empty mask."""
    rows, cols = np.nonzero(np.asarray(mask))
    if rows.size == 0:
        return None
    return np.array([cols.min(), rows.min(), cols.max() - cols.min() + 1, rows.max() - rows.min() + 1], np.float64)

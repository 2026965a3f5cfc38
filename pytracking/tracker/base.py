"""What every tracker gives the runner for a frame, and the interface the runner drives."""
from __future__ import annotations

from typing import NamedTuple, Protocol

import numpy as np


class TrackerOutput(NamedTuple):
    """One frame's result: the full-image mask and the target box [x, y, w, h] the tracker estimates."""

    mask: np.ndarray  # (H, W) bool
    box: np.ndarray  # (4,) float


class Tracker(Protocol):
    """Initialised on one frame with a mask and a box, then called on each following frame in order."""

    def initialize(self, image: np.ndarray, mask: np.ndarray, box: np.ndarray) -> TrackerOutput: ...

    def track(self, image: np.ndarray) -> TrackerOutput: ...

"""Temporal windows: the frames whose boxes help segment frame t (paper §3.4, facts §3.5).

The window of frame t holds t and up to T-1 frames t ± kΔ. All of them share the residue t mod Δ,
so a sequence splits into Δ independent "lattices" r, r+Δ, r+2Δ, ...; walking one lattice in
order, consecutive windows overlap in all but one frame, which is what makes per-frame caching pay.
"""
from __future__ import annotations

from typing import List, Sequence

import numpy as np


def window(t: int, n: int, num_frames: int, interval: int, usable: Sequence[bool]) -> List[int]:
    """Frames of the window of frame t in a sequence of n frames, t first, then earlier, then later.

    (T-1)//2 slots before t and the rest after; near the ends the quotas shift so the window keeps T
    slots inside the sequence when it is long enough. A slot whose frame is not usable (no visible
    box) is left out rather than replaced, so neighbouring windows keep sharing their frames.
    """
    before_available, after_available = t // interval, (n - 1 - t) // interval
    before = min((num_frames - 1) // 2, before_available)
    after = min(num_frames - 1 - before, after_available)
    before = min(num_frames - 1 - after, before_available)
    slots = [t] + [t - k * interval for k in range(1, before + 1)] + [t + k * interval for k in range(1, after + 1)]
    return [f for f in slots if usable[f]]


def lattice_windows(residue: int, n: int, num_frames: int, interval: int, usable: np.ndarray) -> List[List[int]]:
    """The windows of every usable frame r, r+Δ, ... in order; each starts no earlier than the one before."""
    return [window(t, n, num_frames, interval, usable) for t in range(residue, n, interval) if usable[t]]


def max_window(n: int, num_frames: int, interval: int) -> int:
    """The largest window a sequence of n frames allows: fewer than T when n is short for Δ."""
    return min(num_frames, -(-n // interval))

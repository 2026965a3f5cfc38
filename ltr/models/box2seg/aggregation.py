"""The spatio-temporal aggregation S (paper §3.2, eq. 2).

One filter z is fitted to ALL T frames at once,
    z = argmin_z  sum_t ||w_t ⊙ (x_t * z − e_t)||² + λ²||z||²,             (2b)
by unrolled Gauss-Newton steepest descent from z = 0, and every frame is then scored with it,
s_t = x_t * z (2a). Because z must explain the object in every frame, appearance that is consistent
over time wins over what a single frame's box suggests.
"""
from __future__ import annotations

from typing import Optional, Tuple

import torch
import torch.nn as nn

from ltr.models.layers.filter import apply_filter
from ltr.models.lwl.linear_filter import LinearFilter, steepest_descent_filter


class SpatioTemporalAggregation(LinearFilter):
    """S: (x, e, w) over T frames -> (s, z). Parameters: λ (``filter_reg``) and the optional
    target-feature extractor (``feature_extractor``) that turns layer3 into x_t."""

    def forward(self, x: torch.Tensor, e: torch.Tensor, w: Optional[torch.Tensor], num_iter: Optional[int] = None,
                closed_form: Optional[bool] = None) -> Tuple[torch.Tensor, torch.Tensor]:
        """x (T,B,C,h,w), e and w (T,B,K,h,w) -> s (T,B,K,h,w), z (B,K,C,fs,fs).

        Solved in fp32 even under autocast: step lengths are ratios of small sums.
        """
        with torch.autocast(device_type=x.device.type, enabled=False):
            x, e = x.float(), e.float()
            w = None if w is None else w.float()
            z, _, _ = self.get_filter(x, e, w, num_iter=num_iter, closed_form=closed_form)
            return apply_filter(x, z), z


def spatio_temporal_aggregation(filter_size: int, num_filters: int, feature_dim: int, optim_iter: int,
                                init_filter_reg: float, detach_length: float,
                                feature_extractor: Optional[nn.Module] = None) -> SpatioTemporalAggregation:
    """S with a zero initial filter and ``optim_iter`` Gauss-Newton steps (per-call overridable)."""
    return steepest_descent_filter(filter_size, num_filters, feature_dim, optim_iter, init_filter_reg, detach_length,
                                   feature_extractor, cls=SpatioTemporalAggregation)


def least_squares_filter(x: torch.Tensor, e: torch.Tensor, w: torch.Tensor, reg: float,
                         filter_size: int) -> torch.Tensor:
    """The exact minimiser of (2b) for one sequence, by solving the normal equations (for tests).

    x (T,C,h,w), e and w (T,K,h,w) -> z (K,C,fs,fs). Only feasible for small C and fs.
    """
    pad = filter_size // 2
    cols = torch.nn.functional.unfold(x, filter_size, padding=pad)  # (T, C*fs*fs, h*w)
    a = cols.permute(0, 2, 1).reshape(-1, cols.shape[1])  # rows: (t, position)
    k = e.shape[1]
    z = []
    for j in range(k):
        wj = w[:, j].reshape(-1, 1)
        aw, bw = a * wj, (e[:, j].reshape(-1, 1)) * wj
        lhs = aw.T @ aw + reg ** 2 * torch.eye(a.shape[1], dtype=a.dtype)
        z.append(torch.linalg.solve(lhs, aw.T @ bw).view(x.shape[1], filter_size, filter_size))
    return torch.stack(z)




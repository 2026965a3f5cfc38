"""The spatio-temporal aggregation S (paper §3.2, eq. 2).

One filter z is fitted to ALL T frames at once,
    z = argmin_z  sum_t ||w_t ⊙ (x_t * z − e_t)||² + λ²||z||²,             (2b)
by unrolled Gauss-Newton steepest descent from z = 0, and every frame is then scored with it,
s_t = x_t * z (2a). Because z must explain the object in every frame, appearance that is consistent
over time wins over what a single frame's box suggests.

The paper's Table 3 compares S with two other ways of combining the frames; they are drop-in
replacements with S's interface (``forward(x, e, w, num_iter, solver, x_stack) -> (s, z or None)``,
``stack_features``, ``feature_extractor`` and ``extract_target_model_features`` for x_t), so the
network runs unchanged:
- ``AttentionAggregation``: dense space-time attention, x_t as queries and keys, e_t as values;
- ``ConcatAggregation``: e_t of all T frames concatenated along channels and mixed by a small CNN;
  trained for one T, it cannot aggregate any other number of frames (the paper's point).
Neither uses the weights w_t (they are S's per-element residual weights).
"""
from __future__ import annotations

import math
from typing import Optional, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F

from ltr.models.layers.filter import FrameStack, apply_filter, apply_filter_stacked
from ltr.models.box2seg.names import AGGREGATIONS
from ltr.models.lwl.linear_filter import LinearFilter, steepest_descent_filter


def _solver_dtype(x: torch.Tensor) -> torch.dtype:
    """fp32, or x's own type when that is wider (float64 in tests)."""
    return torch.promote_types(x.dtype, torch.float32)


class SpatioTemporalAggregation(LinearFilter):
    """S: (x, e, w) over T frames -> (s, z). Parameters: λ (``filter_reg``) and the optional
    target-feature extractor (``feature_extractor``) that turns layer3 into x_t."""

    kind = "steepest_descent"

    def stack_features(self, x: torch.Tensor, solver: Optional[str] = None) -> Optional[FrameStack]:
        """x (T,B,C,h,w) stacked in (at least) fp32 for the GEMM solver (None for the official one), to be shared by
        the calls of S and Ŝ on the same frames."""
        if self.filter_optimizer.resolve_solver(solver) != "gemm":
            return None
        return FrameStack.of(x, self.filter_size // 2, _solver_dtype(x))

    def forward(self, x: torch.Tensor, e: torch.Tensor, w: Optional[torch.Tensor], num_iter: Optional[int] = None,
                solver: Optional[str] = None, x_stack: Optional[FrameStack] = None
                ) -> Tuple[torch.Tensor, torch.Tensor]:
        """x (T,B,C,h,w), e and w (T,B,K,h,w) -> s (T,B,K,h,w), z (B,K,C,fs,fs).

        ``solver``: 'gemm' or 'double_backward' (None: the solver's default); ``x_stack``: x from
        ``stack_features``. Solved in (at least) fp32 even under autocast: step lengths are ratios of small
        sums.
        """
        with torch.autocast(device_type=x.device.type, enabled=False):
            dtype = _solver_dtype(x)
            x, e = x.to(dtype), e.to(dtype)
            w = None if w is None else w.to(dtype)
            if self.filter_optimizer.resolve_solver(solver) == "double_backward":
                z, _, _ = self.get_filter(x, e, w, num_iter=num_iter, solver="double_backward", compute_losses=False)
                return apply_filter(x, z), z
            stack = self.stack_features(x, "gemm") if x_stack is None else x_stack
            z, _, _ = self.get_filter(x, e, w, num_iter=num_iter, solver="gemm", compute_losses=False,
                                      feat_stack=stack)
            return stack.unstack(apply_filter_stacked(stack, z)), z


def spatio_temporal_aggregation(filter_size: int, num_filters: int, feature_dim: int, optim_iter: int,
                                init_filter_reg: float, detach_length: float,
                                feature_extractor: Optional[nn.Module] = None) -> SpatioTemporalAggregation:
    """S with a zero initial filter and ``optim_iter`` Gauss-Newton steps (per-call overridable)."""
    return steepest_descent_filter(filter_size, num_filters, feature_dim, optim_iter, init_filter_reg, detach_length,
                                   feature_extractor, cls=SpatioTemporalAggregation)


class _FrameAggregation(nn.Module):
    """Base of the Table 3 alternatives: the optional x_t extractor, like S, and the learnable part in
    ``aggregator`` (so that training can give it its own learning rate by module prefix)."""

    kind = ""

    def __init__(self, aggregator: nn.Module, feature_extractor: Optional[nn.Module] = None):
        super().__init__()
        self.feature_extractor = feature_extractor
        self.aggregator = aggregator

    def extract_target_model_features(self, feat: torch.Tensor) -> torch.Tensor:
        return feat if self.feature_extractor is None else self.feature_extractor(feat)

    def stack_features(self, x: torch.Tensor, solver: Optional[str] = None) -> None:
        """No steepest descent here, so nothing to stack."""
        return None


class Temperature(nn.Module):
    """Multiplies by 1 / temperature, learned in log space (stays positive)."""

    def __init__(self, init_temperature: float):
        super().__init__()
        self.log_inv_temperature = nn.Parameter(torch.tensor(-math.log(init_temperature)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * self.log_inv_temperature.exp()


class AttentionAggregation(_FrameAggregation):
    """s_t(p) = sum over frames τ and positions q of softmax_{τ,q}(cos(x_t(p), x_τ(q)) / temperature) e_τ(q).

    Cosine similarity makes the learnable temperature (the only parameter) independent of the
    feature norm. Memory grows as B·(T·h·w)² without a fused attention kernel.
    """

    kind = "attention"

    def __init__(self, feature_extractor: Optional[nn.Module] = None, init_temperature: float = 0.1):
        super().__init__(Temperature(init_temperature), feature_extractor)

    def forward(self, x: torch.Tensor, e: torch.Tensor, w: Optional[torch.Tensor] = None,
                num_iter: Optional[int] = None, solver: Optional[str] = None, x_stack: None = None
                ) -> Tuple[torch.Tensor, None]:
        """x (T,B,C,h,w), e (T,B,K,h,w) -> s (T,B,K,h,w), None; w, num_iter, solver, x_stack are unused."""
        n_frames, n_seq, _, h, wd = x.shape
        # (B, 1 head, T*h*w, channels): the 4-D layout that fused attention kernels accept
        keys = F.normalize(x.permute(1, 0, 3, 4, 2).flatten(1, 3), dim=-1).unsqueeze(1)
        values = e.permute(1, 0, 3, 4, 2).flatten(1, 3).unsqueeze(1).to(keys.dtype)
        s = F.scaled_dot_product_attention(self.aggregator(keys), keys, values, scale=1.0)
        return s.view(n_seq, n_frames, h, wd, -1).permute(1, 0, 4, 2, 3), None


class ConcatAggregation(_FrameAggregation):
    """[e_1, ..., e_T] (channels) -> conv3x3 -> ReLU -> conv3x3 -> [s_1, ..., s_T]: a fixed number of frames."""

    kind = "concat"

    def __init__(self, num_frames: int, num_filters: int, feature_extractor: Optional[nn.Module] = None,
                 hidden: int = 64):
        if num_frames < 1:
            raise ValueError(f"concat aggregation needs at least one frame, got {num_frames}")
        channels = num_frames * num_filters
        super().__init__(nn.Sequential(nn.Conv2d(channels, hidden, 3, padding=1), nn.ReLU(inplace=True),
                                       nn.Conv2d(hidden, channels, 3, padding=1)), feature_extractor)
        self.num_frames = num_frames

    def forward(self, x: torch.Tensor, e: torch.Tensor, w: Optional[torch.Tensor] = None,
                num_iter: Optional[int] = None, solver: Optional[str] = None, x_stack: None = None
                ) -> Tuple[torch.Tensor, None]:
        """e (T,B,K,h,w) with T = ``num_frames`` -> s (T,B,K,h,w), None; x, w, num_iter, solver, x_stack unused."""
        n_frames, n_seq, k, h, wd = e.shape
        if n_frames != self.num_frames:
            raise ValueError(f"the concat aggregation was built for T={self.num_frames} frames and cannot combine "
                             f"{n_frames}: its layers are sized for T (set num_frames to {self.num_frames}; windows "
                             "shrink in short sequences and at frames without a box)")
        s = self.aggregator(e.transpose(0, 1).reshape(n_seq, n_frames * k, h, wd))
        return s.view(n_seq, n_frames, k, h, wd).transpose(0, 1), None


def alternative_aggregation(kind: str, num_filters: int, num_frames: int,
                            feature_extractor: Optional[nn.Module] = None) -> nn.Module:
    """A Table 3 alternative to S by name ('attention' or 'concat'; ``num_frames``: concat's fixed T)."""
    if kind == "attention":
        return AttentionAggregation(feature_extractor)
    if kind == "concat":
        return ConcatAggregation(num_frames, num_filters, feature_extractor)
    raise ValueError(f"unknown aggregation {kind!r}; choose from {AGGREGATIONS}")


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

"""The few-shot objective's residual: r(z) = [w ⊙ (x * z − e), λ z].

Its squared norm is the paper's objective (2b), sum_t ||w_t (x_t * z − e_t)||² + λ²||z||²
(λ = ``filter_reg`` enters squared). ``forward`` is the official residual (the steepest-descent
solver differentiates it twice); the residual is affine in z, so ``linear_operator`` also gives its
Jacobian products on stacked frames (``StackedResidual``, ``ltr.models.layers.filter``): the same maths
without autograd.
"""
from __future__ import annotations

import math
from typing import List, Optional

import torch
import torch.nn as nn

from ltr.models.layers.filter import FrameStack, apply_filter, apply_filter_stacked, correlate_stacked


class LWTLResidual(nn.Module):
    """Residual of the linear target model; ``filter_reg`` (λ) is learned."""

    def __init__(self, init_filter_reg: float = 1e-2, filter_dilation_factors: Optional[torch.Tensor] = None):
        super().__init__()
        if filter_dilation_factors is not None:
            raise NotImplementedError("dilated filters are unused by the official networks")
        self.filter_reg = nn.Parameter(init_filter_reg * torch.ones(1))

    @staticmethod
    def _weight(sample_weight: Optional[torch.Tensor], scores: torch.Tensor) -> torch.Tensor:
        """w viewed to broadcast over the scores: None -> sqrt(1/F), per-element, or per-frame."""
        if sample_weight is None:
            return scores.new_tensor(math.sqrt(1.0 / scores.shape[0]))
        if sample_weight.numel() == scores.numel():
            return sample_weight.view(scores.shape)
        if sample_weight.dim() == 1:
            return sample_weight.view(-1, 1, 1, 1, 1)
        return sample_weight

    def forward(self, meta_parameter: List[torch.Tensor], feat: torch.Tensor, label: torch.Tensor,
                sample_weight: Optional[torch.Tensor] = None) -> List[torch.Tensor]:
        filt = meta_parameter[0]
        scores = apply_filter(feat, filt)
        weight = self._weight(sample_weight, scores)
        label = label.view(scores.shape)
        return [weight * (scores - label), self.filter_reg * filt.reshape(1, filt.shape[0], -1)]

    def linear_operator(self, meta_parameter: List[torch.Tensor], feat: torch.Tensor, label: torch.Tensor,
                        sample_weight: Optional[torch.Tensor] = None,
                        feat_stack: Optional[FrameStack] = None) -> "StackedResidual":
        """This residual for fixed (x, e, w) on stacked frames; ``feat_stack``: x already stacked (reused)."""
        filt = meta_parameter[0]
        if feat.dim() == 4:
            feat = feat.unsqueeze(1)
        n_frames, n_seq, _, h, w = feat.shape
        shape = (n_frames, n_seq, filt.shape[1], h, w)
        fs = filt.shape[-1]
        if feat_stack is None:
            feat_stack = FrameStack.of(feat, fs // 2)
        elif feat_stack.gap < fs // 2 or feat_stack.frames != n_frames:
            raise ValueError(f"the stacked features ({feat_stack.frames} frames, gap {feat_stack.gap}) do not fit "
                             f"{n_frames} frames and a {fs}x{fs} filter")
        label = label.reshape(shape)
        weight = feat_stack.like(self._weight(sample_weight, label).expand(shape))
        return StackedResidual(self.filter_reg, feat_stack, weight, weight * feat_stack.like(label), filt.shape,
                               math.prod(shape) + filt.numel())


class StackedResidual:
    """r(z) = J z − b of ``LWTLResidual`` for fixed features, labels and weights, on stacked frames.

    Residuals are sequence-first: [data (S,K,L) in the ``FrameStack`` layout, zero in its gaps because
    the weights are; regulariser (S, K·C·fs²)]. ``numel`` counts the official residual's elements.
    """

    def __init__(self, filter_reg: torch.Tensor, stack: FrameStack, weight: torch.Tensor, target: torch.Tensor,
                 filter_shape: torch.Size, numel: int):
        self.filter_reg, self.stack, self.weight, self.target = filter_reg, stack, weight, target
        self.filter_shape, self.numel = filter_shape, numel

    def jacobian(self, direction: List[torch.Tensor]) -> List[torch.Tensor]:
        """J d = [w ⊙ (x * d), λ d]."""
        d = direction[0]
        return [self.weight * apply_filter_stacked(self.stack, d), self.filter_reg * d.reshape(d.shape[0], -1)]

    def residuals(self, meta_parameter: List[torch.Tensor]) -> List[torch.Tensor]:
        """r(z) = J z − [w ⊙ e, 0]."""
        data, reg = self.jacobian(meta_parameter)
        return [data - self.target, reg]

    def jacobian_transpose(self, residuals: List[torch.Tensor]) -> List[torch.Tensor]:
        """J^T r = x ⋆ (w ⊙ r_data) + λ r_reg."""
        data = correlate_stacked(self.stack, self.weight * residuals[0], self.filter_shape[-1])
        return [data + self.filter_reg * residuals[1].view(self.filter_shape)]

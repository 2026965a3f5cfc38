"""The few-shot objective's residual: r(z) = [w ⊙ (x * z − e), λ z].

Its squared norm is the paper's objective (2b), sum_t ||w_t (x_t * z − e_t)||² + λ²||z||²
(λ = ``filter_reg`` enters squared). The residual is linear in z, so it also offers closed-form
Jacobian products for the steepest-descent solver.
"""
from __future__ import annotations

import math
from typing import List, Optional

import torch
import torch.nn as nn

from ltr.models.layers.filter import apply_feat_transpose, apply_filter


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

    def jacobian_transpose(self, meta_parameter: List[torch.Tensor], residuals: List[torch.Tensor],
                           feat: torch.Tensor, label: torch.Tensor,
                           sample_weight: Optional[torch.Tensor] = None) -> List[torch.Tensor]:
        """J^T r in closed form: x ⋆ (w ⊙ r_data) + λ r_reg."""
        filt = meta_parameter[0]
        weight = self._weight(sample_weight, residuals[0])
        data = apply_feat_transpose(feat, weight * residuals[0], filt.shape[-2:])
        return [data + self.filter_reg * residuals[1].reshape(filt.shape)]

    def jacobian(self, meta_parameter: List[torch.Tensor], direction: List[torch.Tensor], feat: torch.Tensor,
                 label: torch.Tensor, sample_weight: Optional[torch.Tensor] = None) -> List[torch.Tensor]:
        """J d in closed form: [w ⊙ (x * d), λ d]."""
        d = direction[0]
        scores = apply_filter(feat, d)
        return [self._weight(sample_weight, scores) * scores, self.filter_reg * d.reshape(1, d.shape[0], -1)]

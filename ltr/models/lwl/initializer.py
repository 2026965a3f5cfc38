"""The few-shot learner's starting filter."""
from __future__ import annotations

import torch
import torch.nn as nn


class FilterInitializerZero(nn.Module):
    """z_0 = 0: steepest descent starts from the zero filter (no parameters)."""

    def __init__(self, filter_size: int = 3, num_filters: int = 16, feature_dim: int = 512, filter_groups: int = 1):
        super().__init__()
        self.filter_size = filter_size
        self.num_filters = num_filters
        self.feature_dim = feature_dim // filter_groups

    def forward(self, feat: torch.Tensor, mask: torch.Tensor = None) -> torch.Tensor:
        n_seq = feat.shape[1] if feat.dim() == 5 else 1
        return feat.new_zeros(n_seq, self.num_filters, self.feature_dim, self.filter_size, self.filter_size)

"""Instance-wise L2 normalisation of target-model features."""
from __future__ import annotations

import torch
import torch.nn as nn


class InstanceL2Norm(nn.Module):
    """y = x * scale * sqrt(C*H*W / (sum x^2 + eps)) per sample: fixes the feature energy so that
    the few-shot learner's step lengths and regularisation behave the same for every image."""

    def __init__(self, size_average: bool = True, eps: float = 1e-5, scale: float = 1.0):
        super().__init__()
        self.size_average = size_average
        self.eps = eps
        self.scale = scale

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        energy = (x * x).reshape(x.shape[0], 1, 1, -1).sum(dim=3, keepdim=True)
        if self.size_average:
            numel = x.shape[1] * x.shape[2] * x.shape[3]
            return x * (self.scale * (numel / (energy + self.eps)).sqrt())
        return x * (self.scale / (energy + self.eps).sqrt())

"""The linear target model: learn a filter from few-shot labels, then apply it."""
from __future__ import annotations

import math
from typing import List, Optional, Tuple

import torch
import torch.nn as nn

from ltr.models.layers.filter import apply_filter
from ltr.models.lwl.initializer import FilterInitializerZero
from ltr.models.lwl.loss_residual_modules import LWTLResidual
from ltr.models.meta.steepestdescent import GNSteepestDescent


class LinearFilter(nn.Module):
    """Target features -> filter z by steepest descent from the initializer; scores = x * z."""

    def __init__(self, filter_size: int, filter_initializer: nn.Module, filter_optimizer: nn.Module,
                 feature_extractor: Optional[nn.Module] = None):
        super().__init__()
        self.filter_size = filter_size
        self.feature_extractor = feature_extractor
        self.filter_initializer = filter_initializer
        self.filter_optimizer = filter_optimizer
        if feature_extractor is not None:
            for m in feature_extractor.modules():
                if isinstance(m, nn.Conv2d):
                    n = m.kernel_size[0] * m.kernel_size[1] * m.out_channels
                    m.weight.data.normal_(0, math.sqrt(2.0 / n))
                    if m.bias is not None:
                        m.bias.data.zero_()

    def extract_target_model_features(self, feat: torch.Tensor) -> torch.Tensor:
        return feat if self.feature_extractor is None else self.feature_extractor(feat)

    def apply_target_model(self, weights: torch.Tensor, feat: torch.Tensor) -> torch.Tensor:
        return apply_filter(feat, weights)

    def get_filter(self, feat: torch.Tensor, train_label: torch.Tensor, train_sw: Optional[torch.Tensor],
                   num_objects: Optional[int] = None, **kwargs
                   ) -> Tuple[torch.Tensor, List[torch.Tensor], List[torch.Tensor]]:
        """Learn the filter on all frames of ``feat`` (F,S,C,h,w); returns (z, iterates, losses)."""
        weights = self.filter_initializer(feat, train_label)
        final, iterates, losses = self.filter_optimizer([weights], feat=feat, label=train_label,
                                                        sample_weight=train_sw, **kwargs)
        return final[0], [it[0] for it in iterates], losses


def steepest_descent_filter(filter_size: int, num_filters: int, feature_dim: int, optim_iter: int,
                            init_filter_reg: float, detach_length: float, feature_extractor: Optional[nn.Module] = None,
                            cls: type = LinearFilter) -> LinearFilter:
    """A linear target model learned from a zero filter by ``optim_iter`` Gauss-Newton steps."""
    return cls(
        filter_size=filter_size,
        filter_initializer=FilterInitializerZero(filter_size, num_filters, feature_dim),
        filter_optimizer=GNSteepestDescent(LWTLResidual(init_filter_reg), num_iter=optim_iter,
                                           detach_length=detach_length, residual_batch_dim=1, compute_losses=True),
        feature_extractor=feature_extractor,
    )

"""BatchNorm statistics for a backbone that has no pretrained weights.

A randomly initialised ResNet-50 in eval mode uses running mean 0 / variance 1, so its activations
grow to ~1e3 by layer4 and the decoder trained on top learns very slowly. Estimating the running
statistics from a few real batches (a data-dependent initialisation; weights stay random and
frozen) gives features of unit scale. Pretrained backbones never need this.
"""
from __future__ import annotations

from typing import Iterable

import torch
import torch.nn as nn


@torch.no_grad()
def calibrate_batchnorm(backbone: nn.Module, batches: Iterable[torch.Tensor], output_layers=("layer4",)) -> int:
    """Set every BN layer's running statistics to the average over ``batches`` of images (N,3,H,W).

    Returns the number of batches used. The backbone is left in eval mode.
    """
    bns = [m for m in backbone.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    momenta = [bn.momentum for bn in bns]
    for bn in bns:
        bn.reset_running_stats()
        bn.momentum = None  # cumulative average over all calibration batches
        bn.train()
    count = 0
    try:
        for images in batches:
            backbone(images, output_layers)
            count += 1
    finally:
        for bn, momentum in zip(bns, momenta):
            bn.momentum = momentum
        backbone.eval()
    return count

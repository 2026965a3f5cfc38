"""Target-model features x_t: a 3x3 conv on layer3 followed by instance L2 normalisation."""
from __future__ import annotations

import math

import torch.nn as nn
from torchvision.models.resnet import BasicBlock as TorchvisionBasicBlock

from ltr.models.layers.normalization import InstanceL2Norm


def residual_basic_block(feature_dim: int = 1024, num_blocks: int = 0, l2norm: bool = True, final_conv: bool = True,
                         norm_scale: float = 1.0, out_dim: int = 512) -> nn.Sequential:
    """[num_blocks residual blocks] + [3x3 conv to ``out_dim``] + [InstanceL2Norm(norm_scale)]."""
    layers = [TorchvisionBasicBlock(feature_dim, feature_dim) for _ in range(num_blocks)]
    if final_conv:
        layers.append(nn.Conv2d(feature_dim, out_dim, kernel_size=3, padding=1, bias=False))
    if l2norm:
        layers.append(InstanceL2Norm(scale=norm_scale))
    return nn.Sequential(*layers)


def target_feature_norm_scale(out_dim: int, filter_size: int) -> float:
    """sqrt(1/(C*fs^2)): the L2-norm scale that makes one filter response O(1)."""
    return math.sqrt(1.0 / (out_dim * filter_size * filter_size))

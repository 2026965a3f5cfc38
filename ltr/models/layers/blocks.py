"""Small convolutional building blocks shared by the encoders."""
from __future__ import annotations

import torch
import torch.nn as nn


def conv_block(in_planes: int, out_planes: int, kernel_size: int = 3, stride: int = 1, padding: int = 1,
               dilation: int = 1, bias: bool = True, batch_norm: bool = True, relu: bool = True) -> nn.Sequential:
    """Conv2d [+ BatchNorm] [+ ReLU]; index 0 is the conv, 1 the BN when present (official key layout)."""
    layers = [nn.Conv2d(in_planes, out_planes, kernel_size, stride=stride, padding=padding,
                        dilation=dilation, bias=bias)]
    if batch_norm:
        layers.append(nn.BatchNorm2d(out_planes))
    if relu:
        layers.append(nn.ReLU(inplace=True))
    return nn.Sequential(*layers)


class BasicBlock(nn.Module):
    """Residual block of the label encoders: relu(conv2(relu(conv1(x))) + downsample(x)).

    ``downsample`` is a bare 3x3 conv with bias (not the backbone's conv+BN) and BN is off by default,
    as in the official encoders.
    """

    def __init__(self, inplanes: int, planes: int, stride: int = 1, downsample: nn.Module = None,
                 use_bn: bool = False):
        super().__init__()
        self.conv1 = nn.Conv2d(inplanes, planes, 3, stride=stride, padding=1, bias=False)
        if use_bn:
            self.bn1 = nn.BatchNorm2d(planes)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(planes, planes, 3, padding=1, bias=False)
        if use_bn:
            self.bn2 = nn.BatchNorm2d(planes)
        self.downsample = downsample
        self.use_bn = use_bn

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.conv1(x)
        if self.use_bn:
            out = self.bn1(out)
        out = self.relu(out)
        out = self.conv2(out)
        if self.use_bn:
            out = self.bn2(out)
        residual = x if self.downsample is None else self.downsample(x)
        return self.relu(out + residual)


def residual_downsample_block(inplanes: int, planes: int, stride: int, use_bn: bool = False) -> BasicBlock:
    """A BasicBlock whose shortcut is a strided 3x3 conv (changes width and resolution)."""
    return BasicBlock(inplanes, planes, stride=stride, use_bn=use_bn,
                      downsample=nn.Conv2d(inplanes, planes, 3, stride=stride, padding=1))

"""ResNet-50 backbones with named layer outputs.

Two flavours share torchvision's ResNet implementation:
- ``mrcnn``: the Detectron / Mask R-CNN layout used by every official LWL and box2seg network: the stride of a
  stage's first block sits in the 1x1 ``conv1`` ("stride_in_1x1"), no ``avgpool``/``fc``, and the
  'conv1' output is taken after the max-pool. Expects BGR 0..255 minus the Caffe mean ('bgr255').
- ``torchvision``: torchvision's ResNet-50 (stride in the 3x3 ``conv2``, ``fc`` kept so ImageNet
  checkpoints load strictly), 'conv1' taken before the max-pool. Expects RGB/255 normalised with
  ImageNet mean/std.
"""
from __future__ import annotations

from collections import OrderedDict
from typing import Dict, Iterable, List, Sequence, Union

import torch
from torchvision.models.resnet import Bottleneck, ResNet

LAYER_NAMES = ("conv1", "layer1", "layer2", "layer3", "layer4")
LAYER_CHANNELS = {"conv1": 64, "layer1": 256, "layer2": 512, "layer3": 1024, "layer4": 2048}
ALL_LAYERS = ("conv1", "bn1", "layer1", "layer2", "layer3", "layer4")


class ResNetBackbone(ResNet):
    """ResNet-50 returning an OrderedDict of the requested layers, with frozen sub-modules.

    Frozen layers never get gradients and always run in eval mode (BN running statistics), like
    pytracking's ``Backbone`` base class.
    """

    def __init__(self, style: str = "mrcnn", frozen_layers: Union[str, Iterable[str]] = ()):
        super().__init__(Bottleneck, [3, 4, 6, 3])
        if style not in ("mrcnn", "torchvision"):
            raise ValueError(f"unknown backbone style {style!r}: use 'mrcnn' or 'torchvision'")
        self.style = style
        if style == "mrcnn":
            for layer in (self.layer2, self.layer3, self.layer4):
                block = layer[0]
                block.conv1.stride, block.conv2.stride = block.conv2.stride, (1, 1)
            del self.avgpool, self.fc
        if frozen_layers == "all":
            frozen_layers = ALL_LAYERS
        elif frozen_layers == "none":
            frozen_layers = ()
        self.frozen_layers = tuple(frozen_layers)
        for name in self.frozen_layers:
            getattr(self, name).requires_grad_(False)

    @property
    def normalization(self) -> str:
        """The input normalisation its weights expect (a key of ``ltr.data.transforms.NORMALIZATIONS``)."""
        return "bgr255" if self.style == "mrcnn" else "imagenet"

    @property
    def fully_frozen(self) -> bool:
        """True when no backbone parameter is trained (its activations need not be stored)."""
        return set(ALL_LAYERS) <= set(self.frozen_layers)

    def train(self, mode: bool = True) -> "ResNetBackbone":
        super().train(mode)
        for name in self.frozen_layers:
            getattr(self, name).eval()
        return self

    def out_feature_channels(self) -> Dict[str, int]:
        return dict(LAYER_CHANNELS)

    def forward(self, x: torch.Tensor, output_layers: Sequence[str] = ("layer4",)) -> "OrderedDict[str, torch.Tensor]":
        """Run until every requested layer is computed; returns them by name."""
        unknown = set(output_layers) - set(LAYER_NAMES)
        if unknown:
            raise ValueError(f"unknown backbone layers {sorted(unknown)}; choose from {LAYER_NAMES}")
        out: "OrderedDict[str, torch.Tensor]" = OrderedDict()
        wanted: List[str] = list(output_layers)
        x = self.relu(self.bn1(self.conv1(x)))
        if self.style == "torchvision" and "conv1" in wanted:
            out["conv1"] = x
        x = self.maxpool(x)
        if self.style == "mrcnn" and "conv1" in wanted:
            out["conv1"] = x
        for name in LAYER_NAMES[1:]:
            if len(out) == len(wanted):
                break
            x = getattr(self, name)(x)
            if name in wanted:
                out[name] = x
        return OrderedDict((k, out[k]) for k in wanted)


def resnet50(style: str = "mrcnn", frozen_layers: Union[str, Iterable[str]] = (), pretrained: bool = False,
             weights_path: str = "") -> ResNetBackbone:
    """Build a ResNet-50 backbone; ``pretrained`` loads weights if they exist locally (never downloads)."""
    from ltr.models.backbone.weights import load_pretrained_backbone

    net = ResNetBackbone(style, frozen_layers)
    net.pretrained_from = load_pretrained_backbone(net, weights_path) if pretrained else None
    return net



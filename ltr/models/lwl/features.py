"""Target-model features x_t: a 3x3 conv on a backbone layer (layer3 officially) followed by instance L2
normalisation."""
from __future__ import annotations

import math
from typing import Dict, Sequence, Tuple

import torch
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


# The stride of each feature map both backbones (ResNet-50 and EfficientNet-Lite, by ResNet's names) give.
LAYER_STRIDES = {"layer1": 4, "layer2": 8, "layer3": 16, "layer4": 32}


def layer_stride(layer: str) -> int:
    """The stride of a backbone layer's features; ValueError for a layer the target model cannot read."""
    if layer not in LAYER_STRIDES:
        raise ValueError(f"unknown target model input layer {layer!r}; choose from {tuple(LAYER_STRIDES)}")
    return LAYER_STRIDES[layer]


class BackboneFeaturesMixin:
    """Backbone features and target features x_t, shared by the LWL and box2seg networks.

    Needs ``feature_extractor``, ``target_model`` and the layer names set by ``_set_layers``, which
    also sets ``target_stride``: the stride of x_t and of every map of the target model, which the
    inference crop is aligned to (``pytracking.features.preprocessing.sample_centre``).
    """

    def _set_layers(self, target_model_input_layer: str, decoder_input_layers: Sequence[str]) -> None:
        self.target_stride = layer_stride(target_model_input_layer)
        self.target_model_input_layer = (target_model_input_layer,)
        self.decoder_input_layers = tuple(decoder_input_layers)
        self.output_layers = sorted(set(self.target_model_input_layer + self.decoder_input_layers))

    def extract_backbone_features(self, images: torch.Tensor) -> Dict[str, torch.Tensor]:
        """ResNet-50 features of images (N,3,H,W); no activations are stored for a frozen backbone."""
        frozen = getattr(self.feature_extractor, "fully_frozen", False)
        with torch.set_grad_enabled(torch.is_grad_enabled() and not frozen):
            return self.feature_extractor(images, self.output_layers)

    def extract_target_model_features(self, backbone_feat: Dict[str, torch.Tensor]) -> torch.Tensor:
        """x_t: (N,C,h,w) target features from the backbone's ``target_model_input_layer``."""
        return self.target_model.extract_target_model_features(backbone_feat[self.target_model_input_layer[0]])


def build_backbone(backbone_type: str, frozen_backbone_layers: Sequence[str], backbone_pretrained: bool,
                   backbone_weights: str = "") -> nn.Module:
    """'mrcnn' or 'torchvision' ResNet-50, or 'efficientnet_lite0|1|2' (ImageNet weights from the registry)."""
    from ltr.models.backbone.efficientnet_lite import LITE_TYPES, efficientnet_lite
    from ltr.models.backbone.resnet import resnet50

    if backbone_type in LITE_TYPES:
        if backbone_weights:
            raise ValueError(f"{backbone_type} takes its weights from its package, not from {backbone_weights}")
        return efficientnet_lite(backbone_type, frozen_backbone_layers, pretrained=backbone_pretrained)
    if backbone_type not in ("mrcnn", "torchvision", "imagenet"):
        raise ValueError(f"unknown backbone_type {backbone_type!r}; choose from mrcnn, torchvision, {', '.join(LITE_TYPES)}")
    style = "mrcnn" if backbone_type == "mrcnn" else "torchvision"
    return resnet50(style, frozen_layers=frozen_backbone_layers, pretrained=backbone_pretrained,
                    weights_path=backbone_weights)


def backbone_and_target_features(backbone_type: str, frozen_backbone_layers: Sequence[str], backbone_pretrained: bool,
                                 backbone_weights: str, target_model_input_layer: str, clf_feat_blocks: int,
                                 clf_feat_norm: bool, final_conv: bool, out_feature_dim: int, filter_size: int
                                 ) -> Tuple[nn.Module, nn.Sequential]:
    """The backbone and the x_t extractor, as the official constructors build them (widths from the backbone)."""
    backbone = build_backbone(backbone_type, frozen_backbone_layers, backbone_pretrained, backbone_weights)
    norm_scale = target_feature_norm_scale(out_feature_dim, filter_size) if clf_feat_norm else 1.0
    target_features = residual_basic_block(feature_dim=backbone.out_feature_channels()[target_model_input_layer],
                                           num_blocks=clf_feat_blocks, l2norm=clf_feat_norm, final_conv=final_conv,
                                           norm_scale=norm_scale, out_dim=out_feature_dim)
    return backbone, target_features

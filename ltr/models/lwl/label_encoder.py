"""Label encoders: turn a mask (LWL, refinement) or a box (box2seg) into few-shot labels and weights.

Both downsample their input to the target-feature resolution: by 16 (the official networks) or by 8
(``stride=8``, for target features from a stride-8 layer). Layer names and the (unusual) layout follow
the official checkpoints: see facts §2.6 and pitfalls §8.1-8.2.
"""
from __future__ import annotations

import math
from typing import Optional, Sequence, Tuple

import torch
import torch.nn as nn

from ltr.data.bounding_box_utils import rasterize_boxes
from ltr.models.box2seg.names import TARGET_STRIDES
from ltr.models.layers.blocks import conv_block, residual_downsample_block


def _init_encoder(module: nn.Module, sample_weight_layer: Optional[nn.Conv2d]) -> None:
    """He-normal convs, unit BN; the sample-weight head starts at weight 1 everywhere."""
    for m in module.modules():
        if isinstance(m, nn.Conv2d):
            n = m.kernel_size[0] * m.kernel_size[1] * m.out_channels
            m.weight.data.normal_(0, math.sqrt(2.0 / n))
        elif isinstance(m, nn.BatchNorm2d):
            m.weight.data.fill_(1)
            m.bias.data.zero_()
    if sample_weight_layer is not None:
        sample_weight_layer.weight.data.fill_(0)
        sample_weight_layer.bias.data.fill_(1)


class _DS16Trunk(nn.Module):
    """conv(s2) -> maxpool(s2) -> res1(s2) -> res2(s2): a 1-channel map to stride 16.

    With ``stride=8`` res2 keeps the resolution (stride 1). Its shortcut is a convolution at any
    stride, so the parameters (names and shapes) are those of stride 16, and conv, pool and res1
    compute exactly what they compute at stride 16: a stride-16 network's weights start a stride-8 one.
    """

    def __init__(self, layer_dims: Sequence[int], use_bn: bool, stride: int = 16):
        super().__init__()
        if stride not in TARGET_STRIDES:
            raise ValueError(f"label encoders downsample by one of {TARGET_STRIDES}, not {stride}")
        self.stride = stride
        self.conv_block = conv_block(1, layer_dims[0], kernel_size=3, stride=2, padding=1, batch_norm=use_bn)
        self.pool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        self.res1 = residual_downsample_block(layer_dims[0], layer_dims[1], stride=2, use_bn=use_bn)
        self.res2 = residual_downsample_block(layer_dims[1], layer_dims[2], stride=stride // 8, use_bn=use_bn)

    def encode_mask(self, mask: torch.Tensor) -> torch.Tensor:
        return self.res2(self.res1(self.pool(self.conv_block(mask))))


class ResidualDS16SW(_DS16Trunk):
    """Mask encoder: mask (F,S,H,W) -> (labels, sample weights), each (F,S,d3,H/stride,W/stride)."""

    def __init__(self, layer_dims: Sequence[int] = (16, 32, 64, 16), use_bn: bool = False, stride: int = 16):
        super().__init__(layer_dims, use_bn, stride)
        self.label_pred = conv_block(layer_dims[2], layer_dims[3], kernel_size=3, stride=1, padding=1,
                                     batch_norm=use_bn)
        self.samp_w_pred = nn.Conv2d(layer_dims[2], layer_dims[3], kernel_size=3, padding=1)
        _init_encoder(self, self.samp_w_pred)

    def forward(self, label_mask: torch.Tensor, feature: Optional[torch.Tensor] = None
                ) -> Tuple[torch.Tensor, torch.Tensor]:
        assert label_mask.dim() == 4, "mask must be (frames, sequences, H, W)"
        n_frames, n_seq = label_mask.shape[:2]
        out = self.encode_mask(label_mask.reshape(-1, 1, *label_mask.shape[-2:]))
        label_enc, sample_w = self.label_pred(out), self.samp_w_pred(out)
        return (label_enc.view(n_frames, n_seq, *label_enc.shape[-3:]),
                sample_w.view(n_frames, n_seq, *sample_w.shape[-3:]))


class ResidualDS16FeatSWBox(_DS16Trunk):
    """Box encoder: box (F,S,4) + target features -> (labels, sample weights), each (F,S,d4,h,w).

    The rasterised box is encoded to the features' stride, concatenated [box encoding, features] and
    mixed by a residual block, so the output can say which feature-map cells belong to the object.
    """

    def __init__(self, layer_dims: Sequence[int] = (16, 32, 64, 128, 16), feat_dim: int = 512,
                 use_final_relu: bool = True, use_gauss: bool = False, use_bn: bool = False,
                 use_sample_w: bool = True, stride: int = 16):
        super().__init__(layer_dims, use_bn, stride)
        if use_gauss:
            raise NotImplementedError("the Gaussian box rasterisation is unused by the official networks")
        in_dim = layer_dims[2] + feat_dim
        self.res3 = residual_downsample_block(in_dim, layer_dims[3], stride=1, use_bn=use_bn)
        # conv_block's default batch_norm=True applies here even though use_bn is False (pitfall §8.1).
        self.label_pred = conv_block(layer_dims[3], layer_dims[4], kernel_size=3, stride=1, padding=1,
                                     relu=use_final_relu)
        self.samp_w_pred = (nn.Conv2d(layer_dims[3], layer_dims[4], kernel_size=3, padding=1)
                            if use_sample_w else None)
        _init_encoder(self, self.samp_w_pred)

    def forward(self, bb: torch.Tensor, feat: torch.Tensor, sz: Sequence[int]
                ) -> Tuple[torch.Tensor, Optional[torch.Tensor]]:
        assert bb.dim() == 3, "boxes must be (frames, sequences, 4)"
        n_frames, n_seq = bb.shape[:2]
        mask = rasterize_boxes(bb.reshape(-1, 4), sz).to(feat.dtype)
        mask_enc = self.encode_mask(mask)
        feat = feat.reshape(-1, *feat.shape[-3:])
        out = self.res3(torch.cat((mask_enc, feat), dim=1))
        label_enc = self.label_pred(out)
        label_enc = label_enc.view(n_frames, n_seq, *label_enc.shape[-3:])
        if self.samp_w_pred is None:
            return label_enc, None
        sample_w = self.samp_w_pred(out)
        return label_enc, sample_w.view(n_frames, n_seq, *sample_w.shape[-3:])

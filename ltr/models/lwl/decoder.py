"""LWL's segmentation decoder D: target scores + backbone features -> full-resolution mask logits.

Processes layer4 -> layer1 (deep to shallow). At each level a TSE block fuses the reduced backbone
features with the scores, RRB blocks refine, and a CAB block lets the deeper level gate the
shallower one (facts §2.12; every concat order matters for weight compatibility).

``frame_parts`` + ``decode_frame_parts`` is the same function split for inference over many windows:
what depends on the frame alone (the reduced features, and the first TSE convolution applied to them
and to score channels that are fixed per frame, such as box2seg's m_t) is computed once per frame; a
window then adds the first convolution of its own scores. A convolution of a concatenation is the sum
of the convolutions of its parts, so only the floating-point summation order differs from ``forward``.
"""
from __future__ import annotations

from collections import OrderedDict
from typing import Dict, List, Optional, Sequence, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F

from ltr.models.layers.resize import bicubic_resize, conv_of_bicubic_resize

LEVEL_WIDTH_MULTIPLIER = {"layer1": 1, "layer2": 2, "layer3": 2, "layer4": 4}


def conv(ic: int, oc: int, ksize: int) -> nn.Conv2d:
    return nn.Conv2d(ic, oc, ksize, padding=ksize // 2, bias=True)


def _resize(x: torch.Tensor, size: Sequence[int]) -> torch.Tensor:
    """Bilinear resize (align_corners=False), skipped when the size already matches."""
    if tuple(x.shape[-2:]) == tuple(size):
        return x
    return F.interpolate(x, size=tuple(size), mode="bilinear", align_corners=False)


class TSE(nn.Module):
    """Target segmentation encoder: reduce the features, concat [features, scores], transform."""

    def __init__(self, fc: int, ic: int, oc: int):
        super().__init__()
        nc = ic + oc
        self.reduce = nn.Sequential(conv(fc, oc, 1), nn.ReLU(), conv(oc, oc, 1))
        self.transform = nn.Sequential(conv(nc, nc, 3), nn.ReLU(), conv(nc, nc, 3), nn.ReLU(), conv(nc, oc, 3),
                                       nn.ReLU())

    def forward(self, ft: torch.Tensor, score: torch.Tensor, x: Optional[torch.Tensor] = None
                ) -> Tuple[torch.Tensor, torch.Tensor]:
        h = self.reduce(ft)
        hpool = F.adaptive_avg_pool2d(h, 1) if x is None else x
        h = self.transform(torch.cat((h, _resize(score, h.shape[-2:])), dim=1))
        return h, hpool


    def frame_part(self, ft: torch.Tensor, fixed_scores: Optional[torch.Tensor]) -> Tuple[torch.Tensor, torch.Tensor]:
        """(the first transform convolution of [reduced features, ``fixed_scores``] with its bias, the pooled
        reduced features): what this level computes from the frame alone."""
        h = self.reduce(ft)
        first, n_reduced = self.transform[0], h.shape[1]
        pre = F.conv2d(h, first.weight[:, :n_reduced], first.bias, padding=first.padding)
        if fixed_scores is not None:
            fixed_weight = first.weight[:, n_reduced:n_reduced + fixed_scores.shape[1]]
            pre = pre + F.conv2d(_resize(fixed_scores, h.shape[-2:]), fixed_weight, None, padding=first.padding)
        return pre, F.adaptive_avg_pool2d(h, 1)

    def forward_frame_part(self, pre: torch.Tensor, score: Optional[torch.Tensor]) -> torch.Tensor:
        """``forward``'s h from ``frame_part`` and the remaining (trailing) score channels (None: none left)."""
        first = self.transform[0]
        if score is not None:
            weight = first.weight[:, first.weight.shape[1] - score.shape[1]:]
            pre = pre + F.conv2d(_resize(score, pre.shape[-2:]), weight, None, padding=first.padding)
        return self.transform[1:](pre)


class DecoderFrameParts(dict):
    """Per-frame decoder parts of N frames (``LWTLDecoder.frame_parts``): layer name -> the first TSE
    convolution's share of the frame-only inputs (N,C,h,w), and ``HPOOL`` -> the deepest level's pooled
    reduced features (N,C,1,1). Every value has the frames along dim 0, like a backbone feature dict."""

    HPOOL = "hpool"

    def frames(self) -> List["DecoderFrameParts"]:
        """One DecoderFrameParts per frame, each value (C,h,w), sharing this one's memory."""
        return [DecoderFrameParts((k, v[i]) for k, v in self.items()) for i in range(len(next(iter(self.values()))))]

    @staticmethod
    def stack(frames: Sequence["DecoderFrameParts"]) -> "DecoderFrameParts":
        """The inverse of ``frames`` for any selection of frames, in the frames' memory layout (``torch.stack``
        alone would turn channels-last maps into NCHW ones)."""
        def stacked(maps: List[torch.Tensor]) -> torch.Tensor:
            if maps[0].permute(1, 2, 0).is_contiguous():
                return torch.stack([m.permute(1, 2, 0) for m in maps]).permute(0, 3, 1, 2)
            return torch.stack(maps)
        return DecoderFrameParts((k, stacked([f[k] for f in frames])) for k in frames[0])


class RRB(nn.Module):
    """Residual refinement block: h = conv1x1(x); relu(h + bblock(h))."""

    def __init__(self, oc: int, use_bn: bool = True):
        super().__init__()
        self.conv1x1 = conv(oc, oc, 1)
        layers = [conv(oc, oc, 3)] + ([nn.BatchNorm2d(oc)] if use_bn else []) + [
            nn.ReLU(), nn.Conv2d(oc, oc, 3, padding=1, bias=False)]
        self.bblock = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.conv1x1(x)
        return F.relu(h + self.bblock(h))


class CAB(nn.Module):
    """Channel attention block: the pooled deeper and shallower maps gate the shallower one."""

    def __init__(self, oc: int, deepest: bool):
        super().__init__()
        self.convreluconv = nn.Sequential(conv(2 * oc, oc, 1), nn.ReLU(), conv(oc, oc, 1))
        self.deepest = deepest

    def forward(self, deeper: torch.Tensor, shallower: torch.Tensor) -> torch.Tensor:
        shallow_pool = F.adaptive_avg_pool2d(shallower, 1)
        deep_pool = deeper if self.deepest else F.adaptive_avg_pool2d(deeper, 1)
        attention = torch.sigmoid(self.convreluconv(torch.cat((shallow_pool, deep_pool), dim=1)))
        return shallower * attention + F.interpolate(deeper, size=shallower.shape[-2:], mode="bilinear",
                                                     align_corners=False)


class Upsampler(nn.Module):
    """Bicubic x2, conv+relu, bicubic to the image size, conv to one logit channel. The resizes run as
    matrix products and the last convolution before the last resize (``ltr.models.layers.resize``)."""

    def __init__(self, in_channels: int = 64):
        super().__init__()
        self.conv1 = conv(in_channels, in_channels // 2, 3)
        self.conv2 = conv(in_channels // 2, 1, 3)

    def forward(self, x: torch.Tensor, image_size: Sequence[int]) -> torch.Tensor:
        x = F.relu(self.conv1(bicubic_resize(x, (2 * x.shape[-2], 2 * x.shape[-1]))))
        return conv_of_bicubic_resize(x, self.conv2, image_size)


class LWTLDecoder(nn.Module):
    """Decoder D(scores, features) -> (logits (F*S,1,H,W), requested intermediate features)."""

    def __init__(self, in_channels: int = 1, out_channels: int = 32,
                 ft_channels: Optional[Dict[str, int]] = None, use_bn: bool = False):
        super().__init__()
        assert ft_channels is not None, "ft_channels maps backbone layer names (deep to shallow) to widths"
        self.ft_channels = ft_channels
        self.TSE, self.RRB1, self.CAB, self.RRB2, self.proj = (nn.ModuleDict() for _ in range(5))
        prev_oc = None
        for i, (layer, fc) in enumerate(ft_channels.items()):
            oc = LEVEL_WIDTH_MULTIPLIER[layer] * out_channels
            self.TSE[layer] = TSE(fc, in_channels, oc)
            self.RRB1[layer] = RRB(oc, use_bn=use_bn)
            self.CAB[layer] = CAB(oc, deepest=(i == 0))
            self.RRB2[layer] = RRB(oc, use_bn=use_bn)
            if prev_oc is not None:
                self.proj[layer] = nn.Sequential(conv(prev_oc, oc, 1), nn.ReLU())
            prev_oc = oc
        self.project = Upsampler(out_channels)

    def forward(self, scores: torch.Tensor, features: Dict[str, torch.Tensor], image_size: Sequence[int],
                output_layers: Sequence[str] = ()) -> Tuple[torch.Tensor, Dict[str, torch.Tensor]]:
        assert scores.dim() == 5, "scores must be (frames, sequences, channels, h, w)"
        scores = scores.reshape(-1, *scores.shape[-3:])
        x = None
        out: Dict[str, torch.Tensor] = OrderedDict()
        for layer in self.ft_channels:
            if x is not None:
                x = self.proj[layer](x)
            h, hpool = self.TSE[layer](features[layer], scores, x)
            h = self.RRB1[layer](h)
            h = self.CAB[layer](hpool, h)
            x = self.RRB2[layer](h)
            if layer + "_dec" in output_layers:
                out[layer + "_dec"] = x
        return self.project(x, image_size), out

    def frame_parts(self, features: Dict[str, torch.Tensor], fixed_scores: Optional[torch.Tensor] = None
                    ) -> DecoderFrameParts:
        """The per-frame part of every level for N frames: ``features`` (N,C,h,w) per layer, and the
        leading score channels that do not depend on the window (N,K,h,w), if any."""
        parts = DecoderFrameParts()
        for i, layer in enumerate(self.ft_channels):
            parts[layer], hpool = self.TSE[layer].frame_part(features[layer], fixed_scores)
            if i == 0:
                parts[DecoderFrameParts.HPOOL] = hpool
        return parts

    def decode_frame_parts(self, parts: DecoderFrameParts, scores: Optional[torch.Tensor],
                           image_size: Sequence[int]) -> torch.Tensor:
        """``forward``'s logits (N,1,H,W) from ``frame_parts`` of N frames and the remaining (trailing)
        score channels (N,K',h,w) of their windows (None: every channel was fixed)."""
        x = None
        for layer in self.ft_channels:
            hpool = parts[DecoderFrameParts.HPOOL] if x is None else self.proj[layer](x)
            h = self.RRB1[layer](self.TSE[layer].forward_frame_part(parts[layer], scores))
            h = self.CAB[layer](hpool, h)
            x = self.RRB2[layer](h)
        return self.project(x, image_size)


def lwl_decoder(in_channels: int, mdim: int, decoder_input_layers: Sequence[str],
                layer_channels: Dict[str, int]) -> LWTLDecoder:
    """The decoder as the official networks build it: levels deep to shallow, the backbone's widths, BN on."""
    return LWTLDecoder(in_channels, mdim, OrderedDict((L, layer_channels[L]) for L in decoder_input_layers),
                       use_bn=True)

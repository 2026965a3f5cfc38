"""The box2seg network (paper Fig. 2; the official checkpoint is sta.pth.tar).

    x_t        = target features of frame t (ResNet-50 layer3 -> 3x3 conv -> L2 norm; stride 16, or 8)
    e, w, m    = B(x_t, b_t)                         object encoder
    s_t        = x_t * z,  z = S({x_t, e_t, w_t})    spatio-temporal aggregation over all T frames
    y_t        = D([m_t, s_t], backbone features)    decoder (initial mask logits)
    ê, ŵ       = B̂(sigmoid(y_t))                     refinement encoder
    ŷ_t        = D([m_t, ŝ_t]),  ŝ_t = x_t * Ŝ({x_t, ê_t, ŵ_t})   refined mask logits

Module names and registration order equal the official checkpoint's state_dict (facts §3.1):
feature_extractor, target_model (S), target_model_segm (Ŝ), decoder (D), label_encoder (m of B),
bbox_encoder (e, w of B), segm_encoder (B̂).

The paper's Table 2 variants are constructor options:
- ``SingleImage``: D(m_t) only (no aggregation over frames),
- ``MultiFrame``: D(s_t) only,
- ``MultiFrame+``: D([m_t, s_t]) without refinement,
- ``MultiFrameIterative``: D([m_t, s_t]) and the refinement stage (default, = the official network).
Variants without refinement return the initial logits as the refined ones.

The paper's Table 3 alternatives to S (``aggregation='attention'`` or ``'concat'``, see
``aggregation.py``) replace ``target_model`` and ``target_model_segm``; ``target_model`` keeps the
x_t extractor, so the rest of the network is unchanged.
"""
from __future__ import annotations

from typing import Dict, Optional, Sequence, Tuple

import torch
import torch.nn as nn

from ltr.admin.model_constructor import model_constructor
from ltr.models.layers.filter import FrameStack
from ltr.models.box2seg.aggregation import (SpatioTemporalAggregation, alternative_aggregation,
                                             spatio_temporal_aggregation)
from ltr.models.box2seg.names import AGGREGATIONS, TARGET_STRIDES, VARIANTS
from ltr.models.box2seg.object_encoder import ObjectEncoding, box_encoder, encode_object
from ltr.models.box2seg.refinement_encoder import refinement_encoder
from ltr.models.lwl.decoder import DecoderFrameParts, LWTLDecoder, lwl_decoder
from ltr.models.lwl.features import BackboneFeaturesMixin, backbone_and_target_features, layer_stride

# Arguments of ``steepest_descent_resnet50`` that the official constructor lacks: at their defaults the network
# is the official one, and its checkpoint names the official constructor without them; any other value is an
# ablation only this code builds (``ltr.admin.loading.portable_constructor`` asks for this).
OURS_ONLY_ARGUMENTS = ("variant", "aggregation", "aggregation_frames", "target_stride")
FeatureDict = Dict[str, torch.Tensor]


class Box2SegNet(BackboneFeaturesMixin, nn.Module):
    """Box -> mask network over T frames of B sequences; see the module docstring."""

    def __init__(self, feature_extractor: nn.Module, target_model: SpatioTemporalAggregation,
                 target_model_segm: Optional[SpatioTemporalAggregation], decoder: LWTLDecoder,
                 target_model_input_layer: str, decoder_input_layers: Sequence[str],
                 label_encoder: Optional[nn.Module] = None, bbox_encoder: Optional[nn.Module] = None,
                 segm_encoder: Optional[nn.Module] = None, variant: str = "MultiFrameIterative"):
        super().__init__()
        if variant not in VARIANTS:
            raise ValueError(f"unknown variant {variant!r}; choose from {VARIANTS}")
        self.feature_extractor = feature_extractor
        self.target_model = target_model
        self.target_model_segm = target_model_segm
        self.decoder = decoder
        self.label_encoder = label_encoder
        self.bbox_encoder = bbox_encoder
        self.segm_encoder = segm_encoder
        self.variant = variant
        self._set_layers(target_model_input_layer, decoder_input_layers)

    # ---- per-frame parts (cacheable: they do not depend on the other frames) ----
    # extract_backbone_features, extract_target_model_features: BackboneFeaturesMixin

    def encode_object(self, boxes: torch.Tensor, x: torch.Tensor, image_size: Sequence[int]) -> ObjectEncoding:
        """B: boxes (T,B,4) and x (T,B,C,h,w) -> (e, w, m)."""
        return encode_object(self.label_encoder, self.bbox_encoder, boxes, x, image_size)

    def decoder_frame_parts(self, backbone_feat: FeatureDict, m: Optional[torch.Tensor]) -> DecoderFrameParts:
        """D's per-frame part of N frames from their backbone features and m_t (N,K,h,w): passed to ``decode``
        in place of the features, it gives the same logits while each window computes only its own share."""
        return self.decoder.frame_parts(backbone_feat, m)

    # ---- parts that couple the frames ----
    def decode(self, m: Optional[torch.Tensor], s: Optional[torch.Tensor], backbone_feat: FeatureDict,
               image_size: Sequence[int], frames: Optional[torch.Tensor] = None) -> torch.Tensor:
        """D: [m_t, s_t] (channels in that order) -> logits (T',B,H,W) of ``frames`` (indices along T;
        None: all T); ``backbone_feat`` holds the features of exactly those frames, or their
        ``decoder_frame_parts`` (which already hold m_t)."""
        if frames is not None:
            m, s = (None if t is None else t[frames] for t in (m, s))
        if isinstance(backbone_feat, DecoderFrameParts):
            logits = self.decoder.decode_frame_parts(backbone_feat, None if s is None else s.flatten(0, 1), image_size)
            return logits.view(*(m if s is None else s).shape[:2], *logits.shape[-2:])
        scores = torch.cat([t for t in (m, s) if t is not None], dim=2)
        logits, _ = self.decoder(scores, {k: backbone_feat[k] for k in self.decoder_input_layers}, image_size)
        return logits.view(*scores.shape[:2], *logits.shape[-2:])

    def stack_features(self, x: torch.Tensor, solver: Optional[str] = None) -> Optional[FrameStack]:
        """x in the GEMM solver's layout, built once per window for both aggregations (None if unused)."""
        return self.target_model.stack_features(x, solver) if self.bbox_encoder is not None else None

    def first_stage(self, x: torch.Tensor, enc: ObjectEncoding, backbone_feat: FeatureDict, image_size: Sequence[int],
                    num_iter: Optional[int] = None, solver: Optional[str] = None,
                    frames: Optional[torch.Tensor] = None, x_stack: Optional[FrameStack] = None) -> torch.Tensor:
        """y_t = D([m_t, s_t]) with s over all T frames: initial logits of ``frames`` (see ``decode``)."""
        s = self.target_model(x, enc.e, enc.w, num_iter, solver, x_stack)[0] if enc.e is not None else None
        return self.decode(enc.m, s, backbone_feat, image_size, frames)

    def refinement_labels(self, initial: torch.Tensor, x: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        """B̂: initial logits and x of the same frames -> (ê_t, ŵ_t); per frame, so cacheable."""
        return self.segm_encoder(torch.sigmoid(initial), x)

    def second_stage(self, x: torch.Tensor, m: Optional[torch.Tensor], e_hat: torch.Tensor, w_hat: torch.Tensor,
                     backbone_feat: FeatureDict, image_size: Sequence[int], num_iter: Optional[int] = None,
                     solver: Optional[str] = None, frames: Optional[torch.Tensor] = None,
                     x_stack: Optional[FrameStack] = None) -> torch.Tensor:
        """ŷ_t = D([m_t, ŝ_t]) with ŝ over all T frames: refined logits of ``frames`` (see ``decode``)."""
        s_hat = self.target_model_segm(x, e_hat, w_hat, num_iter, solver, x_stack)[0]
        return self.decode(m, s_hat, backbone_feat, image_size, frames)

    def segment_window(self, backbone_feat: FeatureDict, x: torch.Tensor, enc: ObjectEncoding,
                       image_size: Sequence[int], num_iter: Optional[int] = None, solver: Optional[str] = None,
                       refine_frames: Optional[torch.Tensor] = None) -> Tuple[torch.Tensor, torch.Tensor]:
        """Aggregate over the T frames given, decode, refine: -> (initial (T,B,H,W), refined).

        ``refine_frames`` (indices along T) limits the refined decoding to those frames (the
        annotation tool keeps only the window's centre frame); the refined output then has that many.
        """
        x_stack = self.stack_features(x, solver)
        initial = self.first_stage(x, enc, backbone_feat, image_size, num_iter, solver, x_stack=x_stack)
        if self.segm_encoder is None:
            return initial, initial if refine_frames is None else initial[refine_frames]
        e_hat, w_hat = self.refinement_labels(initial, x)
        if refine_frames is not None:
            backbone_feat = type(backbone_feat)((k, v.view(x.shape[0], -1, *v.shape[1:])[refine_frames].flatten(0, 1))
                                                for k, v in backbone_feat.items())
        return initial, self.second_stage(x, enc.m, e_hat, w_hat, backbone_feat, image_size, num_iter, solver,
                                          refine_frames, x_stack)

    def forward(self, images: torch.Tensor, boxes: torch.Tensor, num_iter: Optional[int] = None,
                solver: Optional[str] = None, drop_box_encoding: Optional[torch.Tensor] = None
                ) -> Tuple[torch.Tensor, torch.Tensor]:
        """images (T,B,3,H,W) normalised, boxes (T,B,4) [x,y,w,h] px -> (initial, refined) logits (T,B,H,W).

        ``num_iter`` overrides the steepest-descent iterations (5 in training, 15 at inference),
        ``solver`` the steepest-descent solver ('gemm', the default, or the official 'double_backward').
        ``drop_box_encoding`` (B,) bool zeroes m_t of those sequences in both stages (a training
        option, not the paper's): the decoder then has to segment from the aggregated scores alone.
        """
        n_frames, n_seq = images.shape[:2]
        image_size = images.shape[-2:]
        feats = self.extract_backbone_features(images.reshape(-1, *images.shape[-3:]))
        x = self.extract_target_model_features(feats)
        x = x.view(n_frames, n_seq, *x.shape[-3:])
        enc = self.encode_object(boxes, x, image_size)
        if drop_box_encoding is not None and enc.m is not None:
            enc = enc._replace(m=enc.m * (~drop_box_encoding).to(enc.m.dtype).view(1, -1, 1, 1, 1))
        return self.segment_window(feats, x, enc, image_size, num_iter, solver)


@model_constructor
def steepest_descent_resnet50(filter_size: int = 3, num_filters: int = 16, optim_iter: int = 5,
                              optim_init_reg: float = 0.01, backbone_pretrained: bool = False,
                              clf_feat_blocks: int = 0, clf_feat_norm: bool = True, final_conv: bool = True,
                              out_feature_dim: int = 512, target_model_input_layer: str = "layer3",
                              decoder_input_layers: Sequence[str] = ("layer4", "layer3", "layer2", "layer1"),
                              detach_length: float = float("inf"),
                              label_encoder_dims: Sequence[int] = (16, 32, 64, 128),
                              frozen_backbone_layers: Sequence[str] = ("conv1", "bn1", "layer1", "layer2", "layer3",
                                                                       "layer4"),
                              decoder_mdim: int = 64, filter_groups: int = 1, use_bn_in_label_enc: bool = False,
                              dilation_factors: Optional[Sequence[int]] = None, backbone_type: str = "mrcnn",
                              variant: str = "MultiFrameIterative", backbone_weights: str = "",
                              aggregation: str = "steepest_descent", aggregation_frames: int = 3,
                              target_stride: int = 16) -> Box2SegNet:
    """Build the box2seg network. Defaults = the official network (facts §1.4), so the official
    ``sta.pth.tar`` constructor arguments rebuild it exactly; ``variant`` selects a Table 2 ablation,
    ``aggregation`` a Table 3 alternative to S ('concat' combines exactly ``aggregation_frames`` frames).
    ``target_stride`` 8 puts S's maps on a twice finer grid (x_t then comes from a stride-8
    ``target_model_input_layer``, layer2); the parameters keep their names and shapes."""
    if variant not in VARIANTS:
        raise ValueError(f"unknown variant {variant!r}; choose from {VARIANTS}")
    if aggregation not in AGGREGATIONS:
        raise ValueError(f"unknown aggregation {aggregation!r}; choose from {AGGREGATIONS}")
    if aggregation != "steepest_descent" and variant == "SingleImage":
        raise ValueError("the SingleImage variant aggregates nothing: it takes no aggregation alternative")
    if filter_groups != 1 or dilation_factors is not None:
        raise NotImplementedError("grouped / dilated filters are unused by the official networks")
    if len(label_encoder_dims) != 4:
        raise ValueError("label_encoder_dims needs 4 widths (mask trunk x3, box/feature mixing)")
    if target_stride not in TARGET_STRIDES:
        raise ValueError(f"unknown target_stride {target_stride!r}; choose from {TARGET_STRIDES}")
    if layer_stride(target_model_input_layer) != target_stride:
        raise ValueError(f"target_stride {target_stride} needs x_t from a layer of that stride, but "
                         f"{target_model_input_layer} has stride {layer_stride(target_model_input_layer)}")
    backbone, target_features = backbone_and_target_features(
        backbone_type, frozen_backbone_layers, backbone_pretrained, backbone_weights, target_model_input_layer,
        clf_feat_blocks, clf_feat_norm, final_conv, out_feature_dim, filter_size)

    def make_aggregation(features: Optional[nn.Module]) -> nn.Module:
        if aggregation != "steepest_descent":
            return alternative_aggregation(aggregation, num_filters, aggregation_frames, features)
        return spatio_temporal_aggregation(filter_size, num_filters, out_feature_dim, optim_iter, optim_init_reg,
                                           detach_length, feature_extractor=features)

    uses_m = variant != "MultiFrame"
    uses_s = variant != "SingleImage"
    refines = variant == "MultiFrameIterative"
    decoder = lwl_decoder((uses_m + uses_s) * num_filters, decoder_mdim, decoder_input_layers,
                          backbone.out_feature_channels())
    net = Box2SegNet(
        feature_extractor=backbone,
        target_model=make_aggregation(target_features),
        target_model_segm=make_aggregation(None) if refines else None,
        decoder=decoder,
        target_model_input_layer=target_model_input_layer,
        decoder_input_layers=decoder_input_layers,
        label_encoder=box_encoder(label_encoder_dims, num_filters, out_feature_dim, target_stride) if uses_m else None,
        bbox_encoder=box_encoder(label_encoder_dims, num_filters, out_feature_dim, target_stride) if uses_s else None,
        segm_encoder=(refinement_encoder(label_encoder_dims, num_filters, use_bn_in_label_enc, target_stride)
                      if refines else None),
        variant=variant,
    )
    # Parameters whose outputs are never used get no gradient: mark them so (DDP requires it).
    if uses_m:  # m_t's sample-weight head: only the labels of label_encoder are used
        net.label_encoder.samp_w_pred.requires_grad_(False)
    if not uses_s:  # SingleImage: S only provides x_t; λ would get no gradient.
        net.target_model.filter_optimizer.requires_grad_(False)
    if aggregation != "steepest_descent":  # the alternatives ignore the weights w_t and ŵ_t
        for encoder in (net.bbox_encoder, net.segm_encoder):
            if encoder is not None:
                encoder.samp_w_pred.requires_grad_(False)
    return net

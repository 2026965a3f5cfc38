"""The box-to-mask network (paper Fig. 2; the official code calls it STANet).

    x_t        = target features of frame t (ResNet-50 layer3 -> 3x3 conv -> L2 norm)
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
"""
from __future__ import annotations

from collections import OrderedDict
from typing import Dict, Optional, Sequence, Tuple

import torch
import torch.nn as nn

from ltr.admin.model_constructor import model_constructor
from ltr.models.backbone.resnet import LAYER_CHANNELS, resnet50
from ltr.models.box2seg.aggregation import SpatioTemporalAggregation, spatio_temporal_aggregation
from ltr.models.box2seg.object_encoder import ObjectEncoding, box_encoder, encode_object
from ltr.models.box2seg.refinement_encoder import refinement_encoder
from ltr.models.lwl.decoder import LWTLDecoder
from ltr.models.lwl.features import residual_basic_block, target_feature_norm_scale

VARIANTS = ("SingleImage", "MultiFrame", "MultiFrame+", "MultiFrameIterative")
FeatureDict = Dict[str, torch.Tensor]


class Box2SegNet(nn.Module):
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
        self.target_model_input_layer = (target_model_input_layer,)
        self.decoder_input_layers = tuple(decoder_input_layers)
        self.output_layers = sorted(set(self.target_model_input_layer + self.decoder_input_layers))

    # ---- per-frame parts (cacheable: they do not depend on the other frames) ----
    def extract_backbone_features(self, images: torch.Tensor) -> FeatureDict:
        """ResNet-50 features of images (N,3,H,W); no activations are stored for a frozen backbone."""
        frozen = getattr(self.feature_extractor, "fully_frozen", False)
        with torch.set_grad_enabled(torch.is_grad_enabled() and not frozen):
            return self.feature_extractor(images, self.output_layers)

    def extract_target_model_features(self, backbone_feat: FeatureDict) -> torch.Tensor:
        """x_t: (N,C,h,w) target features from the backbone's layer3."""
        return self.target_model.extract_target_model_features(backbone_feat[self.target_model_input_layer[0]])

    def encode_object(self, boxes: torch.Tensor, x: torch.Tensor, image_size: Sequence[int]) -> ObjectEncoding:
        """B: boxes (T,B,4) and x (T,B,C,h,w) -> (e, w, m)."""
        return encode_object(self.label_encoder, self.bbox_encoder, boxes, x, image_size)

    # ---- parts that couple the frames ----
    def decode(self, m: Optional[torch.Tensor], s: Optional[torch.Tensor], backbone_feat: FeatureDict,
               image_size: Sequence[int]) -> torch.Tensor:
        """D: [m_t, s_t] (channels in that order) -> logits (T,B,H,W)."""
        scores = torch.cat([t for t in (m, s) if t is not None], dim=2)
        logits, _ = self.decoder(scores, {k: backbone_feat[k] for k in self.decoder_input_layers}, image_size)
        return logits.view(*scores.shape[:2], *logits.shape[-2:])

    def segment_window(self, backbone_feat: FeatureDict, x: torch.Tensor, enc: ObjectEncoding,
                       image_size: Sequence[int], num_iter: Optional[int] = None, closed_form: Optional[bool] = None,
                       refine_frames: Optional[torch.Tensor] = None) -> Tuple[torch.Tensor, torch.Tensor]:
        """Aggregate over the T frames given, decode, refine: -> (initial (T,B,H,W), refined).

        ``refine_frames`` (indices along T) limits the refined decoding to those frames (the
        annotation tool keeps only the window's centre frame); the refined output then has that many.
        """
        s = self.target_model(x, enc.e, enc.w, num_iter, closed_form)[0] if enc.e is not None else None
        initial = self.decode(enc.m, s, backbone_feat, image_size)
        if self.segm_encoder is None:
            return initial, initial if refine_frames is None else initial[refine_frames]
        e_hat, w_hat = self.segm_encoder(torch.sigmoid(initial), x)
        s_hat = self.target_model_segm(x, e_hat, w_hat, num_iter, closed_form)[0]
        m = enc.m
        if refine_frames is not None:
            n_frames = x.shape[0]
            s_hat, m = s_hat[refine_frames], m[refine_frames]
            backbone_feat = {k: v.view(n_frames, -1, *v.shape[1:])[refine_frames].flatten(0, 1)
                             for k, v in backbone_feat.items()}
        return initial, self.decode(m, s_hat, backbone_feat, image_size)

    def forward(self, images: torch.Tensor, boxes: torch.Tensor, num_iter: Optional[int] = None,
                closed_form: Optional[bool] = None) -> Tuple[torch.Tensor, torch.Tensor]:
        """images (T,B,3,H,W) normalised, boxes (T,B,4) [x,y,w,h] px -> (initial, refined) logits (T,B,H,W).

        ``num_iter`` overrides the steepest-descent iterations (5 in training, 15 at inference).
        """
        n_frames, n_seq = images.shape[:2]
        image_size = images.shape[-2:]
        feats = self.extract_backbone_features(images.reshape(-1, *images.shape[-3:]))
        x = self.extract_target_model_features(feats)
        x = x.view(n_frames, n_seq, *x.shape[-3:])
        enc = self.encode_object(boxes, x, image_size)
        return self.segment_window(feats, x, enc, image_size, num_iter, closed_form)


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
                              variant: str = "MultiFrameIterative", backbone_weights: str = "") -> Box2SegNet:
    """Build the box2seg network. Defaults = the official STA network (facts §1.4), so official
    ``sta.pth.tar`` constructor arguments rebuild it exactly; ``variant`` selects a Table 2 ablation."""
    if variant not in VARIANTS:
        raise ValueError(f"unknown variant {variant!r}; choose from {VARIANTS}")
    if filter_groups != 1 or dilation_factors is not None:
        raise NotImplementedError("grouped / dilated filters are unused by the official networks")
    if len(label_encoder_dims) != 4:
        raise ValueError("label_encoder_dims needs 4 widths (mask trunk x3, box/feature mixing)")
    style = "mrcnn" if backbone_type == "mrcnn" else "torchvision"
    backbone = resnet50(style, frozen_layers=frozen_backbone_layers, pretrained=backbone_pretrained,
                        weights_path=backbone_weights)
    layer_dim = LAYER_CHANNELS[target_model_input_layer]
    norm_scale = target_feature_norm_scale(out_feature_dim, filter_size) if clf_feat_norm else 1.0

    def aggregation(features: Optional[nn.Module]) -> SpatioTemporalAggregation:
        return spatio_temporal_aggregation(filter_size, num_filters, out_feature_dim, optim_iter, optim_init_reg,
                                           detach_length, feature_extractor=features)

    target_features = residual_basic_block(feature_dim=layer_dim, num_blocks=clf_feat_blocks, l2norm=clf_feat_norm,
                                           final_conv=final_conv, norm_scale=norm_scale, out_dim=out_feature_dim)
    uses_m = variant != "MultiFrame"
    uses_s = variant != "SingleImage"
    refines = variant == "MultiFrameIterative"
    decoder = LWTLDecoder((uses_m + uses_s) * num_filters, decoder_mdim,
                          OrderedDict((L, LAYER_CHANNELS[L]) for L in decoder_input_layers), use_bn=True)
    net = Box2SegNet(
        feature_extractor=backbone,
        target_model=aggregation(target_features),
        target_model_segm=aggregation(None) if refines else None,
        decoder=decoder,
        target_model_input_layer=target_model_input_layer,
        decoder_input_layers=decoder_input_layers,
        label_encoder=box_encoder(label_encoder_dims, num_filters, out_feature_dim) if uses_m else None,
        bbox_encoder=box_encoder(label_encoder_dims, num_filters, out_feature_dim) if uses_s else None,
        segm_encoder=refinement_encoder(label_encoder_dims, num_filters, use_bn_in_label_enc) if refines else None,
        variant=variant,
    )
    # Parameters whose outputs are never used get no gradient: mark them so (DDP requires it).
    if uses_m:  # m_t's sample-weight head: only the labels of label_encoder are used
        net.label_encoder.samp_w_pred.requires_grad_(False)
    if not uses_s:  # SingleImage: S only provides x_t; λ would get no gradient.
        net.target_model.filter_optimizer.requires_grad_(False)
    return net

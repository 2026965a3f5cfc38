"""LWL (Learning What to Learn, ECCV 2020): the VOS network fine-tuned on our pseudo-masks.

Same parts as box2seg: a few-shot learner fits a filter to the label encoding of the first frame's
mask, the decoder turns the filter's scores into masks, and predictions are fed back as new
training samples. Names and registration order equal the official ``LWTLNet`` (facts §4.1).
"""
from __future__ import annotations

from typing import Dict, Optional, Sequence, Tuple

import torch
import torch.nn as nn

from ltr.admin.model_constructor import model_constructor
from ltr.models.layers.filter import apply_filter
from ltr.models.lwl.decoder import LWTLDecoder, lwl_decoder
from ltr.models.lwl.features import BackboneFeaturesMixin, backbone_and_target_features
from ltr.models.lwl.label_encoder import ResidualDS16SW
from ltr.models.lwl.linear_filter import LinearFilter, steepest_descent_filter


class LWTLNet(BackboneFeaturesMixin, nn.Module):
    """LWL: learn a target model from annotated frames, segment the test frames one by one."""

    def __init__(self, feature_extractor: nn.Module, target_model: LinearFilter, decoder: LWTLDecoder,
                 target_model_input_layer: str, decoder_input_layers: Sequence[str], label_encoder: nn.Module):
        super().__init__()
        self.feature_extractor = feature_extractor
        self.target_model = target_model
        self.decoder = decoder
        self.label_encoder = label_encoder
        self._set_layers(target_model_input_layer, decoder_input_layers)

    def decode(self, scores: torch.Tensor, backbone_feat: Dict[str, torch.Tensor], image_size: Sequence[int]
               ) -> torch.Tensor:
        logits, _ = self.decoder(scores, {k: backbone_feat[k] for k in self.decoder_input_layers}, image_size)
        return logits

    def forward(self, train_imgs: torch.Tensor, test_imgs: torch.Tensor, train_masks: torch.Tensor,
                test_masks: torch.Tensor = None, num_refinement_iter: int = 2, solver: Optional[str] = None
                ) -> torch.Tensor:
        """train (1,S,3,H,W) with masks (1,S,H,W); test (T,S,3,H,W) -> test mask logits (T,S,H,W);
        ``solver`` overrides the target model's steepest-descent solver (the same maths either way).

        As in the official training code, every test frame is predicted with the iterates of the
        initial filter; the refined filter only warm-starts the next refinement (pitfall §8.8).
        """
        n_train, n_seq = train_imgs.shape[:2]
        n_test = test_imgs.shape[0]
        image_size = train_imgs.shape[-2:]
        train_feat = self.extract_backbone_features(train_imgs.reshape(-1, *train_imgs.shape[-3:]))
        test_feat = self.extract_backbone_features(test_imgs.reshape(-1, *test_imgs.shape[-3:]))
        x_train = self.extract_target_model_features(train_feat)
        x_train = x_train.view(n_train, n_seq, *x_train.shape[-3:])
        x_test = self.extract_target_model_features(test_feat)
        x_test = x_test.view(n_test, n_seq, *x_test.shape[-3:])

        label, weight = self.label_encoder(train_masks, x_train)
        feats, labels, weights = [x_train], [label], [weight]
        filt, filter_iter, _ = self.target_model.get_filter(x_train, label, weight, solver=solver)

        test_feat = {k: v.view(n_test, n_seq, *v.shape[1:]) for k, v in test_feat.items()}
        preds = []
        for i in range(n_test):
            frame_feat = {k: v[i] for k, v in test_feat.items()}
            scores = apply_filter(x_test[i:i + 1], filter_iter[-1])
            pred = self.decode(scores, frame_feat, image_size).view(1, n_seq, *image_size)
            preds.append(pred)
            label_i, weight_i = self.label_encoder(torch.sigmoid(pred.detach()), x_test[i:i + 1])
            feats.append(x_test[i:i + 1])
            labels.append(label_i)
            weights.append(weight_i)
            if i < n_test - 1 and num_refinement_iter > 0:
                filt = self.target_model.filter_optimizer(
                    [filt], feat=torch.cat(feats), label=torch.cat(labels), sample_weight=torch.cat(weights),
                    num_iter=num_refinement_iter, solver=solver)[0][0]
        return torch.cat(preds)

    def segment_target(self, target_filter: torch.Tensor, test_feat_tm: torch.Tensor,
                       test_feat: Dict[str, torch.Tensor]) -> Tuple[torch.Tensor, torch.Tensor]:
        """One frame with a given filter -> (mask logits (1,1,H,W), scores) (used by the tracker)."""
        test_feat_tm = test_feat_tm.view(1, 1, *test_feat_tm.shape[-3:])
        scores = apply_filter(test_feat_tm, target_filter)
        image_size = (test_feat_tm.shape[-2] * 16, test_feat_tm.shape[-1] * 16)
        return self.decode(scores, test_feat, image_size), scores


@model_constructor
def steepest_descent_resnet50(filter_size: int = 3, num_filters: int = 16, optim_iter: int = 5,
                              optim_init_reg: float = 0.01, backbone_pretrained: bool = False,
                              clf_feat_blocks: int = 0, clf_feat_norm: bool = True, final_conv: bool = True,
                              out_feature_dim: int = 512, target_model_input_layer: str = "layer3",
                              decoder_input_layers: Sequence[str] = ("layer4", "layer3", "layer2", "layer1"),
                              detach_length: float = float("inf"), label_encoder_dims: Sequence[int] = (16, 32, 64),
                              frozen_backbone_layers: Sequence[str] = ("conv1", "bn1", "layer1"),
                              decoder_mdim: int = 64, filter_groups: int = 1, use_bn_in_label_enc: bool = False,
                              dilation_factors: Optional[Sequence[int]] = None, backbone_type: str = "mrcnn",
                              backbone_weights: str = "") -> LWTLNet:
    """Build LWL; defaults = the official ``lwl_stage2`` arguments (facts §1.4)."""
    if filter_groups != 1 or dilation_factors is not None:
        raise NotImplementedError("grouped / dilated filters are unused by the official networks")
    backbone, target_features = backbone_and_target_features(
        backbone_type, frozen_backbone_layers, backbone_pretrained, backbone_weights, target_model_input_layer,
        clf_feat_blocks, clf_feat_norm, final_conv, out_feature_dim, filter_size)
    target_model = steepest_descent_filter(filter_size, num_filters, out_feature_dim, optim_iter, optim_init_reg,
                                           detach_length, feature_extractor=target_features)
    decoder = lwl_decoder(num_filters, decoder_mdim, decoder_input_layers, backbone.out_feature_channels())
    label_encoder = ResidualDS16SW(layer_dims=tuple(label_encoder_dims) + (num_filters,), use_bn=use_bn_in_label_enc)
    return LWTLNet(backbone, target_model, decoder, target_model_input_layer, decoder_input_layers, label_encoder)

"""The box2seg training step: forward, loss (paper eq. 4) and statistics."""
from __future__ import annotations

from typing import Dict, Optional, Tuple

import torch
import torch.nn as nn

from ltr.admin.loading import unwrap
from ltr.actors.base import Actor
from ltr.models.meta.solvers import DEFAULT_SOLVER


def jaccard(logits: torch.Tensor, masks: torch.Tensor) -> torch.Tensor:
    """Mean IoU of (logits > 0) against binary masks over the leading dims; both empty counts as 1."""
    pred = logits.detach() > 0
    gt = masks > 0.5
    inter = (pred & gt).flatten(-2).sum(-1).float()
    union = (pred | gt).flatten(-2).sum(-1).float()
    return torch.where(union > 0, inter / union.clamp(min=1), torch.ones_like(union)).mean()


class Box2SegActor(Actor):
    """L = w · (L_Lovász(y, M) + L_Lovász(ŷ, M)) on the initial and refined logits (eq. 4).

    ``solver`` is S's steepest-descent solver ('gemm' or the official 'double_backward': the same maths).
    ``disable_all_bn`` keeps every BatchNorm on its running statistics, as the official setting
    does (the batch of 4 sequences is too small for batch statistics). The statistics include the share
    of positive units of the few-shot labels e_t: when it reaches 0 (a dead ReLU), S aggregates nothing.
    ``box_encoding_dropout`` (not in the paper) zeroes m_t for that share of the training sequences, so
    the decoder must learn to use the aggregated scores s_t and ŝ_t rather than the box encoding alone.
    """

    def __init__(self, net: nn.Module, objective: nn.Module, loss_weight: float = 100.0,
                 num_iter: Optional[int] = None, solver: str = DEFAULT_SOLVER, disable_all_bn: bool = True,
                 box_encoding_dropout: float = 0.0):
        self.net = net
        self.objective = objective
        self.loss_weight = loss_weight
        self.num_iter = num_iter
        self.solver = solver
        self.disable_all_bn = disable_all_bn
        self.box_encoding_dropout = box_encoding_dropout
        self._e_positive: Optional[float] = None
        bbox_encoder = getattr(unwrap(net), "bbox_encoder", None)
        if bbox_encoder is not None:
            bbox_encoder.register_forward_hook(self._record_e)

    def _record_e(self, module: nn.Module, inputs, outputs) -> None:
        self._e_positive = (outputs[0].detach() > 0).float().mean().item()

    def __call__(self, data: Dict[str, torch.Tensor]) -> Tuple[torch.Tensor, Dict[str, float]]:
        drop = None
        if self.box_encoding_dropout > 0:  # per sequence: segment from the aggregated scores alone
            drop = torch.rand(data["boxes"].shape[1], device=data["boxes"].device) < self.box_encoding_dropout
        initial, refined = self.net(data["images"], data["boxes"], num_iter=self.num_iter,
                                    solver=self.solver, drop_box_encoding=drop)
        masks = data["masks"]
        loss_initial = self.objective(initial, masks)
        loss_refined = self.objective(refined, masks)
        loss = self.loss_weight * (loss_initial + loss_refined)
        if not torch.isfinite(loss):
            raise RuntimeError(f"non-finite loss {loss.item()} (initial {loss_initial.item()}, "
                               f"refined {loss_refined.item()})")
        stats = {"Loss/total": loss.item(), "Loss/segm_initial": loss_initial.item(),
                 "Loss/segm_refined": loss_refined.item(), "J/initial": jaccard(initial, masks).item(),
                 "J/refined": jaccard(refined, masks).item()}
        if self._e_positive is not None:
            stats["Stats/e_positive"] = self._e_positive
        return loss, stats

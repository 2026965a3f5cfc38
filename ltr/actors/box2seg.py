"""The box2seg training step: forward, loss (paper eq. 4) and statistics."""
from __future__ import annotations

from typing import Dict, Optional, Tuple

import torch
import torch.nn as nn


def jaccard(logits: torch.Tensor, masks: torch.Tensor) -> torch.Tensor:
    """Mean IoU of (logits > 0) against binary masks over the leading dims; both empty counts as 1."""
    pred = logits.detach() > 0
    gt = masks > 0.5
    inter = (pred & gt).flatten(-2).sum(-1).float()
    union = (pred | gt).flatten(-2).sum(-1).float()
    return torch.where(union > 0, inter / union.clamp(min=1), torch.ones_like(union)).mean()


class Box2SegActor:
    """L = w · (L_Lovász(y, M) + L_Lovász(ŷ, M)) on the initial and refined logits (eq. 4).

    ``solver`` is S's steepest-descent solver ('gemm' or the official 'double_backward': the same maths).
    ``disable_all_bn`` keeps every BatchNorm on its running statistics, as the official setting
    does (the batch of 4 sequences is too small for batch statistics).
    """

    def __init__(self, net: nn.Module, objective: nn.Module, loss_weight: float = 100.0,
                 num_iter: Optional[int] = None, solver: str = "gemm", disable_all_bn: bool = True):
        self.net = net
        self.objective = objective
        self.loss_weight = loss_weight
        self.num_iter = num_iter
        self.solver = solver
        self.disable_all_bn = disable_all_bn

    def train(self, mode: bool = True) -> None:
        self.net.train(mode)
        if self.disable_all_bn:
            self.net.eval()

    def __call__(self, data: Dict[str, torch.Tensor]) -> Tuple[torch.Tensor, Dict[str, float]]:
        initial, refined = self.net(data["images"], data["boxes"], num_iter=self.num_iter, solver=self.solver)
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
        return loss, stats

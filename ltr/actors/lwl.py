"""The LWL training step (facts §5.7): segment the test frames from the train frame's mask, Lovász loss."""
from __future__ import annotations

from typing import Dict, Tuple

import torch
import torch.nn as nn

from ltr.actors.base import Actor
from ltr.actors.box2seg import jaccard
from ltr.models.meta.solvers import DEFAULT_SOLVER, check_solver


class LWLActor(Actor):
    """L = w · L_Lovász(test logits, test masks), the test frames predicted one after another with
    ``num_refinement_iter`` filter refinement steps between them; ``solver`` is the target model's
    steepest-descent solver ('gemm' or the official 'double_backward': the same maths)."""

    def __init__(self, net: nn.Module, objective: nn.Module, loss_weight: float = 100.0,
                 num_refinement_iter: int = 2, solver: str = DEFAULT_SOLVER, disable_all_bn: bool = True):
        self.net = net
        self.objective = objective
        self.loss_weight = loss_weight
        self.num_refinement_iter = num_refinement_iter
        self.solver = check_solver(solver)
        self.disable_all_bn = disable_all_bn

    def __call__(self, data: Dict[str, torch.Tensor]) -> Tuple[torch.Tensor, Dict[str, float]]:
        """data: train_images (1,B,3,H,W), train_masks (1,B,H,W), test_images (T,B,3,H,W), test_masks (T,B,H,W)."""
        masks = data["test_masks"]
        logits = self.net(data["train_images"], data["test_images"], data["train_masks"], masks,
                          num_refinement_iter=self.num_refinement_iter, solver=self.solver)
        loss_segm = self.objective(logits, masks)
        loss = self.loss_weight * loss_segm
        if not torch.isfinite(loss):
            raise RuntimeError(f"non-finite loss {loss.item()}")
        stats = {"Loss/total": loss.item(), "Loss/segm": loss_segm.item(), "J/test": jaccard(logits, masks).item()}
        return loss, stats

"""Lovász losses: convex surrogates of the Jaccard loss 1 − IoU (Berman et al., CVPR 2018).

The paper trains with a Lovász loss on the initial and refined masks (eq. 4). The official setting
uses the Lovász-softmax form on sigmoid probabilities over all pixels of the batch
(``LovaszSegLoss(per_image=False)``, facts §5.8); the binary hinge form is kept as an option.
"""
from __future__ import annotations

import torch
import torch.nn as nn


def lovasz_grad(gt_sorted: torch.Tensor) -> torch.Tensor:
    """Gradient of the Lovász extension of the Jaccard loss w.r.t. sorted errors."""
    gts = gt_sorted.sum()
    intersection = gts - gt_sorted.cumsum(0)
    union = gts + (1.0 - gt_sorted).cumsum(0)
    jaccard = 1.0 - intersection / union
    if gt_sorted.numel() > 1:
        jaccard[1:] = jaccard[1:] - jaccard[:-1]
    return jaccard


def _lovasz_flat(errors: torch.Tensor, fg: torch.Tensor) -> torch.Tensor:
    """Lovász extension at the error vector: sorted errors · Jaccard-loss increments."""
    errors_sorted, perm = torch.sort(errors, descending=True)
    return torch.dot(errors_sorted, lovasz_grad(fg[perm]))


def lovasz_hinge(logits: torch.Tensor, labels: torch.Tensor, per_image: bool = True) -> torch.Tensor:
    """Binary Lovász hinge on logits (N,H,W) vs labels (N,H,W) in {0,1}; 0 once every pixel has margin 1."""
    def flat(lg: torch.Tensor, lb: torch.Tensor) -> torch.Tensor:
        lg, lb = lg.reshape(-1), lb.reshape(-1).to(lg.dtype)
        return _lovasz_flat(torch.relu(1.0 - lg * (2.0 * lb - 1.0)), lb)

    if per_image:
        return torch.stack([flat(lg, lb) for lg, lb in zip(logits, labels)]).mean()
    return flat(logits, labels)


def lovasz_sigmoid(logits: torch.Tensor, labels: torch.Tensor, per_image: bool = False) -> torch.Tensor:
    """Lovász on |fg − sigmoid(logits)| (the official LovaszSegLoss with one class)."""
    def flat(lg: torch.Tensor, lb: torch.Tensor) -> torch.Tensor:
        fg = (lb.reshape(-1) == 1).to(lg.dtype)
        return _lovasz_flat((fg - torch.sigmoid(lg.reshape(-1))).abs(), fg)

    if per_image:
        return torch.stack([flat(lg, lb) for lg, lb in zip(logits, labels)]).mean()
    return flat(logits, labels)


class LovaszSegLoss(nn.Module):
    """The segmentation loss of the official setting; ``kind='hinge'`` selects the hinge form."""

    def __init__(self, per_image: bool = False, kind: str = "sigmoid"):
        super().__init__()
        if kind not in ("sigmoid", "hinge"):
            raise ValueError(f"unknown Lovász loss kind {kind!r}")
        self.per_image = per_image
        self.kind = kind

    def forward(self, logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        # bf16/fp16 logits are scored in fp32: sorting and cumulative sums need the precision.
        logits = logits.reshape(-1, *logits.shape[-2:])
        logits = logits.to(torch.promote_types(logits.dtype, torch.float32))
        labels = labels.reshape(-1, *labels.shape[-2:])
        fun = lovasz_sigmoid if self.kind == "sigmoid" else lovasz_hinge
        return fun(logits, labels, per_image=self.per_image)

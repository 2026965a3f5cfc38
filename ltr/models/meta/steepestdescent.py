"""Unrolled Gauss-Newton steepest descent, generic over a residual module.

Minimises L(z) = 1/2 ||r(z)||² by z <- z - α g with g = J^T r and the Gauss-Newton optimal step
α = ||g||² / ||J g||² per sequence. Every step is differentiable, so the network learns through the
optimiser (and learns the regulariser inside the residual). J^T r and J g come from double backward,
as in the official implementation, or from the residual's closed forms when it provides them
(``jacobian_transpose`` / ``jacobian``) and ``closed_form=True``: the same maths, far fewer kernels.
"""
from __future__ import annotations

import contextlib
from typing import List, Optional, Tuple

import torch
import torch.nn as nn

TensorList = List[torch.Tensor]


def _sum_except(t: torch.Tensor, dim: int) -> torch.Tensor:
    """Sum over all dimensions but ``dim``."""
    dims = [d for d in range(t.dim()) if d != dim]
    return t.sum(dim=dims) if dims else t


class GNSteepestDescent(nn.Module):
    """Gauss-Newton steepest descent on a residual module's objective."""

    def __init__(self, residual_module: nn.Module, num_iter: int = 1, compute_losses: bool = False,
                 detach_length: float = float("inf"), parameter_batch_dim: int = 0, residual_batch_dim: int = 0,
                 steplength_reg: float = 0.0, closed_form: bool = False):
        super().__init__()
        self.residual_module = residual_module
        self.num_iter = num_iter
        self.compute_losses = compute_losses
        self.detach_length = detach_length
        self.parameter_batch_dim = parameter_batch_dim
        self.residual_batch_dim = residual_batch_dim
        self.steplength_reg = steplength_reg
        self.closed_form = closed_form

    @staticmethod
    def _loss(residuals: TensorList) -> torch.Tensor:
        return sum((r * r).sum() for r in residuals) / sum(r.numel() for r in residuals)

    def _gradient_and_curvature(self, params: TensorList, residuals: TensorList, kwargs: dict, closed_form: bool
                                ) -> Tuple[TensorList, TensorList]:
        """(g, h) = (J^T r, J g)."""
        if closed_form:
            g = self.residual_module.jacobian_transpose(params, residuals, **kwargs)
            return g, self.residual_module.jacobian(params, g, **kwargs)
        u = [r.clone() for r in residuals]
        g = list(torch.autograd.grad(residuals, params, u, create_graph=True))
        h = list(torch.autograd.grad(g, u, g, create_graph=True))
        return g, h

    def forward(self, meta_parameter: TensorList, num_iter: Optional[int] = None, closed_form: Optional[bool] = None,
                **kwargs) -> Tuple[TensorList, List[TensorList], List[torch.Tensor]]:
        """Returns (final parameters, iterates including the start, losses if computed).

        ``num_iter`` and ``closed_form`` override the constructor's values for this call.
        """
        num_iter = self.num_iter if num_iter is None else num_iter
        closed_form = self.closed_form if closed_form is None else closed_form
        if closed_form and not hasattr(self.residual_module, "jacobian"):
            raise ValueError(f"{type(self.residual_module).__name__} has no closed-form Jacobian products")
        grad_was_enabled = torch.is_grad_enabled()
        params = list(meta_parameter)
        iterates, losses = [params], []
        # Double backward needs autograd even at inference; the closed forms do not.
        with contextlib.nullcontext() if closed_form else torch.enable_grad():
            for i in range(num_iter):
                if i > 0 and i % self.detach_length == 0:
                    params = [p.detach() for p in params]
                if not closed_form:
                    params = [p if p.requires_grad else p.requires_grad_(True) for p in params]
                residuals = self.residual_module(params, **kwargs)
                if self.compute_losses:
                    losses.append(self._loss(residuals))
                g, h = self._gradient_and_curvature(params, residuals, kwargs, closed_form)
                ip_gg = sum(_sum_except(a * a, self.parameter_batch_dim) for a in g)
                ip_hh = sum(_sum_except(a * a, self.residual_batch_dim) for a in h)
                alpha = ip_gg / (ip_hh + self.steplength_reg * ip_gg).clamp(min=1e-8)
                params = [p - alpha.view(-1, *[1] * (p.dim() - 1)) * d for p, d in zip(params, g)]
                iterates.append(params)
            if self.compute_losses:
                losses.append(self._loss(self.residual_module(params, **kwargs)))
        if not grad_was_enabled:
            params = [p.detach() for p in params]
            iterates = [[p.detach() for p in it] for it in iterates]
            losses = [loss.detach() for loss in losses]
        return params, iterates, losses

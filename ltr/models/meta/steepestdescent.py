"""Unrolled Gauss-Newton steepest descent, generic over a residual module.

Minimises L(z) = 1/2 ||r(z)||² by z <- z - α g with g = J^T r and the Gauss-Newton optimal step
α = ||g||² / ||J g||² per sequence. Every step is differentiable, so the network learns through the
optimiser (and learns the regulariser inside the residual). Two solvers, the same iterates:

- ``"double_backward"``, the official maths: J^T r and J g by differentiating the residual twice.
- ``"gemm"`` (default): the residual module's ``linear_operator`` gives J^T r and J g in closed form
  (batched matmuls where gradients are recorded, convolutions where not: ``ltr.models.layers.filter``);
  since the residual is affine, r(z - αg) = r(z) - α J g updates it without recomputing it. Two
  products per iteration instead of a convolution and its double backward.
"""
from __future__ import annotations

from typing import List, Optional, Tuple

import torch
import torch.nn as nn

from ltr.models.meta.solvers import DEFAULT_SOLVER, check_solver

TensorList = List[torch.Tensor]


def _sum_except(t: torch.Tensor, dim: int) -> torch.Tensor:
    """Sum over all dimensions but ``dim``."""
    dims = [d for d in range(t.dim()) if d != dim]
    return t.sum(dim=dims) if dims else t


class GNSteepestDescent(nn.Module):
    """Gauss-Newton steepest descent on a residual module's objective."""

    def __init__(self, residual_module: nn.Module, num_iter: int = 1, compute_losses: bool = False,
                 detach_length: float = float("inf"), parameter_batch_dim: int = 0, residual_batch_dim: int = 0,
                 steplength_reg: float = 0.0, solver: str = DEFAULT_SOLVER):
        super().__init__()
        self.residual_module = residual_module
        self.num_iter = num_iter
        self.compute_losses = compute_losses
        self.detach_length = detach_length
        self.parameter_batch_dim = parameter_batch_dim
        self.residual_batch_dim = residual_batch_dim
        self.steplength_reg = steplength_reg
        self.solver = check_solver(solver)

    def resolve_solver(self, solver: Optional[str]) -> str:
        """The solver a call with ``solver`` uses (None: the constructor's)."""
        return self.solver if solver is None else check_solver(solver)

    def _step_length(self, g: TensorList, h: TensorList, residual_batch_dim: int) -> torch.Tensor:
        """α = ||g||² / (||J g||² + steplength_reg ||g||²) per sequence."""
        ip_gg = sum(_sum_except(a * a, self.parameter_batch_dim) for a in g)
        ip_hh = sum(_sum_except(a * a, residual_batch_dim) for a in h)
        return ip_gg / (ip_hh + self.steplength_reg * ip_gg).clamp(min=1e-8)

    def forward(self, meta_parameter: TensorList, num_iter: Optional[int] = None, solver: Optional[str] = None,
                compute_losses: Optional[bool] = None, **kwargs
                ) -> Tuple[TensorList, List[TensorList], List[torch.Tensor]]:
        """Returns (final parameters, iterates including the start, losses if computed).

        ``num_iter``, ``solver`` and ``compute_losses`` override the constructor's values for this call;
        ``kwargs`` go to the residual module (the GEMM form also takes ``feat_stack``).
        """
        num_iter = self.num_iter if num_iter is None else num_iter
        compute_losses = self.compute_losses if compute_losses is None else compute_losses
        grad_was_enabled = torch.is_grad_enabled()
        if self.resolve_solver(solver) == "gemm":
            params, iterates, losses = self._gemm(list(meta_parameter), num_iter, compute_losses, kwargs)
        else:
            params, iterates, losses = self._double_backward(list(meta_parameter), num_iter, compute_losses, kwargs)
        if not grad_was_enabled:
            params = [p.detach() for p in params]
            iterates = [[p.detach() for p in it] for it in iterates]
            losses = [loss.detach() for loss in losses]
        return params, iterates, losses

    def _detach_now(self, i: int) -> bool:
        return i > 0 and i % self.detach_length == 0

    def _double_backward(self, params: TensorList, num_iter: int, compute_losses: bool, kwargs: dict
                         ) -> Tuple[TensorList, List[TensorList], List[torch.Tensor]]:
        """The official iteration: g and h = J g from autograd (which needs grad even at inference)."""
        def loss(residuals: TensorList) -> torch.Tensor:
            return sum((r * r).sum() for r in residuals) / sum(r.numel() for r in residuals)

        iterates, losses = [params], []
        with torch.enable_grad():
            for i in range(num_iter):
                if self._detach_now(i):
                    params = [p.detach() for p in params]
                params = [p if p.requires_grad else p.requires_grad_(True) for p in params]
                residuals = self.residual_module(params, **kwargs)
                if compute_losses:
                    losses.append(loss(residuals))
                u = [r.clone() for r in residuals]
                g = list(torch.autograd.grad(residuals, params, u, create_graph=True))
                h = list(torch.autograd.grad(g, u, g, create_graph=True))
                alpha = self._step_length(g, h, self.residual_batch_dim)
                params = [p - alpha.view(-1, *[1] * (p.dim() - 1)) * d for p, d in zip(params, g)]
                iterates.append(params)
            if compute_losses:
                losses.append(loss(self.residual_module(params, **kwargs)))
        return params, iterates, losses

    def _gemm(self, params: TensorList, num_iter: int, compute_losses: bool, kwargs: dict
              ) -> Tuple[TensorList, List[TensorList], List[torch.Tensor]]:
        """The same iteration with the residual module's closed-form products (residuals sequence-first)."""
        operator = self.residual_module.linear_operator(params, **kwargs)

        def loss(residuals: TensorList) -> torch.Tensor:
            return sum((r * r).sum() for r in residuals) / operator.numel

        iterates, losses = [params], []
        residuals = operator.residuals(params)
        for i in range(num_iter):
            if self._detach_now(i):
                params = [p.detach() for p in params]
                residuals = operator.residuals(params)
            if compute_losses:
                losses.append(loss(residuals))
            g = operator.jacobian_transpose(residuals)
            h = operator.jacobian(g)
            alpha = self._step_length(g, h, 0)
            params = [p - alpha.view(-1, *[1] * (p.dim() - 1)) * d for p, d in zip(params, g)]
            residuals = [r - alpha.view(-1, *[1] * (r.dim() - 1)) * d for r, d in zip(residuals, h)]
            iterates.append(params)
        if compute_losses:
            losses.append(loss(residuals))
        return params, iterates, losses

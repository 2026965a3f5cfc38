"""The names of the steepest-descent solvers and the default one (torch-free, so command lines can offer
them quickly)."""
from __future__ import annotations

SOLVERS = ("gemm", "double_backward")
DEFAULT_SOLVER = "gemm"  # closed-form products, no autograd; "double_backward" is the official maths


def check_solver(solver: str) -> str:
    """``solver`` if it names one of ``SOLVERS``, else a ValueError."""
    if solver not in SOLVERS:
        raise ValueError(f"unknown steepest-descent solver {solver!r}; choose from {SOLVERS}")
    return solver

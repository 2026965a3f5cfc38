"""The names of the steepest-descent solvers (torch-free, so command lines can offer them quickly)."""
from __future__ import annotations

SOLVERS = ("gemm", "double_backward")


def check_solver(solver: str) -> str:
    """``solver`` if it names one of ``SOLVERS``, else a ValueError."""
    if solver not in SOLVERS:
        raise ValueError(f"unknown steepest-descent solver {solver!r}; choose from {SOLVERS}")
    return solver

"""The aggregation S's solver: every step lowers objective (2b); run long it reaches the
closed-form least-squares filter; the GEMM solver gives the official double backward's iterates,
losses, outputs and gradients (float64 and float32), also in inference mode; its backward runs no
convolution."""
import pytest
import torch

from ltr.models.box2seg.aggregation import least_squares_filter, spatio_temporal_aggregation
from ltr.models.layers.filter import apply_filter


@pytest.fixture(autouse=True)
def _one_thread(one_thread):
    """Every test here runs with one intra-op thread (see tests/conftest.py)."""


def small_problem(seed: int = 0, frames: int = 3, seqs: int = 2, channels: int = 4, filters: int = 2, size: int = 6):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(frames, seqs, channels, size, size, generator=g, dtype=torch.float64)
    e = torch.randn(frames, seqs, filters, size, size, generator=g, dtype=torch.float64)
    w = torch.rand(frames, seqs, filters, size, size, generator=g, dtype=torch.float64) + 0.5
    return x, e, w


def aggregation(num_iter: int, reg: float = 0.3):
    s = spatio_temporal_aggregation(3, 2, 4, num_iter, reg, float("inf")).double()
    return s


def objective(s, x, e, w, z):
    """(2b) exactly as the paper writes it, per sequence: sum_t ||w (x*z - e)||^2 + λ^2 ||z||^2."""
    lam = s.filter_optimizer.residual_module.filter_reg
    data = (w * (apply_filter(x, z) - e)) ** 2
    return data.sum(dim=(0, 2, 3, 4)) + lam ** 2 * (z ** 2).sum(dim=(1, 2, 3, 4))


def test_every_step_lowers_the_objective():
    x, e, w = small_problem()
    s = aggregation(num_iter=20)
    _, iterates, losses = s.get_filter(x, e, w)
    values = torch.stack([objective(s, x, e, w, z) for z in iterates])  # (iters+1, seqs)
    assert (values[1:] < values[:-1]).all(), values
    assert all(b < a for a, b in zip(losses[:-1], losses[1:]))


def test_long_run_reaches_least_squares_solution():
    x, e, w = small_problem(seed=1)
    s = aggregation(num_iter=3000, reg=0.5)
    z, _, _ = s.get_filter(x, e, w, solver="gemm")
    for b in range(x.shape[1]):
        exact = least_squares_filter(x[:, b], e[:, b], w[:, b], 0.5, 3)
        assert torch.allclose(z[b], exact, atol=1e-6), (z[b] - exact).abs().max()


def solve_both(dtype: torch.dtype, num_iter: int = 5, sample_weight: str = "element"):
    """Iterates, losses, scores and the gradients of a scalar of the scores w.r.t. x, e, w and λ, per solver."""
    x, e, w = (t.to(dtype) for t in small_problem(seed=2))
    w = {"element": w, "frame": w[:, 0, 0, 0, 0].contiguous(), "none": None}[sample_weight]
    s = aggregation(num_iter=num_iter).to(dtype)
    lam = s.filter_optimizer.residual_module.filter_reg
    leaves = [t.requires_grad_(True) for t in (x, e) + (() if w is None else (w,))] + [lam]
    out = {}
    for solver in ("double_backward", "gemm"):
        z, iterates, losses = s.get_filter(x, e, w, solver=solver)
        scores = apply_filter(x, z)
        grads = torch.autograd.grad((scores * torch.linspace(-1, 1, scores.numel(), dtype=dtype).view(scores.shape))
                                    .sum(), leaves)
        out[solver] = {"iterates": torch.stack(iterates), "losses": torch.stack(losses), "scores": scores,
                       "grads": grads}
    return out["double_backward"], out["gemm"]


@pytest.mark.parametrize("sample_weight", ["element", "frame", "none"])
def test_gemm_equals_double_backward_float64(sample_weight):
    official, gemm = solve_both(torch.float64, sample_weight=sample_weight)
    for key in ("iterates", "losses", "scores"):
        torch.testing.assert_close(gemm[key], official[key], rtol=0, atol=1e-10, msg=key)
    for a, b in zip(gemm["grads"], official["grads"]):
        torch.testing.assert_close(a, b, rtol=0, atol=1e-10)


def test_gemm_equals_double_backward_float32():
    official, gemm = solve_both(torch.float32, num_iter=15)
    for key in ("iterates", "losses", "scores"):
        torch.testing.assert_close(gemm[key], official[key], rtol=1e-4, atol=1e-5, msg=key)
    for a, b in zip(gemm["grads"], official["grads"]):
        torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-4)


def test_gemm_equals_double_backward_in_inference_mode():
    """As annotation runs them: the GEMM solver under inference mode (its products then take the convolution
    form), the official one under no_grad."""
    x, e, w = small_problem(seed=7)
    s = aggregation(num_iter=15)
    with torch.no_grad():
        official, z_official = s(x, e, w, solver="double_backward")
    with torch.inference_mode():
        gemm, z_gemm = s(x, e, w, solver="gemm")
    torch.testing.assert_close(z_gemm, z_official, rtol=0, atol=1e-10)
    torch.testing.assert_close(gemm, official, rtol=0, atol=1e-10)


def test_aggregation_output_is_the_same_with_either_solver():
    """S's scores s = x * z in float32 (the GEMM solver also applies z in GEMM form), on shared stacks."""
    x, e, w = (t.float() for t in small_problem(seed=4))
    s = aggregation(num_iter=15).float()
    official, z_official = s(x, e, w, solver="double_backward")
    gemm, z_gemm = s(x, e, w, solver="gemm", x_stack=s.stack_features(x, "gemm"))
    torch.testing.assert_close(z_gemm, z_official, rtol=1e-4, atol=1e-5)
    torch.testing.assert_close(gemm, official, rtol=1e-4, atol=1e-5)
    assert s.stack_features(x, "double_backward") is None


def test_gemm_backward_runs_matmuls_not_convolutions():
    """Training through S costs batched matmuls: no convolution (whose weight-gradient kernel would be
    a whole residual map) in the forward or the backward of the GEMM solver."""
    x, e, w = (t.float().requires_grad_(True) for t in small_problem(seed=5))
    s = aggregation(num_iter=3).float()
    with torch.profiler.profile(activities=[torch.profiler.ProfilerActivity.CPU]) as prof:
        scores, _ = s(x, e, w, solver="gemm")
        scores.square().sum().backward()
    ops = {event.key for event in prof.key_averages()}
    assert "aten::bmm" in ops and not any("conv" in op for op in ops), sorted(ops)
    assert x.grad is not None and s.filter_optimizer.residual_module.filter_reg.grad is not None


def test_unknown_solver_is_refused():
    x, e, w = small_problem()
    with pytest.raises(ValueError, match="closed_form"):
        aggregation(num_iter=1).get_filter(x, e, w, solver="closed_form")


def test_no_grad_caller_gets_detached_results():
    x, e, w = small_problem(seed=3)
    s = aggregation(num_iter=3)
    with torch.no_grad():
        z, iterates, losses = s.get_filter(x, e, w)
    assert not z.requires_grad and not iterates[-1].requires_grad and not losses[0].requires_grad


@pytest.mark.parametrize("solver", ["gemm", "double_backward"])
def test_solved_in_fp32_under_bf16_autocast(solver):
    """Step lengths are ratios of small sums: S runs in fp32 even when the rest of the network is bf16."""
    x, e, w = (t.to(torch.bfloat16) for t in small_problem(seed=6))
    s = aggregation(num_iter=3).float()
    with torch.autocast("cpu", dtype=torch.bfloat16):
        scores, z = s(x, e, w, solver=solver)
    assert scores.dtype == z.dtype == torch.float32
    reference, _ = s(x.float(), e.float(), w.float(), solver=solver)
    torch.testing.assert_close(scores, reference)

"""The aggregation S's solver: every step lowers objective (2b); run long it reaches the
closed-form least-squares filter; closed-form Jacobian products equal double backward."""
import torch

from ltr.models.box2seg.aggregation import least_squares_filter, spatio_temporal_aggregation


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
    from ltr.models.layers.filter import apply_filter
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
    z, _, _ = s.get_filter(x, e, w, closed_form=True)
    for b in range(x.shape[1]):
        exact = least_squares_filter(x[:, b], e[:, b], w[:, b], 0.5, 3)
        assert torch.allclose(z[b], exact, atol=1e-6), (z[b] - exact).abs().max()


def test_closed_form_equals_double_backward_including_gradients():
    x, e, w = small_problem(seed=2)
    x.requires_grad_(True)
    s = aggregation(num_iter=5)
    out = {}
    for closed in (False, True):
        z, _, losses = s.get_filter(x, e, w, closed_form=closed)
        grads = torch.autograd.grad((z ** 2).sum(), (x, s.filter_optimizer.residual_module.filter_reg))
        out[closed] = (z, grads, torch.stack(losses))
    assert torch.allclose(out[False][0], out[True][0], atol=1e-12)
    assert torch.allclose(out[False][2], out[True][2], atol=1e-12)
    for a, b in zip(out[False][1], out[True][1]):
        assert torch.allclose(a, b, atol=1e-10)


def test_no_grad_caller_gets_detached_results():
    x, e, w = small_problem(seed=3)
    s = aggregation(num_iter=3)
    with torch.no_grad():
        z, iterates, losses = s.get_filter(x, e, w)
    assert not z.requires_grad and not iterates[-1].requires_grad and not losses[0].requires_grad

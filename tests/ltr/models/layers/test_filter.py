"""The stacked forms of filter application (GEMM form where gradients are recorded, convolution form
where not): equal to the per-frame convolution, their adjoint exact, frames never leak into each other
through the stacked layout."""
import pytest
import torch

from ltr.models.layers.filter import (FrameStack, apply_filter, apply_filter_stacked, correlate_stacked,
                                      filter_from_gemm, filter_to_gemm)


@pytest.fixture(autouse=True)
def _one_thread(one_thread):
    """Every test here runs with one intra-op thread (see tests/conftest.py)."""


# the form the stacked functions take: the GEMM form under autograd, the convolution form without it
FORMS = {"gemm": torch.enable_grad, "convolution": torch.no_grad}


def random_problem(frames=3, seqs=2, channels=5, filters=4, h=6, w=7, fs=3, seed=0):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(frames, seqs, channels, h, w, generator=g, dtype=torch.float64)
    z = torch.randn(seqs, filters, channels, fs, fs, generator=g, dtype=torch.float64)
    a = torch.randn(frames, seqs, filters, h, w, generator=g, dtype=torch.float64)
    return x, z, a


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize("fs", [1, 3, 5])
def test_stacked_application_equals_convolution(fs, form):
    x, z, _ = random_problem(fs=fs)
    stack = FrameStack.of(x, fs // 2)
    with FORMS[form]():
        got = stack.unstack(apply_filter_stacked(stack, z))
    torch.testing.assert_close(got, apply_filter(x, z), rtol=0, atol=1e-12)


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize("fs", [1, 3, 5])
def test_correlation_is_the_adjoint(fs, form):
    """<x * z, a> = <z, x ⋆ a>, and x ⋆ a equals autograd's filter gradient of the convolution."""
    x, z, a = random_problem(fs=fs, seed=1)
    stack = FrameStack.of(x, fs // 2)
    with FORMS[form]():
        g = correlate_stacked(stack, stack.like(a), fs)
    z.requires_grad_(True)
    (expected,) = torch.autograd.grad(apply_filter(x, z), z, a)
    torch.testing.assert_close(g, expected, rtol=0, atol=1e-12)


def test_layout_round_trips():
    x, z, _ = random_problem()
    torch.testing.assert_close(filter_from_gemm(filter_to_gemm(z), 3), z, rtol=0, atol=0)
    stack = FrameStack.of(x, 1)
    torch.testing.assert_close(stack.unstack(stack.data), x, rtol=0, atol=0)
    gaps = stack.data.view(2, 5, 3, 7, 7)[:, :, :, 6]
    assert stack.canvas == (21, 7) and not gaps.any()


@pytest.mark.parametrize("form", FORMS)
def test_frames_do_not_leak_into_each_other(form):
    """A frame's scores do not change when the other frames of the stack change."""
    x, z, _ = random_problem(seed=2)
    other = x.clone()
    other[[0, 2]] = torch.randn_like(other[[0, 2]]) * 100
    with FORMS[form]():
        middle = [FrameStack.of(t, 1).unstack(apply_filter_stacked(FrameStack.of(t, 1), z))[1] for t in (x, other)]
    torch.testing.assert_close(middle[0], middle[1], rtol=0, atol=1e-12)

"""Bicubic resizing as matrix products, and a convolution of a bicubic resize done before it: both equal
PyTorch's own kernels (values and gradients), also in inference mode and after it."""
import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

from ltr.models.layers.resize import bicubic_resize, conv_of_bicubic_resize


@pytest.fixture(autouse=True)
def _one_thread(one_thread):
    """Every test here runs with one intra-op thread (see tests/conftest.py)."""


def interpolate(x, size):
    return F.interpolate(x, size=size, mode="bicubic", align_corners=False)


SIZES = [((6, 10), (12, 20)),  # x2, the decoder's case
         ((5, 7), (13, 11)),  # other scales up
         ((9, 11), (4, 6)),  # down
         ((1, 3), (3, 8)),  # a single row: every tap clamps to it
         ((4, 4), (4, 4))]


@pytest.mark.parametrize("size_in, size_out", SIZES)
def test_bicubic_resize_equals_interpolate(size_in, size_out):
    x = torch.randn(2, 3, *size_in, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    torch.testing.assert_close(bicubic_resize(x, size_out), interpolate(x, size_out), rtol=0, atol=1e-12)


@pytest.mark.parametrize("size_in, size_out", SIZES)
def test_channels_last_resize_equals_interpolate_and_stays_channels_last(size_in, size_out):
    x = torch.randn(2, 3, *size_in, dtype=torch.float64, generator=torch.Generator().manual_seed(4))
    leaf = x.contiguous(memory_format=torch.channels_last).requires_grad_(True)
    got = bicubic_resize(leaf, size_out)
    assert got.is_contiguous(memory_format=torch.channels_last)
    torch.testing.assert_close(got, interpolate(x, size_out), rtol=0, atol=1e-12)
    weights = torch.randn(got.shape, dtype=torch.float64, generator=torch.Generator().manual_seed(5))
    (got * weights).sum().backward()
    reference = x.clone().requires_grad_(True)
    (interpolate(reference, size_out) * weights).sum().backward()
    torch.testing.assert_close(leaf.grad, reference.grad, rtol=0, atol=1e-12)


@pytest.mark.parametrize("size_in, size_out", SIZES)
@pytest.mark.parametrize("out_channels, k", [(1, 3), (2, 5), (3, 1)])
@pytest.mark.parametrize("channels_last", [False, True])
def test_conv_of_bicubic_resize_equals_conv_of_interpolate(size_in, size_out, out_channels, k, channels_last):
    g = torch.Generator().manual_seed(1)
    conv = nn.Conv2d(4, out_channels, k, padding=k // 2).double()
    with torch.no_grad():
        conv.weight.copy_(torch.randn(conv.weight.shape, generator=g, dtype=torch.float64))
        conv.bias.copy_(torch.randn(conv.bias.shape, generator=g, dtype=torch.float64))
    x = torch.randn(2, 4, *size_in, dtype=torch.float64, generator=g)
    x = x.contiguous(memory_format=torch.channels_last if channels_last else torch.contiguous_format)
    x.requires_grad_(True)
    got = conv_of_bicubic_resize(x, conv, size_out)
    grads = torch.autograd.grad(got.square().sum(), (x, conv.weight, conv.bias))
    expected = conv(interpolate(x, size_out))
    expected_grads = torch.autograd.grad(expected.square().sum(), (x, conv.weight, conv.bias))
    torch.testing.assert_close(got, expected, rtol=0, atol=1e-11)
    for a, b in zip(grads, expected_grads):
        torch.testing.assert_close(a, b, rtol=1e-10, atol=1e-10)


def test_conv_without_bias_and_float32():
    conv = nn.Conv2d(16, 1, 3, padding=1, bias=False)
    x = torch.randn(3, 16, 12, 20, generator=torch.Generator().manual_seed(2))
    with torch.no_grad():
        torch.testing.assert_close(conv_of_bicubic_resize(x, conv, (24, 40)), conv(interpolate(x, (24, 40))),
                                   rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("conv", [nn.Conv2d(2, 1, 3, padding=1, stride=2), nn.Conv2d(2, 1, 3, padding=0),
                                  nn.Conv2d(2, 1, 2, padding=1), nn.Conv2d(2, 1, 3, padding=1, dilation=2),
                                  nn.Conv2d(2, 2, 3, padding=1, groups=2),
                                  nn.Conv2d(2, 1, 3, padding=1, padding_mode="reflect")])
def test_other_convolutions_are_refused(conv):
    with pytest.raises(ValueError, match="not a plain"):
        conv_of_bicubic_resize(torch.zeros(1, 2, 4, 4), conv, (8, 8))


def test_matrices_made_in_inference_mode_do_not_leak_into_training():
    """The matrices are cached per device and dtype: one made under inference mode must not be handed to
    code that records gradients (autograd refuses to save inference tensors)."""
    x = torch.randn(1, 2, 7, 9, generator=torch.Generator().manual_seed(3))
    conv = nn.Conv2d(2, 1, 3, padding=1)
    with torch.inference_mode():
        bicubic_resize(x, (15, 17))
        conv_of_bicubic_resize(x, conv, (15, 17))
    leaf = x.clone().requires_grad_(True)
    (bicubic_resize(leaf, (15, 17)).sum() + conv_of_bicubic_resize(leaf, conv, (15, 17)).sum()).backward()
    assert leaf.grad is not None and conv.weight.grad is not None

"""Lovász losses: zero for perfect masks; equal to the Lovász extension computed by brute force."""
import itertools

import pytest
import torch

from ltr.models.loss.lovasz import LovaszSegLoss, lovasz_hinge, lovasz_sigmoid


def jaccard_loss_of_errors(mispredicted: torch.Tensor, fg: torch.Tensor) -> float:
    """Δ_J(M) = 1 - |fg \\ M| / |fg ∪ M| for the set M of mispredicted pixels."""
    union = (fg.bool() | mispredicted).sum().item()
    if union == 0:
        return 0.0
    return 1.0 - (fg.bool() & ~mispredicted).sum().item() / union


def lovasz_extension_brute_force(errors: torch.Tensor, fg: torch.Tensor) -> float:
    """∫_0^∞ Δ_J({i : e_i > t}) dt, integrated exactly between the sorted error levels."""
    levels = sorted(set([0.0] + errors.tolist()))
    total = 0.0
    for lo, hi in zip(levels[:-1], levels[1:]):
        total += (hi - lo) * jaccard_loss_of_errors(errors > lo, fg)
    return total


def test_perfect_masks_give_zero():
    labels = torch.zeros(2, 5, 6)
    labels[:, 1:4, 2:5] = 1
    logits = (labels * 2 - 1) * 50.0
    assert lovasz_hinge(logits, labels).item() == 0.0
    assert lovasz_sigmoid(logits, labels).item() == pytest.approx(0.0, abs=1e-12)


@pytest.mark.parametrize("seed", range(5))
def test_hinge_equals_brute_force_extension(seed):
    g = torch.Generator().manual_seed(seed)
    logits = torch.randn(1, 3, 3, generator=g, dtype=torch.float64) * 2
    labels = (torch.rand(1, 3, 3, generator=g) > 0.5).double()
    errors = torch.relu(1 - logits * (2 * labels - 1)).flatten()
    expected = lovasz_extension_brute_force(errors, labels.flatten())
    assert lovasz_hinge(logits, labels).item() == pytest.approx(expected, abs=1e-10)


@pytest.mark.parametrize("seed", range(5))
def test_sigmoid_form_equals_brute_force_extension(seed):
    g = torch.Generator().manual_seed(100 + seed)
    logits = torch.randn(2, 2, 3, generator=g, dtype=torch.float64) * 2
    labels = (torch.rand(2, 2, 3, generator=g) > 0.4).double()
    errors = (labels - torch.sigmoid(logits)).abs().flatten()
    expected = lovasz_extension_brute_force(errors, labels.flatten())
    assert LovaszSegLoss(per_image=False)(logits, labels).item() == pytest.approx(expected, abs=1e-10)


def test_exhaustive_binary_predictions_give_jaccard_loss():
    """For 0/1 errors the extension equals the Jaccard loss itself (all 2^6 predictions)."""
    fg = torch.tensor([1.0, 1, 0, 0, 1, 0])
    for bits in itertools.product([0.0, 1.0], repeat=6):
        pred = torch.tensor(bits)
        logits = (pred * 2 - 1) * 1.0  # margin exactly 1: hinge errors are 0 or 2
        errors = torch.relu(1 - logits * (2 * fg - 1))
        expected = 2 * jaccard_loss_of_errors(errors > 0, fg)
        assert lovasz_hinge(logits.view(1, 2, 3), fg.view(1, 2, 3)).item() == pytest.approx(expected)

"""evaluate_masks.py --zero-scores: the ablated copy of a network segments without what S and Ŝ aggregate, the
original is left as it was, and the learned λ of both stages are reported."""
import pytest
import torch

from ltr.models.box2seg.box2seg_net import steepest_descent_resnet50
from pytracking.evaluation.box2seg_method import aggregation_parameters, without_aggregated_scores

H, W = 64, 96


@pytest.fixture(autouse=True)
def _one_thread(one_thread):
    """One intra-op thread (see tests/conftest.py)."""


def inputs(frames: int = 3):
    g = torch.Generator().manual_seed(0)
    images = torch.randn(frames, 1, 3, H, W, generator=g) * 50
    boxes = torch.tensor([12.0, 10.0, 40.0, 30.0]).repeat(frames, 1, 1)
    boxes[..., :2] += torch.randint(0, 8, (frames, 1, 2), generator=g)
    return images, boxes


def decoder_inputs(net, images, boxes):
    """What the decoder sees in both stages: [m_t, s_t] along channels, (T,B,2K,h,w) each."""
    seen = []
    handle = net.decoder.register_forward_hook(lambda module, args, out: seen.append(args[0].clone()))
    with torch.no_grad():
        net(images, boxes)
    handle.remove()
    return seen


def test_the_copy_decodes_zeros_in_place_of_the_aggregated_scores_and_the_original_is_untouched():
    torch.manual_seed(0)
    net = steepest_descent_resnet50().eval()
    ablated = without_aggregated_scores(net)
    images, boxes = inputs()
    original, zeroed = decoder_inputs(net, images, boxes), decoder_inputs(ablated, images, boxes)
    k = 16  # num_filters: channels of m_t and of s_t
    assert len(original) == len(zeroed) == 2  # initial and refined stage
    assert torch.equal(original[0][:, :, :k], zeroed[0][:, :, :k])  # m_t unchanged
    for scores in original:
        assert scores[:, :, k:].abs().max() > 0.1  # the original decodes s_t and ŝ_t
    for scores in zeroed:
        assert not scores[:, :, k:].any()


def test_networks_without_aggregated_scores_are_refused():
    with pytest.raises(ValueError, match="SingleImage"):
        without_aggregated_scores(steepest_descent_resnet50(variant="SingleImage"))


def test_lambda_of_both_stages_is_reported():
    net = steepest_descent_resnet50()
    with torch.no_grad():
        net.target_model.filter_optimizer.residual_module.filter_reg.fill_(0.25)
        net.target_model_segm.filter_optimizer.residual_module.filter_reg.fill_(-0.5)  # λ enters squared
    assert aggregation_parameters(net) == {"lambda_S": 0.25, "lambda_S_hat": 0.5}
    assert aggregation_parameters(steepest_descent_resnet50(variant="MultiFrame+")) == {"lambda_S": pytest.approx(0.01)}

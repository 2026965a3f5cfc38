"""Table 3's alternatives to S: they build, run, train (gradients), keep the network's other parameter
names, survive a checkpoint round trip, and 'concat' refuses any other T; the default net is unchanged."""
from __future__ import annotations

import pytest
import torch

from ltr.admin.loading import load_network, save_checkpoint
from ltr.models.box2seg.aggregation import AttentionAggregation, ConcatAggregation
from ltr.models.box2seg.box2seg_net import steepest_descent_resnet50

H, W = 64, 96
ALTERNATIVES = {"attention": AttentionAggregation, "concat": ConcatAggregation}


@pytest.fixture(autouse=True)
def _one_thread(one_thread):
    """Every test here runs with one intra-op thread (see tests/conftest.py)."""


@pytest.fixture(scope="module")
def default_keys():
    return list(steepest_descent_resnet50().state_dict())


def inputs(frames: int, seqs: int = 2):
    g = torch.Generator().manual_seed(frames)
    boxes = torch.tensor([12.0, 10.0, 40.0, 30.0]).repeat(frames, seqs, 1)
    boxes[..., :2] += torch.randint(0, 8, (frames, seqs, 2), generator=g)
    return torch.randn(frames, seqs, 3, H, W, generator=g) * 50, boxes


def test_default_network_is_unchanged(default_keys):
    explicit = steepest_descent_resnet50(aggregation="steepest_descent", aggregation_frames=5)
    assert list(explicit.state_dict()) == default_keys
    assert not any("aggregator" in k for k in default_keys)
    assert type(explicit.target_model).kind == "steepest_descent"


@pytest.mark.parametrize("kind", ALTERNATIVES)
def test_alternative_runs_and_its_parameters_get_gradients(kind, default_keys):
    torch.manual_seed(0)
    net = steepest_descent_resnet50(aggregation=kind).train()
    assert isinstance(net.target_model, ALTERNATIVES[kind]) and isinstance(net.target_model_segm, ALTERNATIVES[kind])
    keys = list(net.state_dict())
    # Outside S and Ŝ every name is the default's; x_t's extractor keeps its name too.
    outside = [k for k in default_keys if not k.startswith("target_model") or ".feature_extractor." in k]
    assert [k for k in keys if not k.startswith("target_model") or ".feature_extractor." in k] == outside
    initial, refined = net(*inputs(3))
    assert initial.shape == refined.shape == (3, 2, H, W)
    (initial.sigmoid().mean() + refined.sigmoid().mean()).backward()
    own = {n: p for n, p in net.named_parameters() if ".aggregator." in n}
    assert any(n.startswith("target_model.aggregator.") for n in own)
    assert any(n.startswith("target_model_segm.aggregator.") for n in own)
    for name, p in own.items():
        assert p.grad is not None and p.grad.abs().sum() > 0, name
    assert net.target_model.feature_extractor[0].weight.grad.abs().sum() > 0
    # Every trainable parameter is used (DDP needs that): the unused w heads are frozen.
    assert all(p.grad is not None for p in net.parameters() if p.requires_grad)
    assert not net.bbox_encoder.samp_w_pred.weight.requires_grad


def test_attention_takes_any_number_of_frames_concat_only_its_own():
    attention = steepest_descent_resnet50(aggregation="attention").eval()
    concat = steepest_descent_resnet50(aggregation="concat", aggregation_frames=3).eval()
    with torch.no_grad():
        for frames in (1, 5):
            assert attention(*inputs(frames, 1))[1].shape == (frames, 1, H, W)
        with pytest.raises(ValueError, match="exactly|T=3"):
            concat(*inputs(5, 1))


def test_attention_is_the_space_time_softmax_average_of_the_values():
    agg = AttentionAggregation(init_temperature=0.5)
    x, e = torch.randn(3, 2, 8, 4, 5), torch.rand(3, 2, 16, 4, 5)
    s, z = agg(x, e, None)
    assert z is None and s.shape == e.shape
    b, t, p = 1, 2, (3, 1)  # one output position, computed by the formula
    query = torch.nn.functional.normalize(x[t, b, :, p[0], p[1]], dim=0)
    keys = torch.nn.functional.normalize(x[:, b], dim=1)  # (T, C, h, w)
    weights = torch.softmax((torch.einsum("c,tchw->thw", query, keys) / 0.5).flatten(), 0)
    expected = (weights[:, None] * e[:, b].permute(0, 2, 3, 1).reshape(-1, 16)).sum(0)
    torch.testing.assert_close(s[t, b, :, p[0], p[1]], expected)


def test_checkpoint_round_trip_keeps_our_constructor(tmp_path):
    torch.manual_seed(0)
    net = steepest_descent_resnet50(aggregation="concat", aggregation_frames=2)
    path = save_checkpoint(tmp_path / "concat.pth.tar", net, epoch=1)
    loaded = load_network(path)
    assert isinstance(loaded.target_model, ConcatAggregation) and loaded.target_model.num_frames == 2
    assert loaded.constructor.fun_module == "ltr.models.box2seg.box2seg_net"


def test_bad_options_are_refused():
    with pytest.raises(ValueError, match="unknown aggregation"):
        steepest_descent_resnet50(aggregation="sum")
    with pytest.raises(ValueError, match="SingleImage"):
        steepest_descent_resnet50(aggregation="attention", variant="SingleImage")

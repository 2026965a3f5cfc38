"""The box2seg network: shapes for T = 1..9 and B > 1, variants, gradients, per-call iterations, and the
GEMM solver (default) against the official double backward."""
import pytest
import torch

from ltr.models.box2seg.box2seg_net import VARIANTS, steepest_descent_resnet50

H, W = 64, 96


@pytest.fixture(autouse=True)
def _one_thread(one_thread):
    """Every test here runs with one intra-op thread (see tests/conftest.py)."""


@pytest.fixture(scope="module")
def net():
    torch.manual_seed(0)
    return steepest_descent_resnet50().eval()


def inputs(frames: int, seqs: int, seed: int = 0):
    g = torch.Generator().manual_seed(seed)
    images = torch.randn(frames, seqs, 3, H, W, generator=g) * 50
    boxes = torch.tensor([12.0, 10.0, 40.0, 30.0]).repeat(frames, seqs, 1)
    boxes[..., :2] += torch.randint(0, 8, (frames, seqs, 2), generator=g)
    return images, boxes


@pytest.mark.parametrize("frames", [1, 3, 9])
def test_forward_shapes(net, frames):
    images, boxes = inputs(frames, 2)
    with torch.no_grad():
        initial, refined = net(images, boxes)
    assert initial.shape == refined.shape == (frames, 2, H, W)
    assert torch.isfinite(refined).all()


@pytest.mark.parametrize("variant", VARIANTS)
def test_every_variant_builds_and_runs(variant):
    v = steepest_descent_resnet50(variant=variant).eval()
    with torch.no_grad():
        initial, refined = v(*inputs(3, 2))
    assert initial.shape == refined.shape == (3, 2, H, W)
    has_refinement = variant == "MultiFrameIterative"
    assert (v.segm_encoder is not None) == has_refinement
    assert torch.equal(initial, refined) != has_refinement


def test_gradients_reach_lambda_encoders_and_decoder_not_the_frozen_backbone():
    torch.manual_seed(1)
    net = steepest_descent_resnet50().train()
    images, boxes = inputs(3, 2, seed=1)
    initial, refined = net(images, boxes)
    (initial.sigmoid().mean() + refined.sigmoid().mean()).backward()
    grads = {n: p.grad for n, p in net.named_parameters()}
    for name in ["target_model.filter_optimizer.residual_module.filter_reg",
                 "target_model_segm.filter_optimizer.residual_module.filter_reg",
                 "target_model.feature_extractor.0.weight", "label_encoder.res3.conv1.weight",
                 "bbox_encoder.res3.conv1.weight", "bbox_encoder.samp_w_pred.weight",
                 "segm_encoder.res2.conv1.weight", "decoder.project.conv2.weight", "decoder.TSE.layer4.reduce.0.weight"]:
        assert grads[name] is not None and grads[name].abs().sum() > 0, name
    assert all(g is None for n, g in grads.items() if n.startswith("feature_extractor."))


def test_iterations_settable_per_call(net):
    images, boxes = inputs(3, 1, seed=2)
    with torch.no_grad():
        _, five = net(images, boxes)
        _, fifteen = net(images, boxes, num_iter=15)
        _, default = net(images, boxes, num_iter=5)
    assert torch.equal(five, default)
    assert not torch.allclose(five, fifteen)


def test_cached_window_path_equals_forward(net):
    """Per-frame parts computed separately and a refined decode of one frame give forward's result."""
    images, boxes = inputs(5, 1, seed=3)
    with torch.no_grad():
        initial, refined = net(images, boxes)
        feats = net.extract_backbone_features(images.flatten(0, 1))
        x = net.extract_target_model_features(feats).unsqueeze(1)
        enc = net.encode_object(boxes, x, (H, W))
        _, centre = net.segment_window(feats, x, enc, (H, W), refine_frames=torch.tensor([2]))
    assert torch.allclose(centre[0], refined[2], atol=1e-5)


def test_gemm_solver_equals_double_backward_with_gradients():
    """Both stages (S and Ŝ) and training gradients, float64: the default GEMM solver is the official maths."""
    torch.manual_seed(4)
    net = steepest_descent_resnet50(out_feature_dim=64).double().train()
    images, boxes = inputs(3, 2, seed=4)
    with torch.no_grad():  # the frozen backbone does not depend on the solver
        feats = net.extract_backbone_features(images.double().flatten(0, 1))
    params = [p for p in net.parameters() if p.requires_grad]
    out = {}
    for solver in ("double_backward", "gemm"):
        x = net.extract_target_model_features(feats).view(3, 2, 64, 4, 6)
        initial, refined = net.segment_window(feats, x, net.encode_object(boxes.double(), x, (H, W)), (H, W),
                                              solver=solver)
        loss = initial.sigmoid().mean() + refined.sigmoid().mean()
        out[solver] = (initial, refined, torch.autograd.grad(loss, params))
    for a, b in zip(out["gemm"][:2], out["double_backward"][:2]):
        torch.testing.assert_close(a, b, rtol=0, atol=1e-10)
    names = [n for n, p in net.named_parameters() if p.requires_grad]
    for name, a, b in zip(names, out["gemm"][2], out["double_backward"][2]):
        torch.testing.assert_close(a, b, rtol=1e-8, atol=1e-10, msg=name)
    grads = dict(zip(names, out["gemm"][2]))
    for name in ("target_model.filter_optimizer.residual_module.filter_reg",
                 "target_model_segm.filter_optimizer.residual_module.filter_reg", "bbox_encoder.samp_w_pred.weight",
                 "segm_encoder.samp_w_pred.weight", "target_model.feature_extractor.0.weight"):
        assert grads[name].abs().sum() > 0, name


def test_dropping_the_box_encoding_zeroes_m_of_those_sequences_only(net, monkeypatch):
    images, boxes = inputs(3, 2)
    with torch.no_grad():
        kept = net(images, boxes, num_iter=2)
        dropped = net(images, boxes, num_iter=2, drop_box_encoding=torch.tensor([True, False]))
        encode = net.encode_object

        def without_m(*args):
            enc = encode(*args)
            return enc._replace(m=torch.zeros_like(enc.m))

        monkeypatch.setattr(net, "encode_object", without_m)
        no_m = net(images, boxes, num_iter=2)
    for k, d, z in zip(kept, dropped, no_m):
        assert torch.equal(d[:, 1], k[:, 1])  # the other sequence is untouched
        assert torch.allclose(d[:, 0], z[:, 0], atol=1e-6) and not torch.allclose(d[:, 0], k[:, 0])

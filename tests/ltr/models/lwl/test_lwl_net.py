"""LWL's target model uses the same steepest descent: LWTLNet.forward gives the official
double backward's output and gradients with the default GEMM solver."""
import pytest
import torch

from ltr.models.lwl.lwl_net import steepest_descent_resnet50


@pytest.fixture(autouse=True)
def _one_thread(one_thread):
    """Every test here runs with one intra-op thread (see tests/conftest.py)."""


def test_forward_and_gradients_equal_double_backward():
    torch.manual_seed(0)
    net = steepest_descent_resnet50(out_feature_dim=32).double().eval()
    assert net.target_model.filter_optimizer.solver == "gemm"
    g = torch.Generator().manual_seed(0)
    train = torch.randn(1, 2, 3, 64, 96, generator=g, dtype=torch.float64) * 50
    test = torch.randn(3, 2, 3, 64, 96, generator=g, dtype=torch.float64) * 50
    masks = (torch.rand(1, 2, 64, 96, generator=g) > 0.5).double()
    params = [p for p in net.parameters() if p.requires_grad]
    out = {}
    for solver in ("double_backward", "gemm"):
        net.target_model.filter_optimizer.solver = solver
        logits = net(train, test, masks)
        out[solver] = (logits, torch.autograd.grad(logits.sigmoid().mean(), params))
    torch.testing.assert_close(out["gemm"][0], out["double_backward"][0], rtol=0, atol=1e-10)
    names = [n for n, p in net.named_parameters() if p.requires_grad]
    for name, a, b in zip(names, *(o[1] for o in out.values())):
        torch.testing.assert_close(b, a, rtol=1e-8, atol=1e-10, msg=name)
    grads = dict(zip(names, out["gemm"][1]))
    for name in ("target_model.filter_optimizer.residual_module.filter_reg", "target_model.feature_extractor.0.weight",
                 "label_encoder.label_pred.0.weight", "decoder.project.conv2.weight"):
        assert grads[name].abs().sum() > 0, name

"""Backbones: Mask R-CNN layout (stride in the 1x1 conv), torchvision layout, local weight loading."""

import pytest
import torch
import torchvision

from ltr.models.backbone.resnet import ResNetBackbone, resnet50
from ltr.models.backbone.weights import load_pretrained_backbone


def test_mrcnn_has_stride_in_1x1_and_no_classifier():
    net = ResNetBackbone("mrcnn")
    assert net.layer3[0].conv1.stride == (2, 2) and net.layer3[0].conv2.stride == (1, 1)
    assert not any(k.startswith("fc.") for k in net.state_dict())
    out = net(torch.randn(1, 3, 64, 96), ["conv1", "layer1", "layer2", "layer3", "layer4"])
    assert [v.shape[-1] for v in out.values()] == [24, 24, 12, 6, 3]  # conv1 after max-pool


def test_torchvision_style_equals_torchvision_resnet50():
    torch.manual_seed(0)
    ours = ResNetBackbone("torchvision").eval()
    reference = torchvision.models.resnet50().eval()
    reference.load_state_dict(ours.state_dict())
    x = torch.randn(1, 3, 64, 64)
    with torch.no_grad():
        expected = reference.layer4(reference.layer3(reference.layer2(reference.layer1(
            reference.maxpool(reference.relu(reference.bn1(reference.conv1(x))))))))
        assert torch.allclose(ours(x, ["layer4"])["layer4"], expected)


def test_frozen_layers_stay_in_eval_without_gradients():
    net = ResNetBackbone("mrcnn", frozen_layers=["conv1", "bn1", "layer1"]).train()
    assert not net.bn1.training and not net.layer1[0].bn1.training and net.layer2[0].bn1.training
    assert not net.layer1[0].conv1.weight.requires_grad and net.layer2[0].conv1.weight.requires_grad


def test_loads_torchvision_maskrcnn_checkpoint_from_torch_home(tmp_path, monkeypatch):
    """A torchvision COCO Mask R-CNN file (backbone.body.* keys, FrozenBN without counters) loads."""
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    monkeypatch.setattr(torch.hub, "_hub_dir", None, raising=False)
    torch.manual_seed(0)
    source = ResNetBackbone("torchvision")
    state = {"backbone.body." + k: v for k, v in source.state_dict().items()
             if not k.endswith("num_batches_tracked") and not k.startswith("fc.")}
    state["roi_heads.box_predictor.cls_score.weight"] = torch.zeros(91, 1024)
    (tmp_path / "hub" / "checkpoints").mkdir(parents=True)
    torch.save(state, tmp_path / "hub" / "checkpoints" / "maskrcnn_resnet50_fpn_coco-bf2d0c1e.pth")
    net = resnet50("torchvision", pretrained=True)
    assert torch.equal(net.layer3[2].conv2.weight, source.layer3[2].conv2.weight)


def test_missing_weights_warn_and_keep_random_init(tmp_path, monkeypatch):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    monkeypatch.setenv("BOX2SEG_PRETRAINED_NETWORKS", str(tmp_path))
    with pytest.warns(UserWarning, match="no pretrained mrcnn ResNet-50 weights found"):
        assert load_pretrained_backbone(ResNetBackbone("mrcnn")) is None
    with pytest.raises(FileNotFoundError):
        load_pretrained_backbone(ResNetBackbone("mrcnn"), str(tmp_path / "nope.pkl"))

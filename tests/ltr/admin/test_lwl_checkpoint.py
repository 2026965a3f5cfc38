"""An LWL (ResNet-50) checkpoint of ours is an official-format one: pytracking's constructor with every
argument spelled out, and it loads back into a network with identical outputs."""
import inspect

import torch

from ltr.admin.loading import load_network, save_checkpoint, torch_load_legacy
from ltr.models.lwl.lwl_net import LWTLNet, steepest_descent_resnet50

# ltr/train_settings/lwl/lwl_stage2.py's arguments (facts §1.4)
OFFICIAL_STAGE2_KWDS = dict(filter_size=3, num_filters=16, optim_iter=5, backbone_pretrained=False,
                            out_feature_dim=512, frozen_backbone_layers=("conv1", "bn1", "layer1"),
                            label_encoder_dims=(16, 32, 64), use_bn_in_label_enc=False, clf_feat_blocks=0,
                            final_conv=True, backbone_type="mrcnn")


def test_lwl_checkpoint_round_trips_with_the_official_constructor(tmp_path, one_thread):
    torch.manual_seed(0)
    # Trained from a local weights file (not loaded here): the checkpoint need not know where it was.
    net = steepest_descent_resnet50(**OFFICIAL_STAGE2_KWDS, backbone_weights="/data/e2e_mask_rcnn.pkl")
    path = save_checkpoint(tmp_path / "LWTLNet_ep0001.pth.tar", net, epoch=1)
    raw = torch_load_legacy(path)
    ctor = raw["constructor"]
    assert (type(ctor).__module__, type(ctor).__name__) == ("ltr.admin.model_constructor", "NetConstructor")
    assert (ctor.fun_module, ctor.fun_name, raw["net_type"]) == ("ltr.models.lwl.lwl_net",
                                                                 "steepest_descent_resnet50", "LWTLNet")
    official_args = set(inspect.signature(steepest_descent_resnet50).parameters) - {"backbone_weights"}
    assert set(ctor.kwds) == official_args and ctor.kwds["backbone_type"] == "mrcnn"

    loaded = load_network(path)
    assert isinstance(loaded, LWTLNet)
    torch.manual_seed(1)
    train, test = torch.randn(1, 2, 3, 96, 128), torch.randn(3, 2, 3, 96, 128)
    mask = torch.zeros(1, 2, 96, 128)
    mask[..., 30:70, 40:90] = 1
    net.eval(), loaded.eval()
    with torch.no_grad():
        expected, got = net(train, test, mask), loaded(train, test, mask)
    assert expected.shape == (3, 2, 96, 128) and expected.std() > 0
    assert torch.equal(expected, got)

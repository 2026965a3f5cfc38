"""Built with the official arguments, our networks' state_dicts equal the official key lists."""
from pathlib import Path
from typing import List, Tuple

import pytest

from ltr.models.box2seg.box2seg_net import steepest_descent_resnet50 as box2seg_net
from ltr.models.lwl.lwl_net import steepest_descent_resnet50 as lwl_net

STA_KWARGS = dict(filter_size=3, num_filters=16, optim_iter=5, backbone_pretrained=False, out_feature_dim=512,
                  frozen_backbone_layers=["conv1", "bn1", "layer1", "layer2", "layer3", "layer4"],
                  label_encoder_dims=(16, 32, 64, 128), use_bn_in_label_enc=False, clf_feat_blocks=0,
                  final_conv=True, backbone_type="mrcnn")
LWL_KWARGS = dict(STA_KWARGS, frozen_backbone_layers=["conv1", "bn1", "layer1"], label_encoder_dims=(16, 32, 64))


def read_list(path: Path) -> List[Tuple[str, str]]:
    return [tuple(line.split()) for line in path.read_text().splitlines() if line.strip()]


def shape_str(t) -> str:
    return "x".join(map(str, t.shape)) or "scalar"


@pytest.mark.parametrize("builder,kwargs,listing", [(box2seg_net, STA_KWARGS, "statedict-sta.txt"),
                                                    (lwl_net, LWL_KWARGS, "statedict-lwl.txt")])
def test_state_dict_equals_official_list(spec_dir, builder, kwargs, listing):
    expected = read_list(spec_dir / listing)
    state = builder(**kwargs).state_dict()
    assert list(state.keys()) == [k for k, _ in expected]
    assert [shape_str(v) for v in state.values()] == [s for _, s in expected]


def test_defaults_are_the_official_network(spec_dir):
    assert list(box2seg_net().state_dict()) == [k for k, _ in read_list(spec_dir / "statedict-sta.txt")]

"""The inference record: one type written to and read from checkpoints; the shipped files read with the
values they were trained for, also the LWL file, written before the solver was recorded."""
import pytest
import torch

from ltr.admin.loading import load_network, save_checkpoint, torch_load_legacy
from ltr.models.inference import InferenceRecord
from ltr.models.lwl.lwl_net import steepest_descent_resnet50 as lwl_net
from pytracking.utils.loading import SHIPPED_NETWORKS

TINY = dict(backbone_type="efficientnet_lite0", out_feature_dim=32, decoder_mdim=8)


def test_round_trip_is_plain_data():
    record = InferenceRecord((192, 320), 3.0, "lite", "double_backward")
    entry = record.to_dict()
    assert entry == {"crop_size": [192, 320], "search_area": 3.0, "normalization": "lite",
                     "solver": "double_backward"}
    assert InferenceRecord.from_dict(entry) == record
    assert InferenceRecord(crop_size=[192, 320], search_area=3, normalization="lite").crop_size == (192, 320)


def test_an_entry_without_the_solver_reads_as_the_default_solver():
    old = {"crop_size": [64, 112], "search_area": 4.0, "normalization": "lite"}
    assert InferenceRecord.from_dict(old) == InferenceRecord((64, 112), 4.0, "lite", "gemm")


@pytest.mark.parametrize("entry, message", [
    ({"crop_size": [64, 112], "search_area": 4.0}, r"missing fields \['normalization'\]"),
    ({"crop_size": [64, 112], "search_area": 4.0, "normalization": "lite", "size": 3}, r"unknown fields \['size'\]"),
    ({"crop_size": [64], "search_area": 4.0, "normalization": "lite"}, "crop_size must be"),
    ({"crop_size": [64, 0], "search_area": 4.0, "normalization": "lite"}, "crop_size must be"),
    ({"crop_size": [64, 112], "search_area": 0.0, "normalization": "lite"}, "search_area must be positive"),
    ({"crop_size": [64, 112], "search_area": 4.0, "normalization": "lite", "solver": "lu"}, "unknown steepest"),
])
def test_malformed_entries_are_refused(entry, message):
    with pytest.raises(ValueError, match=message):
        InferenceRecord.from_dict(entry)


def test_a_network_carries_only_the_record_type():
    class Net:
        inference = {"crop_size": [64, 112], "search_area": 4.0, "normalization": "lite"}

    with pytest.raises(TypeError, match="InferenceRecord"):
        InferenceRecord.of(Net())
    Net.inference = None
    assert InferenceRecord.of(Net()) is None
    assert InferenceRecord.of(object()) is None  # built, not loaded


@pytest.mark.parametrize("name, search_area, recorded_solver", [("box2seg_lite0.pth.tar", 3.0, "gemm"),
                                                                ("lwl_lite0.pth.tar", 5.0, None)])
def test_shipped_networks_read_with_what_they_were_trained_for(name, search_area, recorded_solver):
    raw = torch_load_legacy(SHIPPED_NETWORKS / name)
    assert raw["inference"].get("solver") == recorded_solver  # None: written before the solver was recorded
    record = load_network(SHIPPED_NETWORKS / name, backbone_pretrained=False).inference
    assert record == InferenceRecord((192, 320), search_area, "lite", "gemm")


def test_loading_refuses_a_record_that_contradicts_the_backbone(tmp_path):
    torch.manual_seed(0)
    path = save_checkpoint(tmp_path / "lwl.pth.tar", lwl_net(**TINY), epoch=1,
                           extra={"inference": {"crop_size": [64, 112], "search_area": 4.0,
                                                "normalization": "imagenet"}})
    with pytest.raises(ValueError, match="records 'imagenet' input normalisation, but its backbone takes 'lite'"):
        load_network(path)
    raw = torch.load(path, weights_only=False)
    raw["inference"] = {"crop_size": [64, 112], "search_area": 4.0, "normalization": "lite", "stride": 16}
    torch.save(raw, path)
    with pytest.raises(ValueError, match=r"lwl.pth.tar: inference record: unknown fields \['stride'\]"):
        load_network(path)

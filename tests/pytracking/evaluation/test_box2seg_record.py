"""The box2seg evaluation method runs with what its network's inference record says, unless told otherwise."""
import torch

from ltr.models.box2seg.box2seg_net import steepest_descent_resnet50
from ltr.models.inference import InferenceRecord
from pytracking.evaluation.box2seg_method import Box2Seg


def test_the_method_takes_crop_search_area_and_solver_from_the_record(one_thread):
    torch.manual_seed(0)
    net = steepest_descent_resnet50(backbone_type="efficientnet_lite0", out_feature_dim=32, decoder_mdim=8)
    net.inference = InferenceRecord((64, 112), 2.5, "lite", "double_backward")
    s = Box2Seg(net=net, device="cpu", num_frames=3).settings
    assert (s.crop_size, s.search_area, s.solver, s.num_frames) == ((64, 112), 2.5, "double_backward", 3)
    given = Box2Seg(net=net, device="cpu", solver="gemm", search_area=None, crop_size=(32, 48)).settings
    assert (given.crop_size, given.search_area, given.solver) == ((32, 48), 2.5, "gemm")

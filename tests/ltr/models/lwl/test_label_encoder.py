"""Box rasterisation follows the official truncation rule; encoders give stride-16 outputs."""
import math

import pytest
import torch

from ltr.models.lwl.label_encoder import ResidualDS16FeatSWBox, ResidualDS16SW, rasterize_boxes


def cols_rows(box, size=(10, 12)):
    m = rasterize_boxes(torch.tensor([box], dtype=torch.float32), size)[0, 0]
    cols = torch.nonzero(m.any(0)).flatten().tolist()
    rows = torch.nonzero(m.any(1)).flatten().tolist()
    return cols, rows


def test_fractional_values_truncate_independently():
    # x=1.7 -> 1, w=2.6 -> 2: columns [1, 3); y=2.2 -> 2, h=3.9 -> 3: rows [2, 5)
    assert cols_rows([1.7, 2.2, 2.6, 3.9]) == ([1, 2], [2, 3, 4])


def test_partly_outside_is_clipped():
    # x=-3.5 -> int -3 -> int(-2.5) = -2 (the official second conversion), w=6.5 -> 6: columns [0, 4);
    # bottom clipped at 10 rows
    assert cols_rows([-3.5, 7.0, 6.5, 20.0]) == ([0, 1, 2, 3], [7, 8, 9])
    # y=-1.0 -> int(-0.5) = 0: rows [0, 3)
    assert cols_rows([2.0, -1.0, 1.0, 3.0]) == ([2], [0, 1, 2])
    assert cols_rows([9.0, 0.0, 50.0, 1.0]) == ([9, 10, 11], [0])


@pytest.mark.parametrize("box", [[-20.0, 2.0, 5.0, 3.0],   # ends left of the image (official slicing would wrap)
                                 [2.0, -9.0, 3.0, 4.0],    # ends above the image
                                 [13.0, 2.0, 3.0, 3.0],    # starts right of the image
                                 [2.0, 2.0, 0.0, 3.0],     # zero width
                                 [math.nan, 1.0, 3.0, 3.0]])
def test_boxes_outside_or_degenerate_are_empty(box):
    assert cols_rows(box) == ([], [])


def test_encoders_reach_stride_16():
    box_enc = ResidualDS16FeatSWBox((16, 32, 64, 128, 16), feat_dim=8)
    feat = torch.randn(2 * 3, 8, 4, 6)
    boxes = torch.tensor([10.0, 12.0, 30.0, 20.0]).repeat(2, 3, 1)
    label, weight = box_enc(boxes, feat, (64, 96))
    assert label.shape == weight.shape == (2, 3, 16, 4, 6)
    assert torch.all(weight == 1), "sample weights start at 1"
    mask_enc = ResidualDS16SW((16, 32, 64, 16))
    label, weight = mask_enc(torch.rand(2, 3, 64, 96))
    assert label.shape == weight.shape == (2, 3, 16, 4, 6)


def test_encoders_at_stride_8_have_the_parameters_of_stride_16():
    torch.manual_seed(0)
    box_enc = ResidualDS16FeatSWBox((16, 32, 64, 128, 16), feat_dim=8, stride=8)
    boxes = torch.tensor([10.0, 12.0, 30.0, 20.0]).repeat(2, 3, 1)
    label, weight = box_enc(boxes, torch.randn(2 * 3, 8, 8, 12), (64, 96))
    assert label.shape == weight.shape == (2, 3, 16, 8, 12)
    mask_enc = ResidualDS16SW((16, 32, 64, 16), stride=8)
    label, weight = mask_enc(torch.rand(2, 3, 64, 96))
    assert label.shape == weight.shape == (2, 3, 16, 8, 12)
    for coarse, fine in ((ResidualDS16FeatSWBox((16, 32, 64, 128, 16), feat_dim=8), box_enc),
                         (ResidualDS16SW((16, 32, 64, 16)), mask_enc)):
        assert {k: v.shape for k, v in coarse.state_dict().items()} == {k: v.shape for k, v in fine.state_dict().items()}
    with pytest.raises(ValueError, match="downsample by one of"):
        ResidualDS16SW(stride=4)

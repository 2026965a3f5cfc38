"""The inference crop: sample_patch for images and masks, the crop centre, the full-image paste-back of logits."""
import numpy as np
import torch

from pytracking.features.preprocessing import Crop, paste_logits, sample_centre, sample_patch


def test_sample_patch_pads_masks_with_zeros_and_images_by_replication():
    """A 100x100 region around the centre of a 50x200 image sticks out 25 rows above and below."""
    image = np.full((50, 200, 3), 7, np.uint8)
    mask = np.ones((50, 200), np.float32)
    patch, crop = sample_patch(image, (25, 100), (100, 100), (64, 64))
    mask_patch, mask_crop = sample_patch(mask, (25, 100), (100, 100), (64, 64), is_mask=True)
    assert crop == mask_crop and (crop.top, crop.height) == (-25, 100)
    assert (patch == 7).all()
    assert set(np.unique(mask_patch)) == {0.0, 1.0}  # nearest neighbour: no blending at the border
    rows = mask_patch.mean(axis=1)
    assert (rows[:15] == 0).all() and (rows[-15:] == 0).all() and (rows[18:-18] == 1).all()


def test_paste_logits_fills_the_crop_region_and_minus_100_elsewhere():
    crop = Crop(top=-10, left=20, height=40, width=60, out_size=(8, 12))
    canvas = paste_logits(torch.full((8, 12), 3.0), crop, (50, 100))
    expected = torch.full((50, 100), -100.0)
    expected[0:30, 20:80] = 3.0
    torch.testing.assert_close(canvas, expected)
    outside = Crop(top=60, left=0, height=10, width=10, out_size=(8, 12))
    assert (paste_logits(torch.ones(8, 12), outside, (50, 100)) == -100).all()


def test_sample_centre_shifts_by_half_a_cell_where_feature_size_plus_kernel_is_odd():
    # 480x832: features 30x52, +3 odd on both axes -> shift 8 px x scale; 64x112: 4x7 -> only x is even+3
    assert sample_centre((100, 200), 2.0, (480, 832)).tolist() == [116.0, 216.0]
    assert sample_centre((100, 200), 2.0, (64, 112)).tolist() == [116.0, 200.0]

"""The inference crop: sample_patch for images and masks, the crop centre, the full-image paste-back of logits."""
import numpy as np
import pytest
import torch

from ltr.data.processing import crop_box
from pytracking.features.preprocessing import Crop, crop_frame, paste_logits, sample_centre, sample_patch


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
    assert sample_centre((100, 200), 2.0, (480, 832), 16).tolist() == [116.0, 216.0]
    assert sample_centre((100, 200), 2.0, (64, 112), 16).tolist() == [116.0, 200.0]


def test_the_half_cell_is_half_of_the_given_stride():
    # stride 8: 480x832 -> 60x104 and 64x112 -> 8x14, +3 odd on both axes -> shift 4 px x scale 2
    assert sample_centre((100, 200), 2.0, (480, 832), 8).tolist() == [108.0, 208.0]
    assert sample_centre((100, 200), 2.0, (64, 112), 8).tolist() == [108.0, 208.0]


def official_shift(box, out_size, search_area) -> np.ndarray:
    """The official trackers' half-cell shift (x, y) of the crop centre, in image pixels: 8 crop pixels
    (half a stride-16 cell) on axes whose feature size + 3 (the filter size) is odd."""
    scale = np.sqrt(box[2] * box[3]) * search_area / np.sqrt(out_size[0] * out_size[1])
    odd = (np.array(out_size) // 16 + 3) % 2 == 1
    return np.where(odd, 8 * scale, 0.0)[::-1]


@pytest.mark.parametrize("out_size", [(480, 832), (240, 416)])
def test_training_and_inference_crops_differ_by_the_half_cell_shift(out_size):
    """Training crops with ltr's ``crop_box`` around the box centre; inference with pytracking's
    ``sample_patch``, whose centre the official trackers move by half a feature cell (so that the
    filter's centre tap falls on the target). Inside the image and without pre-downsampling, that
    shift is the only difference beyond rounding (centre within 1.5 px, sides within 1 px)."""
    image = np.zeros((480, 854, 3), np.uint8)
    rng = np.random.default_rng(0)
    shifted = []
    for _ in range(50):
        box = np.r_[rng.uniform([300, 180], [500, 260]), rng.uniform(30, 70, 2)]
        x, y, w, h = crop_box(box, image.shape[:2], 4.0, out_size, "inside_major")
        _, crop = crop_frame(image, box, out_size, 4.0, 16)
        inference_centre = np.array([crop.left + crop.width / 2, crop.top + crop.height / 2])
        shift = official_shift(box, out_size, 4.0)
        np.testing.assert_allclose(inference_centre - [x + w / 2, y + h / 2], shift, atol=1.5)
        np.testing.assert_allclose([crop.width, crop.height], [w, h], atol=1)
        shifted.append(shift)
    assert (np.array(shifted) > 2).any()  # the shift is measurable here


def test_near_the_border_the_inference_crop_starts_on_its_stride_lattice():
    """A crop 4x the output size is pre-downsampled by 4 at inference, so it can only start at
    pixels congruent to its integer centre mod 4; training shifts its crop to the image corner."""
    image = np.zeros((480, 854, 3), np.uint8)
    box = [10.0, 10.0, 100.0, 80.0]
    # scale = sqrt(100 * 80) * 4 / sqrt(64 * 112) = 4.23: stride 4; centre x = 10 + 99 / 2 = 59.5 -> 59,
    # y = 10 + 79 / 2 + 8 * 4.23 (half-cell shift, 4 + 3 is odd) = 83.3 -> 83; 59 % 4 = 83 % 4 = 3
    _, crop = crop_frame(image, box, (64, 112), 4.0, 16)
    assert (crop.left, crop.top) == (3, 3)
    assert crop_box(box, image.shape[:2], 4.0, (64, 112), "inside_major")[:2].tolist() == [0, 0]

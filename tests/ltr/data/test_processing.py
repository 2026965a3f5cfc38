"""Crop geometry, joint flip, and the processing output (shapes, dtypes, boxes of the masks)."""
from __future__ import annotations

import cv2
import numpy as np
import pytest
import torch

from ltr.data.processing import Box2SegProcessing, crop_box, crop_image, jitter_box, map_box_to_crop
from ltr.data.transforms import hflip, normalize_image

IMAGE = (480, 854)  # (H, W)
OUT = (60, 104)


def tight_box(mask) -> list:
    """The expected [x, y, w, h] of a mask, from OpenCV (independent of the code's mask_to_box)."""
    return list(cv2.boundingRect(np.asarray(mask, np.uint8)))


def random_boxes(n: int, seed: int = 0) -> np.ndarray:
    """Boxes inside the image, aspect ratios 1/3..3 (a 5x search area then always contains them)."""
    rng = np.random.default_rng(seed)
    ratio = np.sqrt(rng.uniform(1 / 3, 3, n))
    wh = rng.uniform(4, 250, n)[:, None] * np.stack([ratio, 1 / ratio], 1)
    xy = rng.uniform(0, 1, (n, 2)) * (np.array(IMAGE[::-1]) - wh)
    return np.concatenate([xy, wh], 1)


@pytest.mark.parametrize("mode", ["replicate", "inside", "inside_major"])
def test_crop_contains_target_and_keeps_aspect(mode):
    for box in random_boxes(200):
        x1, y1, wc, hc = crop_box(box, IMAGE, 5.0, OUT, mode)
        assert x1 <= box[0] and y1 <= box[1] and box[0] + box[2] <= x1 + wc and box[1] + box[3] <= y1 + hc
        assert wc / hc == pytest.approx(OUT[1] / OUT[0], abs=2.0 / min(wc, hc))


def test_inside_major_crop_is_shifted_inside_or_centred():
    for box in random_boxes(200, seed=1):
        x1, y1, wc, hc = crop_box(box, IMAGE, 5.0, OUT, "inside_major")
        assert wc <= IMAGE[1] or hc <= IMAGE[0]  # never larger than the image on both axes
        for start, size, extent in ((x1, wc, IMAGE[1]), (y1, hc, IMAGE[0])):
            if size <= extent:
                assert 0 <= start and start + size <= extent
            else:
                assert start == (extent - size) // 2


def test_map_box_and_crop_image_agree():
    image = np.random.default_rng(0).integers(0, 255, (48, 64, 3), dtype=np.uint8)
    assert np.array_equal(crop_image(image, [0, 0, 64, 48], (48, 64)), image)  # identity crop
    np.testing.assert_allclose(map_box_to_crop([10, 20, 30, 12], [10, 20, 30, 12], (24, 60)), [0, 0, 60, 24])
    mask = np.zeros((48, 64), np.uint8)
    mask[10:20, 30:40] = 1
    crop = [20, 5, 40, 30]
    out_mask = crop_image(mask, crop, (60, 80), is_mask=True)
    np.testing.assert_allclose(tight_box(out_mask), map_box_to_crop(tight_box(mask), crop, (60, 80)))
    padded = crop_image(mask, [-10, -10, 84, 68], (68, 84), is_mask=True)
    assert padded[:10].sum() == 0 and padded.sum() == mask.sum()  # masks are zero padded
    left = crop_image(image, [-4, 0, 64, 48], (48, 64))
    assert np.array_equal(left[:, 0], image[:, 0])  # images are replicate padded


def test_flip_mirrors_boxes_and_masks():
    mask = np.zeros((48, 64), np.uint8)
    mask[10:20, 5:25] = 1
    images, masks, boxes = hflip([np.zeros((48, 64, 3), np.uint8)], [mask], [np.array(tight_box(mask), float)])
    assert boxes[0].tolist() == [64 - 5 - 20, 10, 20, 10] == tight_box(masks[0])


def test_jitter_box_is_reproducible_and_zero_jitter_is_identity():
    box = [10.0, 20.0, 30.0, 40.0]
    a = jitter_box(box, np.random.default_rng(3), 0.25, 3.0)
    assert np.array_equal(a, jitter_box(box, np.random.default_rng(3), 0.25, 3.0)) and not np.allclose(a, box)
    np.testing.assert_allclose(jitter_box(box, np.random.default_rng(3), 0.0, 0.0), box)


def test_normalizations():
    red = torch.zeros(3, 2, 2)
    red[0] = 255
    bgr = normalize_image(red, "bgr255")
    np.testing.assert_allclose(bgr[:, 0, 0], [-102.9801, -115.9465, 255 - 122.7717], rtol=1e-6)
    imagenet = normalize_image(red, "imagenet")
    np.testing.assert_allclose(imagenet[:, 0, 0], [(1 - 0.485) / 0.229, -0.456 / 0.224, -0.406 / 0.225], rtol=1e-5)
    with pytest.raises(ValueError, match="unknown normalisation"):
        normalize_image(red, "rgb")


def sample_data(with_masks: bool = True) -> dict:
    rng = np.random.default_rng(0)
    images, masks, boxes = [], [], []
    for t in range(3):
        image = rng.integers(0, 255, (120, 200, 3), dtype=np.uint8)
        mask = np.zeros((120, 200), np.float32)
        mask[40 + t:70 + t, 60 + 5 * t:110 + 5 * t] = 1
        images.append(image)
        masks.append(torch.from_numpy(mask))
        boxes.append(torch.tensor(tight_box(mask), dtype=torch.float32))
    return {"images": images, "masks": masks if with_masks else None, "boxes": boxes, "dataset": "toy",
            "sequence": "s", "frame_ids": [0, 1, 2]}


def test_processing_outputs_and_boxes_of_masks():
    proc = Box2SegProcessing(output_size=(64, 96))
    out = proc(sample_data(), np.random.default_rng(1))
    assert out["images"].shape == (3, 3, 64, 96) and out["images"].dtype == torch.float32
    assert out["masks"].shape == (3, 64, 96) and out["masks"].dtype == torch.float32
    assert out["boxes"].shape == (3, 4) and out["boxes"].dtype == torch.float32
    assert set(out["masks"].unique().tolist()) == {0.0, 1.0} and out["mask_valid"].all()
    assert out["dataset"] == "toy" and out["frame_ids"].tolist() == [0, 1, 2]
    for mask, box in zip(out["masks"], out["boxes"]):
        assert mask.any() and box.tolist() == tight_box(mask.numpy())
    again = proc(sample_data(), np.random.default_rng(1))
    assert all(torch.equal(out[k], again[k]) for k in ("images", "masks", "boxes"))


def test_processing_without_jitter_centres_target_and_maps_boxes_without_masks():
    proc = Box2SegProcessing(output_size=(64, 96), scale_jitter=0, center_jitter=0, p_flip=0, p_grayscale=0,
                               brightness_jitter=0, crop_mode="replicate", search_area_factor=2.0)
    data = sample_data(with_masks=False)
    out = proc(data, np.random.default_rng(0))
    assert not out["mask_valid"].any() and not out["masks"].any()
    for box in out["boxes"]:  # the target sits in the middle, 1/2 of the crop wide (search area 2)
        x, y, w, h = box.tolist()
        assert x + w / 2 == pytest.approx(48, abs=1.5) and y + h / 2 == pytest.approx(32, abs=1.5)
        assert np.sqrt(w * h) == pytest.approx(np.sqrt(96 * 64) / 2, rel=0.05)


def test_processing_flip_mirrors_the_output():
    kwargs = dict(output_size=(64, 96), scale_jitter=0, center_jitter=0, p_grayscale=0, brightness_jitter=0,
                  crop_mode="replicate", normalization="imagenet")
    plain = Box2SegProcessing(p_flip=0, **kwargs)(sample_data(), np.random.default_rng(0))
    flipped = Box2SegProcessing(p_flip=1, **kwargs)(sample_data(), np.random.default_rng(0))
    x, y, w, h = plain["boxes"][0].tolist()
    fx = flipped["boxes"][0, 0].item()
    assert abs(fx - (96 - x - w)) <= 1 and flipped["boxes"][0, 1:].tolist() == [y, w, h]

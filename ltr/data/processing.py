"""Turn sampled frames into network inputs: jittered target-centred crops, masks and boxes.

The training crop is ltr's: centred on the (jittered) box, placed by rounding, cut and resized in one
affine warp (``crop_box``, ``crop_image``, ``map_box_to_crop``). Inference crops with pytracking's
``sample_patch`` (``pytracking.features.preprocessing``), as the official training and tracking code
do. Besides rounding and resampling, they differ in placement: the official trackers move the crop
by half a feature cell (about a sixteenth of the box side for 480x832 crops at search area 5), and
near the border a pre-downsampled inference crop starts on its stride lattice; the training centre
jitter (up to 1.5 box sides) dwarfs both. tests/pytracking/features/test_preprocessing.py measures
them. Sizes are (H, W) (``Size``); boxes are [x, y, w, h] in pixels.
"""
from __future__ import annotations

from typing import Dict, List, Optional, Sequence, Tuple, Union

import cv2
import numpy as np
import torch

from ltr.data.bounding_box_utils import Size, mask_to_box
from ltr.data.transforms import (adjust_brightness, hflip, normalize_image, rotation_scale_matrix, to_grayscale,
                                 warp_affine, warp_box)

CROP_MODES = ("replicate", "inside", "inside_major")


def jitter_box(box: Sequence[float], rng: np.random.Generator, scale_jitter: float,
               center_jitter: Union[float, Sequence[float]]) -> np.ndarray:
    """Randomly rescale (log-normal) and shift the box, so the network does not see centred targets."""
    box = np.asarray(box, dtype=np.float64)
    size = box[2:] * np.exp(rng.standard_normal(2) * scale_jitter)
    max_offset = np.sqrt(np.prod(size)) * np.asarray(center_jitter, dtype=np.float64)
    center = box[:2] + 0.5 * box[2:] + max_offset * (rng.random(2) - 0.5)
    return np.concatenate([center - 0.5 * size, size])


def crop_box(box: Sequence[float], image_size: Size, search_area_factor: float, output_size: Size,
             mode: str = "inside_major", max_scale_change: Optional[float] = None) -> np.ndarray:
    """The crop [x1, y1, w_c, h_c] (ints) around ``box`` that is resized to ``output_size``.

    The crop covers ``search_area_factor``^2 times the box area with the output's aspect ratio.
    'replicate' keeps it as is (outside parts are padded); 'inside' / 'inside_major' shrink it by
    r = max / min of (crop / image) per axis (clamped to [1, max_scale_change]), shift it inside the
    image and centre it on any axis where it is still larger than the image.
    """
    if mode not in CROP_MODES:
        raise ValueError(f"unknown crop mode {mode!r}; choose one of {CROP_MODES}")
    box = np.asarray(box, dtype=np.float64)
    out = np.asarray(output_size[::-1], dtype=np.float64)  # (W, H), the order of the box's sides
    im = np.asarray(image_size[::-1], dtype=np.int64)
    size = np.maximum(np.ceil(out * np.sqrt(np.prod(box[2:]) / np.prod(out)) * search_area_factor), 1)
    if mode != "replicate":
        ratio = size / im
        r = ratio.max() if mode == "inside" else ratio.min()
        r = np.clip(r, 1.0, np.inf if max_scale_change is None else max_scale_change)
        size = np.maximum(np.floor(size / r), 1)
    size = size.astype(np.int64)
    xy = np.floor(box[:2] + 0.5 * box[2:] - 0.5 * size + 0.5).astype(np.int64)
    if mode != "replicate":
        xy = np.where(size > im, (im - size) // 2, np.clip(xy, 0, im - size))
    return np.concatenate([xy, size])


def crop_image(image: np.ndarray, crop: Sequence[int], output_size: Size, is_mask: bool = False) -> np.ndarray:
    """Cut ``crop`` out of an image (bilinear, replicate padding) or mask (nearest, zero padding)
    and resize it to ``output_size``, in one affine warp."""
    x1, y1, wc, hc = (float(v) for v in crop)
    out_h, out_w = output_size
    sx, sy = out_w / wc, out_h / hc
    # Pixel-centre aligned map of crop coordinates to output coordinates (as cv2.resize does).
    warp = np.array([[sx, 0.0, sx * (0.5 - x1) - 0.5], [0.0, sy, sy * (0.5 - y1) - 0.5]])
    if is_mask:
        return cv2.warpAffine(image, warp, (out_w, out_h), flags=cv2.INTER_NEAREST,
                              borderMode=cv2.BORDER_CONSTANT, borderValue=0)
    return cv2.warpAffine(image, warp, (out_w, out_h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)


def map_box_to_crop(box: Sequence[float], crop: Sequence[int], output_size: Size) -> np.ndarray:
    """A box in image coordinates expressed in the coordinates of the resized crop."""
    box = np.asarray(box, dtype=np.float64)
    scale = np.asarray(output_size[::-1], dtype=np.float64) / np.asarray(crop[2:], dtype=np.float64)
    return np.concatenate([(box[:2] - np.asarray(crop[:2])) * scale, box[2:] * scale])


class Box2SegProcessing:
    """box2seg training processing: joint grayscale/flip over the T frames, then per frame a jittered
    target-centred crop, brightness jitter and normalisation.

    Called with the sampler's dict {'images': [HxWx3 uint8], 'boxes': [(4,)], 'masks': [(H,W)] or
    None, ...} and the sample's random generator; returns {'images' (T,3,H,W), 'masks' (T,H,W) 0/1,
    'boxes' (T,4) tight boxes of the output masks, 'mask_valid' (T,) bool, 'dataset', ...} where
    (H, W) = ``output_size``. Frames without masks get zero masks, mask_valid False
    and their given box mapped into the crop. ``max_rotation`` (degrees) and ``max_scale`` (log
    scale) enable LWL's random rotation and scaling of each crop; box2seg uses none.
    """

    def __init__(self, output_size: Size = (480, 832), search_area_factor: float = 5.0,
                 crop_mode: str = "inside_major", max_scale_change: Optional[float] = None,
                 scale_jitter: float = 0.25, center_jitter: Union[float, Sequence[float]] = 3.0,
                 p_grayscale: float = 0.05, p_flip: float = 0.5, brightness_jitter: float = 0.2,
                 normalization: str = "bgr255", max_rotation: float = 0.0, max_scale: float = 0.0):
        if crop_mode not in CROP_MODES:
            raise ValueError(f"unknown crop mode {crop_mode!r}; choose one of {CROP_MODES}")
        normalize_image(torch.zeros(3, 1, 1), normalization)  # fail early on an unknown name
        self.output_size = (int(output_size[0]), int(output_size[1]))
        self.search_area_factor = search_area_factor
        self.crop_mode = crop_mode
        self.max_scale_change = max_scale_change
        self.scale_jitter = scale_jitter
        self.center_jitter = center_jitter
        self.p_grayscale = p_grayscale
        self.p_flip = p_flip
        self.brightness_jitter = brightness_jitter
        self.normalization = normalization
        self.max_rotation = max_rotation
        self.max_scale = max_scale

    def __call__(self, data: Dict, rng: np.random.Generator) -> Dict:
        images, masks, boxes = self.joint(data["images"], data.get("masks"), data["boxes"], rng)
        images, masks, boxes = self.frames(images, masks, boxes, rng, self.scale_jitter, self.center_jitter)
        out = {"images": images, "masks": masks, "boxes": boxes,
               "mask_valid": torch.full((len(images),), data.get("masks") is not None, dtype=torch.bool)}
        out.update({k: data[k] for k in ("dataset", "sequence") if k in data})
        if "frame_ids" in data:
            out["frame_ids"] = torch.as_tensor(data["frame_ids"], dtype=torch.long)
        return out

    def joint(self, images: Sequence[np.ndarray], masks: Optional[Sequence], boxes: Sequence, rng: np.random.Generator
              ) -> Tuple[List[np.ndarray], Optional[List[np.ndarray]], List[np.ndarray]]:
        """Binary uint8 masks, float boxes, and grayscale / flip decided once for all the frames."""
        images = list(images)
        boxes = [np.asarray(b, dtype=np.float64) for b in boxes]
        if masks is not None:
            masks = [(np.asarray(m) > 0).astype(np.uint8) for m in masks]
        if rng.random() < self.p_grayscale:
            images = [to_grayscale(im) for im in images]
        if rng.random() < self.p_flip:
            images, masks, boxes = hflip(images, masks, boxes)
        return images, masks, boxes

    def frames(self, images: List[np.ndarray], masks: Optional[List[np.ndarray]], boxes: List[np.ndarray],
               rng: np.random.Generator, scale_jitter: float, center_jitter: Union[float, Sequence[float]]
               ) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Per frame: a crop around the jittered box, a random rotation / scaling (when enabled), brightness
        jitter and normalisation -> images (T,3,H,W), masks (T,H,W) (zeros without masks) and boxes
        (T,4): the tight box of the output mask, else the given box mapped into the output."""
        out_h, out_w = self.output_size
        out_images, out_masks, out_boxes = [], [], []
        for i, (image, box) in enumerate(zip(images, boxes)):
            jittered = jitter_box(box, rng, scale_jitter, center_jitter)
            crop = crop_box(jittered, image.shape[:2], self.search_area_factor,
                            self.output_size, self.crop_mode, self.max_scale_change)
            patch = crop_image(image, crop, self.output_size)
            mask = np.zeros((out_h, out_w), np.uint8) if masks is None else \
                crop_image(masks[i], crop, self.output_size, is_mask=True)
            out_box = map_box_to_crop(box, crop, self.output_size)
            if self.max_rotation or self.max_scale:
                angle = rng.uniform(-self.max_rotation, self.max_rotation)
                scale = np.exp(rng.uniform(-self.max_scale, self.max_scale))
                warp = rotation_scale_matrix(self.output_size, angle, scale)
                patch, mask = warp_affine(patch, warp), warp_affine(mask, warp, is_mask=True)
                out_box = warp_box(out_box, warp)
            patch = torch.from_numpy(patch).permute(2, 0, 1).float()
            low = max(0.0, 1.0 - self.brightness_jitter)
            patch = adjust_brightness(patch, rng.uniform(low, 1.0 + self.brightness_jitter))
            out_images.append(normalize_image(patch, self.normalization))
            out_masks.append(torch.from_numpy(mask.astype(np.float32)))
            out_boxes.append(mask_to_box(mask) if mask.any() else out_box)
        return (torch.stack(out_images), torch.stack(out_masks),
                torch.as_tensor(np.stack(out_boxes), dtype=torch.float32))


class LWLProcessing(Box2SegProcessing):
    """LWL training processing (facts §5.6): the train and the test frames each get their own joint
    grayscale / flip, then every frame a crop around a box jittered with its split's factors, a random
    rotation (±15°) and scaling (exp ±0.2), brightness jitter and normalisation.

    Takes the LWLSampler's raw sample and returns, for s in ('train', 'test'), 's_images' (F,3,H,W),
    's_masks' (F,H,W) 0/1, 's_boxes' (F,4) tight boxes of the masks and 's_frame_ids', plus 'dataset'
    and 'sequence'. ``scale_jitter`` / ``center_jitter`` are the train frames' factors.
    """

    def __init__(self, output_size: Size = (480, 832), search_area_factor: float = 5.0,
                 scale_jitter: float = 0.25, center_jitter: Union[float, Sequence[float]] = 3.0,
                 test_scale_jitter: float = 0.5, test_center_jitter: Union[float, Sequence[float]] = (5.5, 4.5),
                 max_rotation: float = 15.0, max_scale: float = 0.2, **kwargs):
        super().__init__(output_size=output_size, search_area_factor=search_area_factor, scale_jitter=scale_jitter,
                         center_jitter=center_jitter, max_rotation=max_rotation, max_scale=max_scale, **kwargs)
        self.test_scale_jitter = test_scale_jitter
        self.test_center_jitter = test_center_jitter

    def __call__(self, data: Dict, rng: np.random.Generator) -> Dict:
        out = {k: data[k] for k in ("dataset", "sequence") if k in data}
        jitter = {"train": (self.scale_jitter, self.center_jitter),
                  "test": (self.test_scale_jitter, self.test_center_jitter)}
        for split, (scale_jitter, center_jitter) in jitter.items():
            images, masks, boxes = self.joint(data[f"{split}_images"], data[f"{split}_masks"],
                                              data[f"{split}_boxes"], rng)
            images, masks, boxes = self.frames(images, masks, boxes, rng, scale_jitter, center_jitter)
            out.update({f"{split}_images": images, f"{split}_masks": masks, f"{split}_boxes": boxes,
                        f"{split}_frame_ids": torch.as_tensor(data[f"{split}_frame_ids"], dtype=torch.long)})
        return out

"""Photometric and flip augmentations, and the input normalisations the networks expect.

Pure functions (randomness is decided by the caller) so that training and inference share them.
"""
from __future__ import annotations

from typing import Dict, List, Optional, Sequence, Tuple

import cv2
import numpy as np
import torch

# mean/std in the channel order the network sees; 'scale' is applied to 0..255 values first.
NORMALIZATIONS: Dict[str, Dict] = {
    # Mask R-CNN (Detectron) ResNet weights: BGR, 0..255, mean subtracted, std 1.
    "bgr255": {"bgr": True, "scale": 1.0, "mean": (102.9801, 115.9465, 122.7717), "std": (1.0, 1.0, 1.0)},
    # torchvision ImageNet weights: RGB, 0..1.
    "imagenet": {"bgr": False, "scale": 1.0 / 255, "mean": (0.485, 0.456, 0.406), "std": (0.229, 0.224, 0.225)},
    # EfficientNet-Lite (TF-Lite release): RGB, (x - 127) / 128.
    "lite": {"bgr": False, "scale": 1.0, "mean": (127.0, 127.0, 127.0), "std": (128.0, 128.0, 128.0)},
}


def normalize_image(image: torch.Tensor, mode: str = "bgr255") -> torch.Tensor:
    """Normalise float RGB 0..255 images (..., 3, H, W) for a backbone ('bgr255', 'imagenet' or 'lite')."""
    if mode not in NORMALIZATIONS:
        raise ValueError(f"unknown normalisation {mode!r}; choose one of {sorted(NORMALIZATIONS)}")
    cfg = NORMALIZATIONS[mode]
    if cfg["bgr"]:
        image = image.flip(-3)
    shape = (3, 1, 1)
    # Made on the host and sent without waiting: creating them on a GPU would wait for its queue.
    mean = torch.tensor(cfg["mean"], dtype=image.dtype).view(shape).to(image.device, non_blocking=True)
    std = torch.tensor(cfg["std"], dtype=image.dtype).view(shape).to(image.device, non_blocking=True)
    return (image * cfg["scale"] - mean) / std


def to_grayscale(image: np.ndarray) -> np.ndarray:
    """RGB uint8 image as a 3-channel gray image (networks still expect 3 channels)."""
    return np.repeat(cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)[..., None], 3, axis=2)


def hflip(images: Sequence[np.ndarray], masks: Optional[Sequence[np.ndarray]], boxes: Sequence[np.ndarray]
          ) -> Tuple[List[np.ndarray], Optional[List[np.ndarray]], List[np.ndarray]]:
    """Mirror frames, masks and [x, y, w, h] boxes left-right (x' = W - x - w)."""
    flipped_boxes = []
    for im, box in zip(images, boxes):
        box = np.array(box, dtype=np.float64)
        box[0] = im.shape[1] - box[0] - box[2]
        flipped_boxes.append(box)
    flipped_masks = None if masks is None else [np.ascontiguousarray(m[:, ::-1]) for m in masks]
    return [np.ascontiguousarray(im[:, ::-1]) for im in images], flipped_masks, flipped_boxes


def adjust_brightness(image: torch.Tensor, factor: float) -> torch.Tensor:
    """Scale a 0..255 float image by ``factor``, clamped to the valid range."""
    return (image * factor).clamp_(0.0, 255.0)


def rotation_scale_matrix(size: Tuple[int, int], angle: float, scale: float) -> np.ndarray:
    """2x3 affine map rotating by ``angle`` degrees (counter-clockwise) and scaling about the centre
    of an (H, W) image; the official RandomAffine without shear, aspect change or flip."""
    center = ((size[1] - 1) / 2.0, (size[0] - 1) / 2.0)
    return cv2.getRotationMatrix2D(center, angle, scale)


def warp_affine(image: np.ndarray, matrix: np.ndarray, is_mask: bool = False) -> np.ndarray:
    """Apply a 2x3 map to an image (bilinear) or mask (nearest), same size, zeros outside."""
    flags = cv2.INTER_NEAREST if is_mask else cv2.INTER_LINEAR
    return cv2.warpAffine(image, matrix, (image.shape[1], image.shape[0]), flags=flags,
                          borderMode=cv2.BORDER_CONSTANT, borderValue=0)


def warp_box(box: Sequence[float], matrix: np.ndarray) -> np.ndarray:
    """The [x, y, w, h] box enclosing the mapped corners of a box."""
    x, y, w, h = (float(v) for v in box)
    corners = np.array([[x, y, 1.0], [x + w, y, 1.0], [x, y + h, 1.0], [x + w, y + h, 1.0]])
    mapped = corners @ np.asarray(matrix, dtype=np.float64).T
    low, high = mapped.min(0), mapped.max(0)
    return np.concatenate([low, high - low])

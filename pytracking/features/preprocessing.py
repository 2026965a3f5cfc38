"""The inference crop, shared by the annotation tool and the LWL tracker: a fixed-size crop around the
target and the paste-back of the crop's mask logits (facts §3.5, §6.6).

The network sees every frame as a fixed-size crop centred on the target, with the target covering
1/``search_area``² of the crop area, so objects of any size reach it at the scale it was trained on.
The crop follows pytracking's ``sample_patch`` in 'inside_major' mode: integer centre,
pre-downsampling by an integer stride for large crops, the window shifted inside the image (and
centred on an axis where it is larger), replicate padding, bilinear resize. Training crops with
``ltr.data.processing`` (see there how and why the two differ).

Coordinates: boxes are [x, y, w, h] with pixel i covering [i, i+1); sizes are (H, W) (``Size``).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence, Tuple

import cv2
import numpy as np
import torch
import torch.nn.functional as F

from ltr.data.bounding_box_utils import Size, box_region

KERNEL = 3  # the target model's filter size


@dataclass(frozen=True)
class Crop:
    """The image region (may extend past the image) that was resized to the network input."""

    top: int
    left: int
    height: int
    width: int
    out_size: Size

    def box_to_crop(self, box: Sequence[float]) -> np.ndarray:
        """An image box in the coordinates of the network input."""
        sy, sx = self.out_size[0] / self.height, self.out_size[1] / self.width
        x, y, w, h = (float(v) for v in box)
        return np.array([(x - self.left) * sx, (y - self.top) * sy, w * sx, h * sy], dtype=np.float32)


def sample_centre(pos: Sequence[float], scale: float, out_size: Size, stride: int) -> np.ndarray:
    """The crop centre (y, x) for a target at ``pos``: shifted by half a feature cell on axes whose
    feature-map size + kernel size is odd, as the official trackers do (facts §3.5); ``stride`` is the
    network's ``target_stride``, the size of a cell in crop pixels."""
    out = np.asarray(out_size, dtype=np.float64)
    feat = out / stride
    return np.asarray(pos, dtype=np.float64) + ((feat + KERNEL) % 2) * scale * out / (2 * feat)


def sample_patch(image: np.ndarray, centre: Sequence[float], size: Sequence[float], out_size: Size,
                 is_mask: bool = False) -> Tuple[np.ndarray, Crop]:
    """pytracking's ``sample_patch`` in 'inside_major' mode (facts §6.6): the region of ``size`` (H, W)
    around ``centre`` (y, x), shrunk to fit the image's minor axis, moved inside the image, resized to
    ``out_size``. Images (HxWx3) are padded by replication and resized bilinearly; masks (HxW, any
    dtype) are padded with zeros and resized by nearest neighbour."""
    out = np.asarray(out_size, dtype=np.float64)
    im_size = np.asarray(image.shape[:2])
    size = np.asarray(size, dtype=np.float64)
    size = np.trunc(size / np.clip((size / im_size).min(), 1.0, None))  # 'inside_major': fit the minor axis
    stride = max(int((size / out).min() - 0.1), 1)
    pos = np.trunc(np.asarray(centre, dtype=np.float64)).astype(np.int64)
    offset = pos % stride
    strided = image[offset[0]::stride, offset[1]::stride]
    pos = (pos - offset) // stride
    extent = np.maximum(np.round(size / stride), 2).astype(np.int64)
    top_left = pos - (extent - 1) // 2
    limit = np.asarray(strided.shape[:2])
    top_left = np.where(extent <= limit, np.clip(top_left, 0, limit - extent), -((extent - limit) // 2))
    bottom_right = top_left + extent
    inside_tl, inside_br = np.maximum(top_left, 0), np.minimum(bottom_right, limit)
    region = np.ascontiguousarray(strided[inside_tl[0]:inside_br[0], inside_tl[1]:inside_br[1]])
    pad_before, pad_after = inside_tl - top_left, bottom_right - inside_br
    if (pad_before > 0).any() or (pad_after > 0).any():
        region = cv2.copyMakeBorder(region, int(pad_before[0]), int(pad_after[0]), int(pad_before[1]),
                                    int(pad_after[1]), cv2.BORDER_CONSTANT if is_mask else cv2.BORDER_REPLICATE,
                                    value=0)
    if region.shape[:2] != tuple(out_size):
        region = cv2.resize(region, (out_size[1], out_size[0]),
                            interpolation=cv2.INTER_NEAREST if is_mask else cv2.INTER_LINEAR)
    origin = offset + stride * top_left
    crop = Crop(int(origin[0]), int(origin[1]), int(stride * extent[0]), int(stride * extent[1]), tuple(out_size))
    return region, crop


def crop_frame(image: np.ndarray, box: Sequence[float], out_size: Size, search_area: float, stride: int
               ) -> Tuple[np.ndarray, Crop]:
    """Cut the network input for ``box`` out of an HxWx3 image: (patch (out_H, out_W, 3), its Crop);
    ``stride``: the network's ``target_stride`` (see ``sample_centre``)."""
    x, y, w, h = (float(v) for v in box)
    scale = np.sqrt(w * h) * search_area / np.sqrt(np.prod(out_size))
    centre = sample_centre([y + (h - 1) / 2, x + (w - 1) / 2], scale, out_size, stride)
    return sample_patch(image, centre, scale * np.asarray(out_size, dtype=np.float64), out_size)


def paste_logits(logits: torch.Tensor, crop: Crop, image_size: Size, fill: float = -100.0) -> torch.Tensor:
    """Full-image logits (H, W) from crop logits (out_H, out_W): bilinearly resized onto the crop's image
    region; ``fill`` (the official -100, i.e. certainly background) where the crop does not reach."""
    canvas = torch.full(tuple(image_size), fill, dtype=torch.float32, device=logits.device)
    y0, x0 = max(crop.top, 0), max(crop.left, 0)
    y1, x1 = min(crop.top + crop.height, image_size[0]), min(crop.left + crop.width, image_size[1])
    if y1 > y0 and x1 > x0:
        resized = F.interpolate(logits.float()[None, None], size=(crop.height, crop.width), mode="bilinear",
                                align_corners=False)[0, 0]
        canvas[y0:y1, x0:x1] = resized[y0 - crop.top:y1 - crop.top, x0 - crop.left:x1 - crop.left]
    return canvas


def paste_mask(logits: torch.Tensor, crop: Crop, image_size: Size, box: Sequence[float]) -> torch.Tensor:
    """Full-image mask (H, W) bool from crop logits (out_H, out_W): bilinear resize onto the crop's
    image region; pixels outside the region or outside the box's pixels (``box_region``) are background."""
    mask = torch.zeros(image_size, dtype=torch.bool, device=logits.device)
    y0, y1, x0, x1 = box_region(box, image_size)
    if y1 > y0 and x1 > x0:
        mask[y0:y1, x0:x1] = paste_logits(logits, crop, image_size)[y0:y1, x0:x1] > 0
    return mask

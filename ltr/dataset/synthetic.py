"""Procedural videos with exact masks, for demos and quick tests (no files, no downloads).

Each sequence shows a textured target (ellipse, smooth blob or polygon) moving, scaling and
rotating smoothly over a panning textured background, with distractors drawn from the same texture
family and occluders passing in front. The mask is exactly the visible target pixels; frames where
fewer than ``vis_threshold`` target pixels are visible are marked not visible. Everything is a pure
function of (seed, seq_id, frame), rendered on demand.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Dict, List, Optional, Tuple

import cv2
import numpy as np
import torch

from ltr.data.bounding_box_utils import mask_to_box
from ltr.dataset.base_video_dataset import BaseVideoDataset


def _reflect(x: np.ndarray, low: float, high: float) -> np.ndarray:
    """Fold a coordinate into [low, high] as if bouncing off the ends (a triangle wave)."""
    span = high - low
    u = np.mod(x - low, 2 * span)
    return low + span - np.abs(u - span)


def _noise_texture(rng: np.random.Generator, shape: Tuple[int, int], color: np.ndarray, contrast: float,
                   cell: int) -> np.ndarray:
    """Smooth colour noise (cell-sized blobs plus fine grain) around ``color``, uint8 HxWx3."""
    h, w = shape
    coarse = rng.standard_normal((max(2, h // cell), max(2, w // cell), 3)).astype(np.float32)
    noise = cv2.resize(coarse, (w, h), interpolation=cv2.INTER_CUBIC)
    noise += 0.3 * rng.standard_normal((h, w, 3)).astype(np.float32)
    return np.clip(color + contrast * noise, 0, 255).astype(np.uint8)


def _shape_mask(rng: np.random.Generator, radius: int) -> np.ndarray:
    """A random star-shaped object of about ``radius`` (ellipse, smooth blob or polygon), centred in
    a (2*radius+1)^2 canvas."""
    size = 2 * radius + 1
    kind = rng.integers(3)
    if kind == 0:  # ellipse
        angles = np.linspace(0, 2 * np.pi, 64, endpoint=False)
        radii = radius / np.sqrt(np.cos(angles) ** 2 + (np.sin(angles) / rng.uniform(0.45, 1.0)) ** 2)
    elif kind == 1:  # smooth blob: a few low-frequency harmonics of the radius
        angles = np.linspace(0, 2 * np.pi, 64, endpoint=False)
        harmonics = sum(rng.uniform(-0.15, 0.15) * np.cos(k * angles + rng.uniform(0, 2 * np.pi)) for k in (2, 3, 4))
        radii = radius * (1.0 + harmonics) / 1.45
    else:  # polygon with 3..7 vertices
        angles = np.sort(rng.uniform(0, 2 * np.pi, rng.integers(3, 8)))
        radii = radius * rng.uniform(0.6, 1.0, angles.size)
    points = np.stack([radius + radii * np.cos(angles), radius + radii * np.sin(angles)], 1)
    mask = np.zeros((size, size), np.uint8)
    cv2.fillPoly(mask, [np.round(points * 16).astype(np.int32)], 1, lineType=cv2.LINE_8, shift=4)
    return mask


@dataclass
class _Sprite:
    """A textured shape and its smooth trajectory: position (bounced inside bounds), scale, angle."""
    texture: np.ndarray
    mask: np.ndarray
    start: np.ndarray      # (2,) x, y
    velocity: np.ndarray   # (2,) px / frame
    bounds: np.ndarray     # (2, 2) [[x_lo, x_hi], [y_lo, y_hi]]
    scale_amp: float
    scale_freq: float
    phase: float
    spin: float

    def warp(self, t: int) -> np.ndarray:
        """The 2x3 affine map of sprite canvas coordinates to frame coordinates at frame t."""
        pos = self.start + self.velocity * t
        pos = np.array([_reflect(pos[i], *self.bounds[i]) for i in range(2)])
        scale = 1.0 + self.scale_amp * np.sin(self.scale_freq * t + self.phase)
        center = (self.mask.shape[1] - 1) / 2
        warp = cv2.getRotationMatrix2D((center, center), self.spin * t, scale)
        warp[:, 2] += pos - center
        return warp


@dataclass
class _Scene:
    background: np.ndarray
    pan: np.ndarray          # (2,) px / frame
    sprites: List[_Sprite]   # drawing order; the target is ``sprites[target]``
    target: int


@lru_cache(maxsize=64)
def _make_scene(seed: int, seq_id: int, image_size: Tuple[int, int], num_distractors: int,
                num_occluders: int, num_frames: int) -> _Scene:
    rng = np.random.default_rng([seed, seq_id])
    h, w = image_size
    margin = max(h, w) // 4
    background = _noise_texture(rng, (h + 2 * margin, w + 2 * margin), rng.uniform(40, 215, 3),
                                rng.uniform(20, 50), int(rng.integers(6, 24)))
    pan = rng.uniform(-1, 1, 2) * margin / max(num_frames, 1)
    family = (rng.uniform(40, 215, 3), rng.uniform(25, 60), int(rng.integers(3, 8)))
    inside = np.array([[0, w], [0, h]], dtype=np.float64)
    unbounded = np.array([[-1e9, 1e9], [-1e9, 1e9]])

    def sprite(radius: int, color: np.ndarray, contrast: float, cell: int, velocity: np.ndarray,
               bounds: np.ndarray, start: np.ndarray) -> _Sprite:
        mask = _shape_mask(rng, radius)
        return _Sprite(_noise_texture(rng, mask.shape, color, contrast, cell), mask, start, velocity, bounds,
                       rng.uniform(0, 0.15), rng.uniform(0.05, 0.2), rng.uniform(0, 2 * np.pi), rng.uniform(-2, 2))

    def random_velocity() -> np.ndarray:
        angle = rng.uniform(0, 2 * np.pi)
        return rng.uniform(0.5, 3) * np.array([np.cos(angle), np.sin(angle)])

    def object_radius() -> int:
        return int(min(h, w) * rng.uniform(0.1, 0.2))

    def similar(color: np.ndarray) -> np.ndarray:
        return np.clip(color + rng.uniform(-20, 20, 3), 0, 255)

    objects = [sprite(object_radius(), similar(family[0]), family[1], family[2], random_velocity(), inside,
                      rng.uniform(inside[:, 0], inside[:, 1])) for _ in range(1 + num_distractors)]
    target = int(rng.integers(len(objects)))  # depth order: distractors may pass in front of the target
    occluders = []
    for _ in range(num_occluders):
        # Crosses the frame once, entering from a random side, during a random part of the video.
        radius = int(min(h, w) * rng.uniform(0.08, 0.15))
        axis, side = int(rng.integers(2)), int(rng.integers(2))
        extent = (w, h)[axis]
        start = rng.uniform([0, 0], [w, h])
        start[axis] = -radius if side == 0 else extent + radius
        velocity = np.zeros(2)
        velocity[axis] = (extent + 2 * radius) / max(1.0, rng.uniform(0.3, 0.8) * num_frames) * (1 - 2 * side)
        start[axis] -= velocity[axis] * rng.uniform(0, 0.5) * num_frames
        occluders.append(sprite(radius, rng.uniform(0, 255, 3), rng.uniform(10, 40), int(rng.integers(2, 10)),
                                velocity, unbounded, start))
    return _Scene(background, pan, objects + occluders, target)


class SyntheticVideos(BaseVideoDataset):
    """``num_sequences`` procedural sequences of ``num_frames`` frames of ``image_size`` (H, W)."""

    name = "synthetic"

    def __init__(self, num_sequences: int = 16, num_frames: int = 40, image_size: Tuple[int, int] = (240, 320),
                 seed: int = 0, num_distractors: int = 2, num_occluders: int = 1, vis_threshold: int = 10):
        self.num_sequences, self.num_frames = num_sequences, num_frames
        self.image_size = (int(image_size[0]), int(image_size[1]))
        self.seed, self.num_distractors, self.num_occluders = seed, num_distractors, num_occluders
        self.vis_threshold = vis_threshold
        self._info: Dict[int, Dict[str, torch.Tensor]] = {}

    def has_masks(self) -> bool:
        return True

    def get_num_sequences(self) -> int:
        return self.num_sequences

    def get_sequence_name(self, seq_id: int) -> str:
        return f"synthetic-{self.seed}-{seq_id:04d}"

    def _scene(self, seq_id: int) -> _Scene:
        if not 0 <= seq_id < self.num_sequences:
            raise IndexError(f"sequence {seq_id} out of range (dataset has {self.num_sequences})")
        return _make_scene(self.seed, seq_id, self.image_size, self.num_distractors, self.num_occluders,
                           self.num_frames)

    def _render(self, scene: _Scene, t: int, with_image: bool) -> Tuple[Optional[np.ndarray], np.ndarray]:
        """Frame t (or None) and the visible target mask (bool)."""
        h, w = self.image_size
        image = None
        if with_image:
            margin = (scene.background.shape[0] - h) // 2
            x, y = np.clip(np.round(margin + scene.pan * t), 0, 2 * margin).astype(int)
            image = scene.background[y:y + h, x:x + w].copy()
        target = np.zeros((h, w), bool)
        for i, sp in enumerate(scene.sprites):
            warp = sp.warp(t)
            mask = cv2.warpAffine(sp.mask, warp, (w, h), flags=cv2.INTER_NEAREST).astype(bool)
            target = mask if i == scene.target else target & ~mask
            if with_image:
                image[mask] = cv2.warpAffine(sp.texture, warp, (w, h), flags=cv2.INTER_LINEAR)[mask]
        return image, target

    def get_sequence_info(self, seq_id: int) -> Dict[str, torch.Tensor]:
        if seq_id not in self._info:
            scene = self._scene(seq_id)
            masks = [self._render(scene, t, False)[1] for t in range(self.num_frames)]
            visible = torch.tensor([int(m.sum()) > self.vis_threshold for m in masks])
            boxes = torch.tensor(np.stack([mask_to_box(m) for m in masks]), dtype=torch.float32)
            self._info[seq_id] = {"bbox": boxes, "visible": visible, "valid": visible.clone()}
        return self._info[seq_id]

    def get_frames(self, seq_id: int, frame_ids: List[int], info: Optional[Dict] = None
                   ) -> Tuple[List[np.ndarray], Dict[str, List[torch.Tensor]], Dict]:
        scene = self._scene(seq_id)
        rendered = [self._render(scene, t, True) for t in frame_ids]
        info = self.get_sequence_info(seq_id) if info is None else info
        annos = {k: [v[f] for f in frame_ids] for k, v in info.items()}
        annos["mask"] = [torch.from_numpy(m.astype(np.float32)) for _, m in rendered]
        annos["bbox"] = [torch.tensor(mask_to_box(m), dtype=torch.float32) for _, m in rendered]
        return [im for im, _ in rendered], annos, {"sequence": self.get_sequence_name(seq_id)}

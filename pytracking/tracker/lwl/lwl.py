"""The LWL tracker (facts §6.5): a target model learned from the first frame's mask, updated online
from the tracker's own predictions, segments each frame in a crop that follows the target.

Per frame: the previous frame's features and soft mask join a memory of training samples whose
weights grow geometrically with recency (the learning rate), the target model's filter is refined by a
few steepest-descent steps every ``train_skipping`` frames, the crop is placed from the previous mask
('var' box: centre of mass and 4 standard deviations, scale change clipped), the decoder's crop logits
are pasted back into a -100 canvas. One tracker follows one object; the runner tracks a video's objects
together by merging their probabilities (``pytracking.tracker.base.soft_aggregate``) and hands each
tracker its object's merged probability (``merged``), which, as in LWL, it learns from and follows
instead of its own.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Dict, Optional, Tuple

import numpy as np
import torch

from ltr.data.bounding_box_utils import Size
from ltr.data.transforms import normalize_image
from ltr.models.inference import InferenceRecord
from ltr.models.lwl.lwl_net import LWTLNet
from pytracking.features.preprocessing import paste_logits, sample_centre, sample_patch
from pytracking.tracker.base import TrackerOutput
from pytracking.utils.loading import DEFAULT_BOX2SEG


@dataclass
class LWLParams:
    """Tracker parameters; the defaults are the official ``lwl_ytvos`` ones (facts §6.5).

    Fixed as in ``lwl_ytvos``: 'inside_major' crops without a scale limit, the 'var' box from the mask.
    The network's ``InferenceRecord`` (crop size, search area and solver it was trained for), when its
    checkpoint has one, wins over ``image_sample_size`` and ``search_area_scale``.
    """

    net: str = "lwl_stage2.pth"  # a file, or a name in network_path / pytracking/networks/
    box2seg_net: str = DEFAULT_BOX2SEG  # box mode: turns the first box into the initial mask
    image_sample_size: Size = (480, 832)  # (H, W) of the network input
    search_area_scale: float = 5.0  # crop side / target side
    max_scale_change: Tuple[float, float] = (0.95, 1.1)  # per frame, relative to the previous scale
    min_mask_area: float = 100.0  # a softer mask keeps the previous box
    seg_to_bb_sz_factor: float = 4.0  # box side = factor x standard deviation of the mask
    sample_memory_size: int = 32
    learning_rate: float = 0.1
    init_samples_minimum_weight: float = 0.25  # 0: the first frame's sample may be replaced
    lower_init_weight: bool = False  # the first added sample weighs as much as the initial one
    train_skipping: int = 1  # refine the filter every this many frames
    update_target_model: bool = True
    net_opt_iter: int = 20  # steepest-descent iterations on the first frame
    net_opt_update_iter: int = 3  # ... at each refinement


def update_sample_weights(weights: torch.Tensor, num_stored: int, previous_slot: Optional[int], num_init: int,
                          learning_rate: float, init_minimum_weight: float, lower_init_weight: bool) -> int:
    """Pick the memory slot of a new sample and update the weights (in place, summing to 1); returns the slot.

    The slot is the next free one, else the lightest (never an initial sample when they have a minimum
    weight). The new sample weighs the previous new one / (1 - lr), so weights decay geometrically
    with age; the first added one weighs lr (1 with ``lower_init_weight``) after the others were
    divided by (1 - lr). Initial samples keep at least ``init_minimum_weight`` in total, the other
    weights being scaled down to make room.
    """
    if num_stored < len(weights):
        slot = num_stored
    else:
        start = num_init if init_minimum_weight else 0
        slot = start + int(torch.argmin(weights[start:]))
    if previous_slot is None:
        weights /= 1 - learning_rate
        weights[slot] = 1.0 if lower_init_weight else learning_rate
    else:
        weights[slot] = weights[previous_slot] / (1 - learning_rate)
    weights /= weights.sum()
    if init_minimum_weight and weights[:num_init].sum() < init_minimum_weight:
        others = weights[num_init:]
        others *= (1 - init_minimum_weight) / others.sum()
        weights[:num_init] = init_minimum_weight / num_init
    return slot


def mask_state(prob: torch.Tensor, size_factor: float, min_area: float) -> Optional[Tuple[np.ndarray, np.ndarray]]:
    """The 'var' target state of a probability map (H, W): (centre of mass (y, x), size_factor x the
    standard deviation per axis (h, w)); None when the map sums to less than ``min_area``."""
    prob = prob.double()
    total = prob.sum()
    if total < min_area:
        return None
    centre, size = [], []
    for axis, profile in ((0, prob.sum(1)), (1, prob.sum(0))):
        coords = torch.arange(prob.shape[axis], dtype=prob.dtype, device=prob.device)
        mean = (profile * coords).sum() / total
        var = (profile * (coords - mean) ** 2).sum() / total
        centre.append(float(mean))
        size.append(size_factor * math.sqrt(float(var)))
    return np.array(centre), np.array(size)


def inference_record(net: LWTLNet, params: LWLParams) -> InferenceRecord:
    """The network's inference record (crop size, search area, solver it was trained for), else one
    made of the parameters' crop size and search area, the backbone's normalisation and the default solver."""
    record = InferenceRecord.of(net)
    if record is not None:
        return record
    return InferenceRecord(crop_size=params.image_sample_size, search_area=params.search_area_scale,
                           normalization=net.feature_extractor.normalization)


class LWL:
    """The LWL tracker on one sequence (make one per sequence; the network is shared)."""

    network_type = LWTLNet  # what a parameter set's network file must hold
    inference_record = staticmethod(inference_record)

    def __init__(self, net: LWTLNet, params: LWLParams, device: torch.device | str = "cpu"):
        self.params = params
        self.device = torch.device(device)
        self.net = net.to(self.device).eval()
        record = inference_record(net, params)
        self.sample_size, self.search_area, self.solver = record.crop_size, record.search_area, record.solver

    def _features(self, patch: np.ndarray) -> Tuple[Dict[str, torch.Tensor], torch.Tensor]:
        """Backbone features and target features (1, 1, C, h, w) of a uint8 RGB crop."""
        image = torch.from_numpy(patch).to(self.device).permute(2, 0, 1)[None].float()
        feats = self.net.extract_backbone_features(normalize_image(image, self.net.feature_extractor.normalization))
        return feats, self.net.extract_target_model_features(feats)[None]

    def _sample_region(self) -> np.ndarray:
        """(H, W) of the image region the current scale crops."""
        return self.scale * np.asarray(self.sample_size, dtype=np.float64)

    def _mask_tensor(self, patch: np.ndarray) -> torch.Tensor:
        return torch.from_numpy(np.ascontiguousarray(patch, dtype=np.float32)).to(self.device)[None, None]

    @torch.no_grad()
    def initialize(self, image: np.ndarray, mask: np.ndarray, box: np.ndarray) -> TrackerOutput:
        """Learn the target model from the first frame (HxWx3 uint8 RGB), its mask (HxW) and box [x, y, w, h].

        The crop is centred on the box (no half-cell shift), at the scale that makes the box cover
        1/search_area² of it; the filter is learned from zero in ``net_opt_iter`` steps.
        """
        p = self.params
        x, y, w, h = (float(v) for v in box)
        self.pos = np.array([y + (h - 1) / 2, x + (w - 1) / 2])
        self.scale = math.sqrt(w * h) * self.search_area / math.sqrt(np.prod(self.sample_size))
        self.base_target_sz = np.array([h, w]) / self.scale
        self.box = np.array([x, y, w, h])
        patch, _ = sample_patch(image, self.pos, self._sample_region(), self.sample_size)
        mask_patch, _ = sample_patch(mask.astype(np.float32), self.pos, self._sample_region(), self.sample_size,
                                     is_mask=True)
        _, feat = self._features(patch)
        init_mask = self._mask_tensor(mask_patch)
        label, weight = self.net.label_encoder(init_mask, feat)
        self.filter, _, _ = self.net.target_model.get_filter(feat, label, weight, num_iter=p.net_opt_iter,
                                                             solver=self.solver)
        # The memory keeps each sample's features and mask encodings (the encoder sees a mask once: its
        # output never changes), and the sample's temporal weight.
        size = p.sample_memory_size
        self.memory = [t.new_zeros((size, *t.shape[1:])) for t in (feat, label, weight)]
        for stored, value in zip(self.memory, (feat, label, weight)):
            stored[0] = value[0]
        self.memory_weights = torch.zeros(size, dtype=torch.float64)
        self.memory_weights[0] = 1.0
        self.num_stored, self.previous_slot = 1, None
        self.frame_num = 1
        self.previous: Optional[Tuple[torch.Tensor, np.ndarray, np.ndarray, torch.Tensor]] = None
        self.state_before = (self.pos, self.scale, self.box)  # (pos, scale, box) before the last frame's update
        return TrackerOutput(np.asarray(mask, dtype=bool), self.box.copy(), np.asarray(mask, dtype=np.float32))

    def _update_target_model(self) -> None:
        """Add the previous frame (its features and the encoding of its soft mask, cropped as its features
        were) to the memory; every ``train_skipping`` frames refine the filter on the weighted memory."""
        p = self.params
        feat, centre, region, prob = self.previous
        prob_patch, _ = sample_patch(prob.cpu().numpy(), centre, region, self.sample_size, is_mask=True)
        label, weight = self.net.label_encoder(self._mask_tensor(prob_patch), feat)
        slot = update_sample_weights(self.memory_weights, self.num_stored, self.previous_slot, 1, p.learning_rate,
                                     p.init_samples_minimum_weight, p.lower_init_weight)
        for stored, value in zip(self.memory, (feat, label, weight)):
            stored[slot] = value[0]
        self.previous_slot, self.num_stored = slot, min(self.num_stored + 1, p.sample_memory_size)
        if (self.frame_num - 1) % p.train_skipping == 0:
            feats, labels, weights = (stored[:self.num_stored] for stored in self.memory)
            temporal = self.memory_weights[:self.num_stored].to(weights).view(-1, 1, 1, 1, 1)
            self.filter = self.net.target_model.filter_optimizer(
                [self.filter], feat=feats, label=labels, sample_weight=weights * temporal,
                num_iter=p.net_opt_update_iter, solver=self.solver)[0][0]

    def _update_state(self, prob: torch.Tensor) -> None:
        """New position, size and box from the 'var' state of the mask; the crop scale follows the size
        within ``max_scale_change`` of the previous scale. A nearly empty mask keeps the previous state."""
        state = mask_state(prob, self.params.seg_to_bb_sz_factor, self.params.min_mask_area)
        if state is None:
            return
        self.pos, (h, w) = state
        low, high = self.params.max_scale_change
        scale = math.sqrt(h * w / np.prod(self.base_target_sz))
        self.scale = float(np.clip(scale, low * self.scale, high * self.scale))
        self.box = np.array([self.pos[1] - (w - 1) / 2, self.pos[0] - (h - 1) / 2, w, h])

    @torch.no_grad()
    def track(self, image: np.ndarray) -> TrackerOutput:
        """Segment the next frame (HxWx3 uint8 RGB); the box is the 'var' box of the mask."""
        self.frame_num += 1
        if self.previous is not None and self.params.update_target_model:
            self._update_target_model()
        centre = sample_centre(self.pos, self.scale, self.sample_size, self.net.target_stride)
        region = self._sample_region()
        patch, crop = sample_patch(image, centre, region, self.sample_size)
        feats, feat = self._features(patch)
        logits, _ = self.net.segment_target(self.filter, feat, feats)
        logits = paste_logits(logits[0, 0], crop, image.shape[:2])
        prob = torch.sigmoid(logits)
        self.previous = (feat, centre, region, prob)
        self.state_before = (self.pos, self.scale, self.box)
        self._update_state(prob)
        return TrackerOutput((logits > 0).cpu().numpy(), self.box.copy(), prob.cpu().numpy())

    def merged(self, prob: np.ndarray) -> None:
        """The last tracked frame's probability (H, W) of this object after merging it with the video's
        other objects: the next frame's memory update and crop use it instead of the tracker's own."""
        if self.previous is None:
            return
        feat, centre, region, own = self.previous
        prob = torch.from_numpy(np.ascontiguousarray(prob)).to(own)
        self.previous = (feat, centre, region, prob)
        self.pos, self.scale, self.box = self.state_before
        self._update_state(prob)

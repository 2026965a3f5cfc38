"""The box2seg network as an evaluation method: ``Box2Seg(weights=...)(seq)`` yields one mask per frame.

It runs the annotation engine (same crops, temporal windows, feature cache and paste-back), so what
is scored is exactly what the annotation tool writes. Given a selection of frames
(``VideoSequence.select``, e.g. every k-th frame to make CPU evaluation affordable), only those frames
are segmented, while their temporal windows still draw on every frame of the whole sequence.
"""
from __future__ import annotations

import copy
import os
from dataclasses import asdict
from typing import Dict, Iterator, Optional

import numpy as np
import torch

from ltr.data.image_loader import ImageReadError, PathLike
from ltr.models.box2seg.box2seg_net import Box2SegNet
from ltr.dataset.sequence import VideoSequence
from pytracking.annotate.engine import Annotator, settings_for
from pytracking.utils.cli import load_weights, pick_device
from pytracking.evaluation.environment import env_settings


def fixed_num_frames(net: Box2SegNet) -> Optional[int]:
    """The only T a network can use (the 'concat' aggregation), or None when any T works."""
    return getattr(net.target_model, "num_frames", None)


def without_aggregated_scores(net: Box2SegNet) -> Box2SegNet:
    """A copy of ``net`` whose S and Ŝ hand the decoder zeros instead of s_t and ŝ_t.

    The J this copy loses against ``net`` is what the aggregation over frames contributes: near 0 means
    the decoder segments from the box encoding m_t alone and S is unused.
    """
    if net.bbox_encoder is None:
        raise ValueError(f"the {net.variant} variant has no aggregated scores to zero")
    ablated = copy.deepcopy(net)

    def zero_scores(module: torch.nn.Module, inputs, outputs):
        s, z = outputs
        return torch.zeros_like(s), z

    for stage in (ablated.target_model, ablated.target_model_segm):
        if stage is not None:
            stage.register_forward_hook(zero_scores)
    return ablated


def aggregation_parameters(net: Box2SegNet) -> Dict[str, float]:
    """The learned λ of S and Ŝ (a λ near 0 leaves the filter fit to each frame's labels unregularised)."""
    stages = {"lambda_S": net.target_model, "lambda_S_hat": net.target_model_segm}
    return {name: float(stage.filter_optimizer.residual_module.filter_reg.abs().item())
            for name, stage in stages.items() if stage is not None and hasattr(stage, "filter_optimizer")}


class Box2Seg:
    """A box2seg checkpoint (ours or the official sta.pth.tar) as a box->mask method.

    ``settings`` are ``AnnotateSettings`` fields (num_frames T, interval Δ, iters, search_area,
    crop_size, batch_windows, bf16, workers, fast, solver; None or absent: crop size, search area and
    solver from the network's ``InferenceRecord``, the rest the paper's T=9, Δ=15, 15 iterations, exact
    mode; the paper uses Δ=5 on DAVIS).
    Frames without a box get empty masks; a frame the engine cannot use (unreadable image, box outside
    it) fails the sequence (ImageReadError naming the frame).
    """

    def __init__(self, weights: Optional[PathLike] = None, net: Optional[Box2SegNet] = None, name: str = "box2seg",
                 device: Optional[str] = None, **settings):
        if weights is not None and net is not None:
            raise ValueError("Box2Seg takes weights (a checkpoint; default: the shipped network) or net, not both")
        self.net = net if net is not None else load_weights(weights and str(weights), env_settings().network_path)
        self.settings = settings_for(self.net, **settings)
        fixed = fixed_num_frames(self.net)
        if fixed is not None and fixed != self.settings.num_frames:
            raise ValueError(f"{name}: this network's aggregation combines exactly T={fixed} frames; "
                             f"it cannot be evaluated with T={self.settings.num_frames}")
        self.base_name, self.device = name, device
        self.name = f"{name}_T{self.settings.num_frames}"
        self.annotator = Annotator(self.net, self.settings, pick_device(device, os.environ))

    def with_frames(self, num_frames: int) -> "Box2Seg":
        """The same network and settings with another T (no reloading)."""
        settings = dict(asdict(self.settings), num_frames=num_frames)
        return Box2Seg(net=self.net, name=self.base_name, device=self.device, **settings)

    def __call__(self, seq: VideoSequence) -> Iterator[np.ndarray]:
        whole, where = seq.source()
        masks: Dict[int, np.ndarray] = {}
        for result in self.annotator.annotate(whole, targets=set(where)):
            if result.mask is None:
                raise ImageReadError(result.problem)
            masks[result.index] = result.mask
        for i in where:
            yield masks[i] if i in masks else np.zeros(seq.image_size, dtype=bool)

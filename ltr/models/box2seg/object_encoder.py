"""The object encoder B (paper §3.2): x_t and the box b_t -> (e_t, w_t, m_t).

e_t and w_t are the few-shot labels and their per-element weights that the aggregation S fits a
filter to; m_t is the box encoding the decoder sees directly. In the official weights they are two
box label encoders, ``bbox_encoder`` (e_t, w_t) and ``label_encoder`` (m_t); B is their pair.
"""
from __future__ import annotations

from typing import NamedTuple, Optional, Sequence

import torch

from ltr.models.lwl.label_encoder import ResidualDS16FeatSWBox


class ObjectEncoding(NamedTuple):
    """B's output for T frames of B sequences, each (T,B,16,h,w); absent parts are None."""

    e: Optional[torch.Tensor]
    w: Optional[torch.Tensor]
    m: Optional[torch.Tensor]

    def frames(self, index: torch.Tensor) -> "ObjectEncoding":
        """The encoding of a subset of frames (dim 0), e.g. one temporal window of a cached sequence."""
        return ObjectEncoding(*(None if t is None else t[index] for t in self))


def box_encoder(label_encoder_dims: Sequence[int], num_filters: int, feat_dim: int, stride: int
                ) -> ResidualDS16FeatSWBox:
    """One half of B: a box label encoder producing ``num_filters`` channels at x_t's ``stride``."""
    return ResidualDS16FeatSWBox(layer_dims=tuple(label_encoder_dims) + (num_filters,), feat_dim=feat_dim,
                                 use_final_relu=True, use_gauss=False, stride=stride)


def encode_object(label_encoder: Optional[ResidualDS16FeatSWBox], bbox_encoder: Optional[ResidualDS16FeatSWBox],
                  boxes: torch.Tensor, x: torch.Tensor, image_size: Sequence[int]) -> ObjectEncoding:
    """B(x_t, b_t) for boxes (T,B,4) [x,y,w,h] and target features x (T,B,C,h,w)."""
    e = w = m = None
    if bbox_encoder is not None:
        e, w = bbox_encoder(boxes, x, image_size)
    if label_encoder is not None:
        m, _ = label_encoder(boxes, x, image_size)
    return ObjectEncoding(e, w, m)

"""The refinement encoder B̂ (paper §3.3): the initial mask y_t -> new few-shot labels and weights.

A second aggregation fitted to these (instead of to box-derived labels) refines the masks: the
network's own first guess of the object's extent is a much better training signal than the box.
In the official weights this is ``segm_encoder``, a mask label encoder.
"""
from __future__ import annotations

from typing import Sequence

from ltr.models.lwl.label_encoder import ResidualDS16SW


class RefinementEncoder(ResidualDS16SW):
    """B̂: probabilities sigmoid(y_t) (T,B,H,W) -> (ê_t, ŵ_t), each (T,B,K,h,w)."""


def refinement_encoder(label_encoder_dims: Sequence[int], num_filters: int, use_bn: bool, stride: int
                       ) -> RefinementEncoder:
    """B̂ from the box encoders' first three widths (official: (16, 32, 64) + (num_filters,)), at x_t's ``stride``."""
    return RefinementEncoder(layer_dims=tuple(label_encoder_dims[:-1]) + (num_filters,), use_bn=use_bn,
                             stride=stride)

"""Rung 2 of the multi-frame ladder: ``davis16_lite_multiframe`` with 64-d target features x_t.

S fits one 3x3 filter with C·9 weights per output channel to T frames of 12x20 cells. At C = 256
that is 2304 weights for 2160 equations at T = 9 (720 at the training T = 3): z can fit each frame's
e_t on its own, so nothing forces one appearance model across frames. At C = 64 (576 weights) the
ratio of equations to weights is the paper's (512-d x_t on 30x52 cells)."""
from __future__ import annotations

from ltr.train_settings.box2seg.davis16_lite_multiframe import configure as configure_multiframe


def configure(settings) -> None:
    configure_multiframe(settings)
    settings.description = "box2seg MultiFrame, 64-d target features, shared DAVIS-2016, EfficientNet-Lite0"
    settings.net_kwargs = dict(settings.net_kwargs, out_feature_dim=64)

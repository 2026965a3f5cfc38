"""Ladder rung 9, rung 4 with 32-d target features x_t: one 3x3 filter z then has 288 weights per
label channel, against 720 equations in a training window of T = 3 on 12x20 cells, so z must fit
the frames of a window together (rung 2 -> 4 went 256-d -> 64-d and the gain from T rose)."""
from __future__ import annotations

from ltr.train_settings.box2seg.davis16_lite_d64_boxdrop import configure as configure_davis16_lite_d64_boxdrop


def configure(settings) -> None:
    configure_davis16_lite_d64_boxdrop(settings)
    settings.description = "box2seg, 32-d target features and box-encoding dropout 0.5, shared DAVIS-2016, Lite0"
    settings.net_kwargs = dict(settings.net_kwargs, out_feature_dim=32)

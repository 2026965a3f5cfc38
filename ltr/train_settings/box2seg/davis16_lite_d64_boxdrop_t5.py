"""Ladder rung 6, training as inference: ``davis16_lite_d64_boxdrop`` trained on windows of T = 5
frames instead of 3, so S is fitted in training on windows closer to the T = 9 of inference."""
from __future__ import annotations

from ltr.train_settings.box2seg.davis16_lite_d64_boxdrop import configure as configure_d64_boxdrop


def configure(settings) -> None:
    configure_d64_boxdrop(settings)
    settings.description = "box2seg, 64-d target features, box-encoding dropout 0.5, T = 5 training windows, Lite0"
    settings.num_frames = 5

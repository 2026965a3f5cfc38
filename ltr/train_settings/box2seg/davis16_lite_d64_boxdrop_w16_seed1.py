"""Rung 10 with another seed: whether its small gain from T (+0.2 J) is the narrower decoder's or the
training run's luck (the gain moves by about 1 J between seeds of one recipe)."""
from __future__ import annotations

from ltr.train_settings.box2seg.davis16_lite_d64_boxdrop_w16 import configure as configure_davis16_lite_d64_boxdrop_w16


def configure(settings) -> None:
    configure_davis16_lite_d64_boxdrop_w16(settings)
    settings.description = "box2seg rung 10 (decoder width 16) with seed 1"
    settings.seed = 1

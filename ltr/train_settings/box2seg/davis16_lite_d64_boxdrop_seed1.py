"""Rung 4 with another seed (sampling, augmentation, initialisation): how much of a rung's held-out J
and of its gain from T is the training run's luck rather than the recipe."""
from __future__ import annotations

from ltr.train_settings.box2seg.davis16_lite_d64_boxdrop import configure as configure_davis16_lite_d64_boxdrop


def configure(settings) -> None:
    configure_davis16_lite_d64_boxdrop(settings)
    settings.description = "box2seg rung 4 (64-d target features, box-encoding dropout 0.5) with seed 1"
    settings.seed = 1

"""box2seg §3.4 with the learning rate stated in the paper's text (1e-2 for every trained module)
instead of the official per-module rates; everything else as ``default``."""
from __future__ import annotations

from ltr.train_settings.box2seg.default import PAPER_LR, configure as configure_default


def configure(settings) -> None:
    configure_default(settings)
    settings.description = "box2seg, paper §3.4 with the paper's stated learning rate 1e-2"
    settings.learning_rates = {name: PAPER_LR for name in settings.learning_rates}
    settings.default_lr = PAPER_LR

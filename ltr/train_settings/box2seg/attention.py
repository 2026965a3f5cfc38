"""box2seg ablation, paper Table 3: dense space-time attention (keys x_t, values e_t) instead of S; everything else as ``default``."""
from __future__ import annotations

from ltr.train_settings.box2seg.default import configure as configure_default


def configure(settings) -> None:
    configure_default(settings)
    settings.description = "box2seg ablation: Table 3: dense space-time attention (keys x_t, values e_t) instead of S"
    settings.net_kwargs = dict(settings.net_kwargs, aggregation="attention")

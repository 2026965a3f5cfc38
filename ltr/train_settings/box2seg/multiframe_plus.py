"""box2seg ablation, paper Table 2 MultiFrame+: D(m_t, s_t) without the refinement stage; everything else as ``default``."""
from __future__ import annotations

from ltr.train_settings.box2seg.default import configure as configure_default


def configure(settings) -> None:
    configure_default(settings)
    settings.description = "box2seg ablation: Table 2 MultiFrame+: D(m_t, s_t) without the refinement stage"
    settings.net_kwargs = dict(settings.net_kwargs, variant="MultiFrame+")

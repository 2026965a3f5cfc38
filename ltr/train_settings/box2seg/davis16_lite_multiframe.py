"""Rung 1 of the multi-frame ladder: the paper's MultiFrame variant (Table 2: D(s_t) only) in the
``davis16_lite`` setting. Without m_t the decoder can only segment from what S aggregates, so its
held-out J at T = 1 vs T = 9 says whether S mines several frames at all."""
from __future__ import annotations

from ltr.train_settings.box2seg.davis16_lite import configure as configure_davis16_lite


def configure(settings) -> None:
    configure_davis16_lite(settings)
    settings.description = "box2seg MultiFrame variant (s_t only) on shared DAVIS-2016 with EfficientNet-Lite0"
    settings.net_kwargs = dict(settings.net_kwargs, variant="MultiFrame")

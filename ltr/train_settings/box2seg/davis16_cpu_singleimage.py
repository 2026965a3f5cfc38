"""The paper's SingleImage variant (Table 2: D(m_t) only, no aggregation over frames) in the
``davis16_cpu`` setting, to compare with the full network on the held-out sequences."""
from __future__ import annotations

from ltr.train_settings.box2seg.davis16_cpu import configure as configure_davis16_cpu


def configure(settings) -> None:
    configure_davis16_cpu(settings)
    settings.description = "box2seg SingleImage variant on shared DAVIS-2016, reduced for CPU"
    settings.net_kwargs = dict(settings.net_kwargs, variant="SingleImage")

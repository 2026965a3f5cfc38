"""The paper's SingleImage variant (Table 2: D(m_t) only) in the ``davis16_lite`` setting, the
baseline the shipped multi-frame network is compared with on the held-out sequences."""
from __future__ import annotations

from ltr.train_settings.box2seg.davis16_lite import configure as configure_davis16_lite


def configure(settings) -> None:
    configure_davis16_lite(settings)
    settings.description = "box2seg SingleImage variant on shared DAVIS-2016 with EfficientNet-Lite0"
    settings.net_kwargs = dict(settings.net_kwargs, variant="SingleImage")

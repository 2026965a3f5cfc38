"""Ladder rung 7, capacity: ``davis16_lite_d64_boxdrop`` on the ImageNet EfficientNet-Lite1 backbone
(its pip package) instead of Lite0; heads take the backbone's widths, everything else unchanged."""
from __future__ import annotations

from ltr.train_settings.box2seg.davis16_lite_d64_boxdrop import configure as configure_d64_boxdrop


def configure(settings) -> None:
    configure_d64_boxdrop(settings)
    settings.description = "box2seg, 64-d target features, box-encoding dropout 0.5, EfficientNet-Lite1"
    settings.net_kwargs = dict(settings.net_kwargs, backbone_type="efficientnet_lite1")

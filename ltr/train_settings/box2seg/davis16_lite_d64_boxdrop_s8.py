"""Ladder step 2 (resolution of the target maps) on rung 4: ``davis16_lite_d64_boxdrop`` with S working
at stride 8 instead of 16, so x_t, e_t, w_t and z live on 24x40 cells of the 192x320 crop (12x20 at
stride 16): x_t comes from the backbone's stride-8 layer2 and the box and mask encoders downsample by 8."""
from __future__ import annotations

from ltr.train_settings.box2seg.davis16_lite_d64_boxdrop import configure as configure_davis16_lite_d64_boxdrop


def configure(settings) -> None:
    configure_davis16_lite_d64_boxdrop(settings)
    settings.description = ("box2seg, stride-8 target maps, 64-d target features and box-encoding dropout 0.5, "
                            "shared DAVIS-2016, Lite0")
    settings.net_kwargs = dict(settings.net_kwargs, target_stride=8, target_model_input_layer="layer2")

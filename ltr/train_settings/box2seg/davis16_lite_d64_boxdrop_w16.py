"""Ladder rung 10, the shipped recipe (rung 8) with a decoder half as wide (16 instead of 32): the
decoder is most of an annotation's time on a CPU (exact mode at T = 9 decodes each frame ten times),
so this run says what J a faster annotation costs (README: the ladder and Speed)."""
from __future__ import annotations

from ltr.train_settings.box2seg.davis16_lite_d64_boxdrop import configure as configure_davis16_lite_d64_boxdrop


def configure(settings) -> None:
    configure_davis16_lite_d64_boxdrop(settings)
    settings.description = ("box2seg, 64-d target features, box-encoding dropout 0.5, decoder width 16, shared "
                            "DAVIS-2016, Lite0")
    settings.net_kwargs = dict(settings.net_kwargs, decoder_mdim=16)

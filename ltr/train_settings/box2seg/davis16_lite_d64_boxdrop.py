"""The shipped network (``pytracking/networks/box2seg_lite0.pth.tar``), rungs 4 and 8 of the multi-frame
ladder: MultiFrameIterative trained from the start with what rungs 2 and 3 showed separately: 64-d
target features x_t, so one filter z cannot fit each frame on its own (``davis16_lite_multiframe_d64``),
and box-encoding dropout 0.5, so the decoder cannot learn to ignore s_t and ŝ_t
(``davis16_lite_boxdrop``). 20 epochs at the constant rate,
the last 10 checkpoints kept: their average (``ltr/export_network.py``, stochastic weight averaging)
is the network, since adjacent epochs differ by 2-3 held-out J.

    python ltr/run_training.py box2seg davis16_lite_d64_boxdrop
    python ltr/export_network.py <workspace>/checkpoints/ltr/box2seg/davis16_lite_d64_boxdrop/Box2SegNet_ep00{11..20}.pth.tar \\
        pytracking/networks/box2seg_lite0.pth.tar
"""
from __future__ import annotations

from ltr.train_settings.box2seg.davis16_lite import configure as configure_davis16_lite


def configure(settings) -> None:
    configure_davis16_lite(settings)
    settings.description = "box2seg, 64-d target features and box-encoding dropout 0.5, shared DAVIS-2016, Lite0"
    settings.net_kwargs = dict(settings.net_kwargs, out_feature_dim=64)
    settings.box_encoding_dropout = 0.5
    settings.num_epochs = 20
    settings.keep_checkpoints = 10

"""Rung 3 of the multi-frame ladder: ``davis16_lite``'s epoch-6 network (256-d x_t; it does not use S)
trained 200 more iterations with box-encoding dropout: m_t is zeroed for half of the sequences, so the
decoder has to segment them from the aggregated scores s_t and ŝ_t alone and cannot keep ignoring S.

    python ltr/run_training.py box2seg davis16_lite && python ltr/run_training.py box2seg davis16_lite_boxdrop
"""
from __future__ import annotations

from pathlib import Path

from ltr.admin.settings import earlier_checkpoint
from ltr.train_settings.box2seg.davis16_lite import configure as configure_davis16_lite


def davis16_lite_network(settings) -> Path:
    """``davis16_lite``'s last checkpoint."""
    return earlier_checkpoint(settings, "box2seg", "davis16_lite", "Box2SegNet", 6)


def configure(settings) -> None:
    configure_davis16_lite(settings)
    settings.description = "box2seg: the davis16_lite network fine-tuned with box-encoding dropout 0.5"
    settings.init_checkpoint = davis16_lite_network
    settings.box_encoding_dropout = 0.5
    settings.num_epochs = 2

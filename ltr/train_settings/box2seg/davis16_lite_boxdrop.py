"""Rung 3 of the multi-frame ladder: the shipped network (``davis16_lite``, epoch 6) trained 200 more
iterations with box-encoding dropout: m_t is zeroed for half of the sequences, so the decoder has to
segment them from the aggregated scores s_t and ŝ_t alone and cannot keep ignoring S."""
from __future__ import annotations

from pathlib import Path

from ltr.train_settings.box2seg.davis16_lite import configure as configure_davis16_lite

SHIPPED = Path(__file__).resolve().parents[3] / "pytracking" / "networks" / "box2seg_lite0.pth.tar"


def shipped_network(settings) -> str:
    if not SHIPPED.is_file():
        raise FileNotFoundError(f"the shipped network {SHIPPED} is missing")
    return str(SHIPPED)


def configure(settings) -> None:
    configure_davis16_lite(settings)
    settings.description = "box2seg: the shipped davis16_lite network fine-tuned with box-encoding dropout 0.5"
    settings.init_checkpoint = shipped_network
    settings.box_encoding_dropout = 0.5
    settings.num_epochs = 2

"""LWL in miniature on DAVIS-2016, model (iii): split A with true masks, split B with the filled
boxes of its true masks as masks; everything else as ``davis16_a``."""
from __future__ import annotations

from typing import List, Tuple

from ltr.dataset.replaced_masks import ReplacedMasks
from ltr.dataset.splits import DAVIS16_SPLIT_B
from ltr.train_settings.box2seg.davis16 import davis16
from ltr.train_settings.lwl.davis16_a import configure as configure_davis16_a, with_split_b


def train_datasets(settings) -> List[Tuple[object, float]]:
    return with_split_b(settings, ReplacedMasks(davis16(settings, DAVIS16_SPLIT_B), box_fill=True))


def configure(settings) -> None:
    configure_davis16_a(settings)
    settings.description = "LWL in miniature on DAVIS-2016: (iii) A + B with box-filled masks"
    settings.train_datasets = train_datasets

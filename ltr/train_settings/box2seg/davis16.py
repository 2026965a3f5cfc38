"""box2seg on the DAVIS-2016 train sequences in ../shared/data: 24 to train, 6 held out.

Everything else is the §3.4 setting (``default``). The division is ``ltr.dataset.splits``.
"""
from __future__ import annotations

from pathlib import Path
from typing import List, Tuple

from ltr.dataset.davis import Davis
from ltr.dataset.splits import DAVIS16_HELDOUT, DAVIS16_RESOLUTION, DAVIS16_TRAIN
from ltr.train_settings.box2seg.default import configure as configure_default


def davis16(settings, sequences: List[str]) -> Davis:
    """The DAVIS-2016 sequences under the setting's ``davis16_dir``; the scan cache goes to the workspace,
    never into the data."""
    meta = Path(settings.env.workspace_dir) / "cache" / f"davis2016_{DAVIS16_RESOLUTION}_meta.json"
    return Davis(root=getattr(settings.env, "davis16_dir", "") or None, version="2016", split="train",
                 resolution=DAVIS16_RESOLUTION, sequences=sequences, meta_path=meta)


def train_datasets(settings) -> List[Tuple[object, float]]:
    return [(davis16(settings, DAVIS16_TRAIN), 1.0)]


def val_datasets(settings) -> List[Tuple[object, float]]:
    return [(davis16(settings, DAVIS16_HELDOUT), 1.0)]


def configure(settings) -> None:
    configure_default(settings)
    settings.description = "box2seg on shared DAVIS-2016 train: 24 sequences train, 6 held out"
    settings.train_datasets = train_datasets
    settings.val_datasets = val_datasets
    settings.val_samples = 48
    settings.val_interval = 5

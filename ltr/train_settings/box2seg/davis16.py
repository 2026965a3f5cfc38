"""box2seg on the DAVIS-2016 train sequences in ../shared/data: 24 to train, 6 held out.

Everything else is the §3.4 setting (``default``). The held-out six are every fifth sequence in
alphabetical order, starting with the third, so they span the alphabet and are fixed for good.
"""
from __future__ import annotations

from pathlib import Path
from typing import List, Tuple

from ltr.dataset.davis import Davis
from ltr.train_settings.box2seg.default import configure as configure_default

VAL_SEQUENCES = ["boat", "dance-jump", "hike", "mallard-fly", "rhino", "surf"]
TRAIN_SEQUENCES = [
    "bear", "bmx-bumps", "breakdance-flare", "bus", "car-turn", "dog-agility", "drift-turn", "elephant", "flamingo",
    "hockey", "horsejump-low", "kite-walk", "lucia", "mallard-water", "motocross-bumps", "motorbike", "paragliding",
    "rollerblade", "scooter-gray", "soccerball", "stroller", "swing", "tennis", "train",
]
RESOLUTION = "240p"  # the shared copy has every sequence at 240p (only one at 480p)


def davis16(settings, sequences: List[str]) -> Davis:
    """The shared DAVIS-2016 sequences; the scan cache goes to the workspace, never into the data."""
    meta = Path(settings.env.workspace_dir) / "cache" / f"davis2016_{RESOLUTION}_meta.json"
    return Davis(version="2016", split="train", resolution=RESOLUTION, sequences=sequences, meta_path=meta)


def train_datasets(settings) -> List[Tuple[object, float]]:
    return [(davis16(settings, TRAIN_SEQUENCES), 1.0)]


def val_datasets(settings) -> List[Tuple[object, float]]:
    return [(davis16(settings, VAL_SEQUENCES), 1.0)]


def configure(settings) -> None:
    configure_default(settings)
    settings.description = "box2seg on shared DAVIS-2016 train: 24 sequences train, 6 held out"
    settings.train_datasets = train_datasets
    settings.val_datasets = val_datasets
    settings.val_samples = 48
    settings.val_interval = 5

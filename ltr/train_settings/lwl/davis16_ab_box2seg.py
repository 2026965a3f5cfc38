"""LWL in miniature on DAVIS-2016, model (ii): split A with true masks, split B with the box2seg
pseudo-masks the annotation tool wrote; everything else as ``davis16_a``.

Write the masks first (``settings.pseudo_mask_dir``, default <workspace>/annotations/davis16_b), with
the shipped box2seg network and T = 3 windows (the README's table was made with ``box2seg davis16_lite``'s
epoch 6: add ``--weights <workspace>/checkpoints/ltr/box2seg/davis16_lite/Box2SegNet_ep0006.pth.tar``
to repeat it):

    python pytracking/annotate/run.py davis --year 2016 --split train --resolution 240p --root <davis16_dir> \\
        --num-frames 3 --out <workspace>/annotations/davis16_b --sequences <DAVIS16_SPLIT_B of ltr/dataset/splits.py>
"""
from __future__ import annotations

from pathlib import Path
from typing import List, Tuple

from ltr.dataset.replaced_masks import ReplacedMasks
from ltr.dataset.splits import DAVIS16_RESOLUTION, DAVIS16_SPLIT_B
from ltr.train_settings.box2seg.davis16 import davis16
from ltr.train_settings.lwl.davis16_a import configure as configure_davis16_a, with_split_b


def train_datasets(settings) -> List[Tuple[object, float]]:
    masks = Path(settings.pseudo_mask_dir) / "davis_masks"  # the tool's DAVIS layout: <video>/<frame>.png
    if not masks.is_dir():
        raise FileNotFoundError(
            f"lwl davis16_ab_box2seg trains on split B's pseudo-masks in {masks}, which does not exist: run "
            f"`python pytracking/annotate/run.py davis --year 2016 --split train --resolution {DAVIS16_RESOLUTION} "
            f"--root {settings.env.davis16_dir or '<davis16_dir>'} --num-frames 3 "
            f"--out {settings.pseudo_mask_dir} --sequences {' '.join(DAVIS16_SPLIT_B)}`")
    return with_split_b(settings, ReplacedMasks(davis16(settings, DAVIS16_SPLIT_B), mask_root=masks))


def configure(settings) -> None:
    configure_davis16_a(settings)
    settings.description = "LWL in miniature on DAVIS-2016: (ii) A + B with box2seg pseudo-masks"
    settings.pseudo_mask_dir = str(Path(settings.env.workspace_dir) / "annotations" / "davis16_b")
    settings.train_datasets = train_datasets

"""The paper's LWL-Ours: LWL fine-tuned on LaSOT and GOT-10k with the annotation tool's pseudo-masks.

    python pytracking/annotate/run.py lasot  --weights <box2seg weights> --out <pregenerated_masks>
    python pytracking/annotate/run.py got10k --weights <box2seg weights> --out <pregenerated_masks>
    python ltr/run_training.py lwl box2seg_finetune

Starts from our stage-2 checkpoint (``lwl stage2``, epoch 80) if there is one, else from the
official ``lwl_stage2.pth`` in ``pretrained_networks``. Data as the official fine-tuning on
pregenerated masks (facts §4.4): YouTube-VOS : DAVIS-2017 : GOT-10k : LaSOT = 6 : 1 : 6 : 6, masks
from ``pregenerated_masks``/got10k_masks and /lasot_masks (PNG value 1 = foreground). Every frame
that has a mask can be sampled. Optimisation, crops and augmentation as ``stage2``.
"""
from __future__ import annotations

from pathlib import Path
from typing import List, Tuple

from ltr.admin.settings import checkpoint_file
from ltr.dataset.got10k import Got10k
from ltr.dataset.lasot import Lasot
from ltr.dataset.vos_base import dataset_root
from ltr.train_settings.box2seg.default import train_datasets as vos_datasets
from ltr.train_settings.lwl.stage2 import configure as configure_stage2

OFFICIAL_STAGE2_FILE = "lwl_stage2.pth"


def stage2_checkpoint(settings) -> Path:
    """Our stage-2 result if it exists, else the official weights; FileNotFoundError naming both."""
    ours = checkpoint_file(settings, "ltr/lwl/stage2", "LWTLNet", 80)
    official = Path(settings.env.pretrained_networks) / OFFICIAL_STAGE2_FILE
    for path in (ours, official):
        if path.is_file():
            return path
    raise FileNotFoundError(f"lwl box2seg_finetune starts from a stage-2 LWL network: neither {ours} nor {official} "
                            f"exists (train `lwl stage2`, or put the official {OFFICIAL_STAGE2_FILE} into "
                            "pretrained_networks: ltr/admin/local.py or BOX2SEG_PRETRAINED_NETWORKS)")


def pseudo_mask_datasets(settings) -> List[Tuple[object, float]]:
    """GOT-10k and LaSOT with the masks in ``pregenerated_masks``, each weighted 6."""
    masks = dataset_root(None, "pregenerated_masks", "pseudo-mask", env=settings.env)
    got10k_masks = dataset_root(masks / "got10k_masks", "pregenerated_masks", "GOT-10k pseudo-mask")
    lasot_masks = dataset_root(masks / "lasot_masks", "pregenerated_masks", "LaSOT pseudo-mask")
    return [(Got10k(mask_root=got10k_masks), 6.0), (Lasot(mask_root=lasot_masks), 6.0)]


def train_datasets(settings) -> List[Tuple[object, float]]:
    """YouTube-VOS and DAVIS-2017 (true masks, 6 : 1), GOT-10k and LaSOT (pseudo-masks, 6 : 6)."""
    pseudo = pseudo_mask_datasets(settings)  # checked first: the part only this setting needs
    return vos_datasets(settings) + pseudo


def configure(settings) -> None:
    configure_stage2(settings)
    settings.description = "LWL-Ours: LWL fine-tuned on LaSOT / GOT-10k box2seg pseudo-masks"
    settings.init_checkpoint = stage2_checkpoint
    settings.train_datasets = train_datasets

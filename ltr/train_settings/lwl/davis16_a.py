"""LWL in miniature on the shared DAVIS-2016 sequences (paper Table 4, CPU-sized): model (i).

The 24 training sequences of ``box2seg davis16`` are split into A (8, masks known) and B (16,
boxes only), as ``ltr.dataset.splits`` says; the 6 held-out sequences stay held out. Four settings
differ only in their data:
    davis16_a           (i)   A only
    davis16_ab_box2seg  (ii)  A + B with the annotation tool's box2seg pseudo-masks
    davis16_ab_boxfill  (iii) A + B with the filled boxes as masks
    davis16_ab_true     (iv)  A + B with the true masks
Network: LWL on a frozen EfficientNet-Lite0 (ImageNet weights from its pip package), 256-d target
features, decoder width 32. 320x192 crops, batch 2, 4 epochs of 100 iterations, official
stage-1 rates x5 (divided by 5 after epoch 3). Everything else as ``stage1``.
"""
from __future__ import annotations

from typing import List, Tuple

from ltr.dataset.base_video_dataset import BaseVideoDataset
from ltr.dataset.splits import DAVIS16_SPLIT_A, DAVIS16_SPLIT_B
from ltr.train_settings.box2seg.davis16 import davis16, val_datasets
from ltr.train_settings.lwl.stage1 import ALL_BACKBONE_LAYERS, configure as configure_stage1



def train_datasets(settings) -> List[Tuple[object, float]]:
    return [(davis16(settings, DAVIS16_SPLIT_A), 1.0)]


def with_split_b(settings, split_b: BaseVideoDataset) -> List[Tuple[object, float]]:
    """Split A (true masks) and the given version of split B, each sequence equally often."""
    return [(davis16(settings, DAVIS16_SPLIT_A), len(DAVIS16_SPLIT_A)), (split_b, len(DAVIS16_SPLIT_B))]


def configure(settings) -> None:
    configure_stage1(settings)
    settings.description = "LWL in miniature on DAVIS-2016: (i) split A only"
    settings.train_datasets = train_datasets
    settings.val_datasets = val_datasets
    settings.val_samples = 24
    settings.val_interval = 1
    settings.output_size = (192, 320)  # (H, W), multiples of 32
    settings.batch_size = 2
    settings.samples_per_epoch = 2 * 100
    settings.num_epochs = 4
    settings.lr_milestones = (3,)
    settings.learning_rates = {name: 5 * lr for name, lr in settings.learning_rates.items()}
    settings.num_workers = 1
    settings.net_kwargs = dict(backbone_type="efficientnet_lite0", backbone_pretrained=True,
                               frozen_backbone_layers=ALL_BACKBONE_LAYERS, out_feature_dim=256, decoder_mdim=32)

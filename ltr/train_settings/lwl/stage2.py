"""LWL stage 2, the official ``lwl_stage2`` setting (facts §4.3): from stage 1's epoch-70
checkpoint, backbone layer2-4 trained too; everything else as ``stage1``.

    python ltr/run_training.py lwl stage1 && python ltr/run_training.py lwl stage2
"""
from __future__ import annotations

from pathlib import Path

from ltr.admin.settings import earlier_checkpoint
from ltr.train_settings.lwl.stage1 import configure as configure_stage1

STAGE2_LEARNING_RATES = {
    "target_model.filter_initializer": 5e-5,  # (no parameters)
    "target_model.filter_optimizer": 2e-5,
    "target_model.feature_extractor": 2e-5,
    "decoder": 2e-5,
    "label_encoder": 2e-5,
    "feature_extractor.layer2": 2e-5,
    "feature_extractor.layer3": 2e-5,
    "feature_extractor.layer4": 2e-5,
}


def stage1_checkpoint(settings) -> Path:
    """Stage 1's epoch-70 checkpoint."""
    return earlier_checkpoint(settings, "lwl", "stage1", "LWTLNet", 70)


def configure(settings) -> None:
    configure_stage1(settings)
    settings.description = "LWL stage 2 (official lwl_stage2): from stage 1, backbone layer2-4 trained"
    settings.init_checkpoint = stage1_checkpoint
    settings.net_kwargs = dict(settings.net_kwargs, frozen_backbone_layers=("conv1", "bn1", "layer1"))
    settings.learning_rates = dict(STAGE2_LEARNING_RATES)
    settings.num_epochs = 80
    settings.lr_milestones = (25, 75)

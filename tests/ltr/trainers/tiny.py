"""Tiny train settings for tests: box2seg (the synthetic setting at 64x112) and LWL (the DAVIS-2016
miniature's network at 64x128), both on synthetic videos, batch 2, 2 iterations."""
from pathlib import Path
from typing import Callable

from ltr.admin.settings import Settings
from ltr.train_settings.box2seg import synthetic
from ltr.train_settings.lwl import davis16_a


def _tiny(workspace: Path, project_path: str, configure: Callable, **overrides) -> Settings:
    settings = Settings()
    settings.project_path = project_path
    settings.env.workspace_dir = str(workspace)
    settings.env.tensorboard_dir = str(Path(workspace) / "tensorboard")
    configure(settings)
    settings.train_datasets = lambda s: [(synthetic.SyntheticVideos(num_sequences=4, num_frames=20,
                                                                    image_size=(96, 128)), 1.0)]
    settings.samples_per_epoch = 4
    settings.num_epochs = 1
    settings.num_workers = 0
    settings.progress = False
    settings.use_gpu = False
    for k, v in overrides.items():
        setattr(settings, k, v)
    return settings


def tiny_settings(workspace: Path, **overrides) -> Settings:
    return _tiny(workspace, "ltr/box2seg/tiny", synthetic.configure,
                 **{"output_size": (64, 112), "calibrate_random_backbone": 2, **overrides})


def tiny_lwl_settings(workspace: Path, **overrides) -> Settings:
    return _tiny(workspace, "ltr/lwl/tiny", davis16_a.configure,
                 **{"output_size": (64, 128), "val_datasets": None, **overrides})

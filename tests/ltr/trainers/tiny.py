"""A tiny box2seg train setting for tests: the synthetic setting at 64x112, batch 2, 2 iterations."""
from pathlib import Path

from ltr.admin.settings import Settings
from ltr.train_settings.box2seg import synthetic


def tiny_settings(workspace: Path, **overrides) -> Settings:
    settings = Settings()
    settings.project_path = "ltr/box2seg/tiny"
    settings.env.workspace_dir = str(workspace)
    settings.env.tensorboard_dir = str(Path(workspace) / "tensorboard")
    synthetic.configure(settings)
    settings.train_datasets = lambda s: [(synthetic.SyntheticVideos(num_sequences=4, num_frames=20,
                                                                    image_size=(96, 128)), 1.0)]
    settings.output_size = (112, 64)
    settings.samples_per_epoch = 4
    settings.num_epochs = 1
    settings.num_workers = 0
    settings.calibrate_random_backbone = 2
    settings.progress = False
    settings.use_gpu = False
    for k, v in overrides.items():
        setattr(settings, k, v)
    return settings

"""``davis16`` reduced to run on a CPU in minutes: small crops of 2x the box, batch 2, 100 iterations
per epoch, learning rates x2. Everything else as ``davis16`` (24 train / 6 held-out sequences)."""
from __future__ import annotations

from ltr.train_settings.box2seg.davis16 import configure as configure_davis16


def configure(settings) -> None:
    configure_davis16(settings)
    settings.description = "box2seg on shared DAVIS-2016, reduced for CPU"
    settings.output_size = (96, 160)  # (H, W)
    settings.search_area_factor = settings.inference_search_area = 2.0
    settings.batch_size = 2
    settings.samples_per_epoch = 2 * 100
    settings.num_epochs = 6
    settings.lr_milestones = (4,)
    settings.learning_rates = {name: 2 * lr for name, lr in settings.learning_rates.items()}
    settings.num_workers = 1
    settings.val_samples = 24
    settings.val_interval = 1

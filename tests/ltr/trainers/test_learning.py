"""The network learns: a small CPU config trained for ~2 minutes on three real DAVIS sequences
must clearly lower its loss and segment those frames better than filling the box."""

from ltr.actors.box2seg import jaccard
from ltr.admin.settings import Settings
from ltr.dataset.davis import Davis
from ltr.models.lwl.label_encoder import rasterize_boxes
from ltr.train_settings.box2seg import davis16_cpu
from ltr.trainers.build import build_trainer

SEQUENCES = ["bear", "car-turn", "elephant"]


def test_loss_falls_and_j_beats_box_fill_on_real_frames(tmp_path, davis16_root):
    settings = Settings()
    settings.project_path = "ltr/box2seg/learning_test"
    settings.env.workspace_dir = str(tmp_path)
    settings.env.tensorboard_dir = str(tmp_path / "tb")
    davis16_cpu.configure(settings)
    data = lambda s: [(Davis(davis16_root, "2016", resolution="240p", sequences=SEQUENCES,  # noqa: E731
                             meta_path=tmp_path / "meta.json"), 1.0)]
    settings.train_datasets = settings.val_datasets = data
    settings.samples_per_epoch = 2 * 50
    settings.num_epochs = 2
    settings.lr_milestones = (100,)
    settings.val_samples = 12
    settings.num_workers = 0
    settings.progress = settings.tensorboard = False
    settings.use_gpu = False

    trainer = build_trainer(settings)
    history = trainer.train()

    box_fill = []
    for i in range(settings.val_samples):
        sample = trainer.val_set[i]
        boxes = rasterize_boxes(sample["boxes"], sample["masks"].shape[-2:])[:, 0]
        box_fill.append(jaccard(boxes * 2 - 1, sample["masks"]).item())
    box_fill_j = sum(box_fill) / len(box_fill)
    first, last = history[0], history[-1]
    print(f"loss {first['Loss/total']:.1f} -> {last['Loss/total']:.1f}; held J {last['val/J/refined']:.3f} "
          f"vs box-fill {box_fill_j:.3f}")
    assert last["Loss/total"] < 0.8 * first["Loss/total"]
    assert last["val/J/refined"] > box_fill_j + 0.02

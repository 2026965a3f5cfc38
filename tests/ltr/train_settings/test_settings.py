"""The box2seg train settings: ``default`` holds the paper's §3.4 numbers, every other setting differs
from the setting it builds on in exactly what its docstring names, and each builds its network with a
learning rate for every trainable parameter."""
import importlib
import pkgutil
from typing import Any, Callable, Dict

import numpy as np
import pytest
import torch
import torch.nn as nn

import ltr.train_settings.box2seg as box2seg_settings
from ltr.admin.settings import Settings
from ltr.models.box2seg.box2seg_net import steepest_descent_resnet50
from ltr.models.loss.lovasz import LovaszSegLoss
from ltr.train_settings.box2seg import davis16, davis16_lite_boxdrop, synthetic
from ltr.trainers.build import param_groups
from ltr.trainers.tasks import find_task

NAMES = sorted(m.name for m in pkgutil.iter_modules(box2seg_settings.__path__))
MISSING = "<missing>"
IGNORED = {"env", "description"}


def configured(name: str) -> Settings:
    settings = Settings()
    importlib.import_module(f"ltr.train_settings.box2seg.{name}").configure(settings)
    return settings


def changes(base: Settings, variant: Settings) -> Dict[str, Any]:
    """Field -> the variant's value, for every field that differs; for dict fields, only the keys that
    differ (MISSING where the variant dropped a key)."""
    out = {}
    a, b = vars(base), vars(variant)
    for field in (a.keys() | b.keys()) - IGNORED:
        old, new = a.get(field, MISSING), b.get(field, MISSING)
        if isinstance(old, dict) and isinstance(new, dict):
            keys = {k: new.get(k, MISSING) for k in old.keys() | new.keys()
                    if old.get(k, MISSING) != new.get(k, MISSING)}
            if keys:
                out[field] = keys
        elif old != new:
            out[field] = new
    return out


class FromBase:
    """An expected value computed from the base setting's value of the same field."""

    def __init__(self, fun: Callable[[Any], Any]):
        self.fun = fun


def rates(fun: Callable[[float], float]) -> FromBase:
    """Expected learning rates: each of the base setting's rates mapped by ``fun``."""
    return FromBase(lambda base: {name: fun(lr) for name, lr in base.items()})


# setting -> (the setting it builds on, what it changes); values written from the setting's docstring
# and the paper.
VARIANTS = {
    "singleimage": ("default", {"net_kwargs": {"variant": "SingleImage"}}),  # Table 2
    "multiframe": ("default", {"net_kwargs": {"variant": "MultiFrame"}}),
    "multiframe_plus": ("default", {"net_kwargs": {"variant": "MultiFrame+"}}),
    "attention": ("default", {"net_kwargs": {"aggregation": "attention"}}),  # Table 3
    "concat": ("default", {"net_kwargs": {"aggregation": "concat", "aggregation_frames": 3}}),
    "paper_lr": ("default", {"learning_rates": rates(lambda lr: 1e-2), "default_lr": 1e-2}),
    "davis16": ("default", {"train_datasets": davis16.train_datasets, "val_datasets": davis16.val_datasets,
                            "val_samples": 48, "val_interval": 5}),
    "davis16_cpu": ("davis16", {"output_size": (96, 160), "search_area_factor": 2.0, "inference_search_area": 2.0,
                                "batch_size": 2, "samples_per_epoch": 2 * 100, "num_epochs": 6, "lr_milestones": (4,),
                                "learning_rates": rates(lambda lr: 2 * lr), "num_workers": 1, "val_samples": 24,
                                "val_interval": 1}),
    "davis16_cpu_singleimage": ("davis16_cpu", {"net_kwargs": {"variant": "SingleImage"}}),
    "davis16_lite": ("davis16_cpu", {"output_size": (192, 320), "search_area_factor": 3.0,
                                     "inference_search_area": 3.0, "lr_milestones": (),
                                     "net_kwargs": {"backbone_type": "efficientnet_lite0", "out_feature_dim": 256,
                                                    "decoder_mdim": 32, "backbone_weights": MISSING}}),
    "davis16_lite_singleimage": ("davis16_lite", {"net_kwargs": {"variant": "SingleImage"}}),
    "davis16_lite_multiframe": ("davis16_lite", {"net_kwargs": {"variant": "MultiFrame"}}),  # the ladder
    "davis16_lite_multiframe_d64": ("davis16_lite_multiframe", {"net_kwargs": {"out_feature_dim": 64}}),
    "davis16_lite_boxdrop": ("davis16_lite", {"init_checkpoint": davis16_lite_boxdrop.davis16_lite_network,
                                              "box_encoding_dropout": 0.5, "num_epochs": 2}),
    "davis16_lite_d64_boxdrop": ("davis16_lite", {"net_kwargs": {"out_feature_dim": 64},
                                                  "box_encoding_dropout": 0.5, "num_epochs": 20,
                                                  "keep_checkpoints": 10}),
    "davis16_lite_d32_boxdrop": ("davis16_lite_d64_boxdrop", {"net_kwargs": {"out_feature_dim": 32}}),
    "davis16_lite_d64_boxdrop_seed1": ("davis16_lite_d64_boxdrop", {"seed": 1}),
    "davis16_lite_d64_boxdrop_w16": ("davis16_lite_d64_boxdrop", {"net_kwargs": {"decoder_mdim": 16}}),
    "davis16_lite_d64_boxdrop_w16_seed1": ("davis16_lite_d64_boxdrop_w16", {"seed": 1}),
    "davis16_lite_d64_boxdrop_s8": ("davis16_lite_d64_boxdrop", {"net_kwargs": {"target_stride": 8,
                                                                             "target_model_input_layer": "layer2"}}),
    "davis16_lite_d64_boxdrop_t5": ("davis16_lite_d64_boxdrop", {"num_frames": 5}),
    "davis16_lite_d64_boxdrop_lite1": ("davis16_lite_d64_boxdrop",
                                       {"net_kwargs": {"backbone_type": "efficientnet_lite1"}}),
    "synthetic": ("default", {"train_datasets": synthetic.train_datasets, "output_size": (96, 160),
                              "search_area_factor": 2.5, "inference_search_area": 2.5, "batch_size": 2,
                              "samples_per_epoch": 2 * 50, "num_epochs": 4, "lr_milestones": (3,),
                              "learning_rates": rates(lambda lr: 10 * lr), "num_workers": 1,
                              "net_kwargs": {"backbone_type": "efficientnet_lite0", "out_feature_dim": 256,
                                             "decoder_mdim": 32, "backbone_weights": MISSING}}),
}


def test_every_setting_is_default_or_a_declared_variant():
    assert set(NAMES) == {"default"} | set(VARIANTS)


@pytest.mark.parametrize("name", sorted(VARIANTS))
def test_setting_differs_from_its_base_only_in_what_it_names(name):
    base_name, expected = VARIANTS[name]
    base, variant = configured(base_name), configured(name)
    expected = {field: value.fun(vars(base)[field]) if isinstance(value, FromBase) else value
                for field, value in expected.items()}
    assert changes(base, variant) == expected
    assert variant.description != base.description


@pytest.mark.parametrize("name", NAMES)
def test_setting_builds_and_trains_every_parameter_in_whole_iterations(name):
    settings = configured(name)
    net = steepest_descent_resnet50(**dict(settings.net_kwargs, backbone_pretrained=False))
    groups = param_groups(net, settings.learning_rates)  # raises for a trainable parameter without a rate
    assert sum(p.numel() for g in groups for p in g["params"]) == \
        sum(p.numel() for p in net.parameters() if p.requires_grad) > 0
    assert settings.samples_per_epoch % settings.batch_size == 0
    assert all(0 < m < settings.num_epochs for m in settings.lr_milestones)  # a later milestone never fires


def test_default_is_section_3_4():
    """The numbers of the paper's §3.4, written here from the paper."""
    s = configured("default")
    iterations_per_epoch = s.samples_per_epoch // s.batch_size
    assert s.samples_per_epoch % s.batch_size == 0
    assert (s.num_frames, s.max_gap) == (3, 100)  # T = 3 frames within a gap of 100
    assert (s.output_size, s.search_area_factor) == ((480, 832), 5.0)  # (H, W): 832x480 crops of 5x the box
    assert s.batch_size == 4
    assert s.num_epochs * iterations_per_epoch == 80_000
    assert [m * iterations_per_epoch for m in s.lr_milestones] == [30_000, 60_000] and s.lr_gamma == 0.2
    assert s.train_optim_iter == 5  # steepest-descent iterations of S in training
    assert s.p_flip == 0.5  # horizontal flip


class GivenLogits(nn.Module):
    """A stand-in network that returns fixed initial and refined logits."""

    def __init__(self, initial: torch.Tensor, refined: torch.Tensor):
        super().__init__()
        self.initial, self.refined = initial, refined

    def forward(self, images, boxes, **kwargs):
        return self.initial, self.refined


def test_default_loss_is_lovasz_on_the_initial_and_the_refined_mask():
    """Eq. 4: w (L(y, M) + L(ŷ, M)); on confident logits the Lovász extension is the Jaccard loss 1 - IoU."""
    s = configured("default")
    rng = np.random.default_rng(0)
    masks = torch.from_numpy(rng.random((3, 2, 24, 32)) < 0.4).float()
    guess = rng.random((3, 2, 24, 32)) < 0.5
    one_minus_iou = 1 - (guess & (masks.numpy() > 0)).sum() / (guess | (masks.numpy() > 0)).sum()
    exact, wrong = 50 * (2 * masks - 1), 50 * (2 * torch.from_numpy(guess).float() - 1)
    data = {"images": torch.zeros(3, 2, 3, 24, 32), "boxes": torch.zeros(3, 2, 4), "masks": masks}

    def loss(initial: torch.Tensor, refined: torch.Tensor) -> float:
        actor = find_task(s.task).actor(GivenLogits(initial, refined), s)
        assert isinstance(actor.objective, LovaszSegLoss)
        return actor(data)[0].item()

    assert loss(exact, exact) == pytest.approx(0, abs=1e-6)
    assert loss(wrong, exact) == pytest.approx(s.loss_weight * one_minus_iou, rel=1e-5)
    assert loss(exact, wrong) == pytest.approx(s.loss_weight * one_minus_iou, rel=1e-5)
    assert loss(wrong, wrong) == pytest.approx(2 * s.loss_weight * one_minus_iou, rel=1e-5)


def test_rung_3_starts_from_davis16_lite_epoch_6_and_says_how_to_make_it(tmp_path):
    settings = configured("davis16_lite_boxdrop")
    settings.env.workspace_dir = str(tmp_path)
    with pytest.raises(FileNotFoundError, match="run `python ltr/run_training.py box2seg davis16_lite` first"):
        settings.init_checkpoint(settings)
    made = tmp_path / "checkpoints" / "ltr" / "box2seg" / "davis16_lite" / "Box2SegNet_ep0006.pth.tar"
    made.parent.mkdir(parents=True)
    made.touch()
    assert settings.init_checkpoint(settings) == made

"""Every box2seg train setting configures, builds its network and gives each trainable parameter a rate."""
import importlib
import pkgutil

import pytest

import ltr.train_settings.box2seg as box2seg_settings
from ltr.admin.settings import Settings
from ltr.models.box2seg.box2seg_net import steepest_descent_resnet50
from ltr.train_settings.box2seg.default import OFFICIAL_LEARNING_RATES
from ltr.trainers.build import param_groups

NAMES = sorted(m.name for m in pkgutil.iter_modules(box2seg_settings.__path__))


@pytest.mark.parametrize("name", NAMES)
def test_setting_builds(name):
    settings = Settings()
    importlib.import_module(f"ltr.train_settings.box2seg.{name}").configure(settings)
    net = steepest_descent_resnet50(**dict(settings.net_kwargs, backbone_pretrained=False))
    groups = param_groups(net, settings.learning_rates)
    assert groups and settings.batch_size % 1 == 0 and settings.num_epochs >= 1


def test_default_is_section_3_4():
    settings = Settings()
    importlib.import_module("ltr.train_settings.box2seg.default").configure(settings)
    iterations = settings.num_epochs * settings.samples_per_epoch // settings.batch_size
    milestones = [m * settings.samples_per_epoch // settings.batch_size for m in settings.lr_milestones]
    assert (iterations, milestones, settings.lr_gamma, settings.batch_size) == (80000, [30000, 60000], 0.2, 4)
    assert (settings.num_frames, settings.max_gap, settings.output_size, settings.search_area_factor) == \
        (3, 100, (480, 832), 5.0)
    assert settings.learning_rates["decoder"] == OFFICIAL_LEARNING_RATES["decoder"] == 1e-4

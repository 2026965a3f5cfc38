"""The trainer finds a setting's task by name among the modules of ltr/trainers/tasks: a new task is a new
module there; an unknown name is one clear configuration error."""
import sys
from pathlib import Path

import pytest

import ltr.trainers.tasks as tasks
from ltr.admin.environment import ConfigError
from ltr.models.box2seg.box2seg_net import steepest_descent_resnet50 as box2seg_net
from ltr.models.lwl.lwl_net import steepest_descent_resnet50 as lwl_net
from ltr.trainers.build import build_trainer
from ltr.trainers.tasks import find_task, task_names

sys.path.insert(0, str(Path(__file__).parent))
from tiny import tiny_settings  # noqa: E402


def test_tasks_are_found_by_name():
    assert task_names() == ["box2seg", "lwl"]
    assert find_task("box2seg").network is box2seg_net and find_task("lwl").network is lwl_net


def test_a_task_module_added_to_the_folder_is_found(tmp_path, monkeypatch):
    (tmp_path / "echo_task.py").write_text("from ltr.trainers.tasks import Task\n"
                                           "TASK = Task(dict, 'processing', 'sampler', 'actor')\n")
    monkeypatch.setattr(tasks, "__path__", [*tasks.__path__, str(tmp_path)])
    assert "echo_task" in task_names() and find_task("echo_task").sampler == "sampler"
    sys.modules.pop("ltr.trainers.tasks.echo_task")


def test_an_unknown_task_is_a_configuration_error(tmp_path):
    with pytest.raises(ConfigError, match=r"unknown task 'nope' in the train setting; choose one of "
                                          r"\['box2seg', 'lwl'\]"):
        find_task("nope")
    with pytest.raises(ConfigError, match="unknown task 'segment'"):
        build_trainer(tiny_settings(tmp_path, task="segment"))


@pytest.mark.parametrize("task, configure", [("box2seg", "ltr.train_settings.box2seg.default"),
                                             ("lwl", "ltr.train_settings.lwl.stage1")])
def test_training_crops_follow_the_setting_and_validation_crops_drop_every_randomness(task, configure):
    import importlib

    from ltr.admin.settings import Settings

    settings = Settings()
    importlib.import_module(configure).configure(settings)
    train = find_task(task).processing(settings, True, "imagenet")
    val = find_task(task).processing(settings, False, "imagenet")
    randomness = ["scale_jitter", "center_jitter", "p_grayscale", "p_flip", "brightness_jitter"]
    if task == "lwl":
        randomness += ["test_scale_jitter", "test_center_jitter", "max_rotation", "max_scale"]
    for name in randomness:
        assert getattr(train, name) == getattr(settings, name), name
        assert getattr(val, name) == 0.0, name
    for crop in (train, val):
        assert (crop.output_size, crop.search_area_factor, crop.crop_mode, crop.normalization) == \
            (tuple(settings.output_size), settings.search_area_factor, settings.crop_mode, "imagenet")

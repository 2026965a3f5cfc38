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

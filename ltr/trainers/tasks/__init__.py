"""What each kind of training builds, one module per task: ``ltr/trainers/tasks/<task>.py`` defines
``TASK``, and a train setting names it (``settings.task``). Adding a task edits nothing else."""
from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass
from typing import Callable, List

from ltr.admin.environment import ConfigError

# Randomness a validation pipeline drops (it keeps the crops).
NO_AUGMENTATION = dict(scale_jitter=0.0, center_jitter=0.0, p_grayscale=0.0, p_flip=0.0, brightness_jitter=0.0)


@dataclass(frozen=True)
class Task:
    """The network constructor and the data / actor factories of one kind of training:
    ``processing(settings, train, normalization)``, ``sampler(settings, datasets, weights, samples,
    processing, seed)``, ``actor(model, settings)``."""

    network: Callable
    processing: Callable
    sampler: Callable
    actor: Callable


def task_names() -> List[str]:
    """The tasks present: the modules in this folder."""
    return sorted(m.name for m in pkgutil.iter_modules(__path__))


def find_task(name: str) -> Task:
    """The ``TASK`` of ``ltr/trainers/tasks/<name>.py``; ConfigError naming the tasks present."""
    if name not in task_names():
        raise ConfigError(f"unknown task {name!r} in the train setting; choose one of {task_names()}")
    return importlib.import_module(f"{__name__}.{name}").TASK

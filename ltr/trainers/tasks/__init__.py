"""What each kind of training builds, one module per task: ``ltr/trainers/tasks/<task>.py`` defines
``TASK``, and a train setting names it (``settings.task``). Adding a task edits nothing else."""
from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass
from typing import Any, Callable, Dict, List

from ltr.admin.environment import ConfigError

# Randomness a validation pipeline drops (it keeps the crops).
NO_AUGMENTATION = dict(scale_jitter=0.0, center_jitter=0.0, p_grayscale=0.0, p_flip=0.0, brightness_jitter=0.0)


def crop_arguments(settings, train: bool, normalization: str) -> Dict[str, Any]:
    """The processing arguments every task shares: the setting's crop and its augmentation, or, for
    validation (``train=False``), the crop without the randomness."""
    kwargs = dict(output_size=settings.output_size, search_area_factor=settings.search_area_factor,
                  crop_mode=settings.crop_mode, scale_jitter=settings.scale_jitter,
                  center_jitter=settings.center_jitter, p_grayscale=settings.p_grayscale, p_flip=settings.p_flip,
                  brightness_jitter=settings.brightness_jitter, normalization=normalization)
    if not train:
        kwargs.update(NO_AUGMENTATION)
    return kwargs


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

"""LWL training: a train frame with its mask and later test frames, Lovász loss on the test frames."""
from __future__ import annotations

from typing import Sequence

import torch.nn as nn

from ltr.actors.lwl import LWLActor
from ltr.data.processing import LWLProcessing
from ltr.data.sampler import LWLSampler
from ltr.models.loss.lovasz import LovaszSegLoss
from ltr.models.lwl import lwl_net
from ltr.trainers.tasks import Task, crop_arguments


def processing(settings, train: bool, normalization: str) -> LWLProcessing:
    """Train and test frames jittered with their own factors, rotated and scaled; validation keeps the
    crops and drops the randomness."""
    if train:
        extra = dict(test_scale_jitter=settings.test_scale_jitter, test_center_jitter=settings.test_center_jitter,
                     max_rotation=settings.max_rotation, max_scale=settings.max_scale)
    else:
        extra = dict(test_scale_jitter=0.0, test_center_jitter=0.0, max_rotation=0.0, max_scale=0.0)
    return LWLProcessing(**crop_arguments(settings, train, normalization), **extra)


def sampler(settings, datasets: Sequence, weights: Sequence[float], samples: int, proc, seed: int) -> LWLSampler:
    """Train frames with masks and later test frames."""
    return LWLSampler(list(datasets), list(weights), samples_per_epoch=samples, max_gap=settings.max_gap,
                      num_test_frames=settings.num_test_frames, num_train_frames=settings.num_train_frames,
                      processing=proc, seed=seed)


def actor(model: nn.Module, settings) -> LWLActor:
    """Lovász on the test frames."""
    return LWLActor(model, LovaszSegLoss(per_image=False), loss_weight=settings.loss_weight,
                    num_refinement_iter=settings.num_refinement_iter, solver=settings.solver)


TASK = Task(lwl_net.steepest_descent_resnet50, processing, sampler, actor)

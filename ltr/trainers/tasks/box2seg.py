"""box2seg training: T frames of a target with their boxes, Lovász loss on the initial and refined masks."""
from __future__ import annotations

from typing import Sequence

import torch.nn as nn

from ltr.actors.box2seg import Box2SegActor
from ltr.data.processing import Box2SegProcessing
from ltr.data.sampler import Box2SegSampler
from ltr.models.box2seg import box2seg_net
from ltr.models.loss.lovasz import LovaszSegLoss
from ltr.trainers.tasks import Task, crop_arguments


def processing(settings, train: bool, normalization: str) -> Box2SegProcessing:
    """The setting's crop/augmentation pipeline with the backbone's ``normalization``."""
    return Box2SegProcessing(**crop_arguments(settings, train, normalization))


def sampler(settings, datasets: Sequence, weights: Sequence[float], samples: int, proc, seed: int
            ) -> Box2SegSampler:
    """T frames of a target within the setting's gap."""
    return Box2SegSampler(list(datasets), list(weights), samples_per_epoch=samples, num_frames=settings.num_frames,
                            max_gap=settings.max_gap, processing=proc, seed=seed)


def actor(model: nn.Module, settings) -> Box2SegActor:
    """Lovász on the initial and refined masks (eq. 4)."""
    return Box2SegActor(model, LovaszSegLoss(per_image=False), loss_weight=settings.loss_weight,
                        num_iter=settings.train_optim_iter, solver=settings.solver,
                        box_encoding_dropout=settings.box_encoding_dropout)


TASK = Task(box2seg_net.steepest_descent_resnet50, processing, sampler, actor)

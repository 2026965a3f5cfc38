"""Turn a train setting into network, data, optimizer and trainer, and run it.

A setting names its ``task`` ('box2seg' or 'lwl'); the task says which network, sampler,
processing and actor it trains. Everything else (initial weights, BN calibration, optimizer,
schedule, DDP, checkpoints, exact resume) is shared.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Dict, List, Sequence

import torch
import torch.nn as nn
from torch.nn.parallel import DistributedDataParallel

from ltr.actors.box2seg import Box2SegActor
from ltr.actors.lwl import LWLActor
from ltr.admin.environment import ConfigError
from ltr.admin.loading import load_network
from ltr.data.processing import BoxToMaskProcessing, LWLProcessing
from ltr.data.sampler import BoxToMaskSampler, LWLSampler
from ltr.models.backbone.calibration import calibrate_batchnorm
from ltr.models.box2seg import box2seg_net
from ltr.models.loss.lovasz import LovaszSegLoss
from ltr.models.lwl import lwl_net
from ltr.trainers.distributed import init_distributed
from ltr.trainers.trainer import Trainer

# Randomness a validation pipeline drops (it keeps the crops).
NO_AUGMENTATION = dict(scale_jitter=0.0, center_jitter=0.0, p_grayscale=0.0, p_flip=0.0, brightness_jitter=0.0)


def param_groups(net: nn.Module, learning_rates: Dict[str, float]) -> List[Dict]:
    """One Adam group per module prefix (the official per-module rates); every trainable
    parameter must belong to exactly one group, so nothing is silently left untrained."""
    groups, claimed = [], set()
    for prefix, lr in learning_rates.items():
        params = [p for n, p in net.named_parameters() if p.requires_grad and n.startswith(prefix + ".")]
        claimed.update(id(p) for p in params)
        if params:
            groups.append({"params": params, "lr": lr, "name": prefix})
    orphans = [n for n, p in net.named_parameters() if p.requires_grad and id(p) not in claimed]
    if orphans:
        raise ValueError(f"trainable parameters without a learning rate: {orphans[:5]}")
    return groups


def box2seg_processing(settings, train: bool, normalization: str) -> BoxToMaskProcessing:
    """box2seg: the setting's crop/augmentation pipeline with the backbone's ``normalization``."""
    kwargs = dict(output_size=settings.output_size, search_area_factor=settings.search_area_factor,
                  crop_mode=settings.crop_mode, scale_jitter=settings.scale_jitter,
                  center_jitter=settings.center_jitter, p_grayscale=settings.p_grayscale, p_flip=settings.p_flip,
                  brightness_jitter=settings.brightness_jitter, normalization=normalization)
    if not train:
        kwargs.update(NO_AUGMENTATION)
    return BoxToMaskProcessing(**kwargs)


def lwl_processing(settings, train: bool, normalization: str) -> LWLProcessing:
    """LWL: train and test frames jittered with their own factors, rotated and scaled; validation
    keeps the crops and drops the randomness."""
    kwargs = dict(output_size=settings.output_size, search_area_factor=settings.search_area_factor,
                  crop_mode=settings.crop_mode, scale_jitter=settings.scale_jitter,
                  center_jitter=settings.center_jitter, test_scale_jitter=settings.test_scale_jitter,
                  test_center_jitter=settings.test_center_jitter, max_rotation=settings.max_rotation,
                  max_scale=settings.max_scale, p_grayscale=settings.p_grayscale, p_flip=settings.p_flip,
                  brightness_jitter=settings.brightness_jitter, normalization=normalization)
    if not train:
        kwargs.update(NO_AUGMENTATION, test_scale_jitter=0.0, test_center_jitter=0.0, max_rotation=0.0,
                      max_scale=0.0)
    return LWLProcessing(**kwargs)


def box2seg_sampler(settings, datasets: Sequence, weights: Sequence[float], samples: int, proc, seed: int
                    ) -> BoxToMaskSampler:
    """box2seg: T frames of a target within the setting's gap."""
    return BoxToMaskSampler(list(datasets), list(weights), samples_per_epoch=samples, num_frames=settings.num_frames,
                            max_gap=settings.max_gap, processing=proc, seed=seed)


def lwl_sampler(settings, datasets: Sequence, weights: Sequence[float], samples: int, proc, seed: int) -> LWLSampler:
    """LWL: train frames with masks and later test frames."""
    return LWLSampler(list(datasets), list(weights), samples_per_epoch=samples, max_gap=settings.max_gap,
                      num_test_frames=settings.num_test_frames, num_train_frames=settings.num_train_frames,
                      processing=proc, seed=seed)


def box2seg_actor(model: nn.Module, settings) -> Box2SegActor:
    """Lovász on the initial and refined masks (eq. 4)."""
    return Box2SegActor(model, LovaszSegLoss(per_image=False), loss_weight=settings.loss_weight,
                        num_iter=settings.train_optim_iter, solver=settings.solver,
                        box_encoding_dropout=settings.box_encoding_dropout)


def lwl_actor(model: nn.Module, settings) -> LWLActor:
    """Lovász on the test frames."""
    return LWLActor(model, LovaszSegLoss(per_image=False), loss_weight=settings.loss_weight,
                    num_refinement_iter=settings.num_refinement_iter)


@dataclass(frozen=True)
class Task:
    """What one kind of training builds: the network constructor and the data / actor factories."""

    network: Callable[..., nn.Module]
    processing: Callable[..., BoxToMaskProcessing]
    sampler: Callable[..., BoxToMaskSampler]
    actor: Callable[[nn.Module, object], object]


TASKS = {
    "box2seg": Task(box2seg_net.steepest_descent_resnet50, box2seg_processing, box2seg_sampler, box2seg_actor),
    "lwl": Task(lwl_net.steepest_descent_resnet50, lwl_processing, lwl_sampler, lwl_actor),
}


def build_network(settings, task: Task) -> nn.Module:
    """The setting's network: built from ``net_kwargs``, or, when the setting names initial weights
    (``init_checkpoint(settings)`` -> checkpoint file), loaded from them with ``net_kwargs`` applied."""
    init = getattr(settings, "init_checkpoint", None)
    if init is None:
        return task.network(**settings.net_kwargs)
    path = init(settings)
    # The checkpoint holds the whole network, the backbone included.
    net = load_network(path, **dict(settings.net_kwargs, backbone_pretrained=False))
    built_by, wanted = net.constructor, task.network
    if (built_by.fun_module, built_by.fun_name) != (wanted.__module__, wanted.__name__):
        raise ValueError(f"{path} holds a {type(net).__name__}, which {settings.task!r} training does not train")
    return net


def sample_images(sample: Dict[str, torch.Tensor]) -> torch.Tensor:
    """All frames of a processed sample (N,3,H,W): 'images', or 'train_images' and 'test_images'."""
    return torch.cat([v for k, v in sorted(sample.items()) if k.endswith("images")])


def calibrate_random_backbone(net: nn.Module, train_set: BoxToMaskSampler, settings, info) -> None:
    """BN statistics of a random-init backbone from the first training samples (same on every rank)."""
    n = settings.calibrate_random_backbone
    images = (sample_images(train_set[i]).to(info.device) for i in range(n))
    calibrate_batchnorm(net.feature_extractor, images, net.output_layers)
    if info.is_main:
        print(f"[train] no pretrained backbone: calibrated its BatchNorm statistics on {n} training samples")


def build_trainer(settings) -> Trainer:
    """Everything a run needs, on this process's device (wrapped in DDP under torchrun)."""
    info = init_distributed(getattr(settings, "use_gpu", True))
    datasets, weights = zip(*settings.train_datasets(settings))  # configuration mistakes show before the net is built
    torch.manual_seed(settings.seed)
    if settings.task not in TASKS:
        raise ConfigError(f"unknown task {settings.task!r} in the train setting; choose one of {sorted(TASKS)}")
    task = TASKS[settings.task]
    net = build_network(settings, task).to(info.device)
    normalization = net.feature_extractor.normalization
    train_set = task.sampler(settings, datasets, weights, settings.samples_per_epoch,
                             task.processing(settings, True, normalization), settings.seed)
    val_set = None
    if getattr(settings, "val_datasets", None) is not None:
        val_datasets, val_weights = zip(*settings.val_datasets(settings))
        val_set = task.sampler(settings, val_datasets, val_weights, settings.val_samples,
                               task.processing(settings, False, normalization), settings.seed + 1)
    if (net.feature_extractor.pretrained_from is None and getattr(settings, "init_checkpoint", None) is None
            and getattr(settings, "calibrate_random_backbone", 0)):
        calibrate_random_backbone(net, train_set, settings, info)
    optimizer = torch.optim.Adam(param_groups(net, settings.learning_rates), lr=settings.default_lr)
    scheduler = torch.optim.lr_scheduler.MultiStepLR(optimizer, milestones=list(settings.lr_milestones),
                                                     gamma=settings.lr_gamma)
    model = DistributedDataParallel(net, device_ids=[info.device] if info.device.type == "cuda" else None) \
        if info.distributed else net
    return Trainer(task.actor(model, settings), train_set, optimizer, scheduler, settings, info, val_set=val_set)


def run(settings, resume: bool = False) -> List[Dict[str, float]]:
    """Build and train; returns the per-epoch statistics."""
    return build_trainer(settings).train(resume=resume)

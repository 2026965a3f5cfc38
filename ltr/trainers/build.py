"""Turn a box2seg train setting into network, data, optimizer and trainer, and run it."""
from __future__ import annotations

from typing import Dict, List

import torch
import torch.nn as nn
from torch.nn.parallel import DistributedDataParallel

from ltr.actors.box2seg import Box2SegActor
from ltr.data.processing import BoxToMaskProcessing
from ltr.data.sampler import BoxToMaskSampler
from ltr.models.backbone.calibration import calibrate_batchnorm
from ltr.models.box2seg.box2seg_net import steepest_descent_resnet50
from ltr.models.loss.lovasz import LovaszSegLoss
from ltr.trainers.distributed import init_distributed
from ltr.trainers.trainer import Trainer


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


def processing(settings, train: bool, normalization: str) -> BoxToMaskProcessing:
    """The setting's crop/augmentation pipeline with the backbone's ``normalization``; validation keeps
    crops but drops randomness."""
    jitter = {} if train else dict(scale_jitter=0.0, center_jitter=0.0, p_grayscale=0.0, p_flip=0.0,
                                   brightness_jitter=0.0)
    kwargs = dict(output_size=settings.output_size, search_area_factor=settings.search_area_factor,
                  crop_mode=settings.crop_mode, scale_jitter=settings.scale_jitter,
                  center_jitter=settings.center_jitter, p_grayscale=settings.p_grayscale, p_flip=settings.p_flip,
                  brightness_jitter=settings.brightness_jitter, normalization=normalization)
    kwargs.update(jitter)
    return BoxToMaskProcessing(**kwargs)


def calibrate_random_backbone(net: nn.Module, train_set: BoxToMaskSampler, settings, info) -> None:
    """BN statistics of a random-init backbone from the first training samples (same on every rank)."""
    n = settings.calibrate_random_backbone
    images = (train_set[i]["images"].to(info.device) for i in range(n))
    calibrate_batchnorm(net.feature_extractor, images, net.output_layers)
    if info.is_main:
        print(f"[train] no pretrained backbone: calibrated its BatchNorm statistics on {n} training samples")


def build_trainer(settings) -> Trainer:
    """Everything a run needs, on this process's device (wrapped in DDP under torchrun)."""
    info = init_distributed(getattr(settings, "use_gpu", True))
    torch.manual_seed(settings.seed)
    net = steepest_descent_resnet50(**settings.net_kwargs).to(info.device)
    datasets, weights = zip(*settings.train_datasets(settings))
    train_set = BoxToMaskSampler(list(datasets), list(weights), samples_per_epoch=settings.samples_per_epoch,
                                 num_frames=settings.num_frames, max_gap=settings.max_gap,
                                 processing=processing(settings, True, net.feature_extractor.normalization),
                                 seed=settings.seed)
    val_set = None
    if getattr(settings, "val_datasets", None) is not None:
        val_datasets, val_weights = zip(*settings.val_datasets(settings))
        val_set = BoxToMaskSampler(list(val_datasets), list(val_weights), samples_per_epoch=settings.val_samples,
                                   num_frames=settings.num_frames, max_gap=settings.max_gap,
                                   processing=processing(settings, False, net.feature_extractor.normalization),
                                   seed=settings.seed + 1)
    if net.feature_extractor.pretrained_from is None and getattr(settings, "calibrate_random_backbone", 0):
        calibrate_random_backbone(net, train_set, settings, info)
    optimizer = torch.optim.Adam(param_groups(net, settings.learning_rates), lr=settings.default_lr)
    scheduler = torch.optim.lr_scheduler.MultiStepLR(optimizer, milestones=list(settings.lr_milestones),
                                                     gamma=settings.lr_gamma)
    model = DistributedDataParallel(net, device_ids=[info.device] if info.device.type == "cuda" else None) \
        if info.distributed else net
    actor = Box2SegActor(model, LovaszSegLoss(per_image=False), loss_weight=settings.loss_weight,
                         num_iter=settings.train_optim_iter, solver=settings.solver)
    return Trainer(actor, train_set, optimizer, scheduler, settings, info, val_set=val_set)


def run(settings, resume: bool = False) -> List[Dict[str, float]]:
    """Build and train; returns the per-epoch statistics."""
    return build_trainer(settings).train(resume=resume)

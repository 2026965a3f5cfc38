"""Turn a train setting into network, data, optimizer and trainer, and run it.

A setting names its ``task`` (a module of ``ltr/trainers/tasks``: 'box2seg' or 'lwl'); the task says
which network, sampler, processing and actor it trains. Everything else (initial weights, BN
calibration, optimizer, schedule, DDP, checkpoints, exact resume) is shared.
"""
from __future__ import annotations

from typing import Dict, List

import torch
import torch.nn as nn
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import Dataset

from ltr.admin.loading import load_network
from ltr.models.backbone.calibration import calibrate_batchnorm
from ltr.trainers.distributed import init_distributed
from ltr.trainers.tasks import Task, find_task
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


def calibrate_random_backbone(net: nn.Module, train_set: Dataset, settings, info) -> None:
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
    task = find_task(settings.task)
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

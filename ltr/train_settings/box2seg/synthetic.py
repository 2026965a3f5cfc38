"""A CPU demo of box2seg training on procedural videos (a few minutes on 2 cores).

Everything as ``default`` except: synthetic textured videos with distractors and occluders, the
shipped network's frozen ImageNet EfficientNet-Lite0 (weights from its pip package, so nothing to
download and no random backbone) with its narrower heads, small crops ((H, W) = (96, 160)) of 2.5x the box,
batch 2, 200 iterations, learning rates x10 so that learning shows within minutes (2 min on 2 idle
cores: Lovász 0.50 -> 0.21, J 0.18 -> 0.76).
"""
from __future__ import annotations

from typing import List, Tuple

from ltr.dataset.synthetic import SyntheticVideos
from ltr.train_settings.box2seg.default import configure as configure_default


def train_datasets(settings) -> List[Tuple[object, float]]:
    return [(SyntheticVideos(num_sequences=64, num_frames=40, image_size=(240, 320), seed=0), 1.0)]


def configure(settings) -> None:
    configure_default(settings)
    settings.description = "box2seg CPU demo on synthetic videos"
    settings.train_datasets = train_datasets
    settings.output_size = (96, 160)  # (H, W), a multiple of 16
    settings.search_area_factor = settings.inference_search_area = 2.5
    settings.batch_size = 2
    settings.samples_per_epoch = 2 * 50
    settings.num_epochs = 4
    settings.lr_milestones = (3,)
    settings.learning_rates = {name: 10 * lr for name, lr in settings.learning_rates.items()}
    settings.num_workers = 1
    settings.net_kwargs = dict(backbone_pretrained=True, backbone_type="efficientnet_lite0", out_feature_dim=256,
                               decoder_mdim=32)

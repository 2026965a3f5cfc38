"""LWL stage 1, the official ``lwl_stage1`` setting (facts §4.3): the whole backbone frozen.

    python ltr/run_training.py lwl stage1
    torchrun --nproc_per_node 8 ltr/run_training.py lwl stage1      # DDP, batch 20 in total

One train frame with its mask and three test frames within a gap of 100 (YouTube-VOS : DAVIS-2017
= 6 : 1), crops of 5x the box area resized to 832x480 (test frames jittered more), random rotation
and scaling, Lovász loss on the test frames with 2 filter refinement steps between them, Adam with
per-module rates divided by 5 after epoch 40, 70 epochs of 1000 iterations of batch 20.
"""
from __future__ import annotations

from typing import List, Tuple

from ltr.dataset.youtubevos import YouTubeVOS
from ltr.models.meta.solvers import DEFAULT_SOLVER
from ltr.train_settings.box2seg.default import backbone_choice, train_datasets

# Official per-module Adam rates; the default rate 2e-4.
STAGE1_LEARNING_RATES = {
    "target_model.filter_initializer": 5e-5,  # (no parameters: the zero initializer)
    "target_model.filter_optimizer": 1e-4,
    "target_model.feature_extractor": 2e-5,
    "decoder": 1e-4,
    "label_encoder": 2e-4,
}
ALL_BACKBONE_LAYERS = ("conv1", "bn1", "layer1", "layer2", "layer3", "layer4")


def val_datasets(settings) -> List[Tuple[object, float]]:
    """The 300 held-out YouTube-VOS videos (the role of the official 'jjvalid' split)."""
    return [(YouTubeVOS(split="yt300"), 1.0)]


def configure(settings) -> None:
    """Fill ``settings`` with the official stage-1 setting."""
    settings.description = "LWL stage 1 (official lwl_stage1): frozen backbone"
    settings.task = "lwl"
    settings.seed = 0
    # data: the official LWLSampler / LWLProcessing arguments
    settings.train_datasets = train_datasets  # YouTube-VOS 2019 train and DAVIS 2017 train, 6 : 1
    settings.val_datasets = val_datasets
    settings.num_train_frames = 1
    settings.num_test_frames = 3
    settings.max_gap = 100
    settings.search_area_factor = 5.0
    settings.output_size = (480, 832)  # (H, W)
    settings.crop_mode = "inside_major"
    settings.scale_jitter, settings.center_jitter = 0.25, 3.0
    settings.test_scale_jitter, settings.test_center_jitter = 0.5, (5.5, 4.5)
    settings.max_rotation, settings.max_scale = 15.0, 0.2
    settings.p_grayscale = 0.05
    settings.p_flip = 0.5
    settings.brightness_jitter = 0.2
    settings.num_workers = 8
    # optimisation: 70 epochs x 1000 iterations of batch 20; validation every 5 epochs
    settings.batch_size = 20
    settings.samples_per_epoch = 20 * 1000
    settings.val_samples = 20 * 100
    settings.val_interval = 5
    settings.num_epochs = 70
    settings.lr_milestones = (40,)
    settings.lr_gamma = 0.2
    settings.learning_rates = dict(STAGE1_LEARNING_RATES)
    settings.default_lr = 2e-4
    settings.loss_weight = 100.0
    settings.num_refinement_iter = 2
    settings.solver = DEFAULT_SOLVER  # the target model's steepest descent; "double_backward" = the official maths
    settings.amp = None  # or "bf16"
    # network: the official arguments (facts §1.4)
    backbone_type, weights = backbone_choice(settings.env)
    settings.net_kwargs = dict(filter_size=3, num_filters=16, optim_iter=5, backbone_pretrained=True,
                               out_feature_dim=512, frozen_backbone_layers=ALL_BACKBONE_LAYERS,
                               label_encoder_dims=(16, 32, 64), use_bn_in_label_enc=False, clf_feat_blocks=0,
                               final_conv=True, backbone_type=backbone_type, backbone_weights=weights)
    settings.init_checkpoint = None
    # Without pretrained weights: BN statistics of the random frozen backbone from this many samples.
    settings.calibrate_random_backbone = 16

"""box2seg, paper §3.4 with the official (PR #275) optimiser setting — the one that reproduced the paper's J.

    python ltr/run_training.py box2seg default            # one GPU
    torchrun --nproc_per_node 8 ltr/run_training.py box2seg default   # DDP, batch 4 in total

T = 3 frames within a gap of 100, YouTube-VOS : DAVIS-2017 = 6 : 1, crops of 5x the box area
resized to 832x480, horizontal flip, Lovász loss on the initial and refined masks, Adam with
per-module learning rates divided by 5 at 30k and 60k iterations, 80k iterations of batch 4,
frozen backbone initialised with Mask R-CNN weights (when present).
"""
from __future__ import annotations

from pathlib import Path
from typing import List, Tuple

from ltr.dataset.davis import Davis
from ltr.dataset.youtubevos import YouTubeVOS
from ltr.models.backbone.weights import MRCNN_FILE, TORCHVISION_FILES
from ltr.models.meta.solvers import DEFAULT_SOLVER

# Official per-module Adam rates (modules not listed are frozen); the default rate 2e-4.
OFFICIAL_LEARNING_RATES = {
    "target_model.filter_optimizer": 1e-4,   # λ of S
    "target_model.feature_extractor": 2e-5,  # layer3 -> x_t
    "decoder": 1e-4,                         # D
    "label_encoder": 2e-4,                   # B: m_t
    "bbox_encoder": 2e-4,                    # B: e_t, w_t
    "segm_encoder": 2e-4,                    # B̂
    "target_model_segm.filter_optimizer": 1e-4,  # λ of Ŝ
    # not official: the Table 3 alternatives to S (attention, concat) learn at S's rate
    "target_model.aggregator": 1e-4,
    "target_model_segm.aggregator": 1e-4,
}
OFFICIAL_DEFAULT_LR = 2e-4
# The paper's text states a single learning rate of 1e-2 (train setting ``paper_lr``).
PAPER_LR = 1e-2


def backbone_choice(env) -> Tuple[str, str]:
    """(backbone_type, weights file): Detectron Mask R-CNN weights if present, else torchvision's COCO
    Mask R-CNN from the torch hub cache, else the Mask R-CNN layout from random init (with a warning)."""
    import torch

    detectron = Path(env.pretrained_networks) / MRCNN_FILE
    if getattr(env, "backbone_weights", ""):
        return "mrcnn", env.backbone_weights
    if detectron.is_file():
        return "mrcnn", str(detectron)
    coco = Path(torch.hub.get_dir()) / "checkpoints" / TORCHVISION_FILES[0]
    if coco.is_file():
        return "torchvision", str(coco)
    return "mrcnn", ""


def train_datasets(settings) -> List[Tuple[object, float]]:
    """YouTube-VOS 2019 train (without YT300) and DAVIS 2017 train, sampled 6 : 1."""
    return [(YouTubeVOS(split="train"), 6.0), (Davis(version="2017", split="train"), 1.0)]


def configure(settings) -> None:
    """Fill ``settings`` with the §3.4 setting."""
    settings.description = "box2seg, paper §3.4, official optimiser setting"
    settings.task = "box2seg"
    settings.seed = 0
    # data (§3.4)
    settings.train_datasets = train_datasets
    settings.val_datasets = None
    settings.num_frames = 3
    settings.max_gap = 100
    settings.search_area_factor = 5.0
    settings.output_size = (480, 832)  # (H, W)
    settings.crop_mode = "inside_major"
    settings.inference_search_area = 4.0  # the official annotation tool crops 4x the box (facts §3.5)
    settings.center_jitter = 3.0
    settings.scale_jitter = 0.25
    settings.p_grayscale = 0.05
    settings.p_flip = 0.5
    settings.brightness_jitter = 0.2
    settings.num_workers = 8
    # optimisation (§3.4): 80 epochs x 1000 iterations of batch 4
    settings.batch_size = 4
    settings.samples_per_epoch = 4 * 1000
    settings.num_epochs = 80
    settings.lr_milestones = (30, 60)
    settings.lr_gamma = 0.2
    settings.learning_rates = dict(OFFICIAL_LEARNING_RATES)
    settings.default_lr = OFFICIAL_DEFAULT_LR
    settings.loss_weight = 100.0
    settings.train_optim_iter = 5
    settings.box_encoding_dropout = 0.0  # not in the paper: share of sequences trained without m_t
    settings.solver = DEFAULT_SOLVER  # S's steepest descent; "double_backward" = the official maths
    settings.amp = None  # or "bf16"
    # network: the official (sta.pth.tar) arguments, frozen backbone
    backbone_type, weights = backbone_choice(settings.env)
    settings.net_kwargs = dict(backbone_pretrained=True, backbone_type=backbone_type, backbone_weights=weights)
    # Without pretrained weights: BN statistics of the random frozen backbone from this many samples.
    settings.calibrate_random_backbone = 16


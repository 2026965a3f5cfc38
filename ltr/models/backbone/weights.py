"""Find and load pretrained ResNet-50 weights from local files only (never downloads).

Sources, in order: an explicit path; the settings' ``backbone_weights``; for the ``mrcnn`` style the
Detectron Mask R-CNN backbone pytracking uses (``<pretrained_networks>/e2e_mask_rcnn_R_50_FPN_1x_converted.pkl``);
for the ``torchvision`` style torchvision's COCO Mask R-CNN or ImageNet checkpoints in the torch hub cache
(``$TORCH_HOME/hub/checkpoints``). A clear warning says when nothing was found.
"""
from __future__ import annotations

import warnings
from pathlib import Path
from typing import Dict, List, Optional

import torch
import torch.nn as nn

MRCNN_FILE = "e2e_mask_rcnn_R_50_FPN_1x_converted.pkl"
TORCHVISION_FILES = (
    "maskrcnn_resnet50_fpn_coco-bf2d0c1e.pth",  # COCO Mask R-CNN (torchvision), backbone.body.*
    "resnet50-11ad3fa6.pth",  # ImageNet V2
    "resnet50-0676ba61.pth",  # ImageNet V1
)
_PREFIXES = ("backbone.body.", "feature_extractor.", "module.", "backbone.")


def candidate_paths(style: str) -> List[Path]:
    """Where pretrained weights for a backbone style are looked for, in order."""
    from ltr.admin.environment import env_settings

    env = env_settings()
    paths = [Path(env.backbone_weights)] if getattr(env, "backbone_weights", "") else []
    if style == "mrcnn":
        paths.append(Path(env.pretrained_networks) / MRCNN_FILE)
    else:
        hub = Path(torch.hub.get_dir()) / "checkpoints"
        paths += [hub / name for name in TORCHVISION_FILES]
    return paths


def backbone_state_dict(checkpoint: Dict[str, torch.Tensor], target: nn.Module) -> Dict[str, torch.Tensor]:
    """Keep the entries of a checkpoint that belong to ``target``, with known prefixes stripped.

    Handles Detectron-converted files, torchvision ImageNet files and torchvision Mask R-CNN files
    (FrozenBatchNorm has no ``num_batches_tracked``: those keep the target's value).
    """
    if "state_dict" in checkpoint and isinstance(checkpoint["state_dict"], dict):
        checkpoint = checkpoint["state_dict"]
    own = target.state_dict()
    out: Dict[str, torch.Tensor] = {}
    for key, value in checkpoint.items():
        for prefix in _PREFIXES:
            if key.startswith(prefix):
                key = key[len(prefix):]
                break
        if key in own and torch.is_tensor(value) and value.shape == own[key].shape:
            out[key] = value
    return out


def load_pretrained_backbone(backbone: nn.Module, weights_path: str = "") -> Optional[Path]:
    """Load pretrained weights into ``backbone`` if a file exists; returns the file used or None."""
    style = getattr(backbone, "style", "mrcnn")
    paths = [Path(weights_path)] if weights_path else candidate_paths(style)
    if weights_path and not Path(weights_path).is_file():
        raise FileNotFoundError(f"backbone weights file {weights_path} does not exist")
    for path in paths:
        if not path.is_file():
            continue
        checkpoint = torch.load(path, map_location="cpu", weights_only=False)
        state = backbone_state_dict(checkpoint, backbone)
        # Counters and the ImageNet classifier are not needed for features (detection files lack them).
        missing = [k for k in backbone.state_dict()
                   if k not in state and not k.endswith("num_batches_tracked") and not k.startswith("fc.")]
        if missing:
            raise RuntimeError(f"{path} does not fit the {style} ResNet-50: {len(missing)} tensors missing, "
                               f"e.g. {missing[:3]}")
        backbone.load_state_dict(state, strict=False)
        print(f"[backbone] loaded pretrained {style} ResNet-50 weights from {path}")
        return path
    warnings.warn(
        f"no pretrained {style} ResNet-50 weights found (looked in: {', '.join(map(str, paths)) or 'nowhere'}); "
        "the backbone starts from random initialisation. Put the file there or set BOX2SEG_BACKBONE_WEIGHTS.",
        stacklevel=2,
    )
    return None

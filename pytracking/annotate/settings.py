"""The annotation engine's settings and how a crop size is written on a command line.

Kept free of torch so that command lines can show these defaults in ``--help`` without loading it.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, Tuple

from ltr.models.box2seg.names import TARGET_STRIDES
from ltr.models.meta.solvers import DEFAULT_SOLVER

SOURCES = ("lasot", "got10k", "davis", "youtubevos", "folder")  # the datasets the annotation tool reads


# the AnnotateSettings fields that change the masks (the others change only how fast they come)
MASK_FIELDS = ("num_frames", "interval", "iters", "search_area", "crop_size", "bf16", "fast")


@dataclass
class AnnotateSettings:
    """Inference parameters; the defaults are the paper's (facts §3.5 with Δ = 15)."""

    num_frames: int = 9  # T: frames per temporal window
    interval: int = 15  # Δ: frames between window slots
    iters: int = 15  # steepest-descent iterations of both aggregation stages
    search_area: float = 4.0
    crop_size: Tuple[int, int] = (480, 832)  # (H, W) of the network input
    batch_windows: int = 4  # windows segmented together
    cache: bool = True  # compute per-frame parts once per sequence
    bf16: bool = False  # autocast to bfloat16 (for CUDA)
    workers: int = 4  # threads reading and cropping frames
    solver: str = DEFAULT_SOLVER  # steepest descent of S; "double_backward" is the official maths
    fast: bool = False  # share each frame's stage-1 mask between its windows (an approximation)
    channels_last: bool = True  # NHWC convolutions: oneDNN (CPU) and cuDNN skip reordering every map

    def mask_settings(self) -> Dict[str, Any]:
        """The values of ``MASK_FIELDS`` (a finished unit records them)."""
        return {name: getattr(self, name) for name in MASK_FIELDS}


def check_crop_size(size: Tuple[int, int], stride: int) -> None:
    """ValueError unless H and W are positive multiples of ``stride`` (the network's ``target_stride``), so
    that the target model's maps tile the crop (the box encoding and x_t agree in size) and the half-cell
    shift of ``sample_centre`` is defined."""
    h, w = size
    if h <= 0 or w <= 0 or h % stride or w % stride:
        raise ValueError(f"crop size {h}x{w}: H and W must be positive multiples of {stride} (the target stride)")


def parse_size(text: str) -> Tuple[int, int]:
    """'480x832' -> (480, 832) as (H, W); multiples of the finest target stride a network can have (the
    network's own is checked once it is loaded, by ``Annotator``)."""
    try:
        h, w = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise ValueError(f"crop size must look like HxW, e.g. 480x832; got {text!r}") from None
    check_crop_size((h, w), min(TARGET_STRIDES))
    return h, w

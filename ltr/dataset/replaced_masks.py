"""A VOS dataset with its masks replaced, for training on other masks than the true ones.

The paper's Table 4 question: how good must training masks be? Frames, boxes (the true masks'
tight boxes) and visibility stay those of the base dataset; the masks become either the PNGs of a
mask folder (e.g. the annotation tool's pseudo-masks, ``<mask_root>/<sequence>/<frame stem>.png``,
foreground > 0) or the filled boxes.
"""
from __future__ import annotations

from pathlib import Path
from typing import Dict, List, Optional, Tuple

import numpy as np
import torch

from ltr.data.bounding_box_utils import rasterize_boxes
from ltr.data.image_loader import ImageReadError, PathLike, imread_indexed
from ltr.dataset.base_video_dataset import BaseVideoDataset
from ltr.dataset.vos_base import VOSDataset


class ReplacedMasks(BaseVideoDataset):
    """``base`` with masks from ``mask_root`` or, with ``box_fill``, the filled true boxes.

    With a mask folder every sequence must have its folder there; a frame without a PNG is not
    visible. A PNG whose size differs from its frame raises ImageReadError (the sampler skips it).
    """

    def __init__(self, base: VOSDataset, mask_root: Optional[PathLike] = None, box_fill: bool = False):
        if (mask_root is None) == (not box_fill):
            raise ValueError("ReplacedMasks needs exactly one of mask_root and box_fill")
        self.base = base
        self.mask_root = None if mask_root is None else Path(mask_root)
        self.name = f"{base.name}_{'boxfill' if box_fill else 'maskfolder'}"
        self._has_png: Dict[int, np.ndarray] = {}
        if self.mask_root is not None:
            for seq_id in range(base.get_num_sequences()):
                folder = self.mask_root / base.get_sequence_name(seq_id)
                if not folder.is_dir():
                    raise FileNotFoundError(f"no masks for sequence {base.get_sequence_name(seq_id)!r}: {folder} "
                                            "does not exist (write them with pytracking/annotate/run.py)")
                stems = {p.stem for p in folder.glob("*.png")}
                self._has_png[seq_id] = np.array([s in stems for s in base.frame_names(seq_id)], dtype=bool)

    def has_masks(self) -> bool:
        return True

    def get_num_sequences(self) -> int:
        return self.base.get_num_sequences()

    def get_sequence_name(self, seq_id: int) -> str:
        return self.base.get_sequence_name(seq_id)

    def get_sequence_info(self, seq_id: int) -> Dict[str, torch.Tensor]:
        info = dict(self.base.get_sequence_info(seq_id))
        if self.mask_root is not None:
            info["visible"] = info["visible"] & torch.from_numpy(self._has_png[seq_id])
        return info

    def get_frames(self, seq_id: int, frame_ids: List[int], info: Optional[Dict] = None
                   ) -> Tuple[List[np.ndarray], Dict[str, List[torch.Tensor]], Dict]:
        frames, annos, meta = self.base.get_frames(seq_id, frame_ids, info)
        if self.mask_root is None:
            size = frames[0].shape[:2]
            annos["mask"] = list(rasterize_boxes(torch.stack(annos["bbox"]), size)[:, 0])
            return frames, annos, meta
        folder = self.mask_root / self.get_sequence_name(seq_id)
        masks = []
        for frame, stem in zip(frames, meta["frame_names"]):
            path = folder / f"{stem}.png"
            mask = imread_indexed(path) > 0
            if mask.shape != frame.shape[:2]:
                raise ImageReadError(f"mask {path} is {mask.shape[1]}x{mask.shape[0]}, its frame "
                                     f"{frame.shape[1]}x{frame.shape[0]}")
            masks.append(torch.from_numpy(mask.astype(np.float32)))
        annos["mask"] = masks
        return frames, annos, meta

"""The interface every training dataset implements (pytracking's BaseVideoDataset, typed).

A dataset is a list of sequences; a sequence has per-frame boxes [x, y, w, h] (pixels), a
visibility flag, and, for VOS datasets, a binary mask per frame. Samplers only use this API.
"""
from __future__ import annotations

from typing import Dict, List, Optional, Tuple

import numpy as np
import torch


class BaseVideoDataset:
    """A video dataset: ``get_sequence_info`` for sampling, ``get_frames`` for loading."""

    name: str = "video"

    def __len__(self) -> int:
        return self.get_num_sequences()

    def is_video_sequence(self) -> bool:
        return True

    def has_masks(self) -> bool:
        """True when ``get_frames`` returns a 'mask' per frame."""
        return False

    def get_num_sequences(self) -> int:
        raise NotImplementedError

    def get_sequence_name(self, seq_id: int) -> str:
        raise NotImplementedError

    def get_sequence_info(self, seq_id: int) -> Dict[str, torch.Tensor]:
        """{'bbox': (N,4) float xywh, 'visible': (N,) bool, 'valid': (N,) bool} for all N frames."""
        raise NotImplementedError

    def get_frames(self, seq_id: int, frame_ids: List[int], info: Optional[Dict] = None
                   ) -> Tuple[List[np.ndarray], Dict[str, List[torch.Tensor]], Dict]:
        """Frames (HxWx3 uint8 RGB), annotations {'bbox': [(4,)], 'mask': [(H,W) float 0/1], ...}, meta."""
        raise NotImplementedError

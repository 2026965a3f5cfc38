"""LaSOT: <root>/<class>/<class>-<n>/img/%08d.jpg, groundtruth.txt, full_occlusion.txt and
out_of_view.txt (one comma-separated line of 0/1), optionally with pseudo masks."""
from __future__ import annotations

from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
import torch

from ltr.data.tracking_files import read_flags
from ltr.data.image_loader import PathLike
from ltr.dataset.vos_base import TrackingDataset, dataset_root, restrict



def class_of(name: str) -> str:
    """'airplane-10' -> 'airplane'."""
    return name.rsplit("-", 1)[0]


class Lasot(TrackingDataset):
    """LaSOT sequences (all found under ``root``, or ``sequences`` like 'airplane-10');
    visible = not fully occluded, not out of view, valid box (and a mask file when ``mask_root``)."""

    name = "lasot"

    def __init__(self, root: Optional[PathLike] = None, mask_root: Optional[PathLike] = None,
                 sequences: Optional[Sequence[str]] = None):
        root = dataset_root(root, "lasot_dir", "LaSOT")
        if sequences is None:
            available = sorted(p.name for c in root.iterdir() if c.is_dir()
                               for p in c.glob(f"{c.name}-*") if (p / "groundtruth.txt").is_file())
        else:
            available = [n for n in sequences if (root / class_of(n) / n / "groundtruth.txt").is_file()]
        super().__init__(root, restrict(available, sequences, f"LaSOT at {root}"), mask_root)

    def sequence_dir(self, name: str) -> Path:
        return self.root / class_of(name) / name

    def frame_path(self, name: str, frame_id: int) -> Path:
        return self.sequence_dir(name) / "img" / f"{frame_id + 1:08d}.jpg"

    def object_class(self, name: str) -> Optional[str]:
        return class_of(name)

    def read_visibility(self, seq_dir: Path, n: int) -> Tuple[np.ndarray, Dict[str, torch.Tensor], List[str]]:
        occluded, problems = read_flags(seq_dir / "full_occlusion.txt", n)
        out_of_view, more = read_flags(seq_dir / "out_of_view.txt", n)
        return ~occluded & ~out_of_view, {}, problems + more

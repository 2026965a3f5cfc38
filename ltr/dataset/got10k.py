"""GOT-10k (the train folder): <root>/list.txt, <root>/<seq>/%08d.jpg, groundtruth.txt,
absence.label and cover.label (one int per line), optionally with pseudo masks."""
from __future__ import annotations

from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
import torch

from ltr.admin.environment import ConfigPathError
from ltr.data.tracking_files import read_flags, read_ints
from ltr.data.image_loader import PathLike
from ltr.dataset.vos_base import TrackingDataset, dataset_root, restrict



class Got10k(TrackingDataset):
    """GOT-10k sequences listed in list.txt (or ``sequences``); visible = not absent, cover > 0,
    valid box (and a mask file when ``mask_root``). Info adds 'visible_ratio' = cover / 8."""

    name = "got10k"

    def __init__(self, root: Optional[PathLike] = None, mask_root: Optional[PathLike] = None,
                 sequences: Optional[Sequence[str]] = None):
        root = dataset_root(root, "got10k_dir", "GOT-10k")
        list_file = root / "list.txt"
        if not list_file.is_file():
            raise ConfigPathError(f"GOT-10k sequence list not found: {list_file}")
        available = [line.strip() for line in list_file.read_text().splitlines() if line.strip()]
        super().__init__(root, restrict(available, sequences, f"GOT-10k at {root}"), mask_root)

    def sequence_dir(self, name: str) -> Path:
        return self.root / name

    def frame_path(self, name: str, frame_id: int) -> Path:
        return self.root / name / f"{frame_id + 1:08d}.jpg"

    def read_visibility(self, seq_dir: Path, n: int) -> Tuple[np.ndarray, Dict[str, torch.Tensor], List[str]]:
        absent, problems = read_flags(seq_dir / "absence.label", n)
        cover, more = read_ints(seq_dir / "cover.label", n, fill=0)
        extra = {"visible_ratio": torch.from_numpy(cover / 8.0).float()}
        return ~absent & (cover > 0), extra, problems + more

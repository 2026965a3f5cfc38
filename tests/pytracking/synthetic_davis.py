"""A tiny synthetic DAVIS-2017 tree (multi-object, palette PNGs) so loader and report tests run offline
(fixtures imported by the conftest.py of tests/pytracking/evaluation and tests/pytracking/analysis)."""
from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image

from pytracking.evaluation.baselines import mask_folder_path

N_FRAMES, H, W = 6, 48, 64


def synthetic_labels(seq: str, t: int) -> np.ndarray:
    """Labels of frame t: 'alpha' has object 1 moving right and object 2 from frame 2 on; 'beta' one object."""
    lab = np.zeros((H, W), np.uint8)
    if seq == "alpha":
        lab[8:18, 5 + 2 * t:15 + 2 * t] = 1
        if t >= 2:
            lab[30:38, 40:48] = 2
    else:
        lab[20 + t:32 + t, 20:32] = 1
    return lab


@pytest.fixture
def synthetic_davis(tmp_path: Path) -> Path:
    """DAVIS layout at 480p with sequences alpha and beta; ImageSets/2017/val.txt lists only beta."""
    rng = np.random.default_rng(0)
    for seq in ("alpha", "beta"):
        (tmp_path / "JPEGImages" / "480p" / seq).mkdir(parents=True)
        (tmp_path / "Annotations" / "480p" / seq).mkdir(parents=True)
        for t in range(N_FRAMES):
            lab = synthetic_labels(seq, t)
            img = rng.integers(0, 60, (H, W, 3), dtype=np.uint8)
            img[lab > 0] = (200, 180, 40)
            cv2.imwrite(str(tmp_path / "JPEGImages" / "480p" / seq / f"{t:05d}.jpg"), img)
            png = Image.frombytes("P", (W, H), lab.tobytes())
            png.putpalette([0, 0, 0, 128, 0, 0, 0, 128, 0] + [0] * (256 * 3 - 9))
            png.save(tmp_path / "Annotations" / "480p" / seq / f"{t:05d}.png")
    (tmp_path / "ImageSets" / "2017").mkdir(parents=True)
    (tmp_path / "ImageSets" / "2017" / "val.txt").write_text("beta\n")
    return tmp_path


@pytest.fixture
def write_predictions():
    """Writes a mask folder in the annotation layout: ``write(folder, sequences, mask_of(seq, i))``."""

    def write(folder: Path, sequences, mask_of) -> Path:
        for seq in sequences:
            for i in range(len(seq)):
                path = mask_folder_path(folder, seq, i)
                path.parent.mkdir(parents=True, exist_ok=True)
                Image.fromarray(np.asarray(mask_of(seq, i), np.uint8)).save(path)
        return folder

    return write

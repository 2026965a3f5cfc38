"""Box->mask methods behind one interface, so the benchmark scores them all the same way.

A method is a callable ``method(seq: VideoSequence) -> Iterable[np.ndarray]`` yielding one HxW bool
mask per frame; it may carry a ``name`` (used in result tables). A method that cannot use a file of a
sequence (unreadable frame, missing prediction) raises ``ImageReadError`` naming it: the sequence is
then reported as failed, not scored. ``METHODS`` maps names to factories, the box2seg network
(box2seg_method.py) included.
"""
from __future__ import annotations

from pathlib import Path
from typing import Callable, Dict, Iterable, Iterator

import cv2
import numpy as np

from ltr.data.bounding_box_utils import box_mask, box_region
from ltr.data.image_loader import PathLike, check_mask_size, imread_mask
from ltr.dataset.sequence import VideoSequence

Method = Callable[[VideoSequence], Iterable[np.ndarray]]


class BoxFill:
    """The box itself as the mask (the official box-to-pixel rule, as the box-fill training masks): the
    lower bound every method must beat."""
    name = "boxfill"

    def __call__(self, seq: VideoSequence) -> Iterator[np.ndarray]:
        for box in seq.boxes:
            yield box_mask(box, seq.image_size)


class GrabCut:
    """OpenCV GrabCut initialised with the box's pixels (GC_INIT_WITH_RECT), foreground = FGD | PR_FGD.

    Boxes with a side below ``min_side`` pixels, or covering the whole image (no background
    samples for the colour model), fall back to box-fill. The RNG is reseeded per frame so that
    results do not depend on the order frames are processed in.
    """
    name = "grabcut"

    def __init__(self, iterations: int = 5, min_side: int = 4, seed: int = 0):
        self.iterations, self.min_side, self.seed = iterations, min_side, seed

    def segment(self, image: np.ndarray, box: np.ndarray) -> np.ndarray:
        """Mask of the object in ``box`` of one HxWx3 uint8 image (channel order is irrelevant to GrabCut)."""
        size = image.shape[:2]
        y0, y1, x0, x1 = box_region(box, size)
        if y1 <= y0 or x1 <= x0:
            return np.zeros(size, dtype=bool)
        if min(x1 - x0, y1 - y0) < self.min_side or (x1 - x0) * (y1 - y0) == size[0] * size[1]:
            return box_mask(box, size)
        labels = np.zeros(size, dtype=np.uint8)
        bgd, fgd = np.zeros((1, 65), np.float64), np.zeros((1, 65), np.float64)
        cv2.setRNGSeed(self.seed)
        cv2.grabCut(np.ascontiguousarray(image), labels, (x0, y0, x1 - x0, y1 - y0), bgd, fgd,
                    self.iterations, cv2.GC_INIT_WITH_RECT)
        return (labels == cv2.GC_FGD) | (labels == cv2.GC_PR_FGD)

    def __call__(self, seq: VideoSequence) -> Iterator[np.ndarray]:
        for i, box in enumerate(seq.boxes):
            y0, y1, x0, x1 = box_region(box, seq.image_size)
            if y1 <= y0 or x1 <= x0:  # no box: no need to decode the frame
                yield np.zeros(seq.image_size, dtype=bool)
            else:
                yield self.segment(seq.frame(i), box)


def mask_folder_path(folder: PathLike, seq: VideoSequence, i: int) -> Path:
    """Where the annotation tool stores frame ``i``: ``<folder>/<sequence name>/<frame stem>.png``."""
    return Path(folder) / seq.name / f"{seq.frames[i].stem}.png"


def read_folder_mask(folder: PathLike, seq: VideoSequence, i: int) -> np.ndarray:
    """Frame ``i``'s mask from a folder in the annotation layout (foreground > 0); ImageReadError when
    it is missing, unreadable or not the size of the frame."""
    path = mask_folder_path(folder, seq, i)
    mask = imread_mask(path)
    check_mask_size(mask, seq.image_size, path, seq.frames[i])
    return mask


class MaskFolder:
    """Predictions stored in the annotation tool's layout ``<folder>/<sequence>/<frame stem>.png``.

    A missing, unreadable or wrongly sized file fails the sequence (ImageReadError naming it).
    """

    def __init__(self, folder: PathLike):
        self.folder = Path(folder)
        self.name = f"maskfolder:{self.folder.name}"

    def __call__(self, seq: VideoSequence) -> Iterator[np.ndarray]:
        for i in range(len(seq)):
            yield read_folder_mask(self.folder, seq, i)


def box2seg(**kwargs) -> Method:
    """The box2seg network (``box2seg_method.Box2Seg``), imported on use so that the baselines do not load the network code."""
    from pytracking.evaluation.box2seg_method import Box2Seg
    return Box2Seg(**kwargs)


METHODS: Dict[str, Callable[..., Method]] = {
    "boxfill": BoxFill,
    "grabcut": GrabCut,
    "maskfolder": MaskFolder,
    "box2seg": box2seg,
}


def get_method(name: str, **kwargs) -> Method:
    """Build a registered method by name (keyword arguments go to its factory)."""
    if name not in METHODS:
        raise KeyError(f"unknown box->mask method {name!r}; registered: {sorted(METHODS)}")
    return METHODS[name](**kwargs)

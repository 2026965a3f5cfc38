"""The datasets the annotation tool reads, as units of work: each unit (a LaSOT/GOT-10k sequence, a
DAVIS/YouTube-VOS video, the folder) is the granularity of sharding and of done-markers, and yields
one single-target sequence per object (``<video>_<obj>``; DAVIS-2016 keeps the video name).

The layouts are read by ``ltr/dataset``. Reading never raises on bad annotations: problems become
messages naming the file and line, and the affected frames are not annotated. A unit that cannot be
read at all raises ``SequenceError``.
"""
from __future__ import annotations

from pathlib import Path
from typing import List, Optional, Sequence, Tuple, Union

from ltr.data.image_loader import PathLike
from ltr.dataset.davis import davis_videos
from ltr.dataset.folder import find_folder, read_folder
from ltr.dataset.got10k import Got10k
from ltr.dataset.lasot import Lasot
from ltr.dataset.sequence import SequenceError, VideoSequence
from ltr.dataset.vos_base import TrackingDataset, read_vos_video, restrict
from pytracking.annotate.settings import SOURCES


class TrackingSource:
    """LaSOT / GOT-10k: a unit is a sequence."""

    def __init__(self, dataset: TrackingDataset):
        self.dataset = dataset
        self.name = dataset.name

    def units(self) -> List[str]:
        return sorted(self.dataset.names)

    def load(self, unit: str) -> List[VideoSequence]:
        return [self.dataset.read_sequence(unit)]


class VOSSource:
    """DAVIS or YouTube-VOS: a unit is a video, boxed by the tight boxes of its ground-truth masks
    (for evaluating the masks against them)."""

    def __init__(self, name: str, image_root: Path, anno_root: Path, units: List[str], binary: bool = False,
                 every_frame_annotated: bool = True):
        self.name, self.image_root, self.anno_root, self.binary = name, image_root, anno_root, binary
        self.every_frame_annotated = every_frame_annotated
        self._units = units

    def units(self) -> List[str]:
        return sorted(self._units)

    def load(self, unit: str) -> List[VideoSequence]:
        video = read_vos_video(unit, self.image_root, self.anno_root, self.binary, self.every_frame_annotated,
                               check_sizes=True)
        if video.error:
            raise SequenceError(video.error)
        return video.targets()


class FolderSource:
    """Frames in a folder and a boxes file (read by ``ltr.dataset.folder.read_folder``): one unit."""

    name = "folder"

    def __init__(self, root: Path, box_file: Path, sequence_name: Optional[str] = None):
        self.root, self.box_file = root, box_file
        self.sequence_name = sequence_name or root.name

    def units(self) -> List[str]:
        return [self.sequence_name]

    def load(self, unit: str) -> List[VideoSequence]:
        return [read_folder(self.root, self.box_file, unit)]


def sequence_folder(root: PathLike, boxes: Optional[PathLike] = None, name: Optional[str] = None) -> FolderSource:
    """One sequence folder, as every tool takes it (where the frames and boxes file are:
    ``ltr.dataset.folder.find_folder``), named ``name`` or after the folder."""
    frames, box_file, default_name = find_folder(root, boxes)
    return FolderSource(frames, box_file, name or default_name)


Source = Union[TrackingSource, VOSSource, FolderSource]


def _annotated_videos(anno_root: Path, name: str) -> List[str]:
    if not anno_root.is_dir():
        raise FileNotFoundError(f"no {name} annotations at {anno_root}")
    return sorted(p.name for p in anno_root.iterdir() if p.is_dir())


def make_source(dataset: str, root: PathLike, sequences: Optional[Sequence[str]] = None,
                boxes: Optional[PathLike] = None, name: Optional[str] = None, year: str = "2017",
                split: Optional[str] = None, resolution: str = "480p") -> Tuple[Source, List[str]]:
    """The reader for ``dataset`` at ``root`` and its units (all, or ``sequences``, which must exist)."""
    root = Path(root)
    if not root.is_dir():
        raise FileNotFoundError(f"{dataset} root not found: {root}")
    if dataset == "lasot":
        source: Source = TrackingSource(Lasot(root, sequences=sequences))
    elif dataset == "got10k":
        source = TrackingSource(Got10k(root, sequences=sequences))
    elif dataset == "davis":
        source = VOSSource("davis", root / "JPEGImages" / resolution, root / "Annotations" / resolution,
                           davis_videos(root, year, split or "val", resolution), binary=year == "2016")
    elif dataset == "youtubevos":
        split_dir = root / (split or "train")
        source = VOSSource("youtubevos", split_dir / "JPEGImages", split_dir / "Annotations",
                           _annotated_videos(split_dir / "Annotations", "youtubevos"), every_frame_annotated=False)
    elif dataset == "folder":
        source = sequence_folder(root, boxes, name)
    else:
        raise ValueError(f"unknown dataset {dataset!r}; choose one of {SOURCES}")
    units = source.units()
    if sequences is not None and dataset not in ("lasot", "got10k"):
        units = restrict(units, sequences, f"{dataset} at {root}")
    return source, units

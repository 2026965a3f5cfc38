"""DAVIS 2016 / 2017 in the official layout: <root>/JPEGImages/<res>/<seq>/%05d.jpg,
<root>/Annotations/<res>/<seq>/%05d.png, optional <root>/ImageSets/<year>/<split>.txt: ``Davis`` for
training, ``read_davis`` for annotation, evaluation and tracking."""
from __future__ import annotations

from pathlib import Path
from typing import List, Optional, Sequence

from ltr.admin.environment import ConfigError, ConfigPathError
from ltr.data.image_loader import PathLike
from ltr.dataset.sequence import VideoSequence
from ltr.dataset.vos_base import VOSDataset, dataset_root, read_vos_video, restrict

VERSIONS = ("2016", "2017")

def default_resolution(root: Path) -> str:
    """'480p' when present, else the first resolution folder found (e.g. '240p', 'Full-Resolution')."""
    image_root = root / "JPEGImages"
    found = sorted(p.name for p in image_root.iterdir() if p.is_dir()) if image_root.is_dir() else []
    if not found:
        raise ConfigPathError(f"no resolution folders in {image_root} (is this a DAVIS root?)")
    return "480p" if "480p" in found else found[0]


def davis_videos(root: Path, version: str, split: str, resolution: str) -> List[str]:
    """The videos of a split: ``ImageSets/<version>/<split>.txt`` when present, else every annotated video."""
    listing = root / "ImageSets" / version / f"{split}.txt"
    if listing.is_file():
        return [line.split()[0] for line in listing.read_text().splitlines() if line.strip()]
    anno_root = root / "Annotations" / resolution
    if not anno_root.is_dir():
        raise ConfigPathError(f"DAVIS annotations not found: {anno_root} (and no {listing})")
    return sorted(p.name for p in anno_root.iterdir() if p.is_dir())


def read_davis(root: PathLike, year: str = "2017", split: str = "val", resolution: str = "480p",
               sequences: Optional[Sequence[str]] = None) -> List[VideoSequence]:
    """The videos of a split (or ``sequences``), each with its objects (DAVIS-2016: one, any foreground)
    and their boxes, the tight boxes of the masks. Every frame needs its annotation."""
    if year not in VERSIONS:
        raise ConfigError(f"DAVIS year must be '2016' or '2017', got {year!r}")
    root = Path(root)
    names = list(sequences) if sequences is not None else davis_videos(root, year, split, resolution)
    return [read_vos_video(name, root / "JPEGImages" / resolution, root / "Annotations" / resolution,
                           binary=year == "2016", every_frame_annotated=True) for name in names]


class Davis(VOSDataset):
    """DAVIS: version '2016' (single object, mask = label > 0) or '2017' (one sample per
    (sequence, object id), mask = label == id). ``sequences`` restricts the split (e.g. the 24/6
    train/validation division of DAVIS-2016 train). ``meta_path`` defaults to
    <root>/generated_meta_<version>_<res>.json."""

    def __init__(self, root: Optional[PathLike] = None, version: str = "2017", split: str = "train",
                 resolution: Optional[str] = None, sequences: Optional[Sequence[str]] = None,
                 multiobj: bool = False, vis_threshold: int = 10, meta_path: Optional[PathLike] = None):
        if version not in VERSIONS:
            raise ConfigError(f"DAVIS version must be '2016' or '2017', got {version!r}")
        if multiobj:
            raise NotImplementedError("multiobj=True is not supported: samples are single objects")
        root = dataset_root(root, "davis16_dir" if version == "2016" else "davis_dir", f"DAVIS {version}")
        resolution = resolution or default_resolution(root)
        anno_root = root / "Annotations" / resolution
        if not anno_root.is_dir():
            raise ConfigPathError(f"DAVIS annotations not found: {anno_root}")
        videos = restrict(davis_videos(root, version, split, resolution), sequences,
                          f"DAVIS {version} {split} at {root}")
        meta_path = meta_path or root / f"generated_meta_{version}_{resolution}.json"
        super().__init__(f"davis{version}", root / "JPEGImages" / resolution, anno_root, videos, None,
                         Path(meta_path), vis_threshold, binary=version == "2016")
        self.root, self.version, self.split, self.resolution = root, version, split, resolution

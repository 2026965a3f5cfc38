"""YouTube-VOS 2019 train: <root>/train/JPEGImages/<video>/%05d.jpg, palette PNGs
<root>/train/Annotations/<video>/%05d.png (only some frames are annotated; those are the frames of
the sequence) and <root>/train/meta.json. One sample per (video, object)."""
from __future__ import annotations

import json
import random
import warnings
from pathlib import Path
from typing import Iterable, List, Optional, Sequence

from ltr.admin.environment import ConfigError, ConfigPathError
from ltr.data.image_loader import PathLike
from ltr.dataset.vos_base import VOSDataset, dataset_root, restrict

YT300_COUNT = 300


def pick_yt300(videos: Iterable[str], count: int = YT300_COUNT, seed: int = 0) -> List[str]:
    """The held-out videos: a seeded sample of the sorted names (all if fewer), sorted."""
    names = sorted(videos)
    return sorted(random.Random(seed).sample(names, min(count, len(names))))


def read_video_list(path: PathLike) -> List[str]:
    """Video names from a text file, one per line (blank lines ignored)."""
    return [line.strip() for line in Path(path).read_text().splitlines() if line.strip()]


def load_yt300(path: PathLike, videos: Iterable[str], count: int = YT300_COUNT, seed: int = 0) -> List[str]:
    """The held-out list stored at ``path``; created from ``videos`` when the file does not exist,
    so that every later run (and the evaluation) uses the same videos."""
    path = Path(path)
    if path.is_file():
        return read_video_list(path)
    names = pick_yt300(videos, count, seed)
    try:
        path.write_text("".join(n + "\n" for n in names))
    except OSError as err:
        warnings.warn(f"could not write the held-out list {path} ({err}); using it in memory only")
    return names


class YouTubeVOS(VOSDataset):
    """YouTube-VOS train videos; split 'train' excludes the YT300 held-out videos, 'yt300' is only
    them. ``yt300_file`` defaults to <root>/yt300.txt, ``meta_path`` to
    <root>/train/generated_meta.json; ``sequences`` further restricts the videos."""

    def __init__(self, root: Optional[PathLike] = None, split: str = "train", yt300_file: Optional[PathLike] = None,
                 sequences: Optional[Sequence[str]] = None, vis_threshold: int = 10,
                 meta_path: Optional[PathLike] = None, seed: int = 0):
        if split not in ("train", "yt300"):
            raise ConfigError(f"YouTube-VOS split must be 'train' or 'yt300', got {split!r}")
        root = dataset_root(root, "youtubevos_dir", "YouTube-VOS")
        split_dir = root / "train"
        meta_file = split_dir / "meta.json"
        if not meta_file.is_file():
            raise ConfigPathError(f"YouTube-VOS meta file not found: {meta_file}")
        with open(meta_file) as f:
            objects = {v: sorted(m["objects"], key=int) for v, m in json.load(f)["videos"].items()}
        all_videos = sorted(objects)
        heldout = set(restrict(all_videos, load_yt300(yt300_file or root / "yt300.txt", all_videos, seed=seed),
                               f"YT300 list for {root}"))
        in_split = [v for v in all_videos if (v in heldout) == (split == "yt300")]
        videos = restrict(in_split, sequences, f"YouTube-VOS {split} at {root}")
        super().__init__("youtubevos", split_dir / "JPEGImages", split_dir / "Annotations", videos, objects,
                         Path(meta_path or split_dir / "generated_meta.json"), vis_threshold)
        self.root, self.split = root, split

"""Named evaluation datasets -> lists of ``VideoSequence``, so every command evaluates the same data.

    davis2016_val    DAVIS 2016 val (20 videos), any resolution; root: davis16_dir
    davis2017_val    DAVIS 2017 val (several objects per video), any resolution; root: davis_dir
    davis16_heldout  the 6 videos held out of the shared DAVIS-2016 train data (ltr.dataset.splits, 240p)
    yt300            the YT300 videos held out of YouTube-VOS 2019 train (several objects per video)
    lasot_test       LaSOT test (testing_set.txt): boxes only
    got10k_val       GOT-10k val: boxes only
    folder           one sequence: a folder of frames + a boxes file (x,y,w,h or VOT polygon lines)

Roots default to pytracking/evaluation/local.py. The boxes of the VOS datasets are the tight boxes of
the ground-truth masks (as in the paper). LaSOT, GOT-10k and folders have no ground-truth masks: a
box->mask method can be run on them (e.g. pytracking/annotate/run.py writes the masks) but not scored;
trackers are scored on their boxes (pytracking/analysis/tracking_report.py). ``load_dataset`` gives
one single-target sequence per object (``<video>_<id>``), ``load_videos`` the videos with their objects.

The readers (``ltr.dataset``) load torch, so each loader imports them when it runs: command lines list
this table in ``--help`` without loading torch.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Dict, List, Optional, Sequence

import numpy as np

from ltr.data.image_loader import PathLike
from pytracking.evaluation.environment import env_settings

if TYPE_CHECKING:
    from ltr.dataset.sequence import VideoSequence
    from ltr.dataset.vos_base import TrackingDataset

Loader = Callable[[Optional[PathLike], Optional[str], Optional[Sequence[str]]], List["VideoSequence"]]


@dataclass(frozen=True)
class Dataset:
    """How to load a named dataset and whether it can be scored (has ground-truth masks)."""

    videos: Loader  # (root, resolution, sequences) -> the videos, each with its objects
    scored: bool
    description: str
    interval: int = 15  # Δ for box2seg's temporal windows: the paper's 15, and 5 on DAVIS

    def loader(self, root: Optional[PathLike], resolution: Optional[str], sequences: Optional[Sequence[str]]
               ) -> List[VideoSequence]:
        """One single-target sequence per object of every video."""
        from ltr.dataset.sequence import targets_of

        return targets_of(self.videos(root, resolution, sequences))


def _root(root: Optional[PathLike], setting: str, what: str) -> Path:
    """``root``, else the path configured as ``setting`` in pytracking/evaluation/local.py."""
    from ltr.dataset.vos_base import dataset_root

    return dataset_root(root or None, setting, what, env=env_settings(), local_file="pytracking/evaluation/local.py")


def _no_resolution(resolution: Optional[str], what: str) -> None:
    if resolution is not None:
        raise ValueError(f"{what} has no resolution folders; --resolution applies to the DAVIS datasets only")


def _davis_val(year: str, setting: str) -> Loader:
    """DAVIS ``year`` val: the split file must exist, so that a train-only copy (like the shared one,
    which has no ImageSets) is never mistaken for the validation set."""

    def load(root: Optional[PathLike], resolution: Optional[str], sequences: Optional[Sequence[str]]
             ) -> List[VideoSequence]:
        from ltr.dataset.davis import read_davis
        from ltr.dataset.vos_base import restrict

        root = _root(root, setting, f"DAVIS {year}")
        listing = root / "ImageSets" / year / "val.txt"
        if not listing.is_file():
            raise FileNotFoundError(f"{listing} not found: {root} is not a DAVIS {year} release with a val split")
        names = [line.split()[0] for line in listing.read_text().splitlines() if line.strip()]
        return read_davis(root, year, "val", resolution or "480p",
                          restrict(names, sequences, f"DAVIS {year} val at {root}"))

    return load


def _davis16_heldout(root: Optional[PathLike], resolution: Optional[str], sequences: Optional[Sequence[str]]
                     ) -> List[VideoSequence]:
    """The held-out videos of the shared DAVIS-2016 train data; ``sequences`` must be among them (no training video)."""
    from ltr.dataset.davis import read_davis
    from ltr.dataset.splits import DAVIS16_HELDOUT, DAVIS16_RESOLUTION
    from ltr.dataset.vos_base import restrict

    names = restrict(DAVIS16_HELDOUT, sequences, "davis16_heldout (the held-out videos)")
    return read_davis(_root(root, "davis16_dir", "DAVIS-2016 train"), "2016", "train",
                      resolution or DAVIS16_RESOLUTION, names)


def _yt300(root: Optional[PathLike], resolution: Optional[str], sequences: Optional[Sequence[str]]
           ) -> List[VideoSequence]:
    """YT300 from YouTube-VOS train (its list file <root>/yt300.txt, created on first use as in training).
    Frames are the annotated ones (every 5th video frame); objects never visible are left out."""
    from ltr.dataset.sequence import VideoSequence
    from ltr.dataset.youtubevos import YouTubeVOS

    _no_resolution(resolution, "YouTube-VOS")
    ds = YouTubeVOS(_root(root, "youtubevos_dir", "YouTube-VOS"), split="yt300", sequences=sequences)
    objects: Dict[str, List[str]] = {}
    for video, obj in ds.samples:
        stats = ds.meta[video]["objects"].get(obj)
        if stats is not None and any(stats["pixels"]):
            objects.setdefault(video, []).append(obj)
    out = []
    for video, objs in objects.items():
        meta = ds.meta[video]
        boxes = np.array([[b if n > 0 else [np.nan] * 4 for b, n in zip(meta["objects"][o]["bbox"],
                                                                           meta["objects"][o]["pixels"])]
                          for o in objs], dtype=float)
        out.append(VideoSequence(video, [ds.image_root / video / f"{s}.jpg" for s in meta["frames"]], boxes,
                                 gt_masks=[ds.anno_root / video / f"{s}.png" for s in meta["frames"]],
                                 object_ids=[int(o) for o in objs]))
    return out


def _read(sequence: VideoSequence) -> VideoSequence:
    """A boxes-only sequence, with a warning when some of its frames lost their box to bad input."""
    if sequence.problems:
        warnings.warn(f"{sequence.name}: {len(sequence.problems)} bad annotation(s), those frames have no box:\n  "
                      + "\n  ".join(sequence.problems[:5]))
    return sequence


def load_folder(root: PathLike, boxes: Optional[PathLike] = None, name: Optional[str] = None) -> List[VideoSequence]:
    """One sequence: the frames in ``root`` or in its ``imgs/`` or ``img/`` folder (VOT, LaSOT) and the boxes
    file ``boxes`` (default: the groundtruth.txt beside them), as ``ltr.dataset.folder.find_folder`` finds
    them; ``name`` defaults to the frames folder's name (its parent's when it is imgs/ or img/)."""
    from ltr.dataset.folder import find_folder, read_folder

    frames, box_file, default_name = find_folder(root, boxes)
    return [_read(read_folder(frames, box_file, name or default_name))]


def _folder(root: Optional[PathLike], resolution: Optional[str], sequences: Optional[Sequence[str]]
            ) -> List[VideoSequence]:
    from ltr.dataset.vos_base import restrict

    _no_resolution(resolution, "A folder")
    if root is None:
        raise ValueError("the folder dataset needs --root (a folder of frames and its groundtruth.txt)")
    loaded = load_folder(root)
    restrict([s.name for s in loaded], sequences, f"the folder {root}")
    return loaded


def _tracking(dataset: TrackingDataset) -> List[VideoSequence]:
    return [_read(dataset.read_sequence(name)) for name in sorted(dataset.names)]


def _lasot_test(root: Optional[PathLike], resolution: Optional[str], sequences: Optional[Sequence[str]]
                ) -> List[VideoSequence]:
    """The 280 LaSOT test sequences listed in <root>/testing_set.txt (part of the LaSOT release)."""
    from ltr.dataset.lasot import Lasot
    from ltr.dataset.vos_base import restrict

    _no_resolution(resolution, "LaSOT")
    root = _root(root, "lasot_path", "LaSOT")
    listing = root / "testing_set.txt"
    if not listing.is_file():
        raise FileNotFoundError(f"{listing} not found: LaSOT's list of test sequences is needed")
    names = [line.strip() for line in listing.read_text().splitlines() if line.strip()]
    return _tracking(Lasot(root, sequences=restrict(names, sequences, f"LaSOT test at {root}")))


def _got10k_val(root: Optional[PathLike], resolution: Optional[str], sequences: Optional[Sequence[str]]
                ) -> List[VideoSequence]:
    """GOT-10k val: <root>/val when it has a list.txt (root = the GOT-10k release), else root itself."""
    from ltr.dataset.got10k import Got10k

    _no_resolution(resolution, "GOT-10k")
    root = _root(root, "got10k_path", "GOT-10k")
    return _tracking(Got10k(root / "val" if (root / "val" / "list.txt").is_file() else root, sequences=sequences))


DATASETS: Dict[str, Dataset] = {
    "davis2016_val": Dataset(_davis_val("2016", "davis16_dir"), True, "DAVIS 2016 val", interval=5),
    "davis2017_val": Dataset(_davis_val("2017", "davis_dir"), True, "DAVIS 2017 val, several objects per video",
                             interval=5),
    "davis16_heldout": Dataset(_davis16_heldout, True,
                               "the 6 held-out videos of the shared DAVIS-2016 train data (ltr.dataset.splits)",
                               interval=5),
    "yt300": Dataset(_yt300, True, "YouTube-VOS train videos held out as YT300, several objects per video"),
    "lasot_test": Dataset(_lasot_test, False, "LaSOT test: boxes only (no masks to score)"),
    "got10k_val": Dataset(_got10k_val, False, "GOT-10k val: boxes only (no masks to score)"),
    "folder": Dataset(_folder, False, "one sequence: a folder of frames (or its imgs/ or img/) + groundtruth.txt "
                                      "(x,y,w,h or VOT polygon lines); boxes only"),
}


def get_dataset(name: str) -> Dataset:
    """The named dataset; a ValueError listing the choices for an unknown name."""
    if name not in DATASETS:
        raise ValueError(f"unknown evaluation dataset {name!r}; choose one of {', '.join(DATASETS)}")
    return DATASETS[name]


def load_videos(name: str, root: Optional[PathLike] = None, resolution: Optional[str] = None,
                sequences: Optional[Sequence[str]] = None) -> List[VideoSequence]:
    """The videos of a named dataset (all, or those in ``sequences``), each with its objects; ``root``
    overrides the configured path, ``resolution`` the DAVIS resolution folder."""
    return get_dataset(name).videos(root, resolution, sequences)


def load_dataset(name: str, root: Optional[PathLike] = None, resolution: Optional[str] = None,
                 sequences: Optional[Sequence[str]] = None) -> List[VideoSequence]:
    """As ``load_videos``, one single-target sequence per object (``<video>_<id>``)."""
    return get_dataset(name).loader(root, resolution, sequences)

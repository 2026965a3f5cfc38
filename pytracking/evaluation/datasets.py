"""Named evaluation datasets -> lists of ``EvalSequence``, so every command evaluates the same data.

    davis2016_val    DAVIS 2016 val (20 videos), any resolution; root: davis16_dir
    davis2017_val    DAVIS 2017 val, one sequence per object, any resolution; root: davis_dir
    davis16_heldout  the 6 videos the davis16 train setting holds out of the shared DAVIS-2016 train data (240p)
    yt300            the YT300 videos held out of YouTube-VOS 2019 train, one sequence per (video, object)
    lasot_test       LaSOT test (testing_set.txt): boxes only
    got10k_val       GOT-10k val: boxes only
    folder           one sequence: a folder of frames + a boxes file (x,y,w,h or VOT polygon lines)

Roots default to pytracking/evaluation/local.py. The boxes of the VOS datasets are the tight boxes of
the ground-truth masks (as in the paper). LaSOT, GOT-10k and folders have no ground-truth masks: a
box->mask method can be run on them (e.g. pytracking/annotate/run.py writes the masks) but not scored;
trackers are scored on their boxes (pytracking/evaluation/tracking_report.py).
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence

import numpy as np

from ltr.data.image_loader import PathLike
from ltr.dataset.got10k import Got10k
from ltr.dataset.lasot import Lasot
from ltr.dataset.vos_base import dataset_root, restrict
from ltr.dataset.youtubevos import YouTubeVOS
from ltr.train_settings.box2seg import davis16 as davis16_setting
from pytracking.annotate.sources import SequenceError, Source, TrackingSource, sequence_folder
from pytracking.evaluation.environment import env_settings
from pytracking.evaluation.sequences import EvalSequence, load_davis

Loader = Callable[[Optional[PathLike], Optional[str], Optional[Sequence[str]]], List[EvalSequence]]


@dataclass(frozen=True)
class Dataset:
    """How to load a named dataset and whether it can be scored (has ground-truth masks)."""

    loader: Loader
    scored: bool
    description: str
    interval: int = 15  # Δ for box2seg's temporal windows: the paper's 15, and 5 on DAVIS


def _root(root: Optional[PathLike], setting: str, what: str) -> Path:
    """``root``, else the path configured as ``setting`` in pytracking/evaluation/local.py."""
    return dataset_root(root or None, setting, what, env=env_settings(), local_file="pytracking/evaluation/local.py")


def _no_resolution(resolution: Optional[str], what: str) -> None:
    if resolution is not None:
        raise ValueError(f"{what} has no resolution folders; --resolution applies to the DAVIS datasets only")


def _davis_val(year: str, setting: str) -> Loader:
    """DAVIS ``year`` val: the split file must exist, so that a train-only copy (like the shared one,
    which has no ImageSets) is never mistaken for the validation set."""

    def load(root: Optional[PathLike], resolution: Optional[str], sequences: Optional[Sequence[str]]
             ) -> List[EvalSequence]:
        root = _root(root, setting, f"DAVIS {year}")
        listing = root / "ImageSets" / year / "val.txt"
        if not listing.is_file():
            raise FileNotFoundError(f"{listing} not found: {root} is not a DAVIS {year} release with a val split")
        names = [line.split()[0] for line in listing.read_text().splitlines() if line.strip()]
        return load_davis(root, year, "val", resolution or "480p",
                          restrict(names, sequences, f"DAVIS {year} val at {root}"))

    return load


def _davis16_heldout(root: Optional[PathLike], resolution: Optional[str], sequences: Optional[Sequence[str]]
                     ) -> List[EvalSequence]:
    """The davis16 train setting's held-out videos; ``sequences`` must be among them (no training video)."""
    names = restrict(davis16_setting.VAL_SEQUENCES, sequences, "davis16_heldout (the held-out videos)")
    return load_davis(_root(root, "davis16_dir", "DAVIS-2016 train"), "2016", "train",
                      resolution or davis16_setting.RESOLUTION, names)


def _yt300(root: Optional[PathLike], resolution: Optional[str], sequences: Optional[Sequence[str]]
           ) -> List[EvalSequence]:
    """YT300 from YouTube-VOS train (its list file <root>/yt300.txt, created on first use as in training).
    Frames are the annotated ones (every 5th video frame); objects never visible are left out."""
    _no_resolution(resolution, "YouTube-VOS")
    ds = YouTubeVOS(_root(root, "youtubevos_dir", "YouTube-VOS"), split="yt300", sequences=sequences)
    out = []
    for video, obj in ds.samples:
        meta = ds.meta[video]
        stats = meta["objects"].get(obj)
        if stats is None or not any(stats["pixels"]):
            continue
        boxes = np.array([b if n > 0 else [np.nan] * 4 for b, n in zip(stats["bbox"], stats["pixels"])], dtype=float)
        out.append(EvalSequence(f"{video}_{obj}", [ds.image_root / video / f"{s}.jpg" for s in meta["frames"]], boxes,
                                [ds.anno_root / video / f"{s}.png" for s in meta["frames"]], object_id=int(obj)))
    return out


def _sequences(source: Source) -> List[EvalSequence]:
    """Boxes and visibility of a tracking dataset or folder (no masks), read as the annotation tool reads them."""
    out = []
    for unit in source.units():
        try:
            loaded = source.load(unit)
        except SequenceError as err:
            raise FileNotFoundError(str(err)) from None
        for seq in loaded:
            if seq.problems:
                warnings.warn(f"{seq.name}: {len(seq.problems)} bad annotation(s), those frames have no box:\n  "
                              + "\n  ".join(seq.problems[:5]))
            out.append(EvalSequence(seq.name, seq.frames, seq.boxes, visible=seq.visible, problems=seq.problems))
    return out


def load_folder(root: PathLike, boxes: Optional[PathLike] = None, name: Optional[str] = None) -> List[EvalSequence]:
    """One sequence folder (see ``sequence_folder``): x,y,w,h or VOT polygon lines (their min/max box);
    empty, NaN or zero-size lines mean no box."""
    return _sequences(sequence_folder(root, boxes, name))


def _folder(root: Optional[PathLike], resolution: Optional[str], sequences: Optional[Sequence[str]]
            ) -> List[EvalSequence]:
    _no_resolution(resolution, "A folder")
    if root is None:
        raise ValueError("the folder dataset needs --root (a folder of frames and its groundtruth.txt)")
    loaded = load_folder(root)
    restrict([s.name for s in loaded], sequences, f"the folder {root}")
    return loaded


def _lasot_test(root: Optional[PathLike], resolution: Optional[str], sequences: Optional[Sequence[str]]
                ) -> List[EvalSequence]:
    """The 280 LaSOT test sequences listed in <root>/testing_set.txt (part of the LaSOT release)."""
    _no_resolution(resolution, "LaSOT")
    root = _root(root, "lasot_path", "LaSOT")
    listing = root / "testing_set.txt"
    if not listing.is_file():
        raise FileNotFoundError(f"{listing} not found: LaSOT's list of test sequences is needed")
    names = [line.strip() for line in listing.read_text().splitlines() if line.strip()]
    return _sequences(TrackingSource(Lasot(root, sequences=restrict(names, sequences, f"LaSOT test at {root}"))))


def _got10k_val(root: Optional[PathLike], resolution: Optional[str], sequences: Optional[Sequence[str]]
                ) -> List[EvalSequence]:
    """GOT-10k val: <root>/val when it has a list.txt (root = the GOT-10k release), else root itself."""
    _no_resolution(resolution, "GOT-10k")
    root = _root(root, "got10k_path", "GOT-10k")
    return _sequences(TrackingSource(Got10k(root / "val" if (root / "val" / "list.txt").is_file() else root,
                                            sequences=sequences)))


DATASETS: Dict[str, Dataset] = {
    "davis2016_val": Dataset(_davis_val("2016", "davis16_dir"), True, "DAVIS 2016 val", interval=5),
    "davis2017_val": Dataset(_davis_val("2017", "davis_dir"), True, "DAVIS 2017 val, one sequence per object",
                             interval=5),
    "davis16_heldout": Dataset(_davis16_heldout, True,
                               "the 6 held-out videos of the shared DAVIS-2016 train data (davis16 train setting)",
                               interval=5),
    "yt300": Dataset(_yt300, True, "YouTube-VOS train videos held out as YT300, one sequence per object"),
    "lasot_test": Dataset(_lasot_test, False, "LaSOT test: boxes only (no masks to score)"),
    "got10k_val": Dataset(_got10k_val, False, "GOT-10k val: boxes only (no masks to score)"),
    "folder": Dataset(_folder, False, "one sequence: a folder of frames (or its imgs/) + groundtruth.txt "
                                      "(x,y,w,h or VOT polygon lines); boxes only"),
}


def get_dataset(name: str) -> Dataset:
    """The named dataset; a ValueError listing the choices for an unknown name."""
    if name not in DATASETS:
        raise ValueError(f"unknown evaluation dataset {name!r}; choose one of {', '.join(DATASETS)}")
    return DATASETS[name]


def load_dataset(name: str, root: Optional[PathLike] = None, resolution: Optional[str] = None,
                 sequences: Optional[Sequence[str]] = None) -> List[EvalSequence]:
    """The sequences of a named dataset (all, or those of the videos in ``sequences``); ``root``
    overrides the configured path, ``resolution`` the DAVIS resolution folder."""
    return get_dataset(name).loader(root, resolution, sequences)

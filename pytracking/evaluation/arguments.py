"""What an evaluation command line chooses: the data (a named dataset, its root and sequences), box2seg
inference on a dataset, and how a tracker is run (mode, objects).

Torch-free, like pytracking/utils/cli.py, so that evaluate_masks.py, tables.py, run_tracker.py and
tracking_report.py answer ``--help`` or a typo before they load torch; the sequences are read after parsing.
"""
from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any, Dict, List, Mapping

from pytracking.annotate.settings import AnnotateSettings
from pytracking.evaluation.datasets import DATASETS, get_dataset, load_folder, load_videos
from pytracking.utils.cli import UsageError, add_inference_arguments, add_protocol_argument, inference_settings

if TYPE_CHECKING:
    from ltr.dataset.sequence import VideoSequence

MODES = ("vos", "box")  # a tracker starts from the first-frame mask, or from the first box only
OBJECTS = ("together", "separate")  # a video's objects: tracked together and merged, or one at a time
DATA_FIELDS = ("dataset", "root", "resolution", "sequences", "boxes")  # what run.json records of the data
SCORED = {name: d for name, d in DATASETS.items() if d.scored}  # datasets with ground-truth masks


# ---- any dataset (run_tracker.py, tracking_report.py) -----------------------------------------------

def add_dataset_arguments(p: argparse.ArgumentParser, required: bool = True, default_help: str = "") -> None:
    """--dataset, --root, --resolution, --sequences, --boxes (run_tracker.py and tracking_report.py)."""
    g = p.add_argument_group("data" + default_help)
    g.add_argument("--dataset", required=required, metavar="NAME",
                   help="; ".join(f"{k}: {v.description}" for k, v in DATASETS.items()))
    g.add_argument("--root", help="dataset root (default: from pytracking/evaluation/local.py); folder: the sequence "
                                  "folder (frames in it or in its imgs/ or img/, and groundtruth.txt)")
    g.add_argument("--resolution", help="DAVIS resolution folder (default 480p; davis16_heldout 240p)")
    g.add_argument("--sequences", "--sequence", nargs="+", metavar="S", help="only these sequences")
    g.add_argument("--boxes", help="folder: a boxes file instead of the folder's groundtruth.txt; one line per frame, "
                                   "x,y,w,h or a VOT polygon x1,y1,...,x4,y4 (its min/max box)")


def load_sequences(args: argparse.Namespace, videos: bool = False) -> List[VideoSequence]:
    """The chosen dataset's sequences, one per object (``videos``: one per video, with its objects);
    UsageError (one line) for any configuration mistake."""
    from ltr.dataset.sequence import targets_of

    if args.dataset not in DATASETS:
        raise UsageError(f"unknown dataset {args.dataset!r}; choose one of {', '.join(DATASETS)}")
    if args.boxes and args.dataset != "folder":
        raise UsageError("--boxes applies to the folder dataset only")
    try:
        if args.dataset == "folder" and args.boxes:
            if not args.root:
                raise UsageError("the folder dataset needs --root (the sequence folder)")
            sequences = load_folder(args.root, args.boxes)
        else:
            sequences = load_videos(args.dataset, args.root, args.resolution, args.sequences)
    except (ValueError, FileNotFoundError) as err:
        raise UsageError(str(err)) from None
    sequences = sequences if videos else targets_of(sequences)
    if not sequences:
        raise UsageError(f"no sequences in {args.dataset}")
    return sequences


# ---- datasets with masks, box->mask methods on them (evaluate_masks.py, tables.py) -------------------

def add_scored_data_arguments(p: argparse.ArgumentParser, protocols: Mapping[str, str]) -> None:
    """--dataset (those with masks), --root, --resolution, --sequences, --frame-step, --protocol, --out.

    A folder or a tracking dataset has boxes only, so nothing could be scored: it is not offered
    (pytracking/annotate/run.py writes masks for those). ``protocols``: those of the analysis layer."""
    g = p.add_argument_group("data")
    g.add_argument("--dataset", required=True, choices=list(SCORED),
                   help="; ".join(f"{k}: {v.description}" for k, v in SCORED.items()))
    g.add_argument("--root", help="dataset root (default: from pytracking/evaluation/local.py)")
    g.add_argument("--resolution", help="DAVIS resolution folder (default 480p; davis16_heldout 240p)")
    g.add_argument("--sequences", nargs="+", help="only these videos")
    g.add_argument("--frame-step", type=int, default=1, metavar="K",
                   help="score every K-th frame only, 0, K, 2K, ... (box2seg's windows still use all frames)")
    add_protocol_argument(g, protocols)
    g.add_argument("--out", required=True, help="output folder")


def load_scored_sequences(args: argparse.Namespace) -> List[VideoSequence]:
    """The dataset's sequences, every ``--frame-step``-th frame of each; refuses datasets without masks."""
    if args.frame_step < 1:
        raise UsageError("--frame-step must be at least 1")
    sequences = get_dataset(args.dataset).loader(args.root, args.resolution, args.sequences)
    if not sequences:
        raise UsageError(f"no sequences in {args.dataset}")
    return [s.select(range(0, len(s), args.frame_step)) if args.frame_step > 1 else s for s in sequences]


def add_box2seg_arguments(p: argparse.ArgumentParser) -> None:
    """The inference group, Δ defaulting to the dataset's (the paper's 5 on DAVIS)."""
    add_inference_arguments(p, f"the paper's, 5 on the DAVIS datasets, {AnnotateSettings().interval} elsewhere")


def box2seg_settings(args: argparse.Namespace) -> Dict[str, Any]:
    """Box2Seg keyword arguments (all but T) from the command line, checked; Δ defaults to the dataset's,
    crop size and search area (None) to what the checkpoint was trained for."""
    settings = inference_settings(args)
    return dict(settings, interval=settings["interval"] or get_dataset(args.dataset).interval, device=args.device)

"""Fault injection into run_tracker.py end to end: a damaged frame (box mode on a folder, VOS mode on
DAVIS) or a damaged groundtruth file (box mode on a folder and on GOT-10k val). For each fault the
user sees the file (and line) named on stderr and in the BAD INPUT list, the run completes (every
frame gets a box: one line per frame in <seq>.txt, a mask per frame), the exit code is 1 and
summary_<dataset>.json lists the problem. An unreadable DAVIS annotation fails its sequence, named."""
from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Callable, Dict, List, Tuple

import numpy as np
import pytest

import faults
from pytracking.run_tracker import main
from pytracking.utils.cli import EXIT_OK, EXIT_PROBLEMS
from tracking_helpers import DAVIS_FRAMES, copy_clip, read_png, read_rows

FRAMES = 8  # of the bag clip; the DAVIS clip has DAVIS_FRAMES
BROKEN = 3  # the damaged frame (0-based), i.e. line 4 of groundtruth.txt


@pytest.fixture(autouse=True)
def _one_thread(one_thread):
    """One intra-op thread (see tests/conftest.py)."""


@pytest.fixture
def clip(bag_clip: Path, tmp_path: Path) -> Path:
    """A private 8-frame copy of the bag clip (VOT layout: imgs/ and groundtruth.txt) to damage."""
    return copy_clip(bag_clip, tmp_path / "bag", FRAMES)


def got10k_layout(clip: Path, root: Path) -> Path:
    """``clip`` as GOT-10k val: <root>/list.txt and <root>/bag/ with %08d.jpg frames (the bag's own
    names), groundtruth.txt, absence.label (all present) and cover.label (all fully visible)."""
    seq = root / "bag"
    shutil.copytree(clip / "imgs", seq)
    shutil.copy(clip / "groundtruth.txt", seq / "groundtruth.txt")
    (seq / "absence.label").write_text("0\n" * FRAMES)
    (seq / "cover.label").write_text("8\n" * FRAMES)
    (root / "list.txt").write_text("bag\n")
    return seq


def box_mode(lwl: Path, box2seg: Path, dataset: str, root: Path) -> List[str]:
    """run_tracker.py's arguments for box mode on ``dataset`` at ``root`` with the tiny networks."""
    return ["lwl", "default", "--network", str(lwl), "--box2seg", str(box2seg), "--mode", "box", "--dataset", dataset,
            "--root", str(root)]


def run(env: Dict[str, Path], args: List[str], run_name: str, capsys) -> Tuple[int, str, str, Path]:
    """main(args) -> (exit code, stdout, stderr, results folder)."""
    code = main(args)
    out = capsys.readouterr()
    return code, out.out, out.err, env["results"] / "lwl" / run_name


def check_completed(results: Path, masks: Path, sequence: str, frames: int) -> np.ndarray:
    """Every frame has a box line with a positive size and a mask file; returns the boxes."""
    boxes = read_rows(results / f"{sequence}.txt")
    assert boxes.shape == (frames, 4) and (boxes[:, 2:] > 0).all(), boxes
    assert len((results / f"{sequence}_time.txt").read_text().splitlines()) == frames
    assert len(list((masks / sequence).glob("*.png"))) == frames
    return boxes


def check_reported(needle: str, code: int, out: str, err: str, results: Path, dataset: str) -> Dict:
    """Exit code 1; ``needle`` (a file, or file:line) in the log (stderr), in the BAD INPUT list
    (stdout) and in the problems of summary_<dataset>.json; returns the summary."""
    assert code == EXIT_PROBLEMS, err[-2000:]
    assert needle in err, err[-2000:]
    assert "BAD INPUT" in out and needle in out.split("BAD INPUT", 1)[1], out[-2000:]
    summary = json.loads((results / f"summary_{dataset}.json").read_text())
    assert any(needle in problem for problem in summary["problems"]), summary["problems"]
    return summary


@pytest.mark.parametrize("fault", sorted(faults.FRAME_FAULTS))
def test_a_damaged_frame_in_box_mode_on_a_folder(fault, env, clip, tiny_lwl, positive_box2seg, capsys):
    broken = sorted((clip / "imgs").glob("*.jpg"))[BROKEN]
    needle = faults.FRAME_FAULTS[fault](broken)
    code, out, err, results = run(env, box_mode(tiny_lwl, positive_box2seg, "folder", clip), "default_box", capsys)
    check_reported(needle, code, out, err, results, "folder")
    masks = env["segmentation"] / "lwl" / "default_box"
    boxes = check_completed(results, masks, "bag", FRAMES)
    assert boxes[BROKEN].tolist() == boxes[BROKEN - 1].tolist()  # the previous box is kept
    assert not read_png(masks / "bag" / f"{broken.stem}.png").any()  # and the mask is empty


@pytest.mark.parametrize("fault", sorted(faults.FRAME_FAULTS))
def test_a_damaged_frame_in_vos_mode_on_davis(fault, env, davis_clip, tiny_lwl, tmp_path, capsys):
    root = faults.copy_tree(davis_clip, tmp_path / "davis")
    broken = root / "JPEGImages" / "240p" / "bear" / f"{BROKEN:05d}.jpg"
    needle = faults.FRAME_FAULTS[fault](broken)
    code, out, err, results = run(env, ["lwl", "default", "--network", str(tiny_lwl), "--dataset", "davis2016_val",
                                        "--root", str(root), "--resolution", "240p"], "default", capsys)
    summary = check_reported(needle, code, out, err, results, "davis2016_val")
    masks = env["segmentation"] / "lwl" / "default"
    boxes = check_completed(results, masks, "bear", DAVIS_FRAMES)
    assert boxes[BROKEN].tolist() == boxes[BROKEN - 1].tolist()
    assert not read_png(masks / "bear" / f"{BROKEN:05d}.png").any()
    assert 0 <= summary["measures"]["J-mean"] <= 1  # the run is still scored


def test_an_unreadable_annotation_in_vos_mode_fails_its_sequence_naming_the_file(env, davis_clip, tiny_lwl,
                                                                                tmp_path, capsys):
    """Like evaluate_masks.py: the sequence's boxes come from its annotations, so it is not tracked; the file
    is named."""
    root = faults.copy_tree(davis_clip, tmp_path / "davis")
    needle = faults.truncate(root / "Annotations" / "240p" / "bear" / f"{BROKEN:05d}.png")
    code, out, err, results = run(env, ["lwl", "default", "--network", str(tiny_lwl), "--dataset", "davis2016_val",
                                        "--root", str(root), "--resolution", "240p"], "default", capsys)
    summary = check_reported(needle, code, out, err, results, "davis2016_val")
    assert summary["missing"] == ["bear"] and not (results / "bear.txt").exists()


# fault -> damage to groundtruth.txt, returning what the message must name: the file, or 'file:4'
BOX_FILE_FAULTS: Dict[str, Callable[[Path], str]] = {
    "too-few-lines": lambda gt: faults.keep_lines(gt, FRAMES - 3),
    "too-many-lines": lambda gt: faults.add_lines(gt, 2),
    **{k: (lambda gt, line=line: faults.set_line(gt, BROKEN + 1, line))
       for k, line in faults.BAD_BOX_LINES.items() if k != "nan"},  # NaN: the folder format's 'no box'
}


@pytest.mark.parametrize("fault", sorted(BOX_FILE_FAULTS))
def test_a_damaged_groundtruth_in_box_mode_on_a_folder(fault, env, clip, tiny_lwl, positive_box2seg, capsys):
    needle = BOX_FILE_FAULTS[fault](clip / "groundtruth.txt")
    code, out, err, results = run(env, box_mode(tiny_lwl, positive_box2seg, "folder", clip), "default_box", capsys)
    summary = check_reported(needle, code, out, err, results, "folder")
    check_completed(results, env["segmentation"] / "lwl" / "default_box", "bag", FRAMES)
    lost = 3 if fault == "too-few-lines" else 0 if fault == "too-many-lines" else 1
    assert summary["measures"]["frames_scored"] == FRAMES - lost  # frames without a box are not scored


def test_a_nan_line_in_a_folder_declares_no_box(env, clip, tiny_lwl, positive_box2seg, capsys):
    """The folder format's documented 'no box' (empty, NaN or zero-size line; as in the annotation tool):
    not bad input, the frame is tracked but not scored."""
    faults.set_line(clip / "groundtruth.txt", BROKEN + 1, faults.BAD_BOX_LINES["nan"])
    code, out, err, results = run(env, box_mode(tiny_lwl, positive_box2seg, "folder", clip), "default_box", capsys)
    assert code == EXIT_OK and "BAD INPUT" not in out, err[-2000:]
    summary = json.loads((results / "summary_folder.json").read_text())
    assert summary["problems"] == [] and summary["measures"]["frames_scored"] == FRAMES - 1
    check_completed(results, env["segmentation"] / "lwl" / "default_box", "bag", FRAMES)


def test_a_sequence_whose_first_line_has_no_box_says_where_tracking_starts(env, clip, tiny_lwl, positive_box2seg,
                                                                           capsys):
    faults.set_line(clip / "groundtruth.txt", 1, faults.BAD_BOX_LINES["nan"])
    code, out, err, results = run(env, box_mode(tiny_lwl, positive_box2seg, "folder", clip), "default_box", capsys)
    second = sorted((clip / "imgs").iterdir())[1].name
    assert code == EXIT_OK and f"bag: starts at frame 2 ({second}), the first with a visible target" in err, err[-2000:]


@pytest.mark.parametrize("fault", ["nan-box", "absence-label-too-short"])
def test_a_damaged_annotation_in_box_mode_on_got10k(fault, env, clip, tiny_lwl, positive_box2seg, tmp_path,
                                                    capsys):
    """GOT-10k knows from absence.label which frames show the target: a NaN box there is bad input."""
    seq = got10k_layout(clip, tmp_path / "got10k")
    if fault == "nan-box":
        needle = faults.set_line(seq / "groundtruth.txt", BROKEN + 1, faults.BAD_BOX_LINES["nan"])
    else:
        needle = faults.shorten_values(seq / "absence.label", FRAMES - 2)
    args = box_mode(tiny_lwl, positive_box2seg, "got10k_val", tmp_path / "got10k")
    code, out, err, results = run(env, args, "default_box", capsys)
    check_reported(needle, code, out, err, results, "got10k_val")
    check_completed(results, env["segmentation"] / "lwl" / "default_box", "bag", FRAMES)


def test_a_ground_truth_mask_of_the_wrong_size_is_listed_not_scored_silently(env, davis_clip, tiny_lwl, tmp_path,
                                                                           capsys):
    """The sequence is tracked (its boxes can still be read), but its J and F cannot be: listed, counted as 0."""
    root = faults.copy_tree(davis_clip, tmp_path / "davis")
    needle = faults.wrong_size(root / "Annotations" / "240p" / "bear" / f"{BROKEN:05d}.png")
    code, out, err, results = run(env, ["lwl", "default", "--network", str(tiny_lwl), "--dataset", "davis2016_val",
                                        "--root", str(root), "--resolution", "240p"], "default", capsys)
    summary = check_reported(needle, code, out, err, results, "davis2016_val")
    assert summary["unscored"].keys() == {"bear"} and summary["measures"]["J-mean"] == 0.0

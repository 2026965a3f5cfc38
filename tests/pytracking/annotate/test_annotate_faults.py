"""Fault injection into the annotation CLI (lasot, got10k, folder): every damaged file is named in the
log and in the JSON summary, the rest of the job completes, the exit code is 1; a failing write
leaves no partial PNG and the sequence not done."""
from __future__ import annotations

import errno
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Dict, List

import numpy as np
from PIL import Image

import faults
from annotate_helpers import SMALL_ARGS, read_masks, write_got10k, write_lasot
from pytracking.annotate import writer
from pytracking.annotate.run import main
from pytracking.utils.cli import EXIT_OK, EXIT_PROBLEMS

REPO = Path(__file__).resolve().parents[3]


def annotate(dataset: str, root: Path, out: Path, weights: Path, *extra: str) -> int:
    return main([dataset, "--root", str(root), "--out", str(out), "--weights", str(weights), *SMALL_ARGS, *extra])


def summary(out: Path) -> Dict:
    (path,) = (out / "summaries").glob("*.json")
    return json.loads(path.read_text())


def check_reported(needles: List[str], log: str, report: Dict) -> None:
    """Every needle (a file, or file:line) is named in the log and among the summary's skipped items."""
    listed = json.dumps([r["problems"] for r in report["sequences"]] + report["failed_units"])
    assert not faults.named_everywhere(needles, log, listed), faults.named_everywhere(needles, log, listed)


def empty_frames(masks: Dict[str, np.ndarray], sequence: str) -> List[int]:
    """Frame numbers (the file stems) of the empty masks of ``sequence``."""
    return [int(Path(name).stem) for name, m in masks.items() if name.startswith(sequence + "/") and not m.any()]


def test_lasot_with_every_fault(tmp_path, checkpoints, clips, capsys):
    root = tmp_path / "lasot"
    write_lasot(root, "good-1", clips["car-turn"])
    needles = []
    frames = write_lasot(root, "frames-1", clips["bear"]) / "img"
    for k, damage in enumerate(faults.FRAME_FAULTS.values()):  # frames 2..5
        needles.append(damage(frames / f"{k + 2:08d}.jpg"))
    gt = write_lasot(root, "boxes-1", clips["boat"]) / "groundtruth.txt"
    for k, line in enumerate(faults.BAD_BOX_LINES.values()):  # lines 2..6
        needles.append(faults.set_line(gt, k + 2, line))
    needles.append(faults.keep_lines(write_lasot(root, "short-1", clips["bear"]) / "groundtruth.txt", 4))
    needles.append(faults.add_lines(write_lasot(root, "long-1", clips["boat"]) / "groundtruth.txt", 2))
    needles.append(faults.shorten_values(write_lasot(root, "flags-1", clips["car-turn"]) / "full_occlusion.txt", 4))
    out = tmp_path / "out"

    assert annotate("lasot", root, out, checkpoints["positive"]) == EXIT_PROBLEMS
    log, report = capsys.readouterr().err, summary(out)
    check_reported(needles, log, report)
    masks = read_masks(out / "lasot_masks")
    assert len(masks) == 5 * 6 + 8  # every frame of every sequence has its mask file
    assert empty_frames(masks, "good-1") == []
    assert empty_frames(masks, "frames-1") == [2, 3, 4, 5]
    assert empty_frames(masks, "boxes-1") == [2, 3, 4, 5, 6]
    assert empty_frames(masks, "short-1") == [5, 6]
    assert empty_frames(masks, "long-1") == [7, 8]
    assert empty_frames(masks, "flags-1") == [5, 6]  # unknown occlusion: not annotated
    assert len(list((out / "done" / "lasot").iterdir())) == 6
    skipped = {r["sequence"]: r["skipped"] for r in report["sequences"]}
    assert skipped == {"good-1": 0, "frames-1": 4, "boxes-1": 5, "short-1": 2, "long-1": 2, "flags-1": 0}


def test_got10k_with_label_files_of_the_wrong_length(tmp_path, checkpoints, clips, capsys):
    root = tmp_path / "got10k"
    write_got10k(root, "GOT-10k_Train_000001", clips["boat"])
    seq = write_got10k(root, "GOT-10k_Train_000002", clips["bear"])
    needles = [faults.shorten_values(seq / "absence.label", 3), faults.add_lines(seq / "cover.label", 2),
               faults.truncate(seq / "00000002.jpg"), faults.set_line(seq / "groundtruth.txt", 3, "NaN,1,2,3")]
    out = tmp_path / "out"
    assert annotate("got10k", root, out, checkpoints["positive"]) == EXIT_PROBLEMS
    check_reported(needles, capsys.readouterr().err, summary(out))
    masks = read_masks(out / "got10k_masks")
    assert empty_frames(masks, "GOT-10k_Train_000001") == []
    assert empty_frames(masks, "GOT-10k_Train_000002") == [2, 3, 4, 5, 6]  # bad frame, bad box, absence unknown


def test_folder_cli_with_damaged_frames_and_boxes(tmp_path, checkpoints, clips):
    """`run.py folder` in a subprocess: exit code, stderr and summary as a user sees them."""
    frames = tmp_path / "clip"
    frames.mkdir()
    for i, frame in enumerate(clips["bear"][0]):
        (frames / f"{i:05d}.jpg").write_bytes(frame.read_bytes())
    boxes = tmp_path / "boxes.txt"
    boxes.write_text("".join(",".join(f"{v:g}" for v in b) + "\n" for b in clips["bear"][1]))
    needles = [faults.truncate(frames / "00001.jpg", keep=0.9), faults.directory_instead(frames / "00002.jpg"),
               faults.set_line(boxes, 4, "1e999,2,3,4"), faults.add_lines(boxes, 1)]
    out = tmp_path / "out"
    cmd = [sys.executable, str(REPO / "pytracking/annotate/run.py"), "folder", "--root", str(frames), "--boxes",
           str(boxes), "--weights", str(checkpoints["positive"]), "--out", str(out), *SMALL_ARGS]
    done = subprocess.run(cmd, env=dict(os.environ, OMP_NUM_THREADS="1", PYTHONPATH=str(REPO)),
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == EXIT_PROBLEMS, done.stderr[-2000:]
    assert "Traceback" not in done.stderr
    check_reported(needles, done.stderr, summary(out))
    assert empty_frames(read_masks(out / "folder_masks"), "clip") == [1, 2, 3]  # files 00001, 00002; line 4


def test_a_failing_write_leaves_no_partial_png_and_the_sequence_not_done(lasot_root, tmp_path, checkpoints,
                                                                       monkeypatch, capsys):
    reference = tmp_path / "reference"
    assert annotate("lasot", lasot_root, reference, checkpoints["balanced"]) == EXIT_OK
    real_save, calls = Image.Image.save, []

    def disk_full_once(image, fp, *args, **kwargs):
        """The 9th PNG (the 3rd of boat-1) gets a few bytes, then the disk is full."""
        calls.append(Path(fp))
        if len(calls) == 9:
            Path(fp).write_bytes(b"\x89PNG\r\n\x1a\n half")
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(fp))
        return real_save(image, fp, *args, **kwargs)

    monkeypatch.setattr(Image.Image, "save", disk_full_once)
    out = tmp_path / "out"
    assert annotate("lasot", lasot_root, out, checkpoints["balanced"]) == EXIT_PROBLEMS
    log = capsys.readouterr().err
    failing = calls[8]
    assert failing.parent.name == "boat-1" and failing.name.startswith(writer.TMP_PREFIX)
    assert "skipping boat-1" in log and str(failing) in log and "No space left" in log
    assert [u["unit"] for u in summary(out)["failed_units"]] == ["boat-1"]
    assert sorted(p.stem for p in (out / "done" / "lasot").iterdir()) == ["bear-1", "car-2"]
    assert not list(out.rglob(writer.TMP_PREFIX + "*"))
    for name, mask in read_masks(out / "lasot_masks").items():  # whatever exists is complete
        np.testing.assert_array_equal(mask, read_masks(reference / "lasot_masks")[name], err_msg=name)
    assert not failing.with_name(failing.name[len(writer.TMP_PREFIX):]).exists()

    monkeypatch.setattr(Image.Image, "save", real_save)
    calls.clear()
    assert annotate("lasot", lasot_root, out, checkpoints["balanced"]) == EXIT_OK
    got, expected = read_masks(out / "lasot_masks"), read_masks(reference / "lasot_masks")
    assert sorted(got) == sorted(expected)
    assert all(np.array_equal(got[n], expected[n]) for n in expected)


def test_davis_annotation_that_does_not_fit_its_frame(davis16_root, tmp_path, checkpoints, capsys):
    """The boxes come from the annotations: one of the wrong size would give wrong boxes, so the video is
    skipped, named, and the others are annotated."""
    root = tmp_path / "davis"
    for video in ("bear", "boat"):
        for kind in ("JPEGImages", "Annotations"):
            (root / kind / "240p" / video).mkdir(parents=True)
            for f in sorted((davis16_root / kind / "240p" / video).iterdir())[:4]:
                (root / kind / "240p" / video / f.name).write_bytes(f.read_bytes())
    bad = faults.wrong_size(root / "Annotations" / "240p" / "boat" / "00002.png")
    out = tmp_path / "out"
    assert annotate("davis", root, out, checkpoints["positive"], "--year", "2016", "--resolution", "240p") == \
        EXIT_PROBLEMS
    report = summary(out)
    check_reported([f"{bad} is 214x120, its frame"], capsys.readouterr().err, report)
    assert [u["unit"] for u in report["failed_units"]] == ["boat"]
    assert sorted(read_masks(out / "davis_masks")) == [f"bear/{i:05d}.png" for i in range(4)]

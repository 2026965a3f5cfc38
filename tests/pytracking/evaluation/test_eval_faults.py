"""Fault injection into the box->mask evaluation CLI: a missing or damaged prediction, ground-truth
annotation or frame fails its sequence (named in the log, the per-run and summary JSON and tables), the
other sequences are scored as usual, and the exit code is 1."""
from __future__ import annotations

import json

import faults
from pytracking.evaluation import evaluate_masks
from ltr.dataset.davis import read_davis
from ltr.dataset.sequence import targets_of
from pytracking.utils.cli import EXIT_PROBLEMS


def evaluate(root, out, *args) -> int:
    return evaluate_masks.main(["--dataset", "davis2017_val", "--root", str(root), "--out", str(out), *args])


def test_damaged_predictions_fail_their_sequences(synthetic_davis, tmp_path, capsys, write_predictions):
    (synthetic_davis / "ImageSets" / "2017" / "val.txt").write_text("alpha\nbeta\n")
    folder = write_predictions(tmp_path / "pred", targets_of(read_davis(synthetic_davis, year="2017", split="val")),
                               lambda seq, i: seq.gt_mask(i))
    damaged = {"alpha_1": faults.missing(folder / "alpha_1" / "00003.png"),
               "alpha_2": faults.truncate(folder / "alpha_2" / "00001.png")}
    out = tmp_path / "out"
    assert evaluate(synthetic_davis, out, "--method", "maskfolder", "--masks", str(folder)) == EXIT_PROBLEMS
    log = capsys.readouterr().err
    (row,) = json.loads((out / "summary.json").read_text())["rows"]
    results = json.loads((out / "maskfolder" / "results.json").read_text())
    for name, path in damaged.items():
        assert path in log and path in row["failed"][name] and path in results["failed"][name]
    assert list(results["sequences"]) == ["beta_1"] and row["J-mean"] == 1.0  # the rest is scored
    assert "2 of 3 sequences FAILED" in row["note"] and "2 of 3 sequences FAILED" in (out / "summary.md").read_text()
    assert "| alpha_1 | FAILED |" in (out / "maskfolder" / "results.md").read_text()


def test_damaged_ground_truth_and_frames_fail_their_sequences(synthetic_davis, tmp_path, capsys):
    (synthetic_davis / "ImageSets" / "2017" / "val.txt").write_text("alpha\nbeta\n")
    annotation = faults.not_an_image(synthetic_davis / "Annotations" / "480p" / "alpha" / "00002.png")
    frame = faults.truncate(synthetic_davis / "JPEGImages" / "480p" / "beta" / "00004.jpg")
    out = tmp_path / "out"
    assert evaluate(synthetic_davis, out, "--method", "boxfill", "grabcut") == EXIT_PROBLEMS
    log = capsys.readouterr().err
    rows = {r["label"]: r for r in json.loads((out / "summary.json").read_text())["rows"]}
    assert annotation in log and annotation in rows["boxfill"]["failed"]["alpha"]
    assert set(rows["boxfill"]["failed"]) == {"alpha"}  # box-fill never decodes the broken frame of beta
    assert set(rows["grabcut"]["failed"]) == {"alpha", "beta_1"} and frame in rows["grabcut"]["failed"]["beta_1"]
    assert rows["boxfill"]["J-mean"] is not None and rows["grabcut"]["J-mean"] is None

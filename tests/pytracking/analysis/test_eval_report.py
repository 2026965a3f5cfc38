"""The evaluator end to end: mask folders in the annotation layout, protocols, tables and plots."""
from __future__ import annotations

import json

import cv2
import numpy as np
import pytest

import faults
from pytracking.evaluation.baselines import MaskFolder
from pytracking.analysis.report import evaluate_method, plot_curve, write_results
from ltr.dataset.davis import read_davis
from ltr.dataset.sequence import targets_of
from pytracking.evaluation.baselines import mask_folder_path


@pytest.fixture
def sequences(synthetic_davis):
    """alpha_1, alpha_2 (absent in frames 0-1) and beta_1, six frames each."""
    return targets_of(read_davis(synthetic_davis, year="2017", split="train"))


def test_ground_truth_folder_scores_one(sequences, tmp_path, write_predictions):
    folder = write_predictions(tmp_path / "pseudo_masks", sequences, lambda seq, i: seq.gt_mask(i) * 255)
    results = evaluate_method(MaskFolder(folder), sequences, "all", progress=False)
    for entry in results["sequences"].values():
        assert entry["J"]["per_frame"] == [1.0] * 6 and entry["F"]["per_frame"] == [1.0] * 6
    assert results["dataset"]["J"]["mean"] == results["dataset"]["F"]["mean"] == 1.0
    assert results["failed"] == {} and results["dataset"]["n_failed"] == 0

    json_path, md_path = write_results(results, tmp_path / "out")
    assert json.loads(json_path.read_text())["protocol"] == "all"
    md = md_path.read_text().splitlines()
    assert md[0].startswith("# maskfolder:pseudo_masks: protocol 'all'")
    header = "| Sequence | J-mean | J-recall | J-decay | F-mean | F-recall | F-decay |"
    rows = md[md.index(header) + 2:]
    assert [r.split(" | ")[0] for r in rows] == ["| alpha_1", "| alpha_2", "| beta_1", "| **Mean**"]
    assert rows[-1] == "| **Mean** | 1.000 | 1.000 | 0.000 | 1.000 | 1.000 | 0.000 |"


def test_empty_predictions_score_zero_where_there_are_objects(sequences, tmp_path, write_predictions):
    folder = write_predictions(tmp_path / "empty", sequences, lambda seq, i: np.zeros(seq.image_size))
    results = evaluate_method(MaskFolder(folder), sequences, "all", progress=False)
    obj2 = results["sequences"]["alpha_2"]
    assert obj2["J"]["per_frame"] == [1.0, 1.0, 0.0, 0.0, 0.0, 0.0]  # empty GT, empty prediction: J = 1
    assert obj2["F"]["per_frame"] == [1.0, 1.0, 0.0, 0.0, 0.0, 0.0]
    assert results["sequences"]["beta_1"]["J"]["mean"] == 0.0


def test_missing_and_corrupt_predictions_fail_their_sequence(sequences, tmp_path, write_predictions):
    """Not scored as empty masks: failed, named in the JSON and the table, left out of the mean."""
    folder = write_predictions(tmp_path / "pred", sequences, lambda seq, i: seq.gt_mask(i))
    gone = faults.missing(mask_folder_path(folder, sequences[0], 3))
    broken = faults.truncate(mask_folder_path(folder, sequences[1], 5))
    results = evaluate_method(MaskFolder(folder), sequences, "all", progress=False)
    assert set(results["failed"]) == {"alpha_1", "alpha_2"} and list(results["sequences"]) == ["beta_1"]
    assert gone in results["failed"]["alpha_1"] and broken in results["failed"]["alpha_2"]
    assert results["dataset"]["n_sequences"] == 1 and results["dataset"]["n_failed"] == 2
    _, md_path = write_results(results, tmp_path / "out")
    md = md_path.read_text()
    assert "| alpha_1 | FAILED |" in md and f"- alpha_2: cannot read mask {broken}" in md
    everything_failed = evaluate_method(MaskFolder(tmp_path / "nothing"), sequences, "all", progress=False)
    assert everything_failed["dataset"]["J&F-mean"] is None and len(everything_failed["failed"]) == 3


def test_progress_in_a_log_is_a_plain_line_per_sequence(sequences, tmp_path, write_predictions, capsys):
    folder = write_predictions(tmp_path / "pred", sequences, lambda seq, i: seq.gt_mask(i))
    faults.missing(mask_folder_path(folder, sequences[1], 3))
    evaluate_method(MaskFolder(folder), sequences, "all", label="[tool] run 2/3 pred [all]")
    err = capsys.readouterr().err
    assert "\r" not in err and "\x1b" not in err
    lines = err.splitlines()
    assert [line.split(", ")[0] for line in lines if "frames/s" in line] == [
        "[tool] run 2/3 pred [all]: sequence 1/3 alpha_1: 6/6 frames",
        "[tool] run 2/3 pred [all]: sequence 3/3 beta_1: 6/6 frames"]
    assert any(line.startswith("maskfolder:pred: sequence alpha_2 failed, not scored: ") for line in lines)
    evaluate_method(MaskFolder(folder), sequences[:1], "davis")
    assert capsys.readouterr().err.startswith("maskfolder:pred [davis]: sequence 1/1 alpha_1: 6/6 frames, ")


def test_protocol_is_applied_and_carried(sequences, tmp_path):
    def inner_frames_only(seq):
        """Ground truth on every frame but the first and the last, which stay empty."""
        for i in range(len(seq)):
            yield seq.gt_mask(i) if 0 < i < len(seq) - 1 else np.zeros(seq.image_size, bool)

    beta = [s for s in sequences if s.name == "beta_1"]
    davis = evaluate_method(inner_frames_only, beta, "davis", progress=False)
    assert davis["protocol"] == "davis" and davis["method"] == "inner_frames_only"
    assert davis["dataset"]["J"] == {"mean": 1.0, "recall": 1.0, "decay": 0.0}
    assert davis["sequences"]["beta_1"]["J"]["per_frame"][0] == 0.0  # per-frame values cover all frames
    everything = evaluate_method(inner_frames_only, beta, "all", progress=False)
    assert everything["dataset"]["J"]["mean"] == pytest.approx(4 / 6)
    _, md_path = write_results(davis, tmp_path)
    assert "protocol 'davis' (first and last frame of each sequence dropped)" in md_path.read_text()


def test_method_output_is_checked(sequences):
    with pytest.raises(ValueError, match="alpha_1"):
        evaluate_method(lambda seq: [np.zeros(seq.image_size, bool)], sequences, progress=False)
    with pytest.raises(ValueError, match="unknown protocol"):
        evaluate_method(MaskFolder("x"), sequences, "semi", progress=False)


def test_plot_curve_draws_a_png(tmp_path):
    path = plot_curve([1, 2, 4, 8], {"boxfill": [0.5, 0.52, 0.55, 0.56], "grabcut": [0.6, np.nan, 0.7, 0.75]},
                      tmp_path / "plots" / "j_vs_frames.png", "number of frames", "J-mean")
    img = cv2.imread(str(path))
    assert img is not None and img.shape[0] > 300 and img.shape[1] > 600
    colours = {tuple(c) for c in img.reshape(-1, 3)}
    assert (180, 119, 31) in colours and (14, 127, 255) in colours  # both series (BGR) are drawn
    with pytest.raises(ValueError, match="grabcut"):
        plot_curve([1, 2], {"grabcut": [0.1]}, tmp_path / "bad.png", "x", "y")

"""Runs of box->mask methods scored together: what their summaries say they were computed on, and whose
progress the lines in a log are."""
from __future__ import annotations

import json

import pytest

from ltr.dataset.davis import read_davis
from ltr.dataset.sequence import targets_of
from pytracking.analysis.mask_scores import evaluate_runs
from pytracking.evaluation.evaluate_masks import main as evaluate_masks
from pytracking.evaluation.mask_runs import baseline_run


def test_progress_lines_name_the_tool_the_run_and_the_sequence(synthetic_davis, tmp_path, capsys):
    sequences = targets_of(read_davis(synthetic_davis, year="2017", split="train"))
    rows = evaluate_runs([baseline_run("boxfill")], sequences, "all", tmp_path, "[evaluate_masks]")
    assert [r["label"] for r in rows] == ["boxfill"]
    lines = capsys.readouterr().err.splitlines()
    assert [line.split(", ")[0] for line in lines] == [
        f"[evaluate_masks] run 1/1 boxfill [all]: sequence {k}/3 {name}: 6/6 frames"
        for k, name in enumerate(["alpha_1", "alpha_2", "beta_1"], 1)]


@pytest.mark.parametrize("protocol, frame_step, scored", [
    ("davis", 1, 73),  # boat has 75 frames; the first and the last are not scored
    ("all", 1, 75),
    ("davis", 4, 17),  # frames 0, 4, ..., 72: 19 frames, less the first and the last
])
def test_the_summary_counts_the_frames_the_protocol_scores(davis16_root, tmp_path, protocol, frame_step, scored):
    out = tmp_path / "out"
    assert evaluate_masks(["--dataset", "davis16_heldout", "--root", str(davis16_root), "--sequences", "boat",
                           "--method", "boxfill", "--protocol", protocol, "--frame-step", str(frame_step),
                           "--out", str(out)]) == 0
    summary = json.loads((out / "summary.json").read_text())
    assert summary["n_sequences"] == 1 and summary["n_frames_scored"] == scored
    assert f"n_frames_scored: {scored}." in (out / "summary.md").read_text()

"""Runs of box->mask methods scored together: whose progress the lines in a log are."""
from __future__ import annotations

from ltr.dataset.davis import read_davis
from ltr.dataset.sequence import targets_of
from pytracking.analysis.mask_scores import evaluate_runs
from pytracking.evaluation.mask_runs import baseline_run


def test_progress_lines_name_the_tool_the_run_and_the_sequence(synthetic_davis, tmp_path, capsys):
    sequences = targets_of(read_davis(synthetic_davis, year="2017", split="train"))
    rows = evaluate_runs([baseline_run("boxfill")], sequences, "all", tmp_path, "[evaluate_masks]")
    assert [r["label"] for r in rows] == ["boxfill"]
    lines = capsys.readouterr().err.splitlines()
    assert [line.split(", ")[0] for line in lines] == [
        f"[evaluate_masks] run 1/1 boxfill [all]: sequence {k}/3 {name}: 6/6 frames"
        for k, name in enumerate(["alpha_1", "alpha_2", "beta_1"], 1)]

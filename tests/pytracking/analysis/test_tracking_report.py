"""tracking_report.py: runs side by side (box measures, J/F from the masks folder), lost sequences, errors."""
import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from pytracking.annotate.writer import write_mask
from pytracking.evaluation.datasets import load_dataset
from pytracking.analysis.tracking_report import main


def write_run(folder: Path, masks: Path, boxes=None, labels=None) -> Path:
    """A run folder as run_tracker.py leaves it (boxes and masks optional)."""
    folder.mkdir(parents=True)
    (folder / "run.json").write_text(json.dumps({"segmentation_dir": str(masks)}))
    if boxes is not None:
        np.savetxt(folder / "beta_1.txt", boxes, fmt="%d", delimiter="\t")
    for stem, label in (labels or {}).items():
        (masks / "beta_1").mkdir(parents=True, exist_ok=True)
        write_mask(masks / "beta_1" / f"{stem}.png", label)
    return folder


@pytest.fixture
def runs(tmp_path, synthetic_davis):
    """'oracle' returns the ground truth (boxes and masks), 'lost' returned nothing."""
    (seq,) = load_dataset("davis2017_val", root=synthetic_davis)  # beta, object 1
    labels = {f.stem: seq.gt_mask(i) for i, f in enumerate(seq.frames)}
    oracle = write_run(tmp_path / "res" / "oracle", tmp_path / "seg" / "oracle", seq.boxes, labels)
    lost = write_run(tmp_path / "res" / "lost", tmp_path / "seg" / "lost")
    return oracle, lost


def test_two_runs_side_by_side(runs, synthetic_davis, tmp_path, capsys):
    oracle, lost = runs
    out = tmp_path / "report"
    assert main(["--results", f"truth={oracle}", str(lost), "--dataset", "davis2017_val",
                 "--root", str(synthetic_davis), "--out", str(out)]) == 0
    report = json.loads((out / "tracking_report.json").read_text())
    truth, missing = (r["measures"] for r in report["runs"])
    assert [r["label"] for r in report["runs"]] == ["truth", "lost"]
    assert truth["AO"] == 1 and truth["J-mean"] == 1 and truth["AUC"] == pytest.approx(20 / 21)
    assert missing["AO"] == 0 and missing["J-mean"] == 0 and report["runs"][1]["missing"] == ["beta_1"]
    assert truth["got10k_frames_scored"] == 5 and report["runs"][0]["protocol"] == "davis"
    table = (out / "tracking_report.md").read_text()
    assert "| truth | 1.000 | 1.000 | 1.000 | 0.952 |" in table and "| lost | 0.000 |" in table
    assert "counted as lost: beta_1" in table and table in capsys.readouterr().out
    plot = cv2.imread(str(out / "success_plot.png"))
    assert plot is not None and plot.shape[0] > 300


def test_bad_result_folders_and_files_are_usage_errors(runs, synthetic_davis, tmp_path, capsys):
    oracle, _ = runs
    common = ["--dataset", "davis2017_val", "--root", str(synthetic_davis), "--out", str(tmp_path / "out")]
    assert main(["--results", str(tmp_path / "nowhere")] + common) == 2
    assert "no folder" in capsys.readouterr().err
    (oracle / "beta_1.txt").write_text("1\t2\t3\t4\n")
    assert main(["--results", str(oracle)] + common) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "beta_1.txt: 1 boxes for 6 frames" in err


def test_without_dataset_the_run_json_names_it(runs, synthetic_davis, tmp_path, capsys):
    oracle, lost = runs
    info = json.loads((oracle / "run.json").read_text())
    (oracle / "run.json").write_text(json.dumps({**info, "dataset": "davis2017_val", "root": str(synthetic_davis)}))
    out = tmp_path / "report"
    assert main(["--results", str(lost), f"truth={oracle}", "--out", str(out)]) == 0
    report = json.loads((out / "tracking_report.json").read_text())
    assert report["dataset"] == "davis2017_val" and report["runs"][1]["measures"]["J-mean"] == 1
    assert main(["--results", str(lost), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.endswith("error: --dataset is needed: no run.json in the --results folders records it\n")

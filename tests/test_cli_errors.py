"""Every command line turns a configuration mistake into one clear line on stderr and exit code 2,
never a traceback: each case runs the real script in a subprocess, as a user would."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[1]
TRAIN, ANNOTATE = "ltr/run_training.py", "pytracking/annotate/run.py"
EVALUATE_MASKS, TABLES = "pytracking/evaluation/evaluate_masks.py", "pytracking/analysis/tables.py"
RUN_TRACKER, TRACKING_REPORT = "pytracking/run_tracker.py", "pytracking/analysis/tracking_report.py"
EXPORT = "ltr/export_network.py"
ANNOTATE_SPEED, TRAIN_SPEED = "benchmarks/annotate_speed.py", "benchmarks/train_speed.py"
HELDOUT = ["--dataset", "davis16_heldout", "--sequences", "boat", "--out", "{tmp}/out"]

# (script, arguments, environment, what the error line must say); {tmp} is a fresh folder, {davis16} the
# shared DAVIS-2016 copy, {tmp}/seq a sequence folder (one frame, groundtruth.txt). Argument mistakes too are
# one line (not argparse's usage block).
CASES = {
    "train: dataset not configured": (TRAIN, ["box2seg", "default"], {"BOX2SEG_YOUTUBEVOS_DIR": ""},
                                      "'youtubevos_dir' is not configured"),
    "train: dataset folder missing": (TRAIN, ["box2seg", "davis16"], {"BOX2SEG_DAVIS16_DIR": "{tmp}/none"},
                                      "DAVIS 2016 root not found: {tmp}/none"),
    "train: unknown setting": (TRAIN, ["box2seg", "nope"], {}, "no train setting ltr/train_settings/box2seg/nope.py"),
    "train: bad value": (TRAIN, ["box2seg", "davis16", "--epochs", "0"], {}, "--epochs must be at least 1"),
    "train: workspace cannot be made": (TRAIN, ["box2seg", "synthetic", "--workspace", "{tmp}/file/ws"], {},
                                        "--workspace {tmp}/file/ws/checkpoints/ltr/box2seg/synthetic: cannot create "
                                        "({tmp}/file is a file, not a folder)"),
    "train: tensorboard_dir cannot be made": (
        TRAIN, ["box2seg", "synthetic"], {"BOX2SEG_TENSORBOARD_DIR": "{tmp}/file/tb"},
        "tensorboard_dir (ltr/admin/local.py, or BOX2SEG_TENSORBOARD_DIR) {tmp}/file/tb: cannot create "
        "({tmp}/file is a file, not a folder)"),
    "export: output cannot be made": (EXPORT, ["{tmp}/file", "{tmp}/file/sub/x.pth.tar"], {},
                                      "out {tmp}/file/sub: cannot create ({tmp}/file is a file, not a folder)"),
    "export: output's folder is a file": (EXPORT, ["{tmp}/file", "{tmp}/file/x.pth.tar"], {},
                                          "out {tmp}/file: cannot create ({tmp}/file is a file, not a folder)"),
    "export: output is a folder": (EXPORT, ["{tmp}/file", "{tmp}/seq"], {}, "out {tmp}/seq is a folder"),
    "export: argument mistake": (EXPORT, ["--fp32"], {}, "the following arguments are required: checkpoint, out"),
    "annotate: root not configured": (ANNOTATE, ["lasot", "--weights", "w"], {"BOX2SEG_LASOT_PATH": ""},
                                      "lasot_path is not configured"),
    "annotate: root missing": (ANNOTATE, ["folder", "--root", "{tmp}/none", "--boxes", "b.txt", "--weights", "w"],
                               {}, "folder root not found: {tmp}/none"),
    "annotate: weights missing": (ANNOTATE, ["folder", "--root", "{tmp}/seq", "--weights", "{tmp}/w.pth"],
                                  {}, "weights {tmp}/w.pth not found"),
    "annotate: no such device": (ANNOTATE, ["folder", "--root", "{tmp}/seq", "--weights", "w",
                                            "--device", "cuda:7"], {}, "--device cuda:7 is not usable here"),
    "annotate: bad value": (ANNOTATE, ["folder", "--root", "{tmp}/seq", "--interval", "0"], {},
                            "--interval must be at least 1"),
    "annotate: no frames in the folder": (ANNOTATE, ["folder", "--root", "{tmp}"], {}, "no frames (.jpg"),
    "annotate: no groundtruth.txt": (ANNOTATE, ["folder", "--root", "{tmp}/seq", "--boxes", "{tmp}/none.txt"], {},
                                     "no boxes file {tmp}/none.txt"),
    "annotate: output cannot be made": (ANNOTATE, ["folder", "--root", "{tmp}/seq", "--out", "{tmp}/file/x"], {},
                                        "--out {tmp}/file/x: cannot create ({tmp}/file is a file, not a folder)"),
    "annotate: annotation_path cannot be made": (
        ANNOTATE, ["folder", "--root", "{tmp}/seq"], {"BOX2SEG_ANNOTATION_PATH": "{tmp}/file/x"},
        "annotation_path (pytracking/evaluation/local.py, or BOX2SEG_ANNOTATION_PATH) {tmp}/file/x: cannot create"),
    "annotate: bad choice": (ANNOTATE, ["lasot", "--format", "tiff"], {}, "argument --format: invalid choice"),
    "annotate: bad crop size": (ANNOTATE, ["lasot", "--crop-size", "96x161"], {},
                                "argument --crop-size: crop size 96x161: H and W must be positive multiples of 8"),
    "annotate_speed: bad crop size": (ANNOTATE_SPEED, ["--crop-size", "96"], {},
                                      "argument --crop-size: crop size must look like HxW, e.g. 480x832; got '96'"),
    "evaluate_masks: maskfolder without masks": (
        EVALUATE_MASKS, ["--method", "maskfolder", "--root", "{davis16}", *HELDOUT], {},
        "--method maskfolder needs --masks DIR"),
    "evaluate_masks: dataset root missing": (
        EVALUATE_MASKS, ["--method", "boxfill", "--root", "{tmp}/none", *HELDOUT], {},
        "DAVIS-2016 train root not found: {tmp}/none"),
    "evaluate_masks: dataset not configured": (
        EVALUATE_MASKS, ["--dataset", "davis2017_val", "--method", "boxfill", "--out", "{tmp}/out"],
        {"BOX2SEG_DAVIS_DIR": ""}, "'davis_dir' is not configured"),
    "evaluate_masks: unknown sequence": (
        EVALUATE_MASKS, ["--method", "boxfill", "--root", "{davis16}", *HELDOUT, "--sequences", "bear"], {},
        "unknown sequences ['bear']"),
    "evaluate_masks: bad value": (EVALUATE_MASKS, ["--method", "boxfill", "--frame-step", "0", *HELDOUT], {},
                                  "--frame-step must be at least 1"),
    "evaluate_masks: output is a file": (
        EVALUATE_MASKS, ["--method", "boxfill", "--root", "{davis16}", *HELDOUT[:-1], "{tmp}/file"], {},
        "--out {tmp}/file: cannot create ({tmp}/file is a file, not a folder)"),
    "evaluate_masks: a dataset without masks": (EVALUATE_MASKS, ["--dataset", "folder", "--out", "{tmp}/out"], {},
                                                "argument --dataset: invalid choice: 'folder'"),
    "tables: unknown table": (TABLES, ["table9"], {}, "argument TABLE: invalid choice: 'table9'"),
    "tracker: folder missing": (RUN_TRACKER, ["lwl", "default", "--dataset", "folder", "--root", "{tmp}/none",
                                              "--mode", "box"], {}, "folder root not found: {tmp}/none"),
    "tracker: bad choice": (RUN_TRACKER, ["lwl", "default", "--dataset", "folder", "--mode", "nope"],
                            {}, "argument --mode: invalid choice: 'nope'"),
    "tracker: results folder cannot be made": (
        RUN_TRACKER, ["lwl", "default", "--dataset", "folder", "--root", "{tmp}/seq", "--mode", "box"],
        {"BOX2SEG_RESULTS_PATH": "{tmp}/file/sub"}, "results_path (pytracking/evaluation/local.py, or "
        "BOX2SEG_RESULTS_PATH) {tmp}/file/sub/lwl/default_box: cannot create ({tmp}/file is a file, not a folder)"),
    "tracker: masks folder cannot be made": (
        RUN_TRACKER, ["lwl", "default", "--dataset", "folder", "--root", "{tmp}/seq", "--mode", "box", "--name", "x"],
        {"BOX2SEG_SEGMENTATION_PATH": "{tmp}/file"}, "segmentation_path (pytracking/evaluation/local.py, or "
        "BOX2SEG_SEGMENTATION_PATH) {tmp}/file/lwl/x_box: cannot create ({tmp}/file is a file, not a folder)"),
    "tracker: --name leaves the results folder": (
        RUN_TRACKER, ["lwl", "default", "--dataset", "folder", "--root", "{tmp}/seq", "--name", "../../x"], {},
        "argument --name: '../../x' is not a folder name"),
    "annotate: --name makes two folders": (ANNOTATE, ["folder", "--root", "{tmp}/seq", "--name", "a/b"], {},
                                           "argument --name: 'a/b' is not a folder name"),
    "tables: bad name": (TABLES, ["table2", "--weights", "Big=w.pth", "--root", "{davis16}", *HELDOUT], {},
                         "--weights 'Big=w.pth': NAME must be one of"),
    "benchmark: weights missing": ("benchmarks/annotate_speed.py", ["--weights", "{tmp}/w.pth"], {},
                                   "weights {tmp}/w.pth not found"),
    "benchmark: bad value": ("benchmarks/annotate_speed.py", ["--frames", "0"], {}, "--frames must be at least 1"),
    "benchmark: argument mistake": (ANNOTATE_SPEED, ["--frames", "x"], {}, "argument --frames: invalid int value"),
    "benchmark: random weights scored": (ANNOTATE_SPEED, ["--decoder-width", "8", "--davis-j"], {},
                                         "--davis-j needs trained weights; --decoder-width builds random ones"),
    "train benchmark: argument mistake": (TRAIN_SPEED, ["--nope"], {}, "unrecognized arguments: --nope"),
    "train benchmark: bad value": (TRAIN_SPEED, ["--batch", "0"], {}, "--batch must be at least 1"),
    "benchmark: no such device": ("benchmarks/train_speed.py", ["--device", "nope"], {},
                                  "--device nope is not usable here"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_configuration_mistake_is_one_line_and_exit_code_2(case, tmp_path, request):
    script, args, env, expected = CASES[case]
    fill = {"tmp": str(tmp_path)}
    if any("{davis16}" in a for a in args):
        fill["davis16"] = str(request.getfixturevalue("davis16_root"))
    (tmp_path / "file").write_text("a file where the output folder should go\n")
    (tmp_path / "seq").mkdir()
    cv2.imwrite(str(tmp_path / "seq" / "00000001.jpg"), np.zeros((32, 48, 3), np.uint8))
    (tmp_path / "seq" / "groundtruth.txt").write_text("4,4,20,10\n")
    environment = dict(os.environ, PYTHONPATH=str(REPO), OMP_NUM_THREADS="1", BOX2SEG_WORKSPACE_DIR=str(tmp_path),
                       **{k: v.format(**fill) for k, v in env.items()})
    done = subprocess.run([sys.executable, str(REPO / script), *(a.format(**fill) for a in args)], cwd=tmp_path,
                          env=environment, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2, done.stderr[-3000:]
    assert "Traceback" not in done.stderr, done.stderr[-3000:]
    errors = [line for line in done.stderr.splitlines() if "error:" in line]
    assert len(errors) == 1 and expected.format(**fill) in errors[0], done.stderr[-3000:]
    assert "usage:" not in done.stderr, done.stderr[-3000:]
    assert errors[0] == done.stderr.strip().splitlines()[-1] and errors[0].startswith("error: ")


# --help and an argument mistake are answered before torch is imported (it takes seconds to load).
QUICK_ANSWERS = {TRAIN: ["box2seg", "default", "--no-such-option"], ANNOTATE: ["folder", "--no-such-option"],
                 EVALUATE_MASKS: ["--no-such-option"], TABLES: ["table9"],
                 RUN_TRACKER: ["lwl", "default", "--mode", "nope"], TRACKING_REPORT: ["--no-such-option"],
                 EXPORT: ["--no-such-option"], ANNOTATE_SPEED: ["--config", "nope"], TRAIN_SPEED: ["--size", "9x9"]}


def imported_modules(importtime_log: str) -> set:
    """Module names from ``python -X importtime`` output (lines 'import time: self | cumulative | name')."""
    return {line.rsplit("|", 1)[1].strip() for line in importtime_log.splitlines() if line.startswith("import time:")}


@pytest.mark.parametrize("script", list(QUICK_ANSWERS))
@pytest.mark.parametrize("answer", ["help", "mistake"])
def test_help_and_argument_mistakes_do_not_load_torch(script, answer, tmp_path):
    args = ["--help"] if answer == "help" else QUICK_ANSWERS[script]
    done = subprocess.run([sys.executable, "-X", "importtime", str(REPO / script), *args], cwd=tmp_path,
                          env=dict(os.environ, PYTHONPATH=str(REPO)), capture_output=True, text=True, timeout=120)
    assert done.returncode == (0 if answer == "help" else 2), done.stderr[-3000:]
    modules = imported_modules(done.stderr)
    assert "argparse" in modules  # the log was read
    assert not {m for m in modules if m == "torch" or m.startswith("torch.")}, f"{script} {' '.join(args)} loads torch"

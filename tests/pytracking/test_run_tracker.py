"""run_tracker.py end to end on real frames with tiny networks: results layout (facts §6.3), both
modes, resuming, bad frames, and one-line configuration errors."""
from __future__ import annotations

import json
import shlex
import shutil
import sys
from pathlib import Path

import numpy as np
import pytest

from ltr.data.bounding_box_utils import box_region, mask_to_box
from ltr.data.image_loader import imread_mask
from pytracking.evaluation.datasets import load_folder
from pytracking.analysis.tracking_report import main as tracking_report
from pytracking.run_tracker import main
from oracles import tight_box
from tracking_helpers import DAVIS_FRAMES, read_png, read_rows

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _one_thread(one_thread):
    """One intra-op thread (see tests/conftest.py)."""


def test_box_mode_on_the_bag_sequence(env, bag_clip, tiny_lwl, positive_box2seg, capsys):
    seq = load_folder(bag_clip)[0]
    args = ["lwl", "default", "--network", str(tiny_lwl), "--box2seg", str(positive_box2seg), "--mode", "box",
            "--dataset", "folder", "--root", str(bag_clip)]
    assert main(args) == 0
    results, masks = env["results"] / "lwl" / "default_box", env["segmentation"] / "lwl" / "default_box" / "bag"
    boxes = read_rows(results / "bag.txt")
    assert boxes.shape == (20, 4) and boxes[0].tolist() == seq.boxes[0].astype(int).tolist()
    assert len((results / "bag_time.txt").read_text().splitlines()) == 20
    pngs = sorted(masks.glob("*.png"))
    assert [p.stem for p in pngs] == [f.stem for f in seq.frames]
    labels = [read_png(p) for p in pngs]
    assert all(set(np.unique(lab)) <= {0, 1} and lab.shape == (360, 480) for lab in labels)
    # the initial mask is box2seg's (every logit positive: exactly the rounded box)
    y0, y1, x0, x1 = box_region(seq.boxes[0], (360, 480))
    expected = np.zeros((360, 480), np.uint8)
    expected[y0:y1, x0:x1] = 1
    assert np.array_equal(labels[0], expected)
    # every later box is the tight box of that frame's mask, the previous box when it is empty
    for i in range(1, 20):
        tight = tight_box(labels[i])
        assert boxes[i].tolist() == (boxes[i - 1].tolist() if tight is None else tight.astype(int).tolist())
    run = json.loads((results / "run.json").read_text())
    assert run["mode"] == "box" and run["segmentation_dir"] == str(masks.parent)
    assert run["settings"]["image_sample_size"] == [64, 112]
    assert run["dataset"] == "folder" and run["root"] == str(bag_clip.resolve())
    summary = json.loads((results / "summary_folder.json").read_text())
    assert summary["measures"]["frames_scored"] == 20 and "J-mean" not in summary["measures"]
    first = capsys.readouterr()
    assert "| **Dataset** |" in first.out and "1 sequence tracked (20 frames, " in first.out
    assert "1 sequence, 20 frames scored (LaSOT measures)" in first.out
    # stderr is not a terminal here: progress is plain lines, not a bar
    assert "\r" not in first.err and "\x1b" not in first.err
    assert first.err.splitlines()[-1].startswith("[lwl] default_box: sequence 1/1 bag: 20/20 frames, ")
    # the report needs only the run folder: the data comes from its run.json
    assert tracking_report(["--results", str(results), "--out", str(env["results"] / "report")]) == 0
    report = json.loads((env["results"] / "report" / "tracking_report.json").read_text())
    assert report["dataset"] == "folder" and report["runs"][0]["measures"]["AO"] == summary["measures"]["AO"]
    assert f"data from run.json: dataset folder, root {bag_clip.resolve()}" in capsys.readouterr().err

    # the box file marks a finished sequence: a second run skips it and changes nothing
    before = {p: p.stat().st_mtime_ns for p in [results / "bag.txt", *pngs]}
    assert main(args) == 0
    assert {p: p.stat().st_mtime_ns for p in before} == before
    assert "1 already had results" in capsys.readouterr().out


def test_vos_mode_on_davis_writes_and_scores_masks(env, davis_clip, tiny_lwl):
    assert main(["lwl", "default", "--network", str(tiny_lwl), "--dataset", "davis2016_val", "--root", str(davis_clip),
                 "--resolution", "240p"]) == 0
    results, masks = env["results"] / "lwl" / "default", env["segmentation"] / "lwl" / "default" / "bear"
    assert read_rows(results / "bear.txt").shape == (DAVIS_FRAMES, 4)
    gt = imread_mask(davis_clip / "Annotations" / "240p" / "bear" / "00000.png")
    assert np.array_equal(read_png(masks / "00000.png"), gt.astype(np.uint8))  # the given first-frame mask
    assert len(list(masks.glob("*.png"))) == DAVIS_FRAMES
    summary = json.loads((results / "summary_davis2016_val.json").read_text())
    assert summary["protocol"] == "davis" and 0 <= summary["measures"]["J-mean"] <= 1


def test_a_corrupt_frame_keeps_the_previous_box_and_the_run_goes_on(env, bag_clip, tiny_lwl, positive_box2seg,
                                                                   tmp_path, capsys):
    clip = tmp_path / "bag"
    shutil.copytree(bag_clip, clip)
    broken = sorted((clip / "imgs").glob("*.jpg"))[5]
    broken.write_bytes(b"not a jpeg")
    assert main(["lwl", "default", "--network", str(tiny_lwl), "--box2seg", str(positive_box2seg), "--mode", "box",
                 "--dataset", "folder", "--root", str(clip)]) == 1
    boxes = read_rows(env["results"] / "lwl" / "default_box" / "bag.txt")
    assert boxes.shape == (20, 4) and boxes[5].tolist() == boxes[4].tolist()
    assert not read_png(env["segmentation"] / "lwl" / "default_box" / "bag" / f"{broken.stem}.png").any()
    out = capsys.readouterr()
    assert str(broken) in out.err and "BAD INPUT (1)" in out.out


def test_configuration_mistakes_give_one_line_and_exit_code_2(env, bag_clip, tiny_lwl, positive_box2seg, tmp_path,
                                                              capsys):
    vos = ["lwl", "default", "--network", str(tiny_lwl)]
    base = vos + ["--mode", "box", "--box2seg", str(positive_box2seg)]
    cases = {
        "unknown dataset 'nope'": base + ["--dataset", "nope"],
        "needs --root": base + ["--dataset", "folder"],
        f"folder root not found: {tmp_path / 'missing'}": base + ["--dataset", "folder", "--root",
                                                                  str(tmp_path / "missing")],
        "no frames": base + ["--dataset", "folder", "--root", str(tmp_path)],
        "LWL network: ": ["lwl", "default", "--network", str(tmp_path / "none.pth.tar"), "--dataset", "folder",
                          "--root", str(bag_clip)],
        "box2seg network: none.pth.tar not found": base + ["--box2seg", "none.pth.tar", "--dataset", "folder",
                                                           "--root", str(bag_clip)],
        "unknown lwl parameters 'nope'": ["lwl", "nope", "--dataset", "folder", "--root", str(bag_clip)],
        "unknown tracker 'dimp'": ["dimp", "default", "--dataset", "folder", "--root", str(bag_clip)],
        "VOS mode needs a first-frame mask": vos + ["--dataset", "folder", "--root", str(bag_clip)],
        "not a box2seg": base + ["--box2seg", str(tiny_lwl), "--dataset", "folder", "--root", str(bag_clip)],
    }
    for message, args in cases.items():
        assert main(args) == 2, message
        err = capsys.readouterr().err
        assert err.startswith("error: ") and message in err and err.count("\n") == 1, err


def test_default_parameters_name_the_missing_shipped_network(env, bag_clip, tmp_path, monkeypatch, capsys):
    monkeypatch.setattr("pytracking.utils.loading.SHIPPED_NETWORKS", tmp_path)  # a fresh machine without it
    assert main(["lwl", "default", "--dataset", "folder", "--root", str(bag_clip)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "lwl_lite0.pth.tar not found" in err


def test_results_of_another_network_are_not_mixed(env, bag_clip, tiny_lwl, positive_box2seg, tmp_path, capsys):
    other = tmp_path / "other.pth.tar"
    shutil.copy(tiny_lwl, other)
    common = ["--box2seg", str(positive_box2seg), "--mode", "box", "--dataset", "folder", "--root", str(bag_clip),
              "--sequences", "bag"]
    results = env["results"] / "lwl" / "default_box"
    results.mkdir(parents=True)
    (results / "run.json").write_text(json.dumps({"tracker": "lwl", "parameters": "default", "mode": "box",
                                                  "network": str(other), "box2seg": str(positive_box2seg)}))
    assert main(["lwl", "default", "--network", str(tiny_lwl)] + common) == 2
    assert "other.pth.tar" in capsys.readouterr().err and not (results / "bag.txt").exists()


def test_ctrl_c_prints_the_command_that_continues(env, bag_clip, tiny_lwl, positive_box2seg, monkeypatch, capsys):
    from pytracking.evaluation import running

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(running, "run_sequences", interrupted)
    args = ["lwl", "default", "--network", str(tiny_lwl), "--box2seg", str(positive_box2seg), "--mode", "box",
            "--dataset", "folder", "--root", str(bag_clip)]
    assert main(args) == 130
    message = capsys.readouterr().err.strip().splitlines()[-1]
    assert message.startswith(f"[lwl] interrupted; results so far: {env['results'] / 'lwl' / 'default_box'}; ")
    command = message.split("continue with (sequences with results are skipped): ", 1)[1]
    variables = [f"BOX2SEG_NETWORK_PATH={env['networks']}", f"BOX2SEG_RESULTS_PATH={env['results']}",
                 f"BOX2SEG_SEGMENTATION_PATH={env['segmentation']}"]  # the env fixture's: the run writes there
    assert shlex.split(command) == [*variables, sys.executable, str(REPO / "pytracking" / "run_tracker.py"), *args]

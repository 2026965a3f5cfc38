"""The annotation CLI end to end: layouts, resume, shards, bad input, refusal, the real VOT bag."""
from __future__ import annotations

import json
import os
import shlex
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from annotate_helpers import SMALL_ARGS, read_masks, read_png, write_got10k, write_lasot
from ltr.data.bounding_box_utils import box_mask
from pytracking.annotate import writer
from pytracking.annotate.run import main
from pytracking.utils.cli import EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE

REPO = Path(__file__).resolve().parents[3]


def annotate(dataset: str, root: Path, out: Path, weights: Path, *extra: str) -> int:
    return main([dataset, "--root", str(root), "--out", str(out), "--weights", str(weights), *SMALL_ARGS, *extra])


def test_lasot_layout_numbering_values_and_absent_frames(lasot_root, tmp_path, checkpoints, clips):
    out = tmp_path / "out"
    assert annotate("lasot", lasot_root, out, checkpoints["positive"]) == EXIT_OK
    masks = read_masks(out / "lasot_masks")
    assert sorted(masks) == [f"{s}/{i:08d}.png" for s in ("bear-1", "boat-1", "car-2") for i in range(1, 7)]
    boxes = clips["bear"][1]
    for i in range(6):
        mask = masks[f"bear-1/{i + 1:08d}.png"]
        assert mask.shape == (240, 427) and set(np.unique(mask)) <= {0, 1}
        if i in (2, 4):  # fully occluded / out of view
            assert not mask.any()
        else:  # the 'positive' network fills the box exactly: checks crop and paste-back geometry
            np.testing.assert_array_equal(mask, box_mask(boxes[i], mask.shape))
    assert sorted(p.name for p in (out / "done" / "lasot").iterdir()) == ["bear-1.json", "boat-1.json", "car-2.json"]
    (summary,) = (out / "summaries").glob("lasot-*.json")
    records = {r["sequence"]: r for r in json.loads(summary.read_text())["sequences"]}
    assert records["bear-1"]["masks"] == 4 and records["bear-1"]["mean_fill"] == pytest.approx(1.0)
    assert not list(out.rglob(writer.TMP_PREFIX + "*"))


def test_fast_mode_writes_the_same_layout_and_speed_per_sequence(lasot_root, tmp_path, checkpoints, clips):
    out = tmp_path / "out"
    assert annotate("lasot", lasot_root, out, checkpoints["positive"], "--fast") == EXIT_OK
    masks = read_masks(out / "lasot_masks")
    assert len(masks) == 18
    boxes = clips["boat"][1]
    for i in range(6):  # the 'positive' network fills the box exactly in fast mode too
        np.testing.assert_array_equal(masks[f"boat-1/{i + 1:08d}.png"], box_mask(boxes[i], (240, 427)))
    (summary,) = (out / "summaries").glob("lasot-*.json")
    summary = json.loads(summary.read_text())
    assert summary["settings"]["fast"] and summary["settings"]["solver"] == "gemm"
    assert all(r["frames_per_second"] > 0 and r["seconds"] > 0 for r in summary["sequences"])


def test_got10k_layout_and_a_sequence_without_files(tmp_path, checkpoints, clips):
    root = tmp_path / "got10k"
    write_got10k(root, "GOT-10k_Train_000001", clips["boat"], absent=[1], covered=[3])
    with open(root / "list.txt", "a") as f:
        f.write("GOT-10k_Train_000002\n")  # listed, but its folder is missing
    out = tmp_path / "out"
    assert annotate("got10k", root, out, checkpoints["positive"]) == EXIT_PROBLEMS
    masks = read_masks(out / "got10k_masks")
    assert sorted(masks) == [f"GOT-10k_Train_000001/{i:08d}.png" for i in range(1, 7)]
    empty = [i for i in range(6) if not masks[f"GOT-10k_Train_000001/{i + 1:08d}.png"].any()]
    assert empty == [1, 3]
    assert (out / "done" / "got10k" / "GOT-10k_Train_000001.json").is_file()
    assert not (out / "done" / "got10k" / "GOT-10k_Train_000002.json").exists()


# The CLI in a child process that SIGKILLs itself in the middle of writing its KILL_AT-th PNG: a real kill,
# with no chance to clean up (no exception handler, no atexit, the writer threads die too).
KILLED_MID_WRITE = """
import os, signal, sys
from pathlib import Path
from PIL import Image
real_save, calls = Image.Image.save, []
def save(image, fp, *args, **kwargs):
    calls.append(fp)
    if len(calls) == int(os.environ["KILL_AT"]):
        Path(fp).write_bytes(b"\\x89PNG\\r\\n\\x1a\\n partial")
        os.kill(os.getpid(), signal.SIGKILL)
    return real_save(image, fp, *args, **kwargs)
Image.Image.save = save
from pytracking.annotate.run import main
sys.exit(main(sys.argv[1:]))
"""


def test_killed_run_resumes_without_partial_output(lasot_root, tmp_path, checkpoints, monkeypatch):
    reference = tmp_path / "reference"
    assert annotate("lasot", lasot_root, reference, checkpoints["balanced"]) == EXIT_OK
    out = tmp_path / "out"
    args = ["lasot", "--root", str(lasot_root), "--out", str(out), "--weights", str(checkpoints["balanced"]),
            *SMALL_ARGS]
    env = dict(os.environ, OMP_NUM_THREADS="1", PYTHONPATH=str(REPO), KILL_AT="9")  # boat-1's third mask
    killed = subprocess.run([sys.executable, "-c", KILLED_MID_WRITE, *args], env=env, capture_output=True, text=True,
                            timeout=300)
    assert killed.returncode == -signal.SIGKILL, killed.stderr[-2000:]
    assert [p.name for p in (out / "done" / "lasot").iterdir()] == ["bear-1.json"]
    (partial,) = out.rglob(writer.TMP_PREFIX + "*")  # the write that was cut off, under its temporary name
    assert partial.parent.name == "boat-1"
    expected = read_masks(reference / "lasot_masks")
    for path in (out / "lasot_masks").rglob("0*.png"):  # every file under its final name is whole
        np.testing.assert_array_equal(read_png(path), expected[f"{path.parent.name}/{path.name}"], err_msg=str(path))

    calls = []
    real_write = writer.write_mask
    monkeypatch.setattr(writer, "write_mask", lambda path, mask: (calls.append(path), real_write(path, mask)))
    assert annotate("lasot", lasot_root, out, checkpoints["balanced"]) == EXIT_OK
    assert {p.parent.name for p in calls} == {"boat-1", "car-2"}  # the finished sequence is not redone
    assert not list(out.rglob(writer.TMP_PREFIX + "*"))
    got = read_masks(out / "lasot_masks")
    assert sorted(got) == sorted(expected)
    for name in expected:
        np.testing.assert_array_equal(got[name], expected[name], err_msg=name)


def test_two_shards_together_equal_one_run(lasot_root, tmp_path, checkpoints, monkeypatch):
    single, sharded = tmp_path / "single", tmp_path / "sharded"
    assert annotate("lasot", lasot_root, single, checkpoints["balanced"]) == EXIT_OK
    assert annotate("lasot", lasot_root, sharded, checkpoints["balanced"], "--shard", "0", "--num-shards", "2") == 0
    first = set(read_masks(sharded / "lasot_masks"))
    monkeypatch.setenv("RANK", "1")  # the second shard as torchrun would start it
    monkeypatch.setenv("WORLD_SIZE", "2")
    assert annotate("lasot", lasot_root, sharded, checkpoints["balanced"]) == EXIT_OK
    got, expected = read_masks(sharded / "lasot_masks"), read_masks(single / "lasot_masks")
    assert {name.split("/")[0] for name in first} == {"bear-1", "car-2"}  # sorted names, every 2nd
    assert sorted(got) == sorted(expected)
    for name in expected:
        np.testing.assert_array_equal(got[name], expected[name], err_msg=name)


def test_bad_input_is_reported_skipped_and_the_job_goes_on(tmp_path, checkpoints, clips, capsys):
    root = tmp_path / "lasot"
    frames, boxes = clips["bear"]
    clip9 = (frames + frames[:3], np.concatenate([boxes, boxes[:3]]))
    bad = write_lasot(root, "bad-1", clip9)
    gt = bad / "groundtruth.txt"
    lines = gt.read_text().splitlines()
    lines[2] = "12,abc,30,40"  # malformed
    lines[4] = "1000,1000,20,20"  # outside the 427x240 image
    lines[5] = "10,10,0,20"  # zero size
    lines[6] = "10,10,-5,20"  # negative size
    lines[7] = "nan,nan,nan,nan"
    gt.write_text("\n".join(lines) + "\n")
    (bad / "img" / "00000002.jpg").write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    (bad / "img" / "00000004.jpg").unlink()
    short = write_lasot(root, "short-1", clips["boat"])
    (short / "groundtruth.txt").write_text("".join(short.joinpath("groundtruth.txt").read_text().splitlines(True)[:4]))
    write_lasot(root, "good-1", clips["car-turn"])
    out = tmp_path / "out"

    assert annotate("lasot", root, out, checkpoints["positive"]) == EXIT_PROBLEMS
    log = "".join(capsys.readouterr())
    for where in (f"{gt}:3", f"{gt}:5", f"{gt}:6", f"{gt}:7", f"{gt}:8", "00000002.jpg", "00000004.jpg",
                  f"{short / 'groundtruth.txt'}: 4 lines for 6 frames"):
        assert where in log, f"no message naming {where}"
    masks = read_masks(out / "lasot_masks")
    assert len(masks) == 9 + 6 + 6
    nonempty = [i for i in range(9) if masks[f"bad-1/{i + 1:08d}.png"].any()]
    assert nonempty == [0, 8]
    assert [i for i in range(6) if masks[f"short-1/{i + 1:08d}.png"].any()] == [0, 1, 2, 3]
    assert all(masks[f"good-1/{i:08d}.png"].any() for i in range(1, 7))
    assert len(list((out / "done" / "lasot").iterdir())) == 3
    (summary,) = (out / "summaries").glob("*.json")
    skipped = {r["sequence"]: r["skipped"] for r in json.loads(summary.read_text())["sequences"]}
    assert skipped == {"bad-1": 7, "good-1": 0, "short-1": 2}


def test_short_video_is_annotated_with_a_smaller_window(tmp_path, checkpoints, clips, capsys):
    root = tmp_path / "lasot"
    frames, boxes = clips["bear"]
    write_lasot(root, "tiny-1", (frames[:3], boxes[:3]))
    out = tmp_path / "out"
    args = ["lasot", "--root", str(root), "--out", str(out), "--weights", str(checkpoints["positive"]),
            "--crop-size", "64x112", "--iters", "2"]  # the paper's T = 9, Δ = 15
    assert main(args) == EXIT_OK
    assert all(m.any() for m in read_masks(out / "lasot_masks").values())
    assert "short video: 3 frames at interval 15 allow windows of at most 1 frames" in capsys.readouterr().out


def test_without_weights_uses_the_shipped_network_or_says_it_is_missing(lasot_root, checkpoints, tmp_path,
                                                                         monkeypatch, capsys):
    import shutil

    import pytracking.utils.loading as loading

    shipped = tmp_path / "networks"
    monkeypatch.setattr(loading, "SHIPPED_NETWORKS", shipped)
    out = tmp_path / "out"
    assert main(["lasot", "--root", str(lasot_root), "--out", str(out), *SMALL_ARGS]) == EXIT_USAGE
    assert f"weights {loading.DEFAULT_BOX2SEG} not found (looked at" in capsys.readouterr().err
    shipped.mkdir()
    shutil.copy(checkpoints["positive"], shipped / loading.DEFAULT_BOX2SEG)
    assert main(["lasot", "--root", str(lasot_root), "--out", str(out), "--sequences", "boat-1", *SMALL_ARGS]) == 0
    assert f"weights: {shipped / loading.DEFAULT_BOX2SEG} (the shipped default)" in capsys.readouterr().err


def test_refuses_unreadable_weights(lasot_root, tmp_path, capsys):
    out = tmp_path / "out"
    junk = tmp_path / "junk.pth.tar"
    junk.write_bytes(b"not a checkpoint")
    assert main(["lasot", "--root", str(lasot_root), "--out", str(out), "--weights", str(junk)]) == EXIT_USAGE
    assert "cannot load weights" in capsys.readouterr().err
    assert not out.exists()


def test_help(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["--help"])
    assert exit_info.value.code == 0 and "--num-shards" in capsys.readouterr().out


def test_davis_layout(davis16_root, tmp_path, checkpoints):
    root = tmp_path / "davis"
    for kind in ("JPEGImages", "Annotations"):
        src = davis16_root / kind / "240p" / "bear"
        (root / kind / "240p" / "bear").mkdir(parents=True)
        for f in sorted(src.iterdir())[:4]:
            shutil.copy(f, root / kind / "240p" / "bear" / f.name)
    out = tmp_path / "out"
    assert annotate("davis", root, out, checkpoints["positive"], "--year", "2016", "--resolution", "240p") == EXIT_OK
    assert sorted(read_masks(out / "davis_masks")) == [f"bear/{i:05d}.png" for i in range(4)]


def test_folder_cli_on_the_real_vot_bag(vot_bag_root, tmp_path, checkpoints):
    """`run.py folder` in a subprocess on the first 10 frames of VOT2015 bag (rotated-box groundtruth)."""
    frames = tmp_path / "bag"
    frames.mkdir()
    for f in sorted((vot_bag_root / "imgs").glob("*.jpg"))[:10]:
        shutil.copy(f, frames / f.name)
    boxes = tmp_path / "groundtruth.txt"
    boxes.write_text("".join((vot_bag_root / "groundtruth.txt").read_text().splitlines(True)[:10]))
    out = tmp_path / "out"
    cmd = [sys.executable, str(REPO / "pytracking/annotate/run.py"), "folder", "--root", str(frames), "--boxes",
           str(boxes), "--weights", str(checkpoints["positive"]), "--out", str(out), "--vis", *SMALL_ARGS]
    env = dict(os.environ, OMP_NUM_THREADS="1", PYTHONPATH=str(REPO))
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    masks = read_masks(out / "folder_masks")
    assert sorted(masks) == [f"bag/{i:08d}.png" for i in range(1, 11)]
    assert all(set(np.unique(m)) == {0, 1} and m.shape == (360, 480) for m in masks.values())
    assert len(list((out / "vis" / "folder" / "bag").glob("*.jpg"))) == 10
    assert (out / "vis" / "folder" / "bag.mp4").stat().st_size > 0
    assert read_png(out / "folder_masks" / "bag" / "00000001.png").dtype == np.uint8


def test_coco_masks_decode_to_the_png_masks(lasot_root, tmp_path, checkpoints):
    from pycocotools import mask as mask_utils

    out = tmp_path / "out"
    assert annotate("lasot", lasot_root, out, checkpoints["balanced"], "--format", "both") == EXIT_OK
    pngs = read_masks(out / "lasot_masks")
    for name in ("bear-1", "boat-1", "car-2"):
        document = json.loads((out / "lasot_coco" / f"{name}.json").read_text())
        # COCO's file_name is the image; the mask's name is ours
        assert [im["file_name"] for im in document["images"]] == [f"{i:08d}.jpg" for i in range(1, 7)]
        assert [im["mask_name"] for im in document["images"]] == [f"{i:08d}.png" for i in range(1, 7)]
        assert document["info"]["frames_folder"] == str(lasot_root / name.split("-")[0] / name / "img")
        for image, ann in zip(document["images"], document["annotations"]):
            assert ann["image_id"] == image["id"] and ann["category_id"] == 1
            rle = dict(ann["segmentation"], counts=ann["segmentation"]["counts"].encode("ascii"))
            decoded = mask_utils.decode(rle)
            png = pngs[f"{name}/{image['mask_name']}"]
            np.testing.assert_array_equal(decoded, png, err_msg=f"{name}/{image['mask_name']}")
            assert ann["area"] == int(png.sum()) and [image["height"], image["width"]] == list(png.shape)
    assert any(m.any() for m in pngs.values()) and any(not m.all() for m in pngs.values())
    out_coco = tmp_path / "coco_only"
    assert annotate("lasot", lasot_root, out_coco, checkpoints["balanced"], "--format", "coco") == EXIT_OK
    assert not (out_coco / "lasot_masks").exists()
    assert (out_coco / "lasot_coco" / "bear-1.json").read_text() == (out / "lasot_coco" / "bear-1.json").read_text()


def test_folder_is_the_sequence_folder(vot_bag_root, tmp_path, checkpoints, capsys):
    """The sequence folder as every tool takes it: frames in imgs/, groundtruth.txt (VOT polygons) beside;
    masks go to folder_masks/<sequence name>/, and the run says where after the weights line on stderr and
    in its last line on stdout."""
    seq = tmp_path / "bag"
    (seq / "imgs").mkdir(parents=True)
    for f in sorted((vot_bag_root / "imgs").glob("*.jpg"))[:6]:
        shutil.copy(f, seq / "imgs" / f.name)
    (seq / "groundtruth.txt").write_text("".join((vot_bag_root / "groundtruth.txt").read_text().splitlines(True)[:6]))
    out = tmp_path / "out"
    assert main(["folder", "--root", str(seq), "--out", str(out), "--weights", str(checkpoints["positive"]),
                 *SMALL_ARGS]) == EXIT_OK
    masks = read_masks(out / "folder_masks")
    assert sorted(masks) == [f"bag/{i:08d}.png" for i in range(1, 7)] and all(m.any() for m in masks.values())
    captured = capsys.readouterr()
    err = captured.err.splitlines()
    assert err[0].startswith("[box2seg] weights: ")
    assert err[1] == f"[annotate] 1 unit of folder (shard 1/1) on cpu; masks to {out / 'folder_masks' / 'bag'}"
    assert "6 frames in " in captured.out and "already done before: 0 units" in captured.out
    assert captured.out.splitlines()[-1].startswith(f"masks: {out / 'folder_masks' / 'bag'}; summary: ")
    again = ["folder", "--root", str(seq), "--out", str(out), "--weights", str(checkpoints["positive"]), *SMALL_ARGS]
    assert main(again + ["--workers", "1"]) == EXIT_OK  # settings that change only the speed: the unit is skipped
    assert "already done before: 1 unit" in capsys.readouterr().out
    assert main(again + ["--num-frames", "1", "--format", "both"]) == EXIT_USAGE  # other masks: refused, not mixed
    assert capsys.readouterr().err.splitlines()[-1] == (
        f"error: {out} holds masks of 1 unit made with other settings (e.g. bag: num_frames 3 (this run: 1), formats "
        "['png'] (this run: ['png', 'coco'])); give another --out, or --overwrite to redo them")
    moved = tmp_path / "moved.pth.tar"  # the same network elsewhere is no other setting; another network is
    shutil.copy(checkpoints["positive"], moved)
    assert main(again + ["--weights", str(moved)]) == EXIT_OK
    assert main(again + ["--weights", str(checkpoints["balanced"])]) == EXIT_USAGE
    assert "made with other settings (e.g. bag: weights_sha256 " in capsys.readouterr().err
    assert main(again + ["--num-frames", "1", "--overwrite"]) == EXIT_OK
    assert main(again + ["--num-frames", "1"]) == EXIT_OK and "already done before: 1 unit" in capsys.readouterr().out
    boxes = tmp_path / "other.txt"  # --boxes still overrides groundtruth.txt
    boxes.write_text("nan,nan,nan,nan\n" * 6)
    assert main(["folder", "--root", str(seq), "--boxes", str(boxes), "--out", str(tmp_path / "out2"), "--weights",
                 str(checkpoints["positive"]), *SMALL_ARGS]) == EXIT_OK
    assert not any(m.any() for m in read_masks(tmp_path / "out2" / "folder_masks").values())


def test_ctrl_c_says_how_to_continue(lasot_root, tmp_path, checkpoints, monkeypatch, capsys):
    from pytracking.annotate import engine

    def interrupted(self, seq, targets=None):
        raise KeyboardInterrupt
        yield

    monkeypatch.setattr(engine.Annotator, "annotate", interrupted)
    out = tmp_path / "out 'dir'"  # the command must quote it
    assert annotate("lasot", lasot_root, out, checkpoints["positive"]) == 130
    message = capsys.readouterr().err.strip().splitlines()[-1]
    assert message.startswith("[annotate] interrupted; masks so far: ") and str(out / "lasot_masks") in message
    command = message.split("continue with (finished units are skipped): ", 1)[1]
    assert shlex.split(command) == [sys.executable, str(REPO / "pytracking" / "annotate" / "run.py"), "lasot",
                                    "--root", str(lasot_root), "--out", str(out), "--weights",
                                    str(checkpoints["positive"]), *SMALL_ARGS]
    monkeypatch.setenv("RANK", "1")  # shard 2 of 2 started by torchrun: shard 1 says how to continue
    monkeypatch.setenv("WORLD_SIZE", "2")
    assert annotate("lasot", lasot_root, out, checkpoints["positive"]) == 130
    assert "continue with" not in capsys.readouterr().err

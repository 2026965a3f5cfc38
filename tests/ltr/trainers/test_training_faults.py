"""Fault injection into training: a LaSOT copy with pseudo-masks where one sequence has every kind of
damaged frame and mask. Samples drawing it are replaced, counted in the epoch statistics and listed
in train_log.jsonl, training goes on, and run_training.py exits with code 1."""
from __future__ import annotations

import json
import multiprocessing
import shutil
import sys
import types
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

sys.path.insert(0, str(Path(__file__).parent))
import faults  # noqa: E402
from tiny import tiny_settings  # noqa: E402

from ltr import run_training  # noqa: E402
from pytracking.utils.cli import EXIT_PROBLEMS  # noqa: E402
from ltr.data.image_loader import imread_mask  # noqa: E402
from ltr.data.bounding_box_utils import mask_to_box  # noqa: E402
from ltr.dataset.lasot import Lasot  # noqa: E402
from ltr.data.sampler import Box2SegSampler  # noqa: E402

FRAMES = 10


@pytest.fixture
def damaged_lasot(tmp_path, davis16_root):
    """bear-1 has a NaN box on line 5; in bear-2 every frame or its pseudo-mask is damaged.
    Returns (root, masks, damaged paths)."""
    root, masks = tmp_path / "lasot", tmp_path / "masks"
    images, annos = (davis16_root / d / "240p" / "bear" for d in ("JPEGImages", "Annotations"))
    for name in ("bear-1", "bear-2"):
        seq = root / "bear" / name
        (seq / "img").mkdir(parents=True)
        (masks / name).mkdir(parents=True)
        lines = []
        for i in range(FRAMES):
            shutil.copy(images / f"{i:05d}.jpg", seq / "img" / f"{i + 1:08d}.jpg")
            mask = imread_mask(annos / f"{i:05d}.png")
            Image.fromarray(mask.astype(np.uint8)).save(masks / name / f"{i + 1:08d}.png")
            lines.append(",".join(f"{v:g}" for v in mask_to_box(mask)))
        (seq / "groundtruth.txt").write_text("\n".join(lines) + "\n")
        for flags in ("full_occlusion.txt", "out_of_view.txt"):
            (seq / flags).write_text(",".join("0" * FRAMES) + "\n")
    faults.set_line(root / "bear" / "bear-1" / "groundtruth.txt", 5, faults.BAD_BOX_LINES["nan"])
    bad = root / "bear" / "bear-2" / "img"
    damages = list(faults.FRAME_FAULTS.values()) + [faults.MASK_FAULTS[k] for k in ("truncated", "wrong-size",
                                                                                    "values-255", "not-an-image")]
    damaged = set()
    for i in range(FRAMES):
        damage = damages[i % len(damages)]
        is_mask = damages.index(damage) >= len(faults.FRAME_FAULTS)
        damaged.add(damage((masks / "bear-2" if is_mask else bad) / f"{i + 1:08d}.{'png' if is_mask else 'jpg'}"))
    return root, masks, damaged


def test_damaged_samples_are_replaced_counted_logged_and_training_goes_on(tmp_path, damaged_lasot, monkeypatch,
                                                                        capsys, one_thread):
    """run_training.py with a setting whose data is damaged: exit code 1, the log lists every replacement
    and the bad annotation."""
    root, masks, damaged = damaged_lasot
    workspace = tmp_path / "ws"
    settings = tiny_settings(workspace, train_datasets=lambda s: [(Lasot(root, mask_root=masks), 1.0)])
    setting = types.ModuleType("ltr.train_settings.box2seg.faulty_test")
    setting.configure = lambda s: vars(s).update(vars(settings))
    monkeypatch.setitem(sys.modules, setting.__name__, setting)
    monkeypatch.setattr(multiprocessing, "set_start_method", lambda *args, **kwargs: None)  # leave pytest's alone
    with pytest.warns(UserWarning, match="bear-2"), pytest.warns(UserWarning, match="groundtruth.txt:5"):
        code = run_training.main(["box2seg", "faulty_test", "--workspace", str(workspace)])

    assert code == EXIT_PROBLEMS
    err = capsys.readouterr().err
    assert "replaced because their data could not be read" in err and "train_log.jsonl" in err
    assert "and 1 bad annotation;" in err
    checkpoints = workspace / "checkpoints" / settings.project_path
    assert (checkpoints / "Box2SegNet_ep0001.pth.tar").is_file()  # training went on
    log = json.loads((checkpoints / "train_log.jsonl").read_text())
    replaced = log["replaced_samples"]
    assert log["Data/replaced_samples"] == len(replaced) > 0
    gt = root / "bear" / "bear-1" / "groundtruth.txt"
    assert log["annotation_problems"] == [f"{gt}:5: NaN or infinite value"] and log["Data/annotation_problems"] == 1
    assert all("'bear-2'" in message and any(f"{path} " in message for path in damaged) for message in replaced)
    # Every replacement of the epoch and nothing else: the sampler's draws, recomputed without training.
    sampler = Box2SegSampler([Lasot(root, mask_root=masks)], samples_per_epoch=settings.samples_per_epoch,
                               num_frames=settings.num_frames, max_gap=settings.max_gap, seed=settings.seed)
    with pytest.warns(UserWarning):
        samples = [sampler[i] for i in range(settings.samples_per_epoch)]
    assert replaced == [message for sample in samples for message in sample["replaced"]]
    assert {sample["sequence"] for sample in samples} == {"bear-1"}

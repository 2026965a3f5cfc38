"""Objects of a video tracked together: LWL's soft aggregation on a hand-made case, and the runner's
merged, mutually exclusive masks on a synthetic two-object video."""
from __future__ import annotations

import io
import json
from pathlib import Path
from typing import List

import cv2
import numpy as np
import pytest
from PIL import Image

from ltr.dataset.davis import read_davis
from pytracking.evaluation.running import ResultLayout, ground_truth_mask, run_sequences
from pytracking.run_tracker import main
from pytracking.tracker.base import TrackerOutput, soft_aggregate
from pytracking.utils.cli import Progress


def test_soft_aggregation_on_four_hand_computed_pixels():
    # pixels:     A: both likely   B: both unlikely   C: object 1 sure   D: two weak objects
    p1 = np.array([[0.6, 0.3], [0.9, 0.45]])
    p2 = np.array([[0.7, 0.2], [0.05, 0.45]])
    labels, merged = soft_aggregate(np.stack([p1, p2]))
    # background = (1 - p1)(1 - p2): A 0.4*0.3 = 0.12, B 0.7*0.8 = 0.56, C 0.1*0.95 = 0.095, D 0.55^2 = 0.3025.
    # Odds p / (1 - p) of (background, object 1, object 2):
    #   A (0.12/0.88, 1.5, 7/3) -> 2;  B (0.56/0.44, 3/7, 0.25) -> 0;  C (0.095/0.905, 9, 1/19) -> 1;
    #   D (0.3025/0.6975, 9/11, 9/11) -> a tie of the two objects, the lower label: 1.
    # (Thresholding each object at 0.5 would give A to both objects and D to neither.)
    np.testing.assert_array_equal(labels, [[2, 0], [1, 1]])
    odds_a = np.array([0.12 / 0.88, 1.5, 7 / 3])
    np.testing.assert_allclose(merged[:, 0, 0], odds_a / odds_a.sum())
    np.testing.assert_allclose(merged.sum(axis=0), np.ones((2, 2)))


def test_one_object_is_its_mask_at_one_half():
    p = np.array([[0.49, 0.51, 0.0, 1.0]])
    labels, _ = soft_aggregate(p[None])
    np.testing.assert_array_equal(labels, [[0, 1, 0, 1]])


class FixedTracker:
    """Says each object covers its first-frame box, with probability 0.8 (object 1) and 0.9 (object 2)."""

    def initialize(self, image: np.ndarray, mask: np.ndarray, box: np.ndarray) -> TrackerOutput:
        x, y, w, h = (int(v) for v in box)
        self.prob = np.zeros(image.shape[:2], np.float32)
        self.prob[y:y + h + 4, x:x + w + 4] = 0.8 if x < 30 else 0.9  # object 1 lies left, object 2 right
        self.box = np.asarray(box, float)
        self.merged_probs: List[np.ndarray] = []
        return TrackerOutput(mask.astype(bool), self.box, mask.astype(np.float32))

    def track(self, image: np.ndarray) -> TrackerOutput:
        return TrackerOutput(self.prob > 0.5, self.box, self.prob)

    def merged(self, prob: np.ndarray) -> None:
        self.merged_probs.append(prob)


@pytest.fixture
def two_objects(tmp_path: Path) -> Path:
    """A DAVIS-2017 video: object 1 at rows 10-19, columns 10-29 from frame 0; object 2 at rows 10-19,
    columns 30-49 from frame 1 (so object 1's padded box overlaps it)."""
    for sub in ("JPEGImages", "Annotations"):
        (tmp_path / sub / "480p" / "pair").mkdir(parents=True)
    for t in range(4):
        labels = np.zeros((40, 60), np.uint8)
        labels[10:20, 10:30] = 1
        if t >= 1:
            labels[10:20, 30:50] = 2
        cv2.imwrite(str(tmp_path / "JPEGImages" / "480p" / "pair" / f"{t:05d}.jpg"), np.full((40, 60, 3), 90, np.uint8))
        Image.fromarray(labels).save(tmp_path / "Annotations" / "480p" / "pair" / f"{t:05d}.png")
    return tmp_path


def read_mask(path: Path) -> np.ndarray:
    return np.array(Image.open(path)) > 0


@pytest.mark.parametrize("together", [True, False])
def test_objects_tracked_together_get_exclusive_masks(two_objects, tmp_path, together):
    (video,) = read_davis(two_objects, "2017", sequences=["pair"])
    layout = ResultLayout(tmp_path / "results", tmp_path / "masks")
    layout.results_dir.mkdir()
    sequences = [video] if together else video.targets()
    trackers: List[FixedTracker] = []

    def make() -> FixedTracker:
        trackers.append(FixedTracker())
        return trackers[-1]

    quiet = Progress(len(sequences), "test", stream=io.StringIO())
    run = run_sequences(make, sequences, "vos", ground_truth_mask, layout, quiet)
    assert [r["sequence"] for r in run["sequences"]] == ["pair_1", "pair_2"] and not run["failed"]
    assert [r["initial_frame"] for r in run["sequences"]] == [0, 1]
    first: List[np.ndarray] = [read_mask(layout.mask_dir(f"pair_{k}") / "00000.png") for k in (1, 2)]
    assert first[0].sum() == 200 and not first[1].any()  # object 2 is not there yet
    later = [read_mask(layout.mask_dir(f"pair_{k}") / "00002.png") for k in (1, 2)]
    overlap = later[0] & later[1]
    # Object 1's probability 0.8 covers rows 10-23, columns 10-33; object 2's 0.9 rows 10-23, columns 30-53.
    # Where both claim a pixel, object 2 wins (odds 9 against 4) when merged; separately both keep it.
    assert overlap.sum() == (0 if together else 14 * 4)
    assert later[1][10:24, 30:54].all() and later[0][10:24, 10:30].all()
    assert later[0][10:24, 30:34].any() != together
    if together:  # each tracker is handed its object's merged probability of every frame it took part in
        assert [len(t.merged_probs) for t in trackers] == [4, 3]
        odds = np.array([0.02 / 0.98, 4, 9])  # background (1 - 0.8)(1 - 0.9), object 1 0.8, object 2 0.9
        assert trackers[0].merged_probs[-1][10, 31] == pytest.approx(odds[1] / odds.sum())
        assert trackers[1].merged_probs[-1][10, 31] == pytest.approx(odds[2] / odds.sum())


def test_run_tracker_tracks_davis2017_objects_together_or_separately(two_objects, env, tiny_lwl, one_thread):
    (two_objects / "ImageSets" / "2017").mkdir(parents=True)
    (two_objects / "ImageSets" / "2017" / "val.txt").write_text("pair\n")
    base = ["lwl", "default", "--network", str(tiny_lwl), "--dataset", "davis2017_val", "--root", str(two_objects)]
    for objects in ("together", "separate"):
        assert main(base + ["--objects", objects, "--name", objects]) == 0
        results = env["results"] / "lwl" / objects
        assert json.loads((results / "run.json").read_text())["objects"] == objects
        assert all(len((results / f"pair_{k}.txt").read_text().splitlines()) == 4 for k in (1, 2))
    masks = {objects: [np.stack([read_mask(env["segmentation"] / "lwl" / objects / f"pair_{k}" / f"{t:05d}.png")
                                 for t in range(4)]) for k in (1, 2)] for objects in ("together", "separate")}
    assert not (masks["together"][0] & masks["together"][1]).any()
    assert not masks["together"][1][0].any() and not masks["separate"][1][0].any()  # object 2 starts at frame 1

"""Windows, crop geometry, sources, shard/device selection and statistics (no network)."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from ltr.data.bounding_box_utils import box_region
from pytracking.annotate.run import resolve_shard
from pytracking.annotate.settings import parse_size
from pytracking.annotate.sources import FolderSource, make_source
from pytracking.annotate.windows import lattice_windows, max_window, window
from pytracking.annotate.writer import format_table, frame_stats
from pytracking.features.preprocessing import crop_frame, paste_mask
from pytracking.utils.cli import UsageError, pick_device


def test_window_centred_shifted_at_the_ends_and_skipping_invisible():
    usable = np.ones(200, bool)
    assert window(100, 200, 9, 15, usable) == [100, 85, 70, 55, 40, 115, 130, 145, 160]
    assert window(0, 200, 9, 15, usable) == [0] + [15 * k for k in range(1, 9)]
    assert window(190, 200, 9, 15, usable) == [190] + [190 - 15 * k for k in range(1, 9)]
    assert window(195, 200, 9, 15, usable) == [195, 180, 165, 150, 135, 120, 105, 90, 75]
    usable[[85, 130]] = False
    assert window(100, 200, 9, 15, usable) == [100, 70, 55, 40, 115, 145, 160]  # slots consumed, not replaced


def test_short_sequences_shrink_the_window():
    usable = np.ones(20, bool)
    assert window(3, 20, 9, 15, usable) == [3, 18]
    assert window(7, 20, 9, 15, usable) == [7]
    assert max_window(20, 9, 15) == 2 and max_window(200, 9, 15) == 9


def test_lattice_windows_share_a_residue_and_move_forward():
    usable = np.ones(100, bool)
    usable[40] = False
    windows = lattice_windows(10, 100, 5, 15, usable)
    assert [w[0] for w in windows] == [10, 25, 55, 70, 85]
    assert all(f % 15 == 10 for w in windows for f in w)
    firsts = [min(w) for w in windows]
    assert firsts == sorted(firsts)


def test_parse_size():
    assert parse_size("480x832") == (480, 832)
    for bad in ("480", "480x830", "0x16", "axb"):
        with pytest.raises(ValueError, match="crop size"):
            parse_size(bad)


@pytest.mark.parametrize("box", [[20.0, 30.0, 40.0, 25.0], [0.0, 0.0, 300.0, 200.0], [280.0, 190.0, 19.5, 9.5],
                                 [-10.0, 50.0, 30.0, 40.0]])
def test_crop_maps_the_box_and_positive_logits_paste_back_to_the_box_pixels(box):
    """With logits > 0 everywhere the pasted mask is exactly the box's pixels (clipped to the image)."""
    image = np.random.default_rng(0).integers(0, 255, (200, 300, 3), dtype=np.uint8)
    patch, crop = crop_frame(image, box, (64, 112), 4.0, 16)
    assert patch.shape == (64, 112, 3) and patch.dtype == np.uint8
    in_crop = crop.box_to_crop(box)
    if box[0] >= 0:  # the box lies inside the crop region
        assert in_crop[0] >= -1e-6 and in_crop[1] >= -1e-6
        assert in_crop[0] + in_crop[2] <= 112 + 1e-6 and in_crop[1] + in_crop[3] <= 64 + 1e-6
    mask = paste_mask(torch.ones(64, 112), crop, (200, 300), box).numpy()
    y0, y1, x0, x1 = box_region(box, (200, 300))
    expected = np.zeros((200, 300), bool)
    expected[y0:y1, x0:x1] = True
    np.testing.assert_array_equal(mask, expected)


def test_paste_back_keeps_the_box_encoders_pixels():
    """The pasted mask is limited to the pixels the box encoder gives the box, which changed it for
    fractional boxes: x = 10.6, w = 5.6 was columns [11, 16) (rounding each end) and is [10, 15)."""
    image = np.zeros((40, 60, 3), np.uint8)
    box = [10.6, 12.0, 5.6, 9.0]
    _, crop = crop_frame(image, box, (64, 112), 4.0, 16)
    mask = paste_mask(torch.ones(64, 112), crop, (40, 60), box).numpy()
    assert np.flatnonzero(mask.any(0)).tolist() == list(range(10, 15))
    assert np.flatnonzero(mask.any(1)).tolist() == list(range(12, 21))


def test_crop_samples_the_box_content():
    """A bright square inside the box lands where box_to_crop says."""
    image = np.zeros((240, 427, 3), np.uint8)
    image[100:140, 200:260] = 255
    box = [200, 100, 60, 40]
    patch, crop = crop_frame(image, box, (64, 112), 4.0, 16)
    x, y, w, h = crop.box_to_crop(box)
    inside = patch[int(y) + 1:int(y + h) - 1, int(x) + 1:int(x + w) - 1]
    assert inside.min() > 200 and patch.mean() < 255 / 4


def test_resolve_shard_from_arguments_torchrun_and_slurm():
    assert resolve_shard(None, None, {}) == (0, 1)
    assert resolve_shard(1, 3, {"RANK": "0", "WORLD_SIZE": "2"}) == (1, 3)
    assert resolve_shard(None, None, {"RANK": "1", "WORLD_SIZE": "2"}) == (1, 2)
    assert resolve_shard(None, None, {"SLURM_PROCID": "3", "SLURM_NTASKS": "4"}) == (3, 4)
    for shard, count in ((2, 2), (None, 2)):
        with pytest.raises(UsageError):
            resolve_shard(shard, count, {})


def test_device_defaults_to_cpu_without_cuda():
    assert pick_device("cpu", {}) == torch.device("cpu")
    if not torch.cuda.is_available():
        assert pick_device(None, {"LOCAL_RANK": "3"}) == torch.device("cpu")


def test_davis_source_boxes_are_the_tight_boxes_of_the_masks(davis16_root, clips):
    source, units = make_source("davis", davis16_root, ["bear"], year="2016", resolution="240p")
    assert units == ["bear"]
    (seq,) = source.load("bear")
    assert seq.name == "bear" and seq.mask_names[0] == "00000.png" and seq.visible.all()
    np.testing.assert_array_equal(seq.boxes[:6], clips["bear"][1])


def _labels(frame: int) -> np.ndarray:
    lab = np.zeros((48, 64), np.uint8)
    lab[10:20, 5 + frame:15 + frame] = 1
    if frame < 10:
        lab[30:40, 40:50] = 2
    return lab


def test_youtubevos_source_one_sequence_per_object_on_annotated_frames(tmp_path):
    split = tmp_path / "train"
    for folder in ("JPEGImages/v1", "Annotations/v1"):
        (split / folder).mkdir(parents=True)
    for frame in (0, 1, 5, 10):
        Image.fromarray(np.full((48, 64, 3), 100, np.uint8)).save(split / "JPEGImages/v1" / f"{frame:05d}.jpg")
        if frame != 1:  # YouTube-VOS annotates only some frames
            label = Image.fromarray(_labels(frame))
            label.putpalette([0, 0, 0, 255, 0, 0, 0, 255, 0] + [0] * 759)
            label.save(split / "Annotations/v1" / f"{frame:05d}.png")
    source, units = make_source("youtubevos", tmp_path)
    assert units == ["v1"]
    first, second = source.load("v1")
    assert (first.name, second.name) == ("v1_1", "v1_2")
    assert first.mask_names == ["00000.png", "00005.png", "00010.png"]
    assert list(second.visible) == [True, True, False]
    np.testing.assert_array_equal(first.boxes[1], [10, 10, 10, 10])


def test_folder_source_no_box_lines_are_not_errors(tmp_path):
    frames = tmp_path / "frames"
    frames.mkdir()
    for i in range(6):
        Image.fromarray(np.zeros((20, 30, 3), np.uint8)).save(frames / f"f{i}.jpg")
    boxes = tmp_path / "boxes.txt"
    boxes.write_text("1,2,5,5\n\nnan,nan,nan,nan\n1,2,0,5\n1,2,-3,5\n1,x,3,3\n")
    (seq,) = FolderSource(frames, boxes).load("frames")
    assert list(seq.visible) == [True, False, False, False, False, False]
    assert seq.skipped == 2 and len(seq.problems) == 2
    assert f"{boxes}:5" in seq.problems[0] and f"{boxes}:6" in seq.problems[1]


def test_frame_stats_flags_empty_and_misplaced_masks():
    mask = np.zeros((50, 50), bool)
    box = [10, 10, 20, 20]
    assert frame_stats(mask, box) == (0.0, True)
    mask[10:30, 10:30] = True
    assert frame_stats(mask, box) == (1.0, False)
    mask[:] = False
    mask[10:14, 10:14] = True
    fill, suspicious = frame_stats(mask, box)
    assert fill == pytest.approx(16 / 400) and suspicious


def test_the_summary_table_says_what_its_columns_mean():
    record = {"sequence": "bag", "frames": 196, "masks": 196, "skipped": 0, "mean_fill": 0.58, "suspicious": ["a"] * 6}
    header, row, *legend = format_table([record]).splitlines()
    assert row.split() == ["bag", "196", "196", "0", "0.58", "6"]
    legend = " ".join(line.strip() for line in legend)
    assert "fill: the mean share of the box's pixels in the mask" in legend
    assert "suspicious: masks that are empty or whose tight box overlaps the given box with IoU < 0.5" in legend


def test_settings_default_to_what_the_checkpoint_was_trained_for():
    from types import SimpleNamespace

    from ltr.models.inference import InferenceRecord
    from pytracking.annotate.engine import AnnotateSettings, settings_for

    net = SimpleNamespace(inference=InferenceRecord((192, 320), 3.0, "lite", "double_backward"))
    s = settings_for(net, num_frames=5, search_area=None, solver=None)
    assert (s.crop_size, s.search_area, s.solver, s.num_frames) == ((192, 320), 3.0, "double_backward", 5)
    assert settings_for(net, crop_size=(64, 96)).crop_size == (64, 96)  # the command line wins
    assert settings_for(net, solver="gemm").solver == "gemm"
    paper = AnnotateSettings()
    assert settings_for(SimpleNamespace(inference=None)).search_area == paper.search_area == 4.0

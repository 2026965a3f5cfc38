"""Tolerant annotation parsers: bad lines become 'no box' / padded flags with messages naming
the file and the 1-based line; only a missing file raises."""
from __future__ import annotations

import numpy as np
import pytest

from ltr.data.tracking_files import read_boxes, read_flags, read_ints


def test_read_boxes_separators_polygons_and_bad_lines(tmp_path):
    path = tmp_path / "groundtruth.txt"
    path.write_text("1,2,3,4\n5\t6\t7\t8\n9 10 11 12\n\nNaN,1,2,3\n1,2,0,5\n1,2,3\nx,1,2,3\n"
                    "0,0,4,0,4,2,0,2\n1.5,2.5,3.5,4.5\n\n")
    boxes, problems = read_boxes(path)
    assert boxes.shape == (10, 4)  # the trailing blank line is not a frame
    np.testing.assert_array_equal(boxes[[0, 1, 2, 8, 9]],
                                  [[1, 2, 3, 4], [5, 6, 7, 8], [9, 10, 11, 12], [0, 0, 4, 2], [1.5, 2.5, 3.5, 4.5]])
    bad = np.flatnonzero(np.isnan(boxes).any(1))
    assert bad.tolist() == [3, 4, 5, 6, 7] and np.isnan(boxes[bad]).all()
    assert len(problems) == len(bad)
    for line, msg, problem in zip(bad + 1, ["empty", "NaN", "zero or negative", "got 3", "non-numeric"], problems):
        assert problem.startswith(f"{path}:{line}: ") and msg in problem


def test_read_boxes_real_vot_polygons(vot_bag_root):
    boxes, problems = read_boxes(vot_bag_root / "groundtruth.txt")
    assert boxes.shape == (196, 4) and not problems
    np.testing.assert_allclose(boxes[0], [291.827, 124.711, 442.173 - 291.827, 264.289 - 124.711])


def test_read_flags_lasot_single_line_and_short_file(tmp_path):
    path = tmp_path / "out_of_view.txt"
    path.write_text("0,1,0,0,1")
    flags, problems = read_flags(path, 5)
    assert flags.tolist() == [False, True, False, False, True] and not problems
    flags, problems = read_flags(path, 7)
    assert flags.tolist()[5:] == [True, True] and len(problems) == 1 and "5 values for 7 frames" in problems[0]
    flags, problems = read_flags(path, 3)
    assert flags.tolist() == [False, True, False] and "ignoring the last 2" in problems[0]


def test_read_ints_got10k_one_per_line_with_bad_value(tmp_path):
    path = tmp_path / "cover.label"
    path.write_text("8\n3\nx\n2.5\n0\n")
    cover, problems = read_ints(path, 6, fill=0)
    assert cover.tolist() == [8, 3, 0, 0, 0, 0] and len(problems) == 3
    assert problems[0].startswith(f"{path}:3: ") and problems[1].startswith(f"{path}:4: ")
    absent, problems = read_flags(path, 5, fill=True)
    assert absent.tolist() == [True, True, True, True, False]


def test_missing_file_raises(tmp_path):
    with pytest.raises(FileNotFoundError, match="groundtruth.txt"):
        read_boxes(tmp_path / "groundtruth.txt")
    with pytest.raises(FileNotFoundError, match="absence.label"):
        read_flags(tmp_path / "absence.label", 3)

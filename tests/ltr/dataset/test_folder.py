"""A folder's groundtruth.txt: which lines declare 'no box' and which are broken."""
import cv2
import numpy as np

from ltr.dataset.folder import read_folder

LINES = ["10,20,30,40", "", "nan,nan,nan,nan", "5 5 0 9", "nan,1,2", "10,nan,20,30", "1,2,3,4,5,6,7,8"]


def test_no_box_is_empty_all_nan_or_zero_size_and_a_line_mixing_nan_and_numbers_is_a_problem(tmp_path):
    for i in range(len(LINES)):
        cv2.imwrite(str(tmp_path / f"{i:05d}.png"), np.zeros((8, 8, 3), np.uint8))
    (tmp_path / "groundtruth.txt").write_text("\n".join(LINES) + "\n")
    seq = read_folder(tmp_path, tmp_path / "groundtruth.txt")
    assert [p.split(": ", 1)[0] for p in seq.problems] == [f"{tmp_path / 'groundtruth.txt'}:{k}" for k in (5, 6)]
    assert seq.skipped == 2
    np.testing.assert_array_equal(seq.boxes[0], [10, 20, 30, 40])
    np.testing.assert_array_equal(seq.boxes[6], [1, 2, 6, 6])  # the polygon's min/max box

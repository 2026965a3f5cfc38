"""The one place that decides whether an image file is intact: damaged JPEGs and PNGs are refused
with the file named, whatever decoder would have read them; every real frame and mask passes."""
from __future__ import annotations

import shutil
import types
from pathlib import Path

import cv2
import numpy as np
import pytest

import faults
from ltr.data import image_loader
from ltr.data.image_loader import (ImageReadError, check_mask_size, image_damage, imread_binary_mask, imread_indexed,
                                   imread_rgb)


@pytest.fixture
def frame(tmp_path, davis16_root) -> Path:
    path = tmp_path / "frame.jpg"
    shutil.copy(davis16_root / "JPEGImages" / "240p" / "bear" / "00003.jpg", path)
    return path


@pytest.fixture
def mask(tmp_path, davis16_root) -> Path:
    path = tmp_path / "mask.png"
    shutil.copy(davis16_root / "Annotations" / "240p" / "bear" / "00003.png", path)
    return path


def test_every_shared_frame_and_mask_is_intact(davis16_root, vot_bag_root):
    files = [p for root in (davis16_root, vot_bag_root) for p in root.rglob("*") if p.suffix in (".jpg", ".png")]
    assert len(files) > 4000
    assert [p for p in files if image_damage(p.read_bytes())] == []


@pytest.mark.parametrize("fault", sorted(faults.FRAME_FAULTS) + ["missing"])
def test_damaged_frames_are_refused_naming_the_file(frame, fault, monkeypatch):
    damage = faults.missing if fault == "missing" else faults.FRAME_FAULTS[fault]
    damage(frame)
    # A decoder that accepts anything (OpenCV's imread of a truncated JPEG returns a half-grey frame):
    # the integrity check alone must refuse the file.
    monkeypatch.setattr(image_loader, "_decode_rgb", lambda data: np.zeros((240, 427, 3), np.uint8))
    if fault == "not-an-image":
        monkeypatch.undo()  # text has no signature to check: the real decoder must refuse it
    with pytest.raises(ImageReadError, match=str(frame)):
        imread_rgb(frame)


def test_every_truncation_of_a_jpeg_and_a_png_is_caught(frame, mask):
    for path in (frame, mask):
        data = path.read_bytes()
        signature = 8 if path.suffix == ".png" else 2
        missed = [k for k in range(signature, len(data)) if not image_damage(data[:k])]
        assert missed == [], f"{path.name}: cuts at {missed[:5]} pass"


def test_jpeg4py_decodes_the_checked_bytes(frame, monkeypatch):
    """When jpeg4py is installed it decodes the buffer that passed the check (never a damaged file)."""
    decoded = []

    class FakeJPEG:
        def __init__(self, data):
            self.data = data

        def decode(self):
            decoded.append(self.data.tobytes())
            return np.zeros((2, 3, 3), np.uint8)

    monkeypatch.setattr(image_loader, "_jpeg4py", types.SimpleNamespace(JPEG=FakeJPEG))
    assert imread_rgb(frame).shape == (2, 3, 3) and decoded == [frame.read_bytes()]
    faults.truncate(frame)
    with pytest.raises(ImageReadError, match="truncated"):
        imread_rgb(frame)
    assert len(decoded) == 1


def test_exif_thumbnail_does_not_hide_a_truncated_image(frame):
    """A thumbnail in APP1 ends with its own FFD9; the check needs the EOI after the main image's scan."""
    data = frame.read_bytes()
    _, thumb = cv2.imencode(".jpg", np.zeros((8, 8, 3), np.uint8))
    app1 = b"Exif\0\0" + thumb.tobytes()
    with_thumb = data[:2] + b"\xff\xe1" + (len(app1) + 2).to_bytes(2, "big") + app1 + data[2:]
    assert image_damage(with_thumb) == ""
    assert "truncated" in image_damage(with_thumb[:len(with_thumb) * 2 // 3])


def test_bytes_after_the_end_marker_are_allowed(frame):
    """Cameras pad files or append trailers after EOI; the image is complete and decodes unchanged."""
    expected = imread_rgb(frame)
    frame.write_bytes(frame.read_bytes() + b"\0" * 512 + b"TRAILER")
    np.testing.assert_array_equal(imread_rgb(frame), expected)


def test_a_png_named_jpg_is_read(frame, mask):
    """Signatures, not names, decide the format."""
    labels = imread_indexed(mask)
    shutil.copy(mask, frame)
    assert imread_rgb(frame).shape == labels.shape + (3,)


@pytest.mark.parametrize("fault", sorted(faults.MASK_FAULTS))
def test_damaged_masks(mask, fault):
    where = faults.MASK_FAULTS[fault](mask)
    if fault == "wrong-size":
        with pytest.raises(ImageReadError, match=rf"{where} is 214x120, its frame f.jpg is 427x240"):
            check_mask_size(imread_indexed(mask), (240, 427), mask, "f.jpg")
    elif fault == "values-255":
        assert imread_indexed(mask).max() == 255  # a valid PNG, but not a pseudo-mask
        with pytest.raises(ImageReadError, match=rf"{where} holds values \[0, 255\]"):
            imread_binary_mask(mask)
    else:
        with pytest.raises(ImageReadError, match=where):
            imread_indexed(mask)


def test_binary_masks_and_sizes_that_fit(mask):
    labels = imread_indexed(mask)
    assert set(np.unique(labels)) == {0, 255}
    faults.rewrite_png(mask, lambda lab: (lab > 0).astype(np.uint8))
    np.testing.assert_array_equal(imread_binary_mask(mask), labels > 0)
    check_mask_size(labels, labels.shape, mask, "f.jpg")

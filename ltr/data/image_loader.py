"""Image and mask readers: jpeg4py when installed (fast), OpenCV otherwise; PIL for palette masks.

Every reader goes through ``read_image_file``, the one place that decides whether a file is intact:
decoders accept damaged files too readily (OpenCV and libjpeg turn a truncated JPEG into a frame
whose missing part is grey, with only a warning on stderr), so the bytes are checked first. A JPEG
must start with SOI, its marker segments must be complete up to the first scan, and an EOI marker
must follow that scan (bytes after EOI, such as padding or a trailer some cameras append, are
allowed); a PNG must start with the PNG signature and contain the IEND chunk. This costs a few
microseconds per frame, next to a millisecond or more of decoding.
"""
from __future__ import annotations

import io
from pathlib import Path
from typing import Optional, Tuple, Union

import cv2
import numpy as np
from PIL import Image


def _usable_jpeg4py():
    """jpeg4py if it is installed AND its libturbojpeg loads (pip installs it without the library)."""
    try:
        import jpeg4py
        from jpeg4py import _cffi

        _cffi.initialize()  # raises OSError when libturbojpeg is missing
        return jpeg4py
    except Exception:  # ImportError, OSError: fall back to OpenCV
        return None


_jpeg4py = _usable_jpeg4py()

PathLike = Union[str, Path]

JPEG_SOI, JPEG_EOI, JPEG_SOS = b"\xff\xd8", b"\xff\xd9", 0xDA
_JPEG_STANDALONE = {0x01} | set(range(0xD0, 0xD8))  # TEM and RSTn carry no length field
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
PNG_IEND = b"\x00\x00\x00\x00IEND\xaeB`\x82"  # the IEND chunk: length 0, type, CRC


class ImageReadError(IOError):
    """An image or mask file that is missing, damaged, or does not fit its frame; the message names the file."""


def _jpeg_damage(data: bytes) -> str:
    """Why a JPEG (``data`` starts with SOI) is damaged, or '' when its structure is complete."""
    pos, end = 2, len(data)
    while True:  # walk the marker segments up to the first scan
        if pos + 1 >= end:
            return "truncated in its headers"
        if data[pos] != 0xFF:
            return f"no marker at byte {pos} of its headers"
        while pos + 1 < end and data[pos + 1] == 0xFF:  # fill bytes
            pos += 1
        marker = data[pos + 1] if pos + 1 < end else None
        if marker == JPEG_SOS:
            break
        if marker in _JPEG_STANDALONE:
            pos += 2
            continue
        if marker is None or pos + 4 > end:
            return "truncated in its headers"
        pos += 2 + int.from_bytes(data[pos + 2:pos + 4], "big")
    # Entropy-coded data never contains FF D9 (a data byte FF is followed by 00), so the image is
    # complete iff an EOI follows the first scan; an EXIF thumbnail's EOI lies before it.
    if data.rfind(JPEG_EOI) <= pos:
        return "truncated (no end-of-image marker FFD9 after the image data)"
    return ""


def image_damage(data: bytes) -> str:
    """Why the bytes of an image file cannot be an intact image, or '' when they may be one.

    JPEG and PNG are recognised by their signatures, not by the file name; other formats are left
    to the decoder.
    """
    if not data:
        return "empty file"
    if data.startswith(JPEG_SOI):
        return _jpeg_damage(data)
    if data.startswith(PNG_SIGNATURE):
        return "" if data.rfind(PNG_IEND) > len(PNG_SIGNATURE) else "truncated PNG (no IEND chunk)"
    return ""


def read_image_file(path: PathLike, what: str = "image") -> np.ndarray:
    """The bytes of an image file (uint8 array) after the integrity check; ImageReadError naming the file."""
    try:
        data = np.fromfile(str(path), dtype=np.uint8)
    except (OSError, ValueError) as err:  # missing, a directory, unreadable
        raise ImageReadError(f"cannot read {what} {path} ({getattr(err, 'strerror', None) or err})") from None
    damage = image_damage(data.tobytes())
    if damage:
        raise ImageReadError(f"cannot read {what} {path} ({damage})")
    return data


def _decode_rgb(data: np.ndarray) -> Optional[np.ndarray]:
    if _jpeg4py is not None and data[:2].tobytes() == JPEG_SOI:
        try:
            return _jpeg4py.JPEG(data).decode()
        except Exception:
            pass  # fall back to OpenCV, which also reports the failure below
    try:
        im = cv2.imdecode(data, cv2.IMREAD_COLOR)
    except cv2.error:
        return None
    return None if im is None else cv2.cvtColor(im, cv2.COLOR_BGR2RGB)


def imread_rgb(path: PathLike) -> np.ndarray:
    """Read an image as HxWx3 uint8 RGB; raises ImageReadError naming the file on failure."""
    image = _decode_rgb(read_image_file(path))
    if image is None:
        raise ImageReadError(f"cannot read image {path} (not an image the decoder understands)")
    return image


def imread_indexed(path: PathLike) -> np.ndarray:
    """Read an annotation PNG as HxW uint8 labels (palette indices; channel 0 of a colour image)."""
    data = read_image_file(path, "mask")
    # PIL keeps palette indices (OpenCV would expand a palette PNG to colours).
    try:
        with Image.open(io.BytesIO(data.tobytes())) as im:
            arr = np.array(im)
    except (OSError, ValueError, SyntaxError) as err:
        raise ImageReadError(f"cannot read mask {path} (corrupt: {err})") from None
    return np.atleast_3d(arr)[..., 0]


def imread_mask(path: PathLike, threshold: Optional[int] = None) -> np.ndarray:
    """Read a binary mask PNG as HxW bool: foreground is any non-zero value (or > threshold)."""
    im = imread_indexed(path)
    return im > (0 if threshold is None else threshold)


def imread_binary_mask(path: PathLike) -> np.ndarray:
    """Read a pseudo-mask PNG (pytracking's pregenerated masks: 0 background, 1 target) as HxW bool;
    any other value means the file is not such a mask (ImageReadError)."""
    labels = imread_indexed(path)
    if labels.max(initial=0) > 1:
        values = np.unique(labels)
        raise ImageReadError(f"mask {path} holds values {values[:8].tolist()}; a pseudo-mask holds 0 and 1 only")
    return labels > 0


def check_mask_size(mask: np.ndarray, size: Tuple[int, int], path: PathLike, frame: PathLike) -> None:
    """ImageReadError unless ``mask`` (read from ``path``) has the (H, W) ``size`` of its frame."""
    if mask.shape[:2] != tuple(size):
        raise ImageReadError(f"mask {path} is {mask.shape[1]}x{mask.shape[0]}, its frame {frame} is "
                             f"{size[1]}x{size[0]}")


def image_size(path: PathLike) -> Optional[Tuple[int, int]]:
    """(H, W) from the image header only (no decoding), or None if it cannot be read."""
    try:
        with Image.open(path) as image:
            return image.height, image.width
    except (OSError, ValueError, SyntaxError):
        return None

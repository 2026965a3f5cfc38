"""Image and mask readers: jpeg4py when installed (fast), OpenCV otherwise."""
from __future__ import annotations

from pathlib import Path
from typing import Optional, Union

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


class ImageReadError(IOError):
    """A frame that is missing or cannot be decoded; the message names the file."""


def imread_rgb(path: PathLike) -> np.ndarray:
    """Read an image as HxWx3 uint8 RGB; raises ImageReadError naming the file on failure."""
    path = str(path)
    if _jpeg4py is not None and path.lower().endswith((".jpg", ".jpeg")):
        try:
            return _jpeg4py.JPEG(path).decode()
        except Exception:
            pass  # fall back to OpenCV, which also reports the failure below
    im = cv2.imread(path, cv2.IMREAD_COLOR)
    if im is None:
        raise ImageReadError(f"cannot read image {path} (missing or corrupt)")
    return cv2.cvtColor(im, cv2.COLOR_BGR2RGB)


def imread_indexed(path: PathLike) -> np.ndarray:
    """Read an annotation PNG as HxW uint8 labels (palette indices; channel 0 of a colour image)."""
    # PIL keeps palette indices (OpenCV would expand a palette PNG to colours).
    try:
        with Image.open(path) as im:
            arr = np.array(im)
    except (OSError, ValueError) as err:
        raise ImageReadError(f"cannot read mask {path} (missing or corrupt: {err})") from err
    return np.atleast_3d(arr)[..., 0]


def imread_mask(path: PathLike, threshold: Optional[int] = None) -> np.ndarray:
    """Read a binary mask PNG as HxW bool: foreground is any non-zero value (or > threshold)."""
    im = imread_indexed(path)
    return im > (0 if threshold is None else threshold)

"""The shipped CPU-sized LWL network (EfficientNet-Lite0 backbone), otherwise the official settings.

The crop size and search area it was trained for are recorded in the checkpoint and used; the
values here only apply to a checkpoint without that record.
"""
from dataclasses import replace

from pytracking.parameter.lwl import lwl_ytvos
from pytracking.tracker.lwl import LWLParams

DEFAULT_LWL = "lwl_lite0.pth.tar"


def parameters() -> LWLParams:
    return replace(lwl_ytvos.parameters(), net=DEFAULT_LWL, image_sample_size=(240, 416))

"""The LWL tracker (Learning What to Learn): VOS with a target model learned online."""
from pytracking.tracker.lwl.lwl import LWL, LWLParams, inference_record

__all__ = ["LWL", "LWLParams", "get_tracker_class", "inference_record"]


def get_tracker_class() -> type:
    """The tracker class ``run_tracker.py`` looks up by the package name (pytracking's convention)."""
    return LWL

"""The LWL tracker (Learning What to Learn): VOS with a target model learned online."""
from pytracking.tracker.lwl.lwl import LWL, LWLParams, sample_settings

__all__ = ["LWL", "LWLParams", "sample_settings"]

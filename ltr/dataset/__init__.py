"""Training datasets (all implement BaseVideoDataset)."""
from ltr.dataset.base_video_dataset import BaseVideoDataset
from ltr.dataset.davis import Davis
from ltr.dataset.got10k import Got10k
from ltr.dataset.lasot import Lasot
from ltr.dataset.replaced_masks import ReplacedMasks
from ltr.dataset.synthetic import SyntheticVideos
from ltr.dataset.vos_base import TrackingDataset, VOSDataset
from ltr.dataset.youtubevos import YouTubeVOS, load_yt300, pick_yt300

__all__ = ["BaseVideoDataset", "Davis", "Got10k", "Lasot", "ReplacedMasks", "SyntheticVideos", "TrackingDataset",
           "VOSDataset", "YouTubeVOS", "load_yt300", "pick_yt300"]

"""Batched box -> mask inference over whole sequences with a per-frame feature cache.

Everything the network computes for a frame on its own (crop, backbone features, target features
x, object encoding e, w, m) is independent of the window it is used in, yet every frame sits in up
to T windows. With the cache it is computed once per sequence: windows are processed lattice by
lattice (frames r, r+Δ, ...; see ``windows``), in order, and a frame is dropped as soon as no later
window of its lattice needs it, so memory stays bounded by about T + ``batch_windows`` frames even
for 2000-frame videos. Frames are read and cropped ahead in worker threads.
"""
from __future__ import annotations

import contextlib
from collections import defaultdict, deque
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from itertools import islice
from typing import Callable, Collection, Dict, Iterable, Iterator, List, NamedTuple, Optional, Tuple, TypeVar, Union

import numpy as np
import torch

from ltr.data.image_loader import ImageReadError, imread_rgb
from ltr.data.transforms import normalize_image
from ltr.models.box2seg.object_encoder import ObjectEncoding
from pytracking.annotate.crop import Crop, Size, crop_frame, paste_mask
from pytracking.annotate.sources import TargetSequence
from pytracking.annotate.windows import lattice_windows

Item = TypeVar("Item")
Out = TypeVar("Out")


@dataclass
class AnnotateSettings:
    """Inference parameters; the defaults are the paper's (facts §3.5 with Δ = 15)."""

    num_frames: int = 9  # T: frames per temporal window
    interval: int = 15  # Δ: frames between window slots
    iters: int = 15  # steepest-descent iterations of both aggregation stages
    search_area: float = 4.0
    crop_size: Size = (480, 832)  # (H, W) of the network input
    batch_windows: int = 4  # windows segmented together
    cache: bool = True  # compute per-frame parts once per sequence
    bf16: bool = False  # autocast to bfloat16 (for CUDA)
    workers: int = 4  # threads reading and cropping frames


def settings_for(net: torch.nn.Module, **given) -> AnnotateSettings:
    """Inference settings: the ``given`` values (None = not given), else what the network's checkpoint
    records it was trained for (crop size, search area), else the paper's defaults."""
    recorded = getattr(net, "inference", None) or {}
    values = {k: tuple(v) if k == "crop_size" else v for k, v in recorded.items() if k in ("crop_size", "search_area")}
    values.update({k: v for k, v in given.items() if v is not None})
    return AnnotateSettings(**values)


class FrameError(Exception):
    """A frame that cannot be used (unreadable, box outside the image); the message names the file."""


@dataclass
class PreparedFrame:
    """A frame's network input: the crop, where it lies in the image, the box in crop coordinates."""

    patch: np.ndarray  # (crop H, crop W, 3) uint8 RGB
    crop: Crop
    box: np.ndarray  # [x, y, w, h] in crop coordinates
    image_size: Size


class FrameFeatures(NamedTuple):
    """What the network computes for one frame alone: cacheable across windows."""

    feats: Dict[str, torch.Tensor]  # backbone layers, (C, h, w) each
    x: torch.Tensor  # target features (C, h, w)
    enc: ObjectEncoding  # e, w, m: (K, h, w) each (or None)


@dataclass
class FrameResult:
    """The annotation of one frame: a full-image mask, or why the frame could not be used."""

    index: int
    mask: Optional[np.ndarray]  # (H, W) bool
    problem: str = ""


def prepare_frame(seq: TargetSequence, i: int, settings: AnnotateSettings) -> PreparedFrame:
    """Read frame i and crop it around its box; FrameError if the image or the box is unusable."""
    try:
        image = imread_rgb(seq.frames[i])
    except ImageReadError as err:
        raise FrameError(f"{seq.name}: {err}") from None
    height, width = image.shape[:2]
    x, y, w, h = seq.boxes[i]
    if x >= width or y >= height or x + w <= 0 or y + h <= 0:
        raise FrameError(f"{seq.where(i)}: box [{x:g}, {y:g}, {w:g}, {h:g}] lies outside the {width}x{height} "
                         f"image {seq.frames[i]}")
    patch, crop = crop_frame(image, seq.boxes[i], settings.crop_size, settings.search_area)
    return PreparedFrame(patch, crop, crop.box_to_crop(seq.boxes[i]), (height, width))


def prefetch(fn: Callable[[Item], Out], items: Iterable[Item], workers: int, depth: int
             ) -> Iterator[Tuple[Item, Out]]:
    """(item, fn(item)) in order, computed up to ``depth`` items ahead in ``workers`` threads."""
    with ThreadPoolExecutor(max(workers, 1)) as pool:
        items = iter(items)
        pending = deque((item, pool.submit(fn, item)) for item in islice(items, depth))
        while pending:
            item, future = pending.popleft()
            for nxt in islice(items, 1):
                pending.append((nxt, pool.submit(fn, nxt)))
            yield item, future.result()


class Annotator:
    """Turns a target sequence's boxes into masks with a box2seg network (``annotate``)."""

    def __init__(self, net: torch.nn.Module, settings: AnnotateSettings, device: Union[str, torch.device] = "cpu"):
        self.device = torch.device(device)
        self.net = net.to(self.device).eval()
        self.settings = settings
        self._target_only = torch.tensor([0], device=self.device)

    def _autocast(self) -> contextlib.AbstractContextManager:
        return torch.autocast(self.device.type, dtype=torch.bfloat16, enabled=self.settings.bf16)

    def normalise(self, patches: np.ndarray) -> torch.Tensor:
        """uint8 RGB crops (N, H, W, 3) -> the backbone's input (N, 3, H, W) on the device."""
        images = torch.from_numpy(patches).to(self.device).permute(0, 3, 1, 2).float()
        return normalize_image(images, self.net.feature_extractor.normalization)

    @torch.inference_mode()
    def backbone(self, frames: List[PreparedFrame]) -> Dict[str, torch.Tensor]:
        """Backbone features of the crops (the speed bound of annotation)."""
        with self._autocast():
            return self.net.extract_backbone_features(self.normalise(np.stack([f.patch for f in frames])))

    @torch.inference_mode()
    def frame_features(self, frames: List[PreparedFrame]) -> List[FrameFeatures]:
        """Backbone features, x and (e, w, m) of each frame; no frame influences another."""
        feats = self.backbone(frames)
        boxes = torch.from_numpy(np.stack([f.box for f in frames])).to(self.device)[:, None]
        with self._autocast():
            x = self.net.extract_target_model_features(feats)
            enc = self.net.encode_object(boxes, x[:, None], self.settings.crop_size)
        return [FrameFeatures({k: v[i] for k, v in feats.items()}, x[i],
                              ObjectEncoding(*(None if t is None else t[i, 0] for t in enc)))
                for i in range(len(frames))]

    @torch.inference_mode()
    def segment(self, windows: List[List[int]], features: List[FrameFeatures]) -> torch.Tensor:
        """Refined crop logits (B, H, W) of the first frame of each of B equally long windows;
        ``features`` lists the frames slot-major (slot t of window b at t * B + b)."""
        n_slots, n_windows = len(windows[0]), len(windows)

        def stacked(tensors: List[torch.Tensor], per_window: bool) -> torch.Tensor:
            out = torch.stack(tensors)
            return out.view(n_slots, n_windows, *out.shape[1:]) if per_window else out

        feats = {k: stacked([f.feats[k] for f in features], False) for k in features[0].feats}
        x = stacked([f.x for f in features], True)
        enc = ObjectEncoding(*(None if part is None else stacked([f.enc[j] for f in features], True)
                               for j, part in enumerate(features[0].enc)))
        with self._autocast():
            _, refined = self.net.segment_window(feats, x, enc, self.settings.crop_size, num_iter=self.settings.iters,
                                                 closed_form=True, refine_frames=self._target_only)
        return refined[0]

    def annotate(self, seq: TargetSequence, targets: Optional[Collection[int]] = None) -> Iterator[FrameResult]:
        """A result for every visible frame of ``seq`` (or only for ``targets``), lattice by lattice
        (not in frame order). Windows of the targets still draw on every frame of the sequence."""
        s = self.settings
        n = len(seq)
        plans = [[w for w in lattice_windows(r, n, s.num_frames, s.interval, seq.visible)
                  if targets is None or w[0] in targets] for r in range(min(s.interval, n))]
        load_order = [f for plan in plans for f in sorted({f for w in plan for f in w})]

        def load(i: int) -> Union[PreparedFrame, FrameError]:
            try:
                return prepare_frame(seq, i, s)
            except FrameError as err:
                return err

        stream = prefetch(load, load_order, s.workers, depth=2 * s.batch_windows + s.num_frames)
        frames: Dict[int, Union[PreparedFrame, FrameError]] = {}
        cache: Dict[int, FrameFeatures] = {}
        with contextlib.closing(stream):
            for residue, plan in enumerate(plans):
                for start in range(0, len(plan), s.batch_windows):
                    batch = plan[start:start + s.batch_windows]
                    needed = {f for w in batch for f in w}
                    while not needed <= frames.keys():
                        i, frame = next(stream)
                        frames[i] = frame
                    yield from self._batch(seq, batch, frames, cache)
                    later = plan[start + s.batch_windows:]
                    bound = min(later[0]) if later else n
                    for store in (frames, cache):
                        for f in [f for f in store if f % s.interval == residue and f < bound]:
                            del store[f]

    def _batch(self, seq: TargetSequence, batch: List[List[int]], frames: Dict[int, Union[PreparedFrame, FrameError]],
               cache: Dict[int, FrameFeatures]) -> Iterator[FrameResult]:
        """Segment the target frames of a batch of windows, grouped by window length."""
        groups: Dict[int, List[List[int]]] = defaultdict(list)
        for w in batch:
            if isinstance(frames[w[0]], FrameError):
                yield FrameResult(w[0], None, str(frames[w[0]]))
                continue
            usable = [f for f in w if not isinstance(frames[f], FrameError)]
            groups[len(usable)].append(usable)
        for windows in groups.values():
            order = [w[t] for t in range(len(windows[0])) for w in windows]
            if self.settings.cache:
                missing = [f for f in dict.fromkeys(order) if f not in cache]
                if missing:
                    cache.update(zip(missing, self.frame_features([frames[f] for f in missing])))
                features = [cache[f] for f in order]
            else:
                features = self.frame_features([frames[f] for f in order])
            logits = self.segment(windows, features)
            with torch.inference_mode():
                masks = [paste_mask(target_logits, frames[w[0]].crop, frames[w[0]].image_size, seq.boxes[w[0]])
                         for w, target_logits in zip(windows, logits)]
            for w, mask in zip(windows, masks):
                yield FrameResult(w[0], mask.cpu().numpy())

"""Batched box -> mask inference over whole sequences with a per-frame feature cache.

Everything the network computes for a frame on its own (crop, backbone features, target features
x, object encoding e, w, m) is independent of the window it is used in, yet every frame sits in up
to T windows. With the cache it is computed once per sequence: windows are processed lattice by
lattice (frames r, r+Δ, ...; see ``windows``), in order, and a frame is dropped as soon as no later
window of its lattice needs it, so memory stays bounded by about T + ``batch_windows`` frames even
for 2000-frame videos. Frames are read and cropped ahead in worker threads.

The device is never waited for per window: inputs go up from pinned memory without blocking, masks
are pasted into the full image on the device and come back once per batch of windows, while the
next batch is already queued. The convolutions run channels-last (NHWC; ``channels_last``), in bf16
with ``bf16``; steepest descent always runs in fp32.

Exact mode (the default) is the paper's inference: for the window of frame t, S and D over all T
frames, B̂ on the T initial masks, Ŝ and D for frame t (T + 1 decodes). Frames near the ends of a
lattice have windows of the same frames (the window keeps T slots inside the sequence); within a
batch such windows are aggregated once (both modes) and only their targets are decoded again. The decoder's
frame-only part (``Box2SegNet.decoder_frame_parts``) is part of the per-frame cache. Fast mode
(``fast``, an approximation) computes each frame's initial mask and B̂ encoding once, from the
frame's own window, and shares it with every window containing the frame: per window, one decode
per stage.
"""
from __future__ import annotations

import contextlib
import functools
from collections import defaultdict, deque
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from itertools import islice
from typing import (Callable, Collection, Dict, Iterable, Iterator, List, NamedTuple, Optional, Sequence, Tuple, TypeVar,
                    Union)

import numpy as np
import torch

from ltr.data.bounding_box_utils import Size
from ltr.data.image_loader import ImageReadError, imread_rgb
from ltr.data.transforms import normalize_image
from ltr.dataset.sequence import VideoSequence
from ltr.models.box2seg.object_encoder import ObjectEncoding
from ltr.models.inference import InferenceRecord
from ltr.models.lwl.decoder import DecoderFrameParts
from ltr.models.meta.solvers import check_solver
from pytracking.annotate.settings import AnnotateSettings, check_crop_size
from pytracking.annotate.windows import lattice_windows
from pytracking.features.preprocessing import Crop, crop_frame, paste_mask

Item = TypeVar("Item")
Out = TypeVar("Out")


def settings_for(net: torch.nn.Module, **given) -> AnnotateSettings:
    """Inference settings: the ``given`` values (None = not given), else what the network's inference
    record says it was trained for (crop size, search area, solver), else the paper's defaults."""
    record = InferenceRecord.of(net)
    values = {} if record is None else dict(crop_size=record.crop_size, search_area=record.search_area,
                                            solver=record.solver)
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

    feats: DecoderFrameParts  # the decoder's frame-only part, (C, h, w) each
    x: torch.Tensor  # target features (C, h, w)
    enc: ObjectEncoding  # e, w, m: (K, h, w) each (or None)


class RefinementLabels(NamedTuple):
    """B̂'s encoding (ê, ŵ) of a frame's own initial mask, (K, h, w) each: fast mode's per-frame cache."""

    e: torch.Tensor
    w: torch.Tensor


@dataclass
class FrameResult:
    """The annotation of one frame: a full-image mask, or why the frame could not be used."""

    index: int
    mask: Optional[np.ndarray]  # (H, W) bool
    problem: str = ""


def prepare_frame(seq: VideoSequence, i: int, settings: AnnotateSettings, stride: int) -> PreparedFrame:
    """Read frame i and crop it around its box for a network of target stride ``stride``
    (``net.target_stride``); FrameError if the image or the box is unusable."""
    try:
        image = imread_rgb(seq.frames[i])
    except ImageReadError as err:
        raise FrameError(f"{seq.name}: {err}") from None
    height, width = image.shape[:2]
    x, y, w, h = seq.boxes[i]
    if x >= width or y >= height or x + w <= 0 or y + h <= 0:
        raise FrameError(f"{seq.where(i)}: box [{x:g}, {y:g}, {w:g}, {h:g}] lies outside the {width}x{height} "
                         f"image {seq.frames[i]}")
    patch, crop = crop_frame(image, seq.boxes[i], settings.crop_size, settings.search_area, stride)
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


def _without_grad(method: Callable) -> Callable:
    """Run an ``Annotator`` method under its ``_no_grad`` context."""
    @functools.wraps(method)
    def wrapper(self: "Annotator", *args, **kwargs):
        with self._no_grad():
            return method(self, *args, **kwargs)
    return wrapper


class MasksInFlight:
    """Full-image masks of a batch on their way to the host: one transfer, read only when needed."""

    def __init__(self, indices: List[int], masks: List[torch.Tensor]):
        self.indices, self.shapes = indices, [tuple(m.shape) for m in masks]
        flat = torch.cat([m.flatten() for m in masks])
        self.host = flat.to("cpu", non_blocking=True)  # pinned memory when coming from CUDA
        self.ready = None
        if flat.is_cuda:
            self.ready = torch.cuda.Event()
            self.ready.record()

    def results(self) -> Iterator["FrameResult"]:
        if self.ready is not None:
            self.ready.synchronize()
        host, offset = self.host.numpy(), 0
        for i, shape in zip(self.indices, self.shapes):
            size = int(np.prod(shape))
            yield FrameResult(i, host[offset:offset + size].reshape(shape))
            offset += size


class Annotator:
    """Turns a target sequence's boxes into masks with a box2seg network (``annotate``)."""

    def __init__(self, net: torch.nn.Module, settings: AnnotateSettings, device: Union[str, torch.device] = "cpu"):
        check_solver(settings.solver)
        check_crop_size(settings.crop_size, net.target_stride)
        self.device = torch.device(device)
        self.net = net.to(self.device).eval()
        self.settings = settings
        self.net.to(memory_format=torch.channels_last if settings.channels_last else torch.contiguous_format)
        self._target_only = torch.tensor([0], device=self.device)

    def _autocast(self) -> contextlib.AbstractContextManager:
        return torch.autocast(self.device.type, dtype=torch.bfloat16, enabled=self.settings.bf16)

    def _no_grad(self) -> contextlib.AbstractContextManager:
        """Inference mode; plain no_grad for the official solver, whose double backward needs autograd."""
        return torch.inference_mode() if self.settings.solver == "gemm" else torch.no_grad()

    def _to_device(self, array: np.ndarray) -> torch.Tensor:
        """A host array on the device, copied without waiting for the device (from pinned memory on CUDA)."""
        tensor = torch.from_numpy(array)
        if self.device.type == "cuda":
            tensor = tensor.pin_memory()
        return tensor.to(self.device, non_blocking=True)

    def normalise(self, patches: np.ndarray) -> torch.Tensor:
        """uint8 RGB crops (N, H, W, 3) -> the backbone's input (N, 3, H, W) on the device."""
        images = self._to_device(patches).permute(0, 3, 1, 2).float()
        images = normalize_image(images, self.net.feature_extractor.normalization)
        return images.contiguous(memory_format=torch.channels_last) if self.settings.channels_last else images

    @_without_grad
    def backbone(self, frames: List[PreparedFrame]) -> Dict[str, torch.Tensor]:
        """Backbone features of the crops (the speed bound of annotation)."""
        with self._autocast():
            return self.net.extract_backbone_features(self.normalise(np.stack([f.patch for f in frames])))

    @_without_grad
    def frame_features(self, frames: List[PreparedFrame]) -> List[FrameFeatures]:
        """The decoder's frame-only part, x and (e, w, m) of each frame; no frame influences another."""
        feats = self.backbone(frames)
        boxes = self._to_device(np.stack([f.box for f in frames]))[:, None]
        with self._autocast():
            x = self.net.extract_target_model_features(feats)
            enc = self.net.encode_object(boxes, x[:, None], self.settings.crop_size)
            parts = self.net.decoder_frame_parts({k: feats[k] for k in self.net.decoder_input_layers},
                                                 None if enc.m is None else enc.m[:, 0])
        return [FrameFeatures(frame_parts, x[i],
                              ObjectEncoding(*(None if t is None else t[i, 0] for t in enc)))
                for i, frame_parts in enumerate(parts.frames())]

    def _slots(self, slots: Sequence[int]) -> torch.Tensor:
        return self._target_only if tuple(slots) == (0,) else torch.tensor(slots, device=self.device)

    def _window_inputs(self, windows: List[List[int]], features: List[FrameFeatures], decoded: Optional[Sequence[int]]
                       ) -> Tuple[DecoderFrameParts, torch.Tensor, ObjectEncoding]:
        """Decoder parts of the frames at the ``decoded`` slots (None: all), slot-major, x (T,B,...) and the
        encoding (T,B,...) of B equally long windows; ``features`` lists the frames slot-major (t * B + b)."""
        n_slots, n_windows = len(windows[0]), len(windows)

        def stacked(tensors: List[torch.Tensor]) -> torch.Tensor:
            out = torch.stack(tensors)
            return out.view(n_slots, n_windows, *out.shape[1:])

        decoded_frames = features if decoded is None else [features[k * n_windows + b] for k in decoded
                                                           for b in range(n_windows)]
        feats = DecoderFrameParts.stack([f.feats for f in decoded_frames])
        x = stacked([f.x for f in features])
        enc = ObjectEncoding(*(None if part is None else stacked([f.enc[j] for f in features])
                               for j, part in enumerate(features[0].enc)))
        return feats, x, enc

    @_without_grad
    def segment(self, windows: List[List[int]], features: List[FrameFeatures], slots: Sequence[int] = (0,)
                ) -> torch.Tensor:
        """Exact mode: refined crop logits (len(slots) * B, H, W) of the frames at ``slots`` of each of B
        equally long windows, slot-major; ``features`` lists the frames slot-major (slot t of window b at
        t * B + b)."""
        feats, x, enc = self._window_inputs(windows, features, None)
        with self._autocast():
            _, refined = self.net.segment_window(feats, x, enc, self.settings.crop_size, num_iter=self.settings.iters,
                                                 solver=self.settings.solver, refine_frames=self._slots(slots))
        return refined.flatten(0, 1)

    @_without_grad
    def first_stage(self, windows: List[List[int]], features: List[FrameFeatures], slots: Sequence[int] = (0,)
                    ) -> List[RefinementLabels]:
        """Fast mode, stage 1: B̂'s encoding of the initial masks of the frames at ``slots`` of each window
        (slot-major), their S taken over the window; only those frames are decoded."""
        feats, x, enc = self._window_inputs(windows, features, slots)
        s, frames = self.settings, self._slots(slots)
        with self._autocast():
            initial = self.net.first_stage(x, enc, feats, s.crop_size, s.iters, s.solver, frames=frames)
            e_hat, w_hat = self.net.refinement_labels(initial, x[frames])
        return [RefinementLabels(e, w) for e, w in zip(e_hat.flatten(0, 1), w_hat.flatten(0, 1))]

    @_without_grad
    def second_stage(self, windows: List[List[int]], features: List[FrameFeatures],
                     labels: List[RefinementLabels], slots: Sequence[int] = (0,)) -> torch.Tensor:
        """Fast mode, stage 2: refined crop logits (len(slots) * B, H, W) of the frames at ``slots`` of each
        window (slot-major) from Ŝ over the frames' own stage-1 encodings (``labels``, slot-major like
        ``features``)."""
        feats, x, enc = self._window_inputs(windows, features, slots)
        n_slots, n_windows = len(windows[0]), len(windows)
        e_hat, w_hat = (torch.stack(part).view(n_slots, n_windows, *part[0].shape) for part in zip(*labels))
        s = self.settings
        with self._autocast():
            refined = self.net.second_stage(x, enc.m, e_hat, w_hat, feats, s.crop_size, s.iters, s.solver,
                                            frames=self._slots(slots))
        return refined.flatten(0, 1)

    def annotate(self, seq: VideoSequence, targets: Optional[Collection[int]] = None) -> Iterator[FrameResult]:
        """A result for every visible frame of ``seq`` (or only for ``targets``), lattice by lattice
        (not in frame order). Windows of the targets still draw on every frame of the sequence."""
        s = self.settings
        n = len(seq)
        fast = s.fast and self.net.segm_encoder is not None
        lattices = []
        for residue in range(min(s.interval, n)):
            windows = lattice_windows(residue, n, s.num_frames, s.interval, seq.visible)
            plan = [w for w in windows if targets is None or w[0] in targets]
            needed = {f for w in plan for f in w}
            lattices.append(([w for w in windows if w[0] in needed] if fast else [], plan))
        load_order = [f for first, plan in lattices for f in sorted({f for w in first + plan for f in w})]

        def load(i: int) -> Union[PreparedFrame, FrameError]:
            try:
                return prepare_frame(seq, i, s, self.net.target_stride)
            except FrameError as err:
                return err

        stream = prefetch(load, load_order, s.workers, depth=2 * s.batch_windows + s.num_frames)
        frames: Dict[int, Union[PreparedFrame, FrameError]] = {}
        cache: Dict[int, FrameFeatures] = {}
        labels: Dict[int, RefinementLabels] = {}
        in_flight: Optional[MasksInFlight] = None
        with contextlib.closing(stream):
            for residue, (first, plan) in enumerate(lattices):
                for stage, batch, bound in batch_schedule(first, plan, s.batch_windows, n):
                    needed = {f for w in batch for f in w}
                    while not needed <= frames.keys():
                        i, frame = next(stream)
                        frames[i] = frame
                    if stage == "first":
                        self._first_stage_batch(batch, frames, cache, labels)
                    else:
                        errors, masks = self._final_batch(seq, batch, frames, cache, labels if fast else None)
                        yield from errors
                        if in_flight is not None:  # the device already works on this batch meanwhile
                            yield from in_flight.results()
                        in_flight = masks
                    for store in (frames, cache, labels):
                        for f in [f for f in store if f % s.interval == residue and f < bound]:
                            del store[f]
        if in_flight is not None:
            yield from in_flight.results()

    def _features(self, order: List[int], frames: Dict[int, PreparedFrame], cache: Dict[int, FrameFeatures]
                  ) -> List[FrameFeatures]:
        """Per-frame features of ``order`` (from the cache, computing the missing ones, unless ``cache`` is off)."""
        if not self.settings.cache:
            return self.frame_features([frames[f] for f in order])
        missing = [f for f in dict.fromkeys(order) if f not in cache]
        if missing:
            cache.update(zip(missing, self.frame_features([frames[f] for f in missing])))
        return [cache[f] for f in order]

    def _first_stage_batch(self, batch: List[List[int]], frames: Dict[int, Union[PreparedFrame, FrameError]],
                           cache: Dict[int, FrameFeatures], labels: Dict[int, RefinementLabels]) -> None:
        """Fast mode: stage-1 encodings of the batch's usable first frames into ``labels``."""
        _, groups = usable_groups(batch, frames)
        for windows in groups:
            for shared, slots in same_frame_windows(windows):
                features = self._features(slot_major(shared), frames, cache)
                labels.update(zip([w[k] for k in slots for w in shared], self.first_stage(shared, features, slots)))

    def _final_batch(self, seq: VideoSequence, batch: List[List[int]],
                     frames: Dict[int, Union[PreparedFrame, FrameError]], cache: Dict[int, FrameFeatures],
                     labels: Optional[Dict[int, RefinementLabels]]) -> Tuple[List[FrameResult], Optional[MasksInFlight]]:
        """Refined masks of the batch's first frames (fast mode: from ``labels``), pasted on the device;
        frames that cannot be used get a result with the problem at once."""
        errors, groups = usable_groups(batch, frames)
        indices, masks = [], []
        for windows in groups:
            for shared, slots in same_frame_windows(windows):
                order = slot_major(shared)
                features = self._features(order, frames, cache)
                logits = (self.segment(shared, features, slots) if labels is None
                          else self.second_stage(shared, features, [labels[f] for f in order], slots))
                with self._no_grad():
                    for t, target_logits in zip([w[k] for k in slots for w in shared], logits):
                        masks.append(paste_mask(target_logits, frames[t].crop, frames[t].image_size, seq.boxes[t]))
                        indices.append(t)
        return [FrameResult(w[0], None, str(frames[w[0]])) for w in errors], \
            MasksInFlight(indices, masks) if masks else None


def usable_groups(batch: List[List[int]], frames: Dict[int, Union[PreparedFrame, FrameError]]
                  ) -> Tuple[List[List[int]], List[List[List[int]]]]:
    """(windows whose first frame is unusable, the others without their unusable frames grouped by length)."""
    errors, groups = [], defaultdict(list)
    for w in batch:
        if isinstance(frames[w[0]], FrameError):
            errors.append(w)
        else:
            usable = [f for f in w if not isinstance(frames[f], FrameError)]
            groups[len(usable)].append(usable)
    return errors, list(groups.values())


def same_frame_windows(windows: List[List[int]]) -> List[Tuple[List[List[int]], List[int]]]:
    """The work for equally long windows: (windows, slots of their frames to decode). Windows with the
    same frames (near a lattice's ends) give the same S and Ŝ (and, in exact mode, the same initial
    masks), so each such group is one window decoded at its targets' slots; the other windows are
    batched at slot 0."""
    groups: Dict[frozenset, List[List[int]]] = defaultdict(list)
    for w in windows:
        groups[frozenset(w)].append(w)
    alone = [g[0] for g in groups.values() if len(g) == 1]
    shared = [([g[0]], [g[0].index(w[0]) for w in g]) for g in groups.values() if len(g) > 1]
    return ([(alone, [0])] if alone else []) + shared


def slot_major(windows: List[List[int]]) -> List[int]:
    """The frames of equally long windows, slot by slot: slot t of window b at t * B + b."""
    return [w[t] for t in range(len(windows[0])) for w in windows]


def batch_schedule(first: List[List[int]], final: List[List[int]], batch_windows: int, n: int
                   ) -> Iterator[Tuple[str, List[List[int]], int]]:
    """Batches of one lattice's windows in a valid order: ('first', windows, bound) for fast mode's stage 1,
    ('final', windows, bound) for the refined masks; a final window waits until stage 1 is done for each
    of its frames. ``bound``: no later batch needs a frame below it (windows start in increasing order)."""
    i = j = 0

    def bound() -> int:
        return min([min(w) for w in first[i:i + 1] + final[j:j + 1]], default=n)

    while j < len(final):
        done_below = first[i][0] if i < len(first) else n
        ready = 0
        while j + ready < len(final) and ready < batch_windows and max(final[j + ready]) < done_below:
            ready += 1
        if ready == batch_windows or (ready and i == len(first)):
            j += ready
            yield "final", final[j - ready:j], bound()
        else:
            batch = first[i:i + batch_windows]
            i += len(batch)
            yield "first", batch, bound()

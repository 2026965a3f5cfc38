"""Training samples: T frames of one target from a random sequence (box2seg), or one annotated
frame and three later test frames of it (LWL).

Every sample is a pure function of (seed, index): ``__getitem__`` builds its own random generator
from them, so a resumed run that continues at global sample index k sees exactly the samples the
interrupted run would have seen, for any number of DataLoader workers.
"""
from __future__ import annotations

import warnings
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import numpy as np
import torch
from torch.utils.data import Dataset

from ltr.data.image_loader import ImageReadError
from ltr.dataset.base_video_dataset import BaseVideoDataset


def sample_frame_ids(visible: np.ndarray, num_frames: int, max_gap: int, rng: np.random.Generator,
                     max_gap_increase: int = 1000) -> Optional[List[int]]:
    """Sorted frame ids of visible frames: a base frame, then ``num_frames - 1`` frames drawn with
    replacement from the visible frames in (base, base + max_gap + gap_increase).

    When no visible frame follows the base, a new base is drawn and the window grows by 5 frames
    (the official box2seg rule). Returns None when no base with a visible successor is found.
    """
    visible = np.asarray(visible, dtype=bool)
    visible_ids = np.flatnonzero(visible)
    base_candidates = visible_ids[visible_ids < len(visible) - num_frames + 1]
    if base_candidates.size == 0:
        return None
    gap_increase = 0
    while gap_increase <= max_gap_increase:
        base = int(rng.choice(base_candidates))
        upper = base + max_gap + gap_increase
        window = visible_ids[(visible_ids > base) & (visible_ids < upper)]
        if window.size:
            return sorted([base] + [int(i) for i in rng.choice(window, num_frames - 1)])
        gap_increase += 5
    return None


class Box2SegSampler(Dataset):
    """Draws (dataset by weight, sequence, frames) and hands the loaded frames to ``processing``.

    A sequence is used when it has more than 2 * num_frames visible frames. A frame that fails to
    load (ImageReadError) is reported with a warning and another sequence is drawn. ``__len__`` is
    the epoch length, but any non-negative index (a global sample counter) is accepted. Without
    ``processing`` the raw dict (frame arrays, annotations, frame ids) is returned.
    """

    def __init__(self, datasets: Sequence[BaseVideoDataset], p_datasets: Optional[Sequence[float]] = None,
                 samples_per_epoch: int = 4000, num_frames: int = 3, max_gap: int = 100,
                 processing: Optional[Callable[[Dict, np.random.Generator], Dict]] = None, seed: int = 0,
                 max_draws: int = 1000):
        if not datasets:
            raise ValueError("Box2SegSampler needs at least one dataset")
        weights = np.asarray([len(d) for d in datasets] if p_datasets is None else p_datasets, dtype=np.float64)
        if weights.shape != (len(datasets),) or np.any(weights < 0) or weights.sum() <= 0:
            raise ValueError(f"p_datasets must be {len(datasets)} non-negative weights, got {p_datasets}")
        self.datasets = list(datasets)
        self.p_datasets = weights / weights.sum()
        self.samples_per_epoch = samples_per_epoch
        self.num_frames = num_frames
        self.max_gap = max_gap
        self.processing = processing
        self.seed = seed
        self.max_draws = max_draws

    def __len__(self) -> int:
        return self.samples_per_epoch

    def rng(self, index: int) -> np.random.Generator:
        """The random generator of sample ``index`` (depends only on seed and index)."""
        if index < 0:
            raise IndexError(f"sample index must be non-negative, got {index}")
        return np.random.default_rng([self.seed, index])

    def _draw(self, rng: np.random.Generator) -> Tuple[BaseVideoDataset, int, Dict, List[int]]:
        """A dataset, an accepted sequence of it, its info and the frame ids."""
        dataset = self.datasets[rng.choice(len(self.datasets), p=self.p_datasets)]
        for _ in range(self.max_draws):
            seq_id = int(rng.integers(dataset.get_num_sequences()))
            info = dataset.get_sequence_info(seq_id)
            visible = info["visible"].numpy().astype(bool)
            if visible.sum() > 2 * self.num_frames:
                frame_ids = self.sample_frame_ids(visible, rng)
                if frame_ids is not None:
                    return dataset, seq_id, info, frame_ids
        raise RuntimeError(f"dataset {dataset.name!r}: no sequence with more than {2 * self.num_frames} visible "
                           f"frames found in {self.max_draws} draws")

    def sample_frame_ids(self, visible: np.ndarray, rng: np.random.Generator) -> Optional[List[int]]:
        """The frames of one sample (None: draw another sequence)."""
        return sample_frame_ids(visible, self.num_frames, self.max_gap, rng)

    def make_sample(self, dataset: BaseVideoDataset, seq_id: int, frames: List[np.ndarray], annos: Dict,
                    frame_ids: List[int]) -> Dict:
        """The raw sample handed to ``processing``."""
        return {"images": frames, "boxes": annos["bbox"], "masks": annos.get("mask"),
                "dataset": dataset.name, "sequence": dataset.get_sequence_name(seq_id), "frame_ids": frame_ids}

    def __getitem__(self, index: int) -> Dict:
        """The sample; 'replaced' lists the draws that failed to load before it, 'annotation_problems'
        what the datasets found wrong in the annotations of the sequences drawn (their ``problems``).
        The trainer counts and logs both: DataLoader workers cannot report back otherwise."""
        rng = self.rng(index)
        replaced: List[str] = []
        problems: List[str] = []
        for _ in range(self.max_draws):
            dataset, seq_id, info, frame_ids = self._draw(rng)
            problems += getattr(dataset, "problems", {}).get(dataset.get_sequence_name(seq_id), [])
            try:
                frames, annos, _ = dataset.get_frames(seq_id, frame_ids, info)
            except ImageReadError as err:
                replaced.append(f"sample {index}: skipped sequence {dataset.get_sequence_name(seq_id)!r} of "
                                f"{dataset.name!r}: {err}")
                warnings.warn(replaced[-1])
                continue
            data = self.make_sample(dataset, seq_id, frames, annos, frame_ids)
            out = data if self.processing is None else self.processing(data, rng)
            return {**out, "replaced": replaced, "annotation_problems": problems}
        raise RuntimeError(f"sample {index}: {self.max_draws} sequences in a row failed to load")


def collate_stack_dim1(batch: List[Dict]) -> Dict:
    """Collate sample dicts with tensors stacked on dim 1: (T, ...) -> (T, B, ...), as pytracking's
    LTRLoader(stack_dim=1); 0-d tensors and numbers are stacked on dim 0, other values listed."""
    out = {}
    for key in batch[0]:
        values = [sample[key] for sample in batch]
        if isinstance(values[0], torch.Tensor):
            out[key] = torch.stack(values, 1 if values[0].dim() > 0 else 0)
        elif isinstance(values[0], (int, float, bool)):
            out[key] = torch.tensor(values)
        else:
            out[key] = values
    return out


def _visible_ids_in(visible_ids: np.ndarray, count: int, low: int, high: int, rng: np.random.Generator
                    ) -> Optional[List[int]]:
    """``count`` ids drawn with replacement among the visible ids in [low, high); None when there are
    none in that range, even for ``count`` 0 (the official ``_sample_visible_ids``)."""
    window = visible_ids[(visible_ids >= low) & (visible_ids < high)]
    if window.size == 0:
        return None
    return [int(i) for i in rng.choice(window, count)]


def sample_lwl_frame_ids(visible: np.ndarray, num_train: int, num_test: int, max_gap: int, rng: np.random.Generator,
                         max_gap_increase: int = 1000) -> Optional[Tuple[List[int], List[int]]]:
    """(sorted train ids, sorted test ids) of visible frames, as the official LWLSampler draws them.

    A base frame in [num_train - 1, N - num_test); num_train - 1 more train frames from the visible
    frames in [base - max_gap - gap_increase, base); the test frames from those in
    [first train + 1, first train + max_gap + gap_increase), with replacement. A failed try widens
    the window by 5 frames. Like the official code, the window before the base must hold a visible
    frame even for a single train frame, so the first visible frame is never the train frame.
    Returns None when no try up to ``max_gap_increase`` succeeds.
    """
    visible_ids = np.flatnonzero(np.asarray(visible, dtype=bool))
    gap_increase = 0
    while gap_increase <= max_gap_increase:
        base = _visible_ids_in(visible_ids, 1, num_train - 1, len(visible) - num_test, rng)
        if base is None:
            return None
        earlier = _visible_ids_in(visible_ids, num_train - 1, base[0] - max_gap - gap_increase, base[0], rng)
        if earlier is None:
            gap_increase += 5
            continue
        train_ids = sorted(base + earlier)
        test_ids = _visible_ids_in(visible_ids, num_test, train_ids[0] + 1, train_ids[0] + max_gap + gap_increase,
                                   rng)
        gap_increase += 5
        if test_ids is not None:
            return train_ids, sorted(test_ids)
    return None


class LWLSampler(Box2SegSampler):
    """LWL training samples: ``num_train_frames`` annotated frames and ``num_test_frames`` later
    frames of one target (facts §5.5), with the seeded per-sample draws of Box2SegSampler.

    Every dataset must provide masks. The raw sample holds 'train_images', 'train_masks',
    'train_boxes', 'train_frame_ids' and the same for 'test_', plus 'dataset' and 'sequence'.
    """

    def __init__(self, datasets: Sequence[BaseVideoDataset], p_datasets: Optional[Sequence[float]] = None,
                 samples_per_epoch: int = 20000, max_gap: int = 100, num_test_frames: int = 3,
                 num_train_frames: int = 1, processing: Optional[Callable[[Dict, np.random.Generator], Dict]] = None,
                 seed: int = 0, max_draws: int = 1000):
        without_masks = [d.name for d in datasets if not d.has_masks()]
        if without_masks:
            raise ValueError(f"LWL trains on masks, but datasets {without_masks} have none (give them a mask folder)")
        super().__init__(datasets, p_datasets, samples_per_epoch, num_train_frames + num_test_frames, max_gap,
                         processing, seed, max_draws)
        self.num_train_frames, self.num_test_frames = num_train_frames, num_test_frames

    def sample_frame_ids(self, visible: np.ndarray, rng: np.random.Generator) -> Optional[List[int]]:
        ids = sample_lwl_frame_ids(visible, self.num_train_frames, self.num_test_frames, self.max_gap, rng)
        return None if ids is None else ids[0] + ids[1]

    def make_sample(self, dataset: BaseVideoDataset, seq_id: int, frames: List[np.ndarray], annos: Dict,
                    frame_ids: List[int]) -> Dict:
        n = self.num_train_frames
        sample = {"dataset": dataset.name, "sequence": dataset.get_sequence_name(seq_id)}
        for split, part in (("train", slice(None, n)), ("test", slice(n, None))):
            sample.update({f"{split}_images": frames[part], f"{split}_masks": annos["mask"][part],
                           f"{split}_boxes": annos["bbox"][part], f"{split}_frame_ids": frame_ids[part]})
        return sample

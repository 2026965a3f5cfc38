"""Shared by the speed benchmarks: per-stage wall time, peak memory, the box2seg presets, tables.

``StageTimer`` times network parts with forward hooks and other code with ``section``; it waits for
the device at every boundary, so it gives the split of a run, never the headline speed (each
benchmark measures that in a separate, untimed run).
"""
from __future__ import annotations

import argparse
import contextlib
import os
import resource
import time
from collections import defaultdict
from typing import Callable, Dict, Iterator, List, Sequence

import torch
import torch.nn as nn

from pytracking.utils.cli import pick_device, set_threads

def box2seg_stages(net: nn.Module) -> Dict[str, List[nn.Module]]:
    """The network's parts by stage: backbone, encoders (x_t, B, B̂), S (both aggregations), decoder. The
    decoder is timed by its leaf modules, since the annotation engine calls them in two parts per frame and
    window (``LWTLDecoder.frame_parts``); its functional convolutions of the split TSE input fall in 'other'."""
    encoders = [net.target_model.feature_extractor, net.label_encoder, net.bbox_encoder, net.segm_encoder]
    decoder = [m for m in net.decoder.modules() if not list(m.children())]
    return {"backbone": [net.feature_extractor], "encoders": [m for m in encoders if m is not None],
            "S": [m for m in (net.target_model, net.target_model_segm) if m is not None], "decoder": decoder}


def use_device(args: argparse.Namespace) -> torch.device:
    """The device of ``add_device_arguments`` (UsageError if it is not usable here), after setting the CPU
    threads."""
    set_threads(args.threads)
    return pick_device(args.device, os.environ)


def synchronize(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


class StageTimer:
    """Accumulated seconds per stage name (device-synchronised)."""

    def __init__(self, device: torch.device):
        self.device = device
        self.seconds: Dict[str, float] = defaultdict(float)
        self._handles: List = []

    @contextlib.contextmanager
    def section(self, name: str) -> Iterator[None]:
        synchronize(self.device)
        start = time.perf_counter()
        try:
            yield
        finally:
            synchronize(self.device)
            self.seconds[name] += time.perf_counter() - start

    def attach(self, stages: Dict[str, Sequence[nn.Module]]) -> "StageTimer":
        """Time every forward of the given modules under their stage's name (until ``detach``)."""
        for name, modules in stages.items():
            for module in modules:
                started: List[float] = []

                def pre(_module, _args, started=started) -> None:
                    synchronize(self.device)
                    started.append(time.perf_counter())

                def post(_module, _args, _out, started=started, name=name) -> None:
                    synchronize(self.device)
                    self.seconds[name] += time.perf_counter() - started.pop()

                self._handles += [module.register_forward_pre_hook(pre), module.register_forward_hook(post)]
        return self

    def detach(self) -> None:
        for handle in self._handles:
            handle.remove()
        self._handles = []


def timed(fn: Callable[[], object], device: torch.device) -> float:
    """Seconds of fn() including the device work it queued."""
    synchronize(device)
    start = time.perf_counter()
    fn()
    synchronize(device)
    return time.perf_counter() - start


def reset_peak_memory(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)


def peak_memory_mib(device: torch.device) -> float:
    """Peak device memory since the last reset (CUDA), or the process's peak resident memory (CPU)."""
    if device.type == "cuda":
        return torch.cuda.max_memory_allocated(device) / 2 ** 20
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def device_name(device: torch.device) -> str:
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    return f"CPU ({torch.get_num_threads()} threads)"


def table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A plain-text table: the first column left-aligned, numbers right-aligned with 3 significant digits."""
    def cell(v: object) -> str:
        return f"{v:.3g}" if isinstance(v, float) else str(v)

    cells = [[cell(v) for v in row] for row in [header, *rows]]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    return "\n".join("  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths)))
                     for r in cells)


def split_rows(splits: Dict[str, Dict[str, float]], order: Sequence[str]) -> List[List[object]]:
    """Rows stage -> seconds of each run (columns in ``splits`` order), with a share of the first run."""
    first = next(iter(splits.values()))
    total = sum(first.values()) or 1.0
    rows = [[stage, *[s.get(stage, 0.0) for s in splits.values()], f"{100 * first.get(stage, 0.0) / total:.0f}%"]
            for stage in order if any(stage in s for s in splits.values())]
    return rows + [["total", *[sum(s.values()) for s in splits.values()], "100%"]]

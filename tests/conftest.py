"""Shared fixtures: the real data in ../shared/data (tests skip when it is absent)."""
from __future__ import annotations

import os
from pathlib import Path

import pytest
import torch

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
SHARED_DATA = Path(os.environ.get("BOX2SEG_SHARED_DATA", SHARED / "data"))
SHARED_SPEC = Path(os.environ.get("BOX2SEG_SHARED_SPEC", SHARED / "spec"))

torch.set_num_threads(max(1, min(2, os.cpu_count() or 1)))


@pytest.fixture(scope="session")
def davis16_root() -> Path:
    """DAVIS-2016 train (30 sequences, 240p, one at 480p) from ../shared/data."""
    root = SHARED_DATA / "davis2016-train"
    if not (root / "JPEGImages").is_dir():
        pytest.skip(f"real DAVIS-2016 data not found at {root} (set BOX2SEG_SHARED_DATA)")
    return root


@pytest.fixture(scope="session")
def vot_bag_root() -> Path:
    """The VOT2015 'bag' tracking sequence (frames + rotated-box groundtruth) from ../shared/data."""
    root = SHARED_DATA / "vot2015-bag"
    if not (root / "groundtruth.txt").is_file():
        pytest.skip(f"real tracking sequence not found at {root} (set BOX2SEG_SHARED_DATA)")
    return root


@pytest.fixture(scope="session")
def spec_dir() -> Path:
    """The official state_dict key lists and facts sheet from ../shared/spec."""
    if not (SHARED_SPEC / "statedict-sta.txt").is_file():
        pytest.skip(f"official state_dict lists not found at {SHARED_SPEC} (set BOX2SEG_SHARED_SPEC)")
    return SHARED_SPEC


@pytest.fixture
def one_thread():
    """One intra-op thread: on a busy 2-core machine OpenMP spin-waiting makes 2 threads much slower."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)

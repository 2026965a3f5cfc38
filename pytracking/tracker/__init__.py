"""Trackers (pytracking's ``pytracking/tracker/<name>/``); run them with ``pytracking/run_tracker.py``.

A tracker is a package here whose ``get_tracker_class()`` returns its class (pytracking's convention);
its parameter sets are ``pytracking/parameter/<name>/<param>.py``. Adding a tracker edits nothing else.
Torch-free: listing the trackers imports none of them.
"""
from __future__ import annotations

import importlib
import pkgutil
from typing import List


def tracker_names() -> List[str]:
    """The trackers present: the packages in this folder."""
    return sorted(m.name for m in pkgutil.iter_modules(__path__) if m.ispkg)


def get_tracker_class(name: str) -> type:
    """The class of tracker ``name`` (``pytracking/tracker/<name>/``); ValueError naming the trackers present."""
    if name not in tracker_names():
        raise ValueError(f"unknown tracker {name!r}; choose one of {', '.join(tracker_names())}")
    return importlib.import_module(f"{__name__}.{name}").get_tracker_class()

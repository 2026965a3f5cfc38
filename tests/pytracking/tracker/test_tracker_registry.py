"""Trackers are looked up by name among the packages of pytracking/tracker (pytracking's
``get_tracker_class``): a new tracker is a new package there; an unknown name is one clear error."""
import sys

import pytest

import pytracking.tracker as trackers
from pytracking.run_tracker import build_parser
from pytracking.tracker import get_tracker_class, tracker_names
from pytracking.tracker.lwl import LWL


def test_the_lwl_tracker_is_found_by_name():
    assert tracker_names() == ["lwl"]
    assert get_tracker_class("lwl") is LWL


def test_a_tracker_package_added_to_the_folder_is_found_and_listed(tmp_path, monkeypatch):
    package = tmp_path / "echo"
    package.mkdir()
    (package / "__init__.py").write_text("class Echo:\n    pass\n\n\ndef get_tracker_class():\n    return Echo\n")
    (tmp_path / "notes.py").write_text("")  # a module, not a tracker package
    monkeypatch.setattr(trackers, "__path__", [*trackers.__path__, str(tmp_path)])
    assert tracker_names() == ["echo", "lwl"]
    assert get_tracker_class("echo").__name__ == "Echo"
    assert "tracker name: echo, lwl" in build_parser().format_help()
    sys.modules.pop("pytracking.tracker.echo")


def test_an_unknown_tracker_is_refused_naming_the_trackers():
    with pytest.raises(ValueError, match="unknown tracker 'dimp'; choose one of lwl$"):
        get_tracker_class("dimp")

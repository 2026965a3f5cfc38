"""pytracking's way of loading a network: by file, or by name in network_path."""
from __future__ import annotations

import shutil
from pathlib import Path
from typing import Dict

import pytest
import torch

from ltr.admin import loading as ltr_loading
from pytracking.utils.loading import load_network


def test_a_bare_name_is_found_in_network_path(env: Dict[str, Path], tiny_lwl: Path, tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    env["networks"].mkdir()
    shutil.copy(tiny_lwl, env["networks"] / "mine.pth.tar")
    monkeypatch.chdir(tmp_path)  # not where the file is
    net = load_network("mine.pth.tar", backbone_pretrained=False)
    reference = ltr_loading.load_network(tiny_lwl, backbone_pretrained=False)
    assert type(net) is type(reference)
    for (name, a), (_, b) in zip(net.state_dict().items(), reference.state_dict().items()):
        assert torch.equal(a, b), name


def test_a_missing_network_says_where_it_looked_and_where_official_files_come_from(env: Dict[str, Path]) -> None:
    with pytest.raises(FileNotFoundError) as err:
        load_network("sta.pth.tar")
    assert str(env["networks"] / "sta.pth.tar") in str(err.value)
    assert "official sta.pth.tar and lwl_stage2.pth come from pytracking's releases" in str(err.value)

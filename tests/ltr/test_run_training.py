"""run_training.py when a run is interrupted: the command that continues it, said once per job."""
import runpy
import shlex
import sys
from pathlib import Path

import pytest

import ltr.trainers.build
from pytracking.utils.cli import EXIT_INTERRUPTED

SCRIPT = Path(__file__).resolve().parents[2] / "ltr" / "run_training.py"


def interrupted(settings, resume):
    raise KeyboardInterrupt


@pytest.mark.parametrize("environment, said", [({}, True),
                                                ({"TORCHELASTIC_RUN_ID": "1", "LOCAL_WORLD_SIZE": "2",
                                                  "WORLD_SIZE": "2", "RANK": "0"}, True),
                                                ({"TORCHELASTIC_RUN_ID": "1", "LOCAL_WORLD_SIZE": "2",
                                                  "WORLD_SIZE": "2", "RANK": "1"}, False)])
def test_an_interrupted_run_says_once_how_to_continue(tmp_path, monkeypatch, capsys, environment, said):
    for name in ("TORCHELASTIC_RUN_ID", "LOCAL_WORLD_SIZE", "WORLD_SIZE", "RANK"):
        monkeypatch.delenv(name, raising=False)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr(ltr.trainers.build, "run", interrupted)
    argv = ["box2seg", "synthetic", "--workspace", str(tmp_path / "my ws")]
    assert runpy.run_path(str(SCRIPT))["main"](argv) == EXIT_INTERRUPTED
    err = capsys.readouterr().err
    if not said:
        assert "continue with" not in err
        return
    command = shlex.split(err.split("[train] continue with: ", 1)[1])
    launcher = ["torchrun", "--nproc_per_node", "2"] if environment else [sys.executable]
    assert command == [*launcher, str(SCRIPT), *argv, "--resume"]

"""The shared command-line plumbing: --help and argument mistakes before torch is loaded, one-line
argument errors, output folders that cannot be made, progress lines in a log file."""
from __future__ import annotations

import io
import os
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from pytracking.utils.cli import (EXIT_USAGE, Parser, Progress, UsageError, continue_command, count, output_folder,
                                  reports_for_the_job)

REPO = Path(__file__).resolve().parents[3]
LOADED = "import sys, runpy; sys.argv = {argv!r}\ntry:\n    runpy.run_path({script!r}, run_name='__main__')\n" \
         "except SystemExit as done:\n    print('exit', done.code, 'torch' in sys.modules, file=sys.stderr)\n"


def run_script(script: str, *args: str) -> subprocess.CompletedProcess:
    """``script`` with ``args`` in a fresh interpreter; its stderr ends with 'exit <code> <torch loaded>'."""
    code = LOADED.format(argv=[script, *args], script=str(REPO / script))
    env = dict(os.environ, PYTHONPATH=str(REPO), OMP_NUM_THREADS="1")
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("script, args", [("pytracking/annotate/run.py", ["--help"]),
                                          ("pytracking/annotate/run.py", ["folder", "--format", "tiff"]),
                                          ("pytracking/annotate/run.py", ["folder", "--interval", "x"]),
                                          ("ltr/run_training.py", ["--help"])])
def test_help_and_argument_mistakes_come_before_torch_is_imported(script, args):
    done = run_script(script, *args)
    code = 0 if args == ["--help"] else EXIT_USAGE
    assert done.stderr.splitlines()[-1] == f"exit {code} False", done.stderr[-2000:]


def test_argument_mistakes_are_one_line(capsys):
    parser = Parser(prog="tool")
    parser.add_argument("--format", choices=("png", "coco"))
    sub = parser.add_subparsers(dest="table").add_parser("table1")
    sub.add_argument("--n", type=int)
    for argv, expected in ((["--format", "tiff"], "argument --format: invalid choice: 'tiff'"),
                           (["table1", "--n", "x"], "argument --n: invalid int value: 'x'"),
                           (["--nope"], "unrecognized arguments: --nope")):
        with pytest.raises(SystemExit) as exit_info:
            parser.parse_args(argv)
        err = capsys.readouterr().err
        assert exit_info.value.code == EXIT_USAGE and err.count("\n") == 1, err
        assert err.startswith("error: ") and expected in err and "usage:" not in err, err


def test_an_output_folder_that_cannot_be_made_names_the_flag(tmp_path):
    (tmp_path / "file").write_text("")
    assert output_folder(tmp_path / "a" / "b") == tmp_path / "a" / "b" and (tmp_path / "a" / "b").is_dir()
    with pytest.raises(UsageError, match=r"^--masks .*/file/x: cannot create \(.*/file is a file, not a folder\)$"):
        output_folder(tmp_path / "file" / "x", "--masks")
    with pytest.raises(UsageError, match=r"^--masks .*/file: cannot create \(.*/file is a file, not a folder\)$"):
        output_folder(tmp_path / "file", "--masks")
    with pytest.raises(UsageError, match=r"^--masks .*/x{300}: cannot create \(File name too long\)$"):
        output_folder(tmp_path / ("x" * 300), "--masks")  # nothing in the way: the system's reason


def test_counts_read_right():
    assert [count(n, "unit") for n in (0, 1, 2)] == ["0 units", "1 unit", "2 units"]
    assert count(1, "bad annotation") == "1 bad annotation" and count(3, "box", "boxes") == "3 boxes"


def test_the_continue_command_is_this_run_quoted(monkeypatch):
    python = shlex.quote(sys.executable)
    monkeypatch.setattr(sys, "argv", ["pytracking/annotate/run.py", "folder", "--root", "my data/bag"])
    assert continue_command("/repo/run.py", None, env={}) == \
        f"{python} pytracking/annotate/run.py folder --root 'my data/bag'"
    assert continue_command("/repo/run.py", ["box", "x"], ["--resume"], env={}) == \
        f"{python} /repo/run.py box x --resume"
    assert continue_command("/repo/run.py", ["--resume", "a"], ["--resume"], env={}) == \
        f"{python} /repo/run.py --resume a"


def test_the_continue_command_keeps_the_variables_that_chose_where_the_run_writes():
    """A run under BOX2SEG_WORKSPACE_DIR continues only there; variables that are no setting are not repeated."""
    env = {"BOX2SEG_WORKSPACE_DIR": "/my ws", "BOX2SEG_RESULTS_PATH": "/r", "BOX2SEG_SHARED_DATA": "/s", "HOME": "/h"}
    command = continue_command("/repo/ltr/run_training.py", ["box2seg", "synthetic"], ["--resume"], env=env)
    assert command == f"BOX2SEG_RESULTS_PATH=/r BOX2SEG_WORKSPACE_DIR='/my ws' {shlex.quote(sys.executable)} " \
                      "/repo/ltr/run_training.py box2seg synthetic --resume"
    assert shlex.split(command)[:2] == ["BOX2SEG_RESULTS_PATH=/r", "BOX2SEG_WORKSPACE_DIR=/my ws"]


def test_the_continue_command_of_a_torchrun_worker_is_torchrun():
    """torchrun sets these in every worker (its docs); 2 nodes of 4 processes each in the second case."""
    one_node = {"TORCHELASTIC_RUN_ID": "none", "LOCAL_WORLD_SIZE": "4", "WORLD_SIZE": "4", "RANK": "0"}
    assert continue_command("/repo/ltr/run_training.py", ["box2seg", "default"], ["--resume"], env=one_node) == \
        "torchrun --nproc_per_node 4 /repo/ltr/run_training.py box2seg default --resume"
    two_nodes = dict(one_node, WORLD_SIZE="8")
    assert continue_command("/repo/ltr/run_training.py", ["box2seg", "default"], env=two_nodes) == \
        "torchrun --nproc_per_node 4 --nnodes 2 /repo/ltr/run_training.py box2seg default" \
        "  # on every node, with this run's rendezvous options"
    other = {"RANK": "0", "WORLD_SIZE": "4", "LOCAL_RANK": "0"}  # a launcher that is neither torchrun nor SLURM
    assert continue_command("/repo/run.py", ["x"], env=other) == f"{shlex.quote(sys.executable)} /repo/run.py x"


def test_the_continue_command_of_a_slurm_task_is_srun_with_as_many_tasks():
    python = shlex.quote(sys.executable)
    srun = {"SLURM_PROCID": "0", "SLURM_NTASKS": "4", "SLURM_LOCALID": "0"}
    assert continue_command("/repo/run.py", ["x"], env=srun) == \
        f"srun --ntasks 4 {python} /repo/run.py x  # with this job's other srun options"
    assert continue_command("/repo/run.py", ["x"], env=dict(srun, SLURM_NTASKS="1")) == f"{python} /repo/run.py x"


def test_one_process_of_a_job_reports_for_it():
    assert reports_for_the_job({}) and reports_for_the_job({"RANK": "0", "WORLD_SIZE": "2"})
    assert not reports_for_the_job({"RANK": "1", "WORLD_SIZE": "2"})
    assert not reports_for_the_job({"SLURM_PROCID": "2", "SLURM_NTASKS": "4"})


def test_progress_in_a_log_file_is_plain_lines_with_rate_and_eta():
    log = io.StringIO()
    progress = Progress(2, "[annotate] lasot", stream=log, every=0.0)
    progress.sequence(1, "boat-1", 4)
    for _ in range(4):
        progress.frame()
    progress.write("a problem")
    progress.sequence_done()
    lines = log.getvalue().splitlines()
    assert "\r" not in log.getvalue() and "\x1b" not in log.getvalue()
    assert lines[0].startswith("[annotate] lasot: sequence 2/2 boat-1: 1/4 frames, ") and "ETA" in lines[0]
    assert "4/4 frames" in lines[-1] and "a problem" in lines


def test_progress_gives_a_run_eta_from_the_finished_units():
    """4 units; unit 1 took 100 s, unit 2 is skipped (already done), unit 3 is half done at 2 frames/s
    after 50 s: its 50 s left and unit 4 at 100 s make 2:30 (counted by hand, as below)."""
    now = [0.0]
    log = io.StringIO()
    progress = Progress(4, "[annotate] lasot", stream=log, every=0.0, clock=lambda: now[0])
    progress.sequence(0, "a", 200)
    now[0] = 100.0
    progress.frame(200)
    progress.sequence_done()
    progress.sequence(2, "c", 200)
    now[0] = 150.0
    progress.frame(100)
    first, last = log.getvalue().splitlines()[0], log.getvalue().splitlines()[-1]
    assert "run ETA" not in first  # no unit finished yet
    assert last == "[annotate] lasot: sequence 3/4 c: 100/200 frames, 2.00 frames/s, ETA 00:50, run ETA 02:30"
    now[0] = 160.0
    progress.frame(100)
    progress.sequence_done()
    progress.sequence(2, "c2", 100)  # unit 3's second sequence: its first one's 60 s are not a finished unit
    now[0] = 170.0
    progress.frame(20)
    assert log.getvalue().splitlines()[-1].endswith("20/100 frames, 2.00 frames/s, ETA 00:40, run ETA 02:20")
    now[0] = 0.0
    bar = Progress(4, "[annotate] lasot", stream=io.StringIO(), terminal=True, clock=lambda: now[0])
    bar.sequence(0, "a", 200)
    now[0] = 100.0
    bar.sequence_done()
    bar.sequence(2, "c", 200)  # units 3 and 4 left at 100 s each
    assert bar.bar.desc == "[annotate] lasot seq 3/4 c (run ETA 03:20)"
    bar.close_bar()


def test_progress_counts_frames_in_steps_and_when_not_enabled_shows_only_messages():
    log = io.StringIO()
    progress = Progress(1, "[lwl] default", stream=log, every=3600.0)
    progress.sequence(0, "bag", 5)
    progress.frame(4)
    progress.frame()
    progress.sequence_done()
    assert log.getvalue().startswith("[lwl] default: sequence 1/1 bag: 5/5 frames, ")
    quiet = io.StringIO()
    progress = Progress(1, "[lwl] default", stream=quiet, every=0.0, enabled=False)
    progress.sequence(0, "bag", 2)
    progress.frame(2)
    progress.write("bag: a problem")
    progress.sequence_done()
    assert quiet.getvalue() == "bag: a problem\n"

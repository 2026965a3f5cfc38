"""Command-line plumbing shared by every tool: the usage error and the exit codes, a parser whose
mistakes are one line, output folders, device and thread choice, network loading, the argument groups
several tools take, and progress that stays readable in a log file.

Nothing here imports torch at module level, so a tool answers ``--help`` or a typo before it loads
torch (the entry scripts import their heavy modules after parsing).
"""
from __future__ import annotations

import argparse
import os
import shlex
import sys
import time
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Callable, Dict, Mapping, Optional, Sequence, Tuple, Type, TypeVar, Union

from ltr.admin.console import is_terminal
from ltr.admin.environment import ENV_PREFIX, setting_variables
from ltr.admin.launcher import launch_place
from ltr.models.meta.solvers import DEFAULT_SOLVER, SOLVERS
from pytracking.annotate.settings import AnnotateSettings, parse_size
from pytracking.utils.loading import DEFAULT_BOX2SEG, OFFICIAL_FILES, network_file

if TYPE_CHECKING:
    import torch

    from ltr.models.box2seg.box2seg_net import Box2SegNet

EXIT_OK = 0  # everything done
EXIT_PROBLEMS = 1  # done, but some input was bad or some output could not be written (each one listed)
EXIT_USAGE = 2  # a usage or configuration mistake, reported as one line on stderr
EXIT_INTERRUPTED = 130  # stopped by Ctrl-C (128 + SIGINT, as shells report it); the run can be continued

DEFAULT_PROTOCOL = "davis"  # J/F frames of evaluate_masks, run_tracker and tracking_report (see the README)

Net = TypeVar("Net")


class UsageError(Exception):
    """Bad command line or configuration; reported as one line without a traceback (exit code 2)."""


class Parser(argparse.ArgumentParser):
    """argparse with the description shown as written and every argument mistake as one line,
    ``error: ...``, exit code 2 (not the usage block)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", argparse.RawDescriptionHelpFormatter)
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(EXIT_USAGE, f"error: {message} (see {self.prog} --help)\n")


def usage_error(err: Union[str, Exception]) -> int:
    """Print a usage or configuration mistake as one line on stderr; the exit code for it."""
    print(f"error: {err}", file=sys.stderr)
    return EXIT_USAGE


def check_at_least_one(args: argparse.Namespace, *flags: str) -> None:
    """UsageError naming the first of ``flags`` (attribute names) that was given and is below 1."""
    for flag in flags:
        value = getattr(args, flag)
        if value is not None and value < 1:
            raise UsageError(f"--{flag.replace('_', '-')} must be at least 1")


def output_folder(path: Union[str, Path], flag: str = "--out") -> Path:
    """``path``, created if needed; a UsageError naming ``flag`` when it cannot be."""
    path = Path(path)
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        blocker = _file_in_the_way(path)
        why = f"{blocker} is a file, not a folder" if blocker is not None else err.strerror or err
        raise UsageError(f"{flag} {path}: cannot create ({why})") from None
    return path


def _file_in_the_way(path: Path) -> Optional[Path]:
    """The file among ``path`` and its parents that stops the folder from being made, if one does."""
    for place in (path, *path.parents):
        try:
            if place.exists() and not place.is_dir():
                return place
        except OSError:  # e.g. a name too long to look up
            continue
    return None


def setting_name(field: str, module: str = "pytracking/evaluation/local.py") -> str:
    """How a message names a path that comes from a local.py ``field`` rather than a flag: the field, its
    file and the environment variable that overrides it, so the user knows where to change it."""
    return f"{field} ({module}, or {ENV_PREFIX}{field.upper()})"


def count(n: int, noun: str, plural: Optional[str] = None) -> str:
    """``n`` and ``noun`` in the number that reads right: '1 unit', '2 units' (``plural``: when not noun + 's')."""
    return f"{n} {noun if n == 1 else plural or noun + 's'}"


def continue_command(script: str, argv: Optional[Sequence[str]], add: Sequence[str] = (),
                     env: Optional[Mapping[str, str]] = None) -> str:
    """The command line, shell-quoted, that continues an interrupted run: the launcher (this Python;
    ``torchrun`` with as many processes per node, or ``srun`` with as many tasks, when one started this
    process), the script as it was started and its arguments (``script``, the entry file, and ``argv``
    when main() was called with arguments rather than from the command line), plus those of ``add`` not
    already given, after the ``BOX2SEG_<FIELD>`` variables that chose where the run writes. Launcher
    options that cannot be read back (torchrun's rendezvous on several nodes, srun's others) are named in
    a comment after the command."""
    env = os.environ if env is None else env
    start, args = (sys.argv[0], sys.argv[1:]) if argv is None else (script, list(argv))
    launcher, note = [sys.executable], ""
    place = launch_place(env)
    if "TORCHELASTIC_RUN_ID" in env and "LOCAL_WORLD_SIZE" in env:
        launcher = ["torchrun", "--nproc_per_node", env["LOCAL_WORLD_SIZE"]]
        nodes = int(env.get("WORLD_SIZE", env["LOCAL_WORLD_SIZE"])) // int(env["LOCAL_WORLD_SIZE"])
        if nodes > 1:
            launcher += ["--nnodes", str(nodes)]
            note = "  # on every node, with this run's rendezvous options"
    elif place.launcher == "slurm" and place.world_size > 1:
        launcher = ["srun", "--ntasks", str(place.world_size), sys.executable]
        note = "  # with this job's other srun options"
    variables = [f"{name}={shlex.quote(value)}" for name, value in setting_variables(env).items()]
    return " ".join([*variables, shlex.join([*launcher, start, *args, *(a for a in add if a not in args)])]) + note


def reports_for_the_job(env: Optional[Mapping[str, str]] = None) -> bool:
    """Whether this process says what concerns the whole job (e.g. how to continue it): yes, unless a
    launcher (torchrun, SLURM) started several processes and this one is not rank 0."""
    return launch_place(env).is_main


def set_threads(threads: Optional[int]) -> None:
    """CPU threads of PyTorch and OpenCV (None: their own choice); UsageError below 1."""
    if threads is None:
        return
    if threads < 1:
        raise UsageError("--threads must be at least 1")
    import cv2
    import torch

    torch.set_num_threads(threads)
    cv2.setNumThreads(threads)


def pick_device(name: Optional[str], env: Mapping[str, str]) -> "torch.device":
    """``name``, else the GPU of this process's rank on its node (``launch_place``), else the CPU;
    UsageError when the named device does not exist here."""
    import torch

    if name:
        try:
            device = torch.device(name)
            torch.empty(0, device=device)
        except (RuntimeError, AssertionError) as err:  # a malformed name, no CUDA, no such GPU
            raise UsageError(f"--device {name} is not usable here: {next(iter(str(err).splitlines()), err)}") from None
        return device
    if not torch.cuda.is_available():
        return torch.device("cpu")
    return torch.device("cuda", launch_place(env).local_rank % torch.cuda.device_count())


def find_network(name: Union[str, Path], network_path: Any, what: str) -> Path:
    """The checkpoint file ``name`` refers to; UsageError saying where it was looked for and where
    official files come from."""
    try:
        return network_file(name, network_path)
    except FileNotFoundError as err:
        raise UsageError(f"{what} {err}; {OFFICIAL_FILES}") from None


def load_checked(path: Path, kind: Type[Net], what: str, kind_name: str, **kwargs: Any) -> Net:
    """The network in checkpoint ``path`` (``what`` names it in messages); UsageError when it cannot be
    read or is not a ``kind`` (``kind_name``)."""
    from ltr.admin.loading import load_network

    try:
        net = load_network(path, **kwargs)
    except Exception as err:  # any unreadable or foreign checkpoint
        raise UsageError(f"cannot load {what} {path}: {err}") from err
    if not isinstance(net, kind):
        raise UsageError(f"{path} holds a {type(net).__name__}, not {kind_name}")
    return net


def load_weights(weights: Optional[str], network_path: Any) -> "Box2SegNet":
    """The trained box2seg network ``weights`` (a file, or a name in network_path or pytracking/networks/),
    by default the shipped one; says on stderr which file it uses."""
    from ltr.models.box2seg.box2seg_net import Box2SegNet

    path = find_network(weights or DEFAULT_BOX2SEG, network_path, "weights")
    net = load_checked(path, Box2SegNet, "weights", "a box2seg (STA) network")
    net.weights_path = path
    print(f"[box2seg] weights: {path}{'' if weights else ' (the shipped default)'}", file=sys.stderr)
    return net


# ---- argument groups ---------------------------------------------------------------------------------

def size_argument(text: str) -> Tuple[int, int]:
    """``parse_size`` as an argparse type: a bad size's error says why (argparse hides a ValueError's text)."""
    try:
        return parse_size(text)
    except ValueError as err:
        raise argparse.ArgumentTypeError(str(err)) from None


def folder_name(text: str) -> str:
    """An argparse type for a name that becomes one folder under an output folder: a separator or '..'
    would put the output somewhere else."""
    separators = {"/", os.sep, os.altsep} - {None}
    if text in ("", ".", "..") or any(c in text for c in separators):
        raise argparse.ArgumentTypeError(f"{text!r} is not a folder name: it becomes one folder of the output, "
                                         "so it holds no '/' and is not '.' or '..'")
    return text


def add_weights_argument(p: Union[argparse.ArgumentParser, argparse._ArgumentGroup]) -> None:
    """--weights: the box2seg network."""
    p.add_argument("--weights", help="box2seg network: our checkpoint or the official sta.pth.tar (a bare name is "
                                     "looked up in network_path of pytracking/evaluation/local.py, then "
                                     f"pytracking/networks/); default: the shipped {DEFAULT_BOX2SEG}")


def add_device_arguments(p: Union[argparse.ArgumentParser, argparse._ArgumentGroup]) -> None:
    """--device and --threads."""
    p.add_argument("--device", help="e.g. cuda:1 or cpu (default: the rank's local GPU, else the CPU)")
    p.add_argument("--threads", type=int, help="CPU threads of PyTorch and OpenCV (default: their choice; 1 is "
                                               "steadier on a busy machine)")


def add_mode_arguments(p: Union[argparse.ArgumentParser, argparse._ArgumentGroup]) -> None:
    """--fast and --solver: what each costs and gives."""
    p.add_argument("--fast", action="store_true",
                   help="approximation: each frame's initial mask is computed once, from its own window, and "
                        "shared by every window containing it (2 decodes per window instead of T+1: faster at "
                        "large T; on short sequences exact mode, which segments windows of the same frames once, "
                        "costs as much); masks differ slightly from the paper's inference (README, Speed)")
    p.add_argument("--solver", choices=SOLVERS,
                   help="steepest descent of S: closed-form products without autograd, or the official double "
                        "backward (the same maths, about 2x slower per window on a CPU; default: what the checkpoint "
                        f"was trained with, else {DEFAULT_SOLVER})")


def add_inference_arguments(p: argparse.ArgumentParser, interval_default: str) -> argparse._ArgumentGroup:
    """The box2seg inference group other than T (None = not given: the checkpoint's or the paper's value);
    ``interval_default`` says what Δ defaults to."""
    d = AnnotateSettings()
    g = p.add_argument_group("box2seg inference (defaults: the paper's)")
    g.add_argument("--interval", type=int, help=f"Δ, frames between window slots (default: {interval_default})")
    g.add_argument("--iters", type=int, help=f"steepest-descent iterations (default {d.iters})")
    g.add_argument("--search-area", type=float, help="crop side / box side (default: what the checkpoint was "
                                                      f"trained for, else {d.search_area:g})")
    g.add_argument("--crop-size", type=size_argument, metavar="HxW", help="network input size, multiples of the "
                   "network's target stride (default: what the checkpoint was trained for, else {}x{})"
                   .format(*d.crop_size))
    g.add_argument("--batch-windows", type=int, help=f"windows segmented together (default {d.batch_windows})")
    g.add_argument("--bf16", action="store_true", help="bfloat16 autocast (for CUDA)")
    add_mode_arguments(g)
    g.add_argument("--workers", type=int, help=f"threads reading frames and writing files (default {d.workers})")
    add_device_arguments(g)
    return g


def inference_settings(args: argparse.Namespace) -> Dict[str, Any]:
    """The inference group's values as ``AnnotateSettings`` fields (None: not given), checked."""
    check_at_least_one(args, "interval", "iters", "batch_windows", "workers")
    if args.search_area is not None and args.search_area <= 0:
        raise UsageError("--search-area must be positive")
    return dict(interval=args.interval, iters=args.iters, search_area=args.search_area, crop_size=args.crop_size,
                batch_windows=args.batch_windows, bf16=args.bf16, workers=args.workers, fast=args.fast,
                solver=args.solver)


def add_protocol_argument(p: argparse.ArgumentParser, protocols: Mapping[str, str]) -> None:
    """--protocol: which frames J and F score; ``protocols`` (name -> description) come from the
    analysis layer (pytracking.analysis.metrics.PROTOCOLS), which this module sits below."""
    p.add_argument("--protocol", default=DEFAULT_PROTOCOL, choices=list(protocols),
                   help="frames J and F score: " + "; ".join(f"{k}: {v}" for k, v in protocols.items())
                        + f" (default {DEFAULT_PROTOCOL})")


# ---- progress ----------------------------------------------------------------------------------------

class Progress:
    """Frames of the current sequence with rate and ETA, and the count of sequences beside them.

    On a terminal: one tqdm bar per sequence (no nested bars). On a pipe or a log file: a plain line
    every ``every`` seconds and one when a sequence ends, without carriage returns or cursor moves.
    Not ``enabled``: no bar and no lines (for callers that report elsewhere), but messages still show.
    Once a unit is finished, a run ETA follows: the units after the current one at the mean time of
    the finished ones (units the caller will skip, e.g. already done, count too: the run can end sooner).
    """

    def __init__(self, units: int, label: str, stream: Optional[IO] = None, every: float = 30.0,
                 terminal: Optional[bool] = None, enabled: bool = True, clock: Callable[[], float] = time.monotonic):
        self.units, self.label, self.every, self.enabled, self.clock = units, label, every, enabled, clock
        self.stream = stream if stream is not None else sys.stderr
        self.terminal = is_terminal(self.stream) if terminal is None else terminal
        self.unit = 0
        self.bar: Any = None
        self.name, self.total, self.done, self.start, self.last = "", 0, 0, 0.0, 0.0
        self.unit_seconds: Dict[int, float] = {}  # unit -> seconds its finished sequences took

    def sequence(self, unit: int, name: str, frames: int) -> None:
        """A sequence of ``frames`` frames starts (``unit``: its unit's 0-based index)."""
        self.close_bar()
        self.unit, self.name, self.total, self.done = unit, name, frames, 0
        self.start = self.last = self.clock()
        if self.enabled and self.terminal:
            from tqdm import tqdm

            run = self._run_eta(None)
            desc = f"{self.label} seq {unit + 1}/{self.units} {name}" + (f" (run ETA {run})" if run else "")
            self.bar = tqdm(total=frames, desc=desc, unit="frame", leave=False, dynamic_ncols=True, file=self.stream)

    def frame(self, frames: int = 1) -> None:
        """``frames`` more frames of the current sequence are done."""
        self.done += frames
        if self.bar is not None:
            self.bar.update(frames)
        elif self.enabled and self.clock() - self.last >= self.every:
            self._line()

    def sequence_done(self) -> None:
        """The current sequence is finished."""
        self.unit_seconds[self.unit] = self.unit_seconds.get(self.unit, 0.0) + self.clock() - self.start
        if self.enabled and self.bar is None and self.total:
            self._line()
        self.close_bar()

    def sequence_failed(self, message: str) -> None:
        """The current sequence (or unit) ends unfinished: its bar goes, ``message`` stays, and its time is
        not counted as a finished unit's."""
        self.close_bar()
        self.write(message)

    def write(self, message: str) -> None:
        """A message on the progress stream, above the bar."""
        if self.bar is not None:
            self.bar.write(message, file=self.stream)
        else:
            print(message, file=self.stream, flush=True)

    def __enter__(self) -> "Progress":
        return self

    def __exit__(self, *exc: Any) -> None:
        """Take the bar off the terminal even when the work fails."""
        self.close_bar()

    def close_bar(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None

    def _run_eta(self, sequence_left: Optional[float]) -> Optional[str]:
        """The run's remaining time: ``sequence_left`` seconds of the current sequence (None: the whole
        current unit is left) and every later unit at the mean of the finished units; None before one is."""
        from tqdm import tqdm

        finished = [s for u, s in self.unit_seconds.items() if u != self.unit]
        later = self.units - self.unit - (1 if sequence_left is not None else 0)
        if not finished or later <= 0:
            return None
        return tqdm.format_interval((sequence_left or 0.0) + later * sum(finished) / len(finished))

    def _line(self) -> None:
        from tqdm import tqdm

        self.last = self.clock()
        elapsed = self.last - self.start
        rate = self.done / elapsed if elapsed > 0 else 0.0
        left = (self.total - self.done) / rate if rate > 0 else None
        eta = "?" if left is None else tqdm.format_interval(left)
        run = self._run_eta(left) if left is not None else None
        print(f"{self.label}: sequence {self.unit + 1}/{self.units} {self.name}: {self.done}/{self.total} frames, "
              f"{rate:.2f} frames/s, ETA {eta}" + (f", run ETA {run}" if run else ""), file=self.stream, flush=True)

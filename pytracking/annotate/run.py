"""Write box2seg pseudo-masks for whole datasets (LaSOT, GOT-10k, DAVIS, YouTube-VOS, a folder).

    python pytracking/annotate/run.py lasot --weights sta.pth.tar [--root R] [--out O]
    python pytracking/annotate/run.py folder --root frames/ --boxes boxes.txt --weights W --out O
    torchrun --nproc_per_node 8 pytracking/annotate/run.py got10k --weights W     (or srun ...)

Restartable: a unit (sequence / video) is skipped when its done-marker exists and redone otherwise.
Shards (``--shard i --num-shards n``, or torchrun's RANK/WORLD_SIZE, or SLURM_PROCID/SLURM_NTASKS)
take every n-th unit of the sorted list, so any set of ranks covers the dataset exactly once.
Exit code 0: all done; 1: some input was bad or some output could not be written, and was skipped
(listed at the end and in the summary JSON); 2: usage or configuration errors (one line on stderr).
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Callable, Dict, List, Mapping, Optional, Sequence, Tuple

if __package__ in (None, ""):  # run as a script: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import torch
from tqdm import tqdm

from ltr.admin.loading import load_network
from ltr.models.box2seg.box2seg_net import Box2SegNet
from ltr.models.meta.steepestdescent import SOLVERS
from pytracking.annotate.crop import parse_size
from pytracking.annotate.engine import AnnotateSettings, Annotator, settings_for
from pytracking.annotate.sources import DATASETS, SequenceError, Source, TargetSequence, make_source
from pytracking.annotate.windows import max_window
from pytracking.annotate.writer import OutputLayout, SequenceWriter, format_table, write_json
from pytracking.evaluation.environment import env_settings
from pytracking.utils.loading import DEFAULT_BOX2SEG, network_file

EXIT_OK, EXIT_SKIPPED, EXIT_USAGE = 0, 1, 2
ROOT_SETTINGS = {"lasot": "lasot_path", "got10k": "got10k_path", "youtubevos": "youtubevos_dir"}


class UsageError(Exception):
    """Bad command line or configuration; reported without a traceback."""


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="run.py", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("dataset", choices=DATASETS)
    p.add_argument("--weights", help="our checkpoint or the official sta.pth.tar (a bare name is looked up in "
                                     "network_path of pytracking/evaluation/local.py, then pytracking/networks/); "
                                     f"default: the shipped {DEFAULT_BOX2SEG}")
    p.add_argument("--root", help="dataset root (default: from pytracking/evaluation/local.py); folder: the frames")
    p.add_argument("--out", help="output root (default: annotation_path from local.py)")
    p.add_argument("--sequences", nargs="+", help="only these sequences (LaSOT/GOT-10k names, DAVIS/YouTube-VOS videos)")
    p.add_argument("--boxes", help="folder: the boxes file, one x,y,w,h line per frame (empty/NaN/zero size = no box)")
    p.add_argument("--name", help="folder: the sequence name (default: the folder's name)")
    p.add_argument("--year", default="2017", choices=("2016", "2017"), help="DAVIS version (2016: 0/255 masks)")
    p.add_argument("--split", help="DAVIS: ImageSets split (default val); YouTube-VOS: split folder (default train)")
    p.add_argument("--resolution", default="480p", help="DAVIS resolution folder, e.g. 480p or 240p")
    g = p.add_argument_group("inference (defaults: the paper)")
    d = AnnotateSettings()
    g.add_argument("--num-frames", type=int, default=d.num_frames,
                   help="T, frames per temporal window; exact mode decodes T + 1 frames per window, so T = 1 is "
                        "the cheapest (see README, Speed); the shipped network's J is the same at T = 1 and 9")
    g.add_argument("--interval", type=int, default=d.interval, help="Δ, frames between window slots")
    g.add_argument("--iters", type=int, default=d.iters, help="steepest-descent iterations")
    g.add_argument("--search-area", type=float, help="crop side / box side (default: what the checkpoint was "
                                                      f"trained for, else {d.search_area:g})")
    g.add_argument("--crop-size", type=parse_size, metavar="HxW", help="network input size, multiples of 16 "
                   "(default: what the checkpoint was trained for, else 480x832)")
    g.add_argument("--batch-windows", type=int, default=d.batch_windows, help="windows segmented together")
    g.add_argument("--no-cache", action="store_true", help="recompute per-frame features for every window (slow)")
    g.add_argument("--bf16", action="store_true", help="bfloat16 autocast (for CUDA)")
    add_mode_arguments(g)
    g.add_argument("--device", help="e.g. cuda:1 or cpu (default: the rank's local GPU, else CPU)")
    g.add_argument("--workers", type=int, default=d.workers, help="threads reading frames and writing files")
    j = p.add_argument_group("job")
    j.add_argument("--shard", type=int, help="this shard's index (with --num-shards)")
    j.add_argument("--num-shards", type=int, help="number of shards")
    j.add_argument("--overwrite", action="store_true", help="redo units that are already marked done")
    j.add_argument("--vis", action="store_true", help="also write overlay JPEGs and an MP4 per sequence under <out>/vis")
    return p


def add_mode_arguments(group: argparse._ArgumentGroup) -> None:
    """--fast and --solver (shared with the evaluation's box2seg method)."""
    group.add_argument("--fast", action="store_true",
                       help="approximation: each frame's initial mask is computed once, from its own window, and "
                            "shared by every window containing it (2 decodes per window instead of T+1; on short "
                            "sequences exact mode, which segments windows of the same frames once, costs as much)")
    group.add_argument("--solver", default=AnnotateSettings().solver, choices=SOLVERS,
                       help="steepest descent of S: batched matmuls (default) or the official double backward "
                            "(the same maths, slower)")


def resolve_shard(shard: Optional[int], num_shards: Optional[int], env: Mapping[str, str]) -> Tuple[int, int]:
    """(index, count) from the arguments, else torchrun's or SLURM's environment, else (0, 1)."""
    if (shard is None) != (num_shards is None):
        raise UsageError("--shard and --num-shards go together")
    if shard is None:
        for rank, size in (("RANK", "WORLD_SIZE"), ("SLURM_PROCID", "SLURM_NTASKS")):
            if rank in env and size in env:
                shard, num_shards = int(env[rank]), int(env[size])
                break
        else:
            shard, num_shards = 0, 1
    if not 0 <= shard < num_shards:
        raise UsageError(f"shard {shard} is not in 0..{num_shards - 1}")
    return shard, num_shards


def pick_device(name: Optional[str], env: Mapping[str, str]) -> torch.device:
    """``name``, else the GPU of this node-local rank (LOCAL_RANK / SLURM_LOCALID), else the CPU;
    UsageError when the named device does not exist here."""
    if name:
        try:
            device = torch.device(name)
            torch.empty(0, device=device)
        except (RuntimeError, AssertionError) as err:  # a malformed name, no CUDA, no such GPU
            raise UsageError(f"--device {name} is not usable here: {next(iter(str(err).splitlines()), err)}") from None
        return device
    if not torch.cuda.is_available():
        return torch.device("cpu")
    local = int(env.get("LOCAL_RANK", env.get("SLURM_LOCALID", 0)))
    return torch.device("cuda", local % torch.cuda.device_count())


def load_weights(weights: Optional[str], network_path: str) -> Box2SegNet:
    """The trained box2seg network ``weights`` (a file, or a name in network_path or pytracking/networks/),
    by default the shipped one; says on stderr which file it uses."""
    try:
        path = network_file(weights or DEFAULT_BOX2SEG, network_path)
    except FileNotFoundError as err:
        raise UsageError(f"weights {err}") from None
    try:
        net = load_network(path)
    except Exception as err:  # any unreadable or foreign checkpoint
        raise UsageError(f"cannot load weights {path}: {err}") from err
    if not isinstance(net, Box2SegNet):
        raise UsageError(f"{path} holds a {type(net).__name__}, not a box2seg (STA) network")
    net.weights_path = path
    print(f"[box2seg] weights: {path}{'' if weights else ' (the shipped default)'}", file=sys.stderr)
    return net


def annotate_sequence(annotator: Annotator, seq: TargetSequence, layout: OutputLayout, pool: ThreadPoolExecutor,
                      vis: bool, log: Callable[[str], None]) -> Dict:
    """Write every frame's mask of one target sequence; returns its stats record."""
    for problem in seq.problems:
        log(problem)
    start = time.time()
    writer = SequenceWriter(layout, seq, pool, vis)
    for i in range(len(seq)):
        if not seq.visible[i]:
            writer.add(i, None)
    for result in annotator.annotate(seq):
        if result.problem:
            log(result.problem)
        writer.add(result.index, result.mask, result.problem)
    s = annotator.settings
    largest = max_window(len(seq), s.num_frames, s.interval)
    notes = [f"short video: {len(seq)} frames at interval {s.interval} allow windows of at most {largest} frames "
             f"(not {s.num_frames})"] if largest < s.num_frames else []
    record = writer.finish(notes)
    record["seconds"] = time.time() - start
    record["frames_per_second"] = len(seq) / max(record["seconds"], 1e-9)
    return record


def _dataset_root(args: argparse.Namespace, env) -> str:
    """--root, else the dataset's path in pytracking/evaluation/local.py."""
    if args.root:
        return args.root
    if args.dataset == "folder":
        raise UsageError("the folder source needs --root (the frames folder)")
    setting = ("davis16_dir" if args.year == "2016" else "davis_dir") if args.dataset == "davis" \
        else ROOT_SETTINGS[args.dataset]
    root = getattr(env, setting, "")
    if not root:
        raise UsageError(f"no --root given and {setting} is not configured in pytracking/evaluation/local.py")
    return root


def _check_arguments(args: argparse.Namespace) -> None:
    for flag in ("num_frames", "interval", "iters", "batch_windows", "workers"):
        if getattr(args, flag) < 1:
            raise UsageError(f"--{flag.replace('_', '-')} must be at least 1")
    if args.search_area is not None and args.search_area <= 0:
        raise UsageError("--search-area must be positive")


def _settings(args: argparse.Namespace, net: Box2SegNet) -> AnnotateSettings:
    """The command line's settings; crop size and search area default to what the network was trained for."""
    return settings_for(net, num_frames=args.num_frames, interval=args.interval, iters=args.iters,
                        search_area=args.search_area, crop_size=args.crop_size, batch_windows=args.batch_windows,
                        cache=not args.no_cache, bf16=args.bf16, workers=args.workers, solver=args.solver,
                        fast=args.fast)


def _report(records: List[Dict], failed_units: List[Dict], summary_path: Path) -> str:
    """The end-of-run text: the table, then everything that was skipped."""
    lines = [format_table(records)] if records else ["no sequences annotated in this run"]
    problems = [p for r in records for p in r["problems"]]
    if failed_units or problems:
        lines.append(f"\nSKIPPED ({len(failed_units)} units, {sum(r['skipped'] for r in records)} frames):")
        lines += [f"  unit {u['unit']}: {u['reason']}" for u in failed_units]
        lines += [f"  {p}" for p in problems[:50]]
        if len(problems) > 50:
            lines.append(f"  ... {len(problems) - 50} more in {summary_path}")
    lines += [f"  note: {r['sequence']}: {n}" for r in records for n in r["notes"]]
    lines.append(f"summary: {summary_path}")
    return "\n".join(lines)


def _log(message: str) -> None:
    """Print above the progress bar, on stderr."""
    tqdm.write(message, file=sys.stderr)


def annotate_units(annotator: Annotator, source: Source, units: List[str], layout: OutputLayout,
                   overwrite: bool, vis: bool, desc: str) -> Dict:
    """Annotate the units not yet done; the run's records, failed units and counts."""
    run: Dict = {"sequences": [], "failed_units": [], "already_done": 0, "frames": 0}
    start = time.time()
    bar = tqdm(units, desc=desc, unit="seq", dynamic_ncols=True)
    with ThreadPoolExecutor(annotator.settings.workers) as pool:
        for unit in bar:
            if layout.is_done(unit) and not overwrite:
                run["already_done"] += 1
                continue
            layout.start_unit(unit)
            try:
                records = [annotate_sequence(annotator, seq, layout, pool, vis, _log) for seq in source.load(unit)]
            except (SequenceError, OSError) as err:  # unreadable input, or an output write failed
                _log(f"skipping {unit}: {err}")
                run["failed_units"].append({"unit": unit, "reason": str(err)})
                continue
            layout.mark_done(unit, records)
            run["sequences"] += records
            run["frames"] += sum(r["frames"] for r in records)
            bar.set_postfix(frames_per_s=f"{run['frames'] / (time.time() - start):.1f}")
    run["seconds"] = time.time() - start
    return run


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        env = env_settings()
        _check_arguments(args)
        shard, num_shards = resolve_shard(args.shard, args.num_shards, os.environ)
        source, units = make_source(args.dataset, _dataset_root(args, env), args.sequences, args.boxes, args.name,
                                    args.year, args.split, args.resolution)
        out = Path(args.out or env.annotation_path)
        device = pick_device(args.device, os.environ)
        net = load_weights(args.weights, env.network_path)
        settings = _settings(args, net)
        out.mkdir(parents=True, exist_ok=True)
    except (UsageError, ValueError, OSError) as err:  # OSError: e.g. an output folder that cannot be made
        print(f"error: {err}", file=sys.stderr)
        return EXIT_USAGE
    layout = OutputLayout(out, source.name)
    mine = sorted(units)[shard::num_shards]
    run = annotate_units(Annotator(net, settings, device), source, mine, layout, args.overwrite, args.vis,
                         desc=f"{source.name} shard {shard + 1}/{num_shards} on {device}")
    records, seconds = run["sequences"], run["seconds"]
    summary_path = layout.summary_path(shard, num_shards)
    write_json(summary_path, {
        "dataset": source.name, "shard": shard, "num_shards": num_shards, "device": str(device),
        "weights": str(net.weights_path), "settings": vars(settings), "out": str(out), "units": len(mine),
        "masks": sum(r["masks"] for r in records), "frames_per_second": run["frames"] / max(seconds, 1e-9), **run})
    print(_report(records, run["failed_units"], summary_path))
    print(f"{run['frames']} frames in {seconds:.1f} s ({run['frames'] / max(seconds, 1e-9):.2f} frames/s); "
          f"{run['already_done']} units were already done")
    skipped = run["failed_units"] or any(r["skipped"] or r["problems"] for r in records)
    return EXIT_SKIPPED if skipped else EXIT_OK


if __name__ == "__main__":
    sys.exit(main())

"""Write box2seg pseudo-masks for whole datasets (LaSOT, GOT-10k, DAVIS, YouTube-VOS, a folder).

    python pytracking/annotate/run.py lasot --weights sta.pth.tar [--root R] [--out O]
    python pytracking/annotate/run.py folder --root SEQUENCE/ --out O [--format png|coco|both]
        (SEQUENCE/: the frames, in it or in its imgs/ or img/, and groundtruth.txt: x,y,w,h or VOT
        polygon lines; --boxes FILE overrides groundtruth.txt)
    torchrun --nproc_per_node 8 pytracking/annotate/run.py got10k --weights W     (or srun ...)

Restartable: a unit (sequence / video) is skipped when its done-marker exists and redone otherwise.
Shards (``--shard i --num-shards n``, or torchrun's RANK/WORLD_SIZE, or SLURM_PROCID/SLURM_NTASKS)
take every n-th unit of the sorted list, so any set of ranks covers the dataset exactly once.
Exit code 0: all done; 1: some input was bad or some output could not be written, and was skipped
(listed at the end and in the summary JSON); 2: usage or configuration errors (one line on stderr).
"""
from __future__ import annotations

import hashlib
import json
import os
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Dict, List, Mapping, Optional, Sequence, Tuple

if __package__ in (None, ""):  # run as a script: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from ltr.admin.launcher import launch_place
from pytracking.annotate.settings import SOURCES, AnnotateSettings
from pytracking.utils.cli import (EXIT_INTERRUPTED, EXIT_OK, EXIT_PROBLEMS, Parser, Progress, UsageError,
                                  add_inference_arguments, add_weights_argument, continue_command, count, folder_name,
                                  inference_settings, load_weights, output_folder, pick_device, reports_for_the_job,
                                  set_threads, setting_name, usage_error)

if TYPE_CHECKING:
    from concurrent.futures import ThreadPoolExecutor

    from ltr.dataset.sequence import VideoSequence
    from pytracking.annotate.engine import Annotator
    from pytracking.annotate.sources import Source
    from pytracking.annotate.writer import OutputLayout

ROOT_SETTINGS = {"lasot": "lasot_path", "got10k": "got10k_path", "youtubevos": "youtubevos_dir"}
FORMATS = {"png": ("png",), "coco": ("coco",), "both": ("png", "coco")}


def build_parser() -> Parser:
    p = Parser(prog="run.py", description=__doc__)
    p.add_argument("dataset", choices=SOURCES)
    add_weights_argument(p)
    p.add_argument("--root", help="dataset root (default: from pytracking/evaluation/local.py); folder: the "
                                  "sequence folder (frames in it or in its imgs/ or img/, and groundtruth.txt)")
    p.add_argument("--out", help="output root (default: annotation_path from local.py)")
    p.add_argument("--format", default="png", choices=FORMATS,
                   help="masks as palette PNGs (<out>/<dataset>_masks/<sequence>/<frame>.png, pytracking's layout; "
                        "default), as COCO run-length JSON per sequence (<out>/<dataset>_coco/<sequence>.json), "
                        "or both")
    p.add_argument("--sequences", nargs="+", help="only these sequences (LaSOT/GOT-10k names, DAVIS/YouTube-VOS videos)")
    p.add_argument("--boxes", help="folder: a boxes file instead of the sequence folder's groundtruth.txt; one line "
                                   "per frame: x,y,w,h or a VOT polygon x1,y1,...,x4,y4 (its min/max box); an empty, "
                                   "NaN or zero-size line means no box")
    p.add_argument("--name", type=folder_name,
                   help="folder: the sequence's name, used for its masks folder <out>/folder_masks/<name>/ (default: "
                        "the sequence folder's name); in run_tracker.py --name names the results run instead")
    p.add_argument("--year", default="2017", choices=("2016", "2017"), help="DAVIS version (2016: 0/255 masks)")
    p.add_argument("--split", help="DAVIS: ImageSets split (default val); YouTube-VOS: split folder (default train)")
    p.add_argument("--resolution", default="480p", help="DAVIS resolution folder, e.g. 480p or 240p")
    g = add_inference_arguments(p, f"{AnnotateSettings().interval}")
    g.add_argument("--num-frames", type=int, default=AnnotateSettings().num_frames,
                   help="T, frames per temporal window (default %(default)s); exact mode decodes T + 1 frames per "
                        "window, so T = 1 is the cheapest (see the README, Speed); the shipped network's held-out J "
                        "is about 1 point higher at T = 9 than at T = 1")
    g.add_argument("--no-cache", action="store_true", help="recompute per-frame features for every window (slow)")
    j = p.add_argument_group("job")
    j.add_argument("--shard", type=int, help="this shard's index (with --num-shards)")
    j.add_argument("--num-shards", type=int, help="number of shards")
    j.add_argument("--overwrite", action="store_true", help="redo units that are already marked done")
    j.add_argument("--vis", action="store_true", help="also write overlay JPEGs and an MP4 per sequence under <out>/vis")
    return p


def resolve_shard(shard: Optional[int], num_shards: Optional[int], env: Mapping[str, str]) -> Tuple[int, int]:
    """(index, count) from the arguments, else the launcher's (torchrun, SLURM: ``launch_place``), else (0, 1)."""
    if (shard is None) != (num_shards is None):
        raise UsageError("--shard and --num-shards go together")
    if shard is None:
        place = launch_place(env)
        shard, num_shards = place.rank, place.world_size
    if not 0 <= shard < num_shards:
        raise UsageError(f"shard {shard} is not in 0..{num_shards - 1}")
    return shard, num_shards


def annotate_sequence(annotator: Annotator, seq: VideoSequence, layout: OutputLayout, pool: ThreadPoolExecutor,
                      vis: bool, formats: Sequence[str], progress: Progress) -> Dict:
    """Write every frame's mask of one target sequence; returns its stats record."""
    from pytracking.annotate.windows import max_window
    from pytracking.annotate.writer import SequenceWriter

    for problem in seq.problems:
        progress.write(problem)
    start = time.time()
    writer = SequenceWriter(layout, seq, pool, vis, formats)
    for i in range(len(seq)):
        if not seq.visible[i]:
            writer.add(i, None)
            progress.frame()
    for result in annotator.annotate(seq):
        if result.problem:
            progress.write(result.problem)
        writer.add(result.index, result.mask, result.problem)
        progress.frame()
    s = annotator.settings
    largest = max_window(len(seq), s.num_frames, s.interval)
    notes = [f"short video: {len(seq)} frames at interval {s.interval} allow windows of at most {largest} frames "
             f"(not {s.num_frames})"] if largest < s.num_frames else []
    record = writer.finish(notes)
    record["seconds"] = time.time() - start
    record["frames_per_second"] = len(seq) / max(record["seconds"], 1e-9)
    return record


def _dataset_root(args, env) -> str:
    """--root, else the dataset's path in pytracking/evaluation/local.py."""
    if args.root:
        return args.root
    if args.dataset == "folder":
        raise UsageError("the folder source needs --root (the sequence folder: frames and groundtruth.txt)")
    setting = ("davis16_dir" if args.year == "2016" else "davis_dir") if args.dataset == "davis" \
        else ROOT_SETTINGS[args.dataset]
    root = getattr(env, setting, "")
    if not root:
        raise UsageError(f"no --root given and {setting} is not configured in pytracking/evaluation/local.py")
    return root


def _report(records: List[Dict], failed_units: List[Dict], summary_path: Path) -> str:
    """The end-of-run text: the table, then everything that was skipped."""
    from pytracking.annotate.writer import format_table

    lines = [format_table(records)] if records else ["no sequences annotated in this run"]
    problems = [p for r in records for p in r["problems"]]
    if failed_units or problems:
        frames = count(sum(r["skipped"] for r in records), "frame")
        lines.append(f"\nSKIPPED ({count(len(failed_units), 'unit')}, {frames}):")
        lines += [f"  unit {u['unit']}: {u['reason']}" for u in failed_units]
        lines += [f"  {p}" for p in problems[:50]]
        if len(problems) > 50:
            lines.append(f"  ... {len(problems) - 50} more in {summary_path}")
    lines += [f"  note: {r['sequence']}: {n}" for r in records for n in r["notes"]]
    return "\n".join(lines)


def _outputs(layout: OutputLayout, formats: Sequence[str], sequence: str = "<sequence>") -> str:
    """Where this run writes, for its start line on stderr and its last line on stdout: the sequence's own
    place when there is one sequence of a known name (a folder), else with a placeholder."""
    places = {"png": layout.mask_dir(sequence), "coco": layout.coco_file(sequence)}
    return ", ".join(str(places[f]) for f in formats)


def what_makes_the_masks(annotator: Annotator, formats: Sequence[str]) -> Dict:
    """The weights (by content: a moved file is the same network, a retrained one at the same path is not),
    the formats and the settings that decide the masks, as a finished unit records them (JSON values)."""
    digest = hashlib.sha256()
    with open(annotator.net.weights_path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return json.loads(json.dumps({"weights_sha256": digest.hexdigest()[:16], "formats": list(formats),
                                  **annotator.settings.mask_settings()}))


def settings_clash(layout: OutputLayout, units: Sequence[str], made_with: Dict) -> Optional[str]:
    """Why this run cannot write to ``layout`` when finished units there were made otherwise (they would be
    skipped, and the two kinds of masks would mix); None when none was."""
    clashes = [(unit, d) for unit in units if layout.is_done(unit)
               for d in [setting_differences(layout.made_with(unit), made_with)] if d]
    if not clashes:
        return None
    unit, differs = clashes[0]
    what = ", ".join(f"{k} {a} (this run: {b})" for k, (a, b) in differs.items())
    return (f"{layout.out} holds masks of {count(len(clashes), 'unit')} made with other settings (e.g. {unit}: "
            f"{what}); give another --out, or --overwrite to redo them")


def setting_differences(earlier: Optional[Dict], now: Dict) -> Dict[str, List]:
    """{field: [earlier value, value now]} for what a finished unit was made with that differs from this run
    (formats: those this run writes that it lacks); {} when nothing differs or nothing was recorded."""
    if earlier is None:
        return {}
    differs = {k: [earlier.get(k), v] for k, v in now.items() if k != "formats" and earlier.get(k) != v}
    if not set(now["formats"]) <= set(earlier.get("formats", [])):
        differs["formats"] = [earlier.get("formats"), now["formats"]]
    return differs


def annotate_units(annotator: Annotator, source: Source, units: List[str], layout: OutputLayout,
                   overwrite: bool, vis: bool, formats: Sequence[str], made_with: Dict, label: str) -> Dict:
    """Annotate the units not yet done, with per-frame progress, marking each done with ``made_with``
    (``what_makes_the_masks``); the run's records, failed units and counts."""
    from concurrent.futures import ThreadPoolExecutor

    from ltr.dataset.sequence import SequenceError

    run: Dict = {"sequences": [], "failed_units": [], "already_done": 0, "frames": 0}
    start = time.time()
    progress = Progress(len(units), label)
    with ThreadPoolExecutor(annotator.settings.workers) as pool:
        for k, unit in enumerate(units):
            if layout.is_done(unit) and not overwrite:
                run["already_done"] += 1
                continue
            layout.start_unit(unit)
            records = []
            try:
                for seq in source.load(unit):
                    progress.sequence(k, seq.name, len(seq))
                    records.append(annotate_sequence(annotator, seq, layout, pool, vis, formats, progress))
                    progress.sequence_done()
            except (SequenceError, OSError) as err:  # unreadable input, or an output write failed
                progress.sequence_failed(f"skipping {unit}: {err}")
                run["failed_units"].append({"unit": unit, "reason": str(err)})
                continue
            layout.mark_done(unit, records, made_with)
            run["sequences"] += records
            run["frames"] += sum(r["frames"] for r in records)
    run["seconds"] = time.time() - start
    return run


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        given = inference_settings(args)
        if args.num_frames < 1:
            raise UsageError("--num-frames must be at least 1")
        set_threads(args.threads)
        from pytracking.annotate.engine import Annotator, settings_for
        from pytracking.annotate.sources import make_source
        from pytracking.annotate.writer import OutputLayout, write_json
        from pytracking.evaluation.environment import env_settings

        env = env_settings()
        shard, num_shards = resolve_shard(args.shard, args.num_shards, os.environ)
        source, units = make_source(args.dataset, _dataset_root(args, env), args.sequences, args.boxes, args.name,
                                    args.year, args.split, args.resolution)
        if args.dataset == "folder" and not source.box_file.is_file():
            raise UsageError(f"no boxes file {source.box_file} (put groundtruth.txt in the sequence folder or give "
                             "--boxes)")
        device = pick_device(args.device, os.environ)
        net = load_weights(args.weights, env.network_path)
        settings = settings_for(net, num_frames=args.num_frames, cache=not args.no_cache, **given)
        annotator = Annotator(net, settings, device)  # checks the crop size against the network
        out = output_folder(args.out or env.annotation_path, "--out" if args.out else setting_name("annotation_path"))
    except (UsageError, ValueError, OSError) as err:  # OSError: e.g. a dataset folder that is missing
        return usage_error(err)
    formats = FORMATS[args.format]
    layout = OutputLayout(out, source.name)
    mine = sorted(units)[shard::num_shards]
    made_with = what_makes_the_masks(annotator, formats)
    clash = None if args.overwrite else settings_clash(layout, mine, made_with)
    if clash:
        return usage_error(clash)
    where = _outputs(layout, formats, mine[0]) if args.dataset == "folder" and mine else _outputs(layout, formats)
    print(f"[annotate] {count(len(mine), 'unit')} of {source.name} (shard {shard + 1}/{num_shards}) on {device}; "
          f"masks to {where}", file=sys.stderr)
    try:
        run = annotate_units(annotator, source, mine, layout, args.overwrite, args.vis, formats, made_with,
                             label=f"[annotate] {source.name}")
    except KeyboardInterrupt:
        if reports_for_the_job():  # shards started by torchrun or srun share one command
            print(f"\n[annotate] interrupted; masks so far: {where}; continue with (finished units "
                  f"are skipped): {continue_command(__file__, argv)}", file=sys.stderr)
        return EXIT_INTERRUPTED
    records, seconds = run["sequences"], run["seconds"]
    summary_path = layout.summary_path(shard, num_shards)
    write_json(summary_path, {
        "dataset": source.name, "shard": shard, "num_shards": num_shards, "device": str(device),
        "weights": str(net.weights_path), "settings": vars(settings), "out": str(out), "formats": list(formats),
        "units": len(mine), "masks": sum(r["masks"] for r in records),
        "frames_per_second": run["frames"] / max(seconds, 1e-9), **run})
    print(_report(records, run["failed_units"], summary_path))
    print(f"{count(run['frames'], 'frame')} in {seconds:.1f} s ({run['frames'] / max(seconds, 1e-9):.2f} frames/s); "
          f"already done before: {count(run['already_done'], 'unit')}")
    print(f"masks: {where}; summary: {summary_path}")
    skipped = run["failed_units"] or any(r["skipped"] or r["problems"] for r in records)
    return EXIT_PROBLEMS if skipped else EXIT_OK


if __name__ == "__main__":
    sys.exit(main())

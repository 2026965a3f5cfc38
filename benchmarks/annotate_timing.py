"""What ``annotate_speed.py`` measures (see its --help); heavy imports live here, so the command answers --help and
argument mistakes before torch loads."""
from __future__ import annotations

import argparse
import json
import tempfile
from dataclasses import asdict, replace
from pathlib import Path
from typing import Callable, Dict, List, Optional

import cv2
import numpy as np
import torch
from torch.utils.flop_counter import FlopCounterMode, conv_backward_flop

from presets import CONFIGS
from stages import (StageTimer, box2seg_stages, device_name, peak_memory_mib,
                    reset_peak_memory, split_rows, table, timed, use_device)
from ltr.data.bounding_box_utils import mask_to_box
from ltr.data.image_loader import imread_mask, imread_rgb
from ltr.dataset.sequence import VideoSequence
from ltr.models.box2seg.box2seg_net import Box2SegNet, steepest_descent_resnet50
from ltr.models.inference import InferenceRecord
from pytracking.annotate.engine import AnnotateSettings, Annotator, PreparedFrame, prepare_frame, settings_for
from pytracking.annotate.writer import write_mask
from pytracking.features.preprocessing import crop_frame, paste_mask
from pytracking.utils.cli import UsageError, check_at_least_one, count, load_weights, usage_error

SHARED_DAVIS = Path(__file__).resolve().parents[2] / "shared" / "data" / "davis2016-train"
MODES = {"exact": dict(solver="gemm", fast=False), "official maths": dict(solver="double_backward", fast=False),
         "fast": dict(solver="gemm", fast=True), "T=1": dict(solver="gemm", fast=False, num_frames=1)}
STAGES = ("load", "crop", "backbone", "encoders", "S", "decoder", "paste", "write", "other")


def davis_sequence(name: str, count: int) -> VideoSequence:
    """A DAVIS-2016 240p sequence, ping-ponged to ``count`` frames (boxes from the masks)."""
    frames = sorted((SHARED_DAVIS / "JPEGImages" / "240p" / name).glob("*.jpg"))
    order = (list(range(len(frames))) + list(range(len(frames) - 2, 0, -1))) * (count // len(frames) + 2)
    picked = [frames[i] for i in order[:count]]
    boxes = np.array([mask_to_box(imread_mask(SHARED_DAVIS / "Annotations" / "240p" / name / f"{f.stem}.png"))
                      for f in picked])
    return VideoSequence(name, picked, boxes, np.ones(count, bool),
                         mask_names=[f"{i:05d}.png" for i in range(count)])


def synthetic_sequence(folder: Path, count: int, size=(480, 854)) -> VideoSequence:
    """A textured background with a moving, growing ellipse; JPEG frames written to ``folder``."""
    rng = np.random.default_rng(0)
    background = cv2.resize(rng.integers(0, 255, (size[0] // 8, size[1] // 8, 3), dtype=np.uint8), size[::-1])
    frames, boxes = [], []
    for t in range(count):
        image = background.copy()
        cx, cy = size[1] * (0.3 + 0.4 * t / count), size[0] * 0.5
        ax, ay = 60 + 40 * t / count, 40 + 20 * t / count
        cv2.ellipse(image, (int(cx), int(cy)), (int(ax), int(ay)), 0, 0, 360, (30, 160, 220), -1)
        path = folder / f"{t:05d}.jpg"
        cv2.imwrite(str(path), image)
        frames.append(path)
        boxes.append([int(cx - ax), int(cy - ay), 2 * int(ax) + 1, 2 * int(ay) + 1])
    return VideoSequence("synthetic", frames, np.array(boxes, float), np.ones(count, bool),
                         mask_names=[f"{t:05d}.png" for t in range(count)])


def host_stages(seq: VideoSequence, settings: AnnotateSettings, stride: int, device: torch.device, out: Path
                ) -> Dict[str, float]:
    """Seconds to read, crop (for a network of target stride ``stride``), paste back (on ``device``) and write
    every frame of ``seq``, one after another."""
    timer = StageTimer(device)
    images, crops = [], []
    with timer.section("load"):
        images = [imread_rgb(f) for f in seq.frames]
    with timer.section("crop"):
        crops = [crop_frame(im, box, settings.crop_size, settings.search_area, stride)[1]
                 for im, box in zip(images, seq.boxes)]
    logits = torch.randn(settings.crop_size, device=device)
    with timer.section("paste"):
        masks = [paste_mask(logits, c, im.shape[:2], b).cpu().numpy() for c, im, b in zip(crops, images, seq.boxes)]
    with timer.section("write"):
        for i, mask in enumerate(masks):
            write_mask(out / f"{i:05d}.png", mask)
    return dict(timer.seconds)


def gemm_gflops(device: torch.device, dtype: torch.dtype) -> float:
    """This device's matrix-product rate (GFLOP/s, best of 5) on 2048x2048 ``dtype`` matrices."""
    a, b = (torch.randn(2048, 2048, device=device).to(dtype) for _ in range(2))
    a @ b
    return 2 * 2048 ** 3 / min(timed(lambda: a @ b, device) for _ in range(5)) / 1e9


def _convolution_backward_flop(*args, out_val=None, **kwargs) -> int:
    """PyTorch's count of ``aten.convolution_backward`` with the weight gradient of a grouped convolution
    divided by its groups: PyTorch's formula counts that part as if the convolution were not grouped (S's
    weight gradients, one group per window, were counted up to ``batch_windows`` times)."""
    groups, (input_mask, weight_mask, bias_mask) = args[9], args[10]
    other = conv_backward_flop(*args[:10], [input_mask, False, bias_mask], out_val=out_val, **kwargs)
    weight = conv_backward_flop(*args[:10], [False, weight_mask, False], out_val=out_val, **kwargs)
    return other + weight // groups


_convolution_backward_flop._get_raw = True  # FlopCounterMode passes the tensors, as to PyTorch's own formula


def gflop(fn: Callable[[], object]) -> float:
    """GFLOP of the convolutions and matrix products ``fn`` runs (PyTorch's FLOP counter with grouped weight
    gradients counted right; element-wise work, pooling and resizing uncounted)."""
    with FlopCounterMode(display=False, custom_mapping={torch.ops.aten.convolution_backward:
                                                        _convolution_backward_flop}) as counter:
        fn()
    return counter.get_total_flops() / 1e9


def s_per_window(net: Box2SegNet, annotator: Annotator, frames: List[PreparedFrame], batch: int
                 ) -> Dict[str, float]:
    """Milliseconds per window of S alone (one aggregation, all iterations) for each solver, and the
    largest difference between their outputs s relative to the largest |s|. ``annotator`` must not use
    inference mode (the double backward differentiates through x)."""
    features = annotator.frame_features(frames)
    x = torch.stack([f.x for f in features])[:, None].expand(-1, batch, -1, -1, -1).contiguous()
    e, w = (torch.stack([f.enc[j] for f in features])[:, None].expand(-1, batch, -1, -1, -1).contiguous()
            for j in (0, 1))
    out, result = {}, {}
    with torch.no_grad():
        for solver in ("gemm", "double_backward"):
            def run():
                out[solver] = net.target_model(x, e, w, annotator.settings.iters, solver)[0]
            run()
            result[f"S ms/window, {solver}"] = 1000 * min(timed(run, annotator.device) for _ in range(3)) / batch
    result["S max |difference| / max |s|"] = float((out["gemm"] - out["double_backward"]).abs().max()
                                                   / out["double_backward"].abs().max().clamp(min=1e-12))
    return result


def davis_j(net: Box2SegNet, settings: AnnotateSettings, device: str, names: Optional[List[str]], frame_step: int
            ) -> Dict:
    """J-mean (protocol 'all') and frames/s of exact and fast mode on held-out DAVIS-2016 sequences (every
    ``frame_step``-th frame segmented, windows still drawing on all frames), and how much their masks agree
    (mean J of fast-mode masks against exact-mode masks, per frame)."""
    from pytracking.evaluation.box2seg_method import Box2Seg
    from pytracking.evaluation.datasets import load_dataset
    from pytracking.analysis.metrics import region_similarity
    from pytracking.analysis.report import evaluate_method

    sequences = [s.select(range(0, len(s), frame_step))
                 for s in load_dataset("davis16_heldout", root=SHARED_DAVIS, sequences=names)]
    n_frames = sum(len(s) for s in sequences)
    result = {"sequences": [s.name for s in sequences], "frames": n_frames, "frame_step": frame_step}
    masks_of: Dict[str, Dict[str, List[np.ndarray]]] = {}
    for mode in ("exact", "fast"):
        method = Box2Seg(net=net, device=device, **asdict(replace(settings, **MODES[mode])))
        masks: Dict[str, List[np.ndarray]] = {}
        seconds = timed(lambda: masks.update((seq.name, list(method(seq))) for seq in sequences), torch.device(device))

        def recorded(seq):
            return iter(masks[seq.name])

        report = evaluate_method(recorded, sequences, "all", progress=False)
        masks_of[mode] = masks
        result[mode] = {"J-mean": report["dataset"]["J"]["mean"], "frames_per_second": n_frames / seconds,
                        "J-mean per sequence": {k: v["J"]["mean"] for k, v in report["sequences"].items()}}
    result["J difference (fast - exact)"] = result["fast"]["J-mean"] - result["exact"]["J-mean"]
    pairs = [(f, e) for s in sequences for f, e in zip(masks_of["fast"][s.name], masks_of["exact"][s.name])]
    result["mask agreement (J of fast vs exact)"] = float(np.mean([region_similarity(f, e) for f, e in pairs]))
    return result


def with_decoder_width(net: Box2SegNet, decoder_width: int) -> Box2SegNet:
    """A randomly initialised network built like ``net`` but for the decoder's width, carrying ``net``'s
    inference record (crop size, search area, solver; None for a preset), so that the run is set up as
    for ``net``."""
    kwds = dict(net.constructor.kwds, backbone_pretrained=False, decoder_mdim=decoder_width)
    narrower = steepest_descent_resnet50(*net.constructor.args, **kwds)
    narrower.inference = InferenceRecord.of(net)
    return narrower


def run(args: argparse.Namespace) -> int:
    """The benchmark for parsed arguments (``annotate_speed.py``'s); its exit code."""
    try:
        device = use_device(args)
        check_at_least_one(args, "frames", "interval", "num_frames", "iters", "batch_windows", "repeats",
                           "davis_frame_step", "decoder_width")
        if args.decoder_width and args.davis_j:
            raise UsageError("--davis-j needs trained weights; --decoder-width builds random ones")
        frames = SHARED_DAVIS / "JPEGImages" / "240p"
        if not args.synthetic and frames.is_dir() and not (frames / args.sequence).is_dir():
            raise UsageError(f"no DAVIS-2016 sequence {args.sequence!r} in {frames}")
        net = load_weights(args.weights, "") if args.weights else None
    except UsageError as err:
        return usage_error(err)
    gpu = device.type == "cuda"
    preset = args.config or ("paper" if gpu else "lite")
    torch.manual_seed(0)
    if net is None:
        net = steepest_descent_resnet50(**CONFIGS[preset]["net"])
        config = preset
    else:
        config = f"weights {args.weights}"
    if args.decoder_width:
        net = with_decoder_width(net, args.decoder_width)
        config += f", decoder width {args.decoder_width}, random init"
    # crop size and search area: given, else what the checkpoint was trained for, else the preset's
    settings = settings_for(net, num_frames=args.num_frames, interval=args.interval or (15 if gpu else 1),
                            iters=args.iters, search_area=args.search_area,
                            crop_size=args.crop_size or (None if args.weights else CONFIGS[preset]["crop"]),
                            batch_windows=args.batch_windows, bf16=args.bf16)
    length = args.frames or (150 if gpu else 12)
    annotators = {mode: Annotator(net, replace(settings, **fields), device) for mode, fields in MODES.items()}
    result: Dict = {"device": device_name(device), "config": config, "settings": asdict(settings)}

    with tempfile.TemporaryDirectory() as tmp:
        if args.synthetic or not (SHARED_DAVIS / "JPEGImages" / "240p" / args.sequence).is_dir():
            seq = synthetic_sequence(Path(tmp), length)
        else:
            seq = davis_sequence(args.sequence, length)
        exact = annotators["exact"]
        crops = [prepare_frame(seq, i, settings, net.target_stride) for i in range(len(seq))]
        batch = settings.batch_windows * settings.num_frames
        head = slice(0, settings.num_frames)
        warmup = VideoSequence(seq.name, seq.frames[head], seq.boxes[head], seq.visible[head],
                               mask_names=seq.mask_names[head])
        for annotator in annotators.values():
            list(annotator.annotate(warmup))

        def backbone() -> None:
            for start in range(0, len(crops), batch):
                exact.backbone(crops[start:start + batch])

        backbone()
        seconds: Dict[str, float] = {}
        peaks: Dict[str, float] = {}
        for _ in range(args.repeats):
            s = timed(backbone, device)
            seconds["backbone only (bound)"] = min(seconds.get("backbone only (bound)", s), s)
            for mode, annotator in annotators.items():
                reset_peak_memory(device)
                s = timed(lambda: list(annotator.annotate(seq)), device)
                seconds[mode] = min(seconds.get(mode, s), s)
                peaks[mode] = peak_memory_mib(device)
        # the FLOP counter cannot follow the official maths' autograd.grad; it does exact mode's products and more
        work = {"backbone only (bound)": gflop(backbone) / len(seq),
                **{mode: gflop(lambda: list(annotator.annotate(seq))) / len(seq)
                   for mode, annotator in annotators.items() if annotator.settings.solver == "gemm"}}
        peak_rate = gemm_gflops(device, torch.bfloat16 if settings.bf16 else torch.float32)
        splits: Dict[str, Dict[str, float]] = {}
        host = host_stages(seq, settings, net.target_stride, device, Path(tmp))
        for mode, annotator in annotators.items():
            timer = StageTimer(device).attach(box2seg_stages(net))
            total = timed(lambda: list(annotator.annotate(seq)), device)
            timer.detach()
            splits[mode] = {**host, **timer.seconds, "other": total - sum(timer.seconds.values())}
        result["S per window"] = s_per_window(net, annotators["official maths"], crops[:settings.num_frames],
                                              settings.batch_windows)

    n = len(seq)
    fps = {m: n / s for m, s in seconds.items()}
    bound = fps["backbone only (bound)"]
    print(f"{seq.name}: {n} frames, {config}, crop {settings.crop_size[0]}x{settings.crop_size[1]}, "
          f"T={settings.num_frames}, Δ={settings.interval}, {settings.iters} iterations, "
          f"{settings.batch_windows} windows per batch, bf16={settings.bf16}, on {result['device']}")
    print(table(["mode", "seconds", "frames/s", "x bound", "x exact", "peak MiB", "GFLOP/frame", "GFLOP/s",
                 "x bound at most"],
                [[m, s, fps[m], fps[m] / bound, fps[m] / fps["exact"], peaks.get(m, "-"),
                  *([work[m], work[m] * fps[m], peak_rate / work[m] / bound] if m in work else ["-"] * 3)]
                 for m, s in seconds.items()]))
    print(f"(x bound at most: if every counted FLOP ran at this device's 2048x2048 GEMM rate, {peak_rate:.0f} GFLOP/s, "
          "and nothing else took time)")
    print("\nper-stage split (seconds; load/crop/paste/write timed apart, one frame after another)")
    print(table(["stage", *splits, "share (exact)"], split_rows(splits, STAGES)))
    print("\nS alone: " + ", ".join(f"{k} {v:.4g}" for k, v in result["S per window"].items()))
    result.update(gflop_per_frame=work, gemm_gflop_per_second=peak_rate,
                  ratio_to_bound_at_most={m: peak_rate / work[m] / bound for m in work})
    result.update(frames=n, sequence=seq.name, seconds=seconds, frames_per_second=fps, peak_memory_mib=peaks,
                  split_seconds=splits)
    if args.davis_j:
        result["davis_j"] = davis_j(net, settings, str(device), args.davis_sequences,
                                    args.davis_frame_step)
        dj = result["davis_j"]
        print(f"\nDAVIS-2016 held-out ({count(len(dj['sequences']), 'sequence')}, {count(dj['frames'], 'frame')} "
              "scored, "
              f"every {dj['frame_step']}. frame):")
        print(table(["mode", "J-mean", "frames/s"], [[m, dj[m]["J-mean"], dj[m]["frames_per_second"]]
                                                     for m in ("exact", "fast")]))
        print(f"J difference (fast - exact): {dj['J difference (fast - exact)']:+.4f}; fast masks against exact masks: "
              f"J {dj['mask agreement (J of fast vs exact)']:.4f}")
    Path(args.json).write_text(json.dumps(result, indent=1))
    print(f"written {args.json}")
    return 0


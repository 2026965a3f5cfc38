"""The two speed benchmarks run end to end at tiny sizes and report every number they promise: both
solvers, fast mode and one-frame windows (T=1) side by side, the backbone bound, the per-stage split, peak memory."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def run(script: str, *args: str, tmp_path: Path) -> dict:
    out = tmp_path / "result.json"
    env = dict(os.environ, OMP_NUM_THREADS="1", PYTHONPATH=str(REPO))
    proc = subprocess.run([sys.executable, str(REPO / "benchmarks" / script), "--device", "cpu", "--threads", "1",
                           "--json", str(out), *args], capture_output=True, text=True, env=env, timeout=300)
    assert proc.returncode == 0, proc.stderr
    return {"stdout": proc.stdout, **json.loads(out.read_text())}


def test_annotate_speed(tmp_path, davis16_root):
    result = run("annotate_speed.py", "--config", "lite", "--crop-size", "64x112", "--frames", "6", "--num-frames",
                 "3", "--iters", "2", "--batch-windows", "2", tmp_path=tmp_path)
    modes = ["backbone only (bound)", "exact", "official maths", "fast", "T=1"]
    assert list(result["frames_per_second"]) == modes and all(v > 0 for v in result["frames_per_second"].values())
    for mode in modes[1:]:
        split = result["split_seconds"][mode]
        assert {"load", "crop", "backbone", "encoders", "S", "decoder", "paste", "write"} <= set(split)
        assert split["S"] > 0 and split["decoder"] > 0 and result["peak_memory_mib"][mode] > 0
    s = result["S per window"]
    assert s["S ms/window, gemm"] > 0 and s["S ms/window, double_backward"] > 0
    assert s["S max |difference| / max |s|"] < 1e-4  # the two solvers agree
    assert result["sequence"] == "bear" and "x bound" in result["stdout"] and "share (exact)" in result["stdout"]
    work = result["gflop_per_frame"]  # exact decodes T + 1 times per frame, T=1 twice, the bound never
    assert work["exact"] > work["T=1"] > work["backbone only (bound)"] > 0 and result["gemm_gflop_per_second"] > 0
    assert set(result["ratio_to_bound_at_most"]) == set(modes) - {"official maths"}  # autograd.grad: uncounted


def test_train_speed(tmp_path):
    result = run("train_speed.py", "--size", "64x112", "--batch", "1", "--iters", "1", "--repeats", "1",
                 tmp_path=tmp_path)
    rates = result["iterations_per_second"]
    assert set(rates) == {"backbone only (bound)", "loader only", "gemm", "double_backward"}
    assert all(v > 0 for v in rates.values())
    for solver in ("gemm", "double_backward"):
        split = result["split_seconds_per_iteration"][solver]
        assert {"loader", "backbone", "S", "decoder", "backward", "optimizer"} <= set(split)
        assert split["backward"] > 0 and result["peak_memory_mib"][solver] > 0
    assert "x gemm" in result["stdout"]


def test_a_narrower_decoder_keeps_the_rest_of_the_network_and_its_inference_record():
    sys.path.insert(0, str(REPO / "benchmarks"))
    from annotate_timing import with_decoder_width
    from pytracking.utils.cli import load_weights

    shipped = load_weights(str(REPO / "pytracking" / "networks" / "box2seg_lite0.pth.tar"), "")
    narrower = with_decoder_width(shipped, 8)
    assert narrower.inference == shipped.inference
    assert narrower.constructor.kwds == dict(shipped.constructor.kwds, decoder_mdim=8, backbone_pretrained=False)
    assert narrower.decoder.RRB2["layer1"].conv1x1.out_channels == 8  # layer1's width is the decoder width (x1)
    assert narrower.decoder.project.conv2.in_channels == 4 and shipped.decoder.project.conv2.in_channels == 16
    shipped_sizes = {k: v.shape for k, v in shipped.state_dict().items() if not k.startswith("decoder.")}
    assert shipped_sizes == {k: v.shape for k, v in narrower.state_dict().items() if not k.startswith("decoder.")}


def test_a_grouped_weight_gradient_is_counted_as_its_groups(monkeypatch):
    """S's weight gradient is one convolution grouped by window: it costs what the windows' separate,
    ungrouped weight gradients cost (PyTorch counts those right), 2·h·w·K·C·fs² FLOP each."""
    import torch

    monkeypatch.syspath_prepend(str(REPO / "benchmarks"))
    from annotate_timing import gflop

    windows, c, k, h, w = 4, 64, 16, 13, 20
    x, grad = torch.randn(1, windows * c, h, w), torch.randn(1, windows * k, h, w)
    grouped = gflop(lambda: torch.nn.grad.conv2d_weight(x, (windows * k, c, 3, 3), grad, padding=1, groups=windows))
    separate = sum(gflop(lambda i=i: torch.nn.grad.conv2d_weight(x[:, i * c:(i + 1) * c], (k, c, 3, 3),
                                                                  grad[:, i * k:(i + 1) * k], padding=1))
                   for i in range(windows))
    assert grouped == pytest.approx(separate, rel=1e-12) == windows * 2 * h * w * k * c * 9 / 1e9
    weight = torch.randn(windows * k, c, 3, 3, requires_grad=True)
    inputs = torch.randn(2, windows * c, h, w, requires_grad=True)
    step = gflop(lambda: torch.nn.functional.conv2d(inputs, weight, padding=1, groups=windows).sum().backward())
    # forward, input gradient and weight gradient, each over 2 images
    assert step == pytest.approx(3 * grouped * 2, rel=1e-12)

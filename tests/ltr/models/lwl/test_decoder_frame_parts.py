"""The decoder split for inference (per-frame part + each window's share) gives forward's logits."""
from collections import OrderedDict

import pytest
import torch

from ltr.models.lwl.decoder import LWTLDecoder

WIDTHS = OrderedDict(layer4=64, layer3=48, layer2=32, layer1=24)  # deep to shallow
STRIDES = dict(layer4=32, layer3=16, layer2=8, layer1=4)
H, W = 64, 96


@pytest.fixture(autouse=True)
def _one_thread(one_thread):
    """Every test here runs with one intra-op thread (see tests/conftest.py)."""


def decoder_and_inputs(fixed: int, window: int, frames: int = 5):
    torch.manual_seed(0)
    decoder = LWTLDecoder(fixed + window, 16, WIDTHS, use_bn=True)
    for module in decoder.modules():  # BN statistics away from the identity
        if isinstance(module, torch.nn.BatchNorm2d):
            module.running_mean.uniform_(-0.5, 0.5)
            module.running_var.uniform_(0.5, 2.0)
    decoder.project.conv2.weight.data *= 100  # logits of order 1, so that the tolerance is strict
    decoder.eval()
    features = {k: torch.randn(frames, c, H // STRIDES[k], W // STRIDES[k]) for k, c in WIDTHS.items()}
    scores = torch.randn(frames, fixed + window, H // 16, W // 16) * 3
    return decoder, features, scores


@pytest.mark.parametrize("fixed, window", [(16, 16), (0, 16), (16, 0)])
def test_frame_parts_give_forwards_logits(fixed, window):
    """box2seg (m_t fixed per frame, s_t per window), MultiFrame (s_t only), SingleImage (m_t only)."""
    decoder, features, scores = decoder_and_inputs(fixed, window)
    with torch.no_grad():
        expected, _ = decoder(scores[:, None], features, (H, W))
        parts = decoder.frame_parts(features, scores[:, :fixed] if fixed else None)
        logits = decoder.decode_frame_parts(parts, scores[:, fixed:] if window else None, (H, W))
    assert expected.std() > 0.3 and expected.shape == logits.shape == (5, 1, H, W)
    torch.testing.assert_close(logits, expected, rtol=1e-5, atol=1e-5)


def test_one_frame_part_serves_several_windows():
    """The part of frame 0 reused with other windows' scores gives what forward gives for them."""
    decoder, features, scores = decoder_and_inputs(16, 16, frames=1)
    with torch.no_grad():
        parts = decoder.frame_parts(features, scores[:, :16])
        for seed in range(3):
            window_scores = torch.randn(1, 16, H // 16, W // 16, generator=torch.Generator().manual_seed(seed))
            expected, _ = decoder(torch.cat([scores[:, :16], window_scores], 1)[:, None], features, (H, W))
            torch.testing.assert_close(decoder.decode_frame_parts(parts, window_scores, (H, W)), expected,
                                       rtol=1e-5, atol=1e-5)

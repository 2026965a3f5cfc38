"""The decoder split for inference (per-frame part + each window's share) gives forward's logits."""
from collections import OrderedDict

import pytest
import torch

from ltr.models.lwl.decoder import DecoderFrameParts, LWTLDecoder

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


def test_channels_last_inputs_give_the_logits_of_nchw_ones():
    """Channels-last maps (the annotation engine's layout) go through every level and both resizes."""
    decoder, features, scores = decoder_and_inputs(16, 16)
    decoder.double()
    features = {k: v.double() for k, v in features.items()}
    scores = scores.double()
    last = {k: v.contiguous(memory_format=torch.channels_last) for k, v in features.items()}
    with torch.no_grad():
        nchw, _ = decoder(scores[:, None], features, (H, W))
        channels_last, _ = decoder(scores.contiguous(memory_format=torch.channels_last)[:, None], last, (H, W))
        parts = decoder.frame_parts(last, scores[:, :16].contiguous(memory_format=torch.channels_last))
        from_parts = decoder.decode_frame_parts(parts, scores[:, 16:], (H, W))
    assert nchw.std() > 0.3
    torch.testing.assert_close(channels_last, nchw, rtol=0, atol=1e-10)
    torch.testing.assert_close(from_parts, nchw, rtol=0, atol=1e-10)


@pytest.mark.parametrize("layout", [torch.channels_last, torch.contiguous_format])
def test_parts_split_into_frames_and_stack_back_in_their_layout(layout):
    decoder, features, scores = decoder_and_inputs(16, 16)
    with torch.no_grad():
        parts = decoder.frame_parts(features, scores[:, :16])
    parts = DecoderFrameParts((k, v.contiguous(memory_format=layout)) for k, v in parts.items())
    frames = parts.frames()
    assert len(frames) == 5 and frames[3]["layer1"].shape == parts["layer1"].shape[1:]
    order = [4, 0, 0, 2]
    stacked = DecoderFrameParts.stack([frames[i] for i in order])
    assert set(stacked) == set(parts)
    for key, value in stacked.items():
        torch.testing.assert_close(value, parts[key][order], rtol=0, atol=0)
        assert value.is_contiguous(memory_format=layout)

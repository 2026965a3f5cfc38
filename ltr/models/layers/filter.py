"""Applying per-sequence filters to feature maps: s_t = x_t * z, directly and in the stacked forms.

Stack each sequence's frames top to bottom with ``fs // 2`` zero rows after each frame (``FrameStack``,
data (S, C, L)); the zero rows keep shifts from crossing frames, as the zero padding of a per-frame
convolution does. A fs x fs correlation with K filters over all frames, and its adjoint in the
filter, then take one operation per batch, without autograd, in one of two forms:

GEMM form, where gradients are recorded (training through S):

    x * z  = fold(Z X)           Z = ``filter_to_gemm(z)`` (S, K·fs², C): z with its kernel flipped
    x ⋆ a  = unfold(a) Xᵀ        in the same (S, K·fs², C) layout (``filter_from_gemm`` turns it back)

The fs² shifts act on the K-channel maps (unfold / fold), never on the C-channel features: no
fs²-times larger unfolded copy of x is made, every product reads x once, and the backward is batched
matmuls too (a convolution's would hold a weight-gradient kernel the size of a whole map).

Convolution form, where no gradient is recorded (inference): x * z is one convolution grouped by
sequence, x ⋆ a its weight gradient (``torch.nn.grad.conv2d_weight``). oneDNN runs these 3x (64-d x)
to 1.5x (256-d) faster than the GEMM form on a CPU.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Tuple

import torch
import torch.nn.functional as F


def apply_filter(feat: torch.Tensor, filt: torch.Tensor) -> torch.Tensor:
    """Correlate features (F,S,C,h,w) with one filter bank per sequence (S,K,C,fh,fw) -> (F,S,K,h,w).

    A 4-D ``feat`` (N,C,h,w) is N frames of a single sequence. Padding keeps the spatial size
    (odd filter sizes), one grouped convolution handles all sequences at once.
    """
    if feat.dim() == 4:
        feat = feat.unsqueeze(1)
    n_frames, n_seq, c, h, w = feat.shape
    k, fh, fw = filt.shape[1], filt.shape[-2], filt.shape[-1]
    out = F.conv2d(feat.reshape(n_frames, n_seq * c, h, w), filt.reshape(n_seq * k, c, fh, fw),
                   padding=(fh // 2, fw // 2), groups=n_seq)
    return out.view(n_frames, n_seq, k, out.shape[-2], out.shape[-1])


@dataclass(frozen=True)
class FrameStack:
    """Maps of F frames of S sequences in the stacked forms' layout: per sequence, the frames stacked
    top to bottom with ``gap`` zero rows after each, flattened: ``data`` (S, C, F·(h+gap)·w)."""

    data: torch.Tensor
    frames: int
    height: int
    width: int
    gap: int

    @classmethod
    def of(cls, maps: torch.Tensor, gap: int, dtype: torch.dtype = None) -> "FrameStack":
        """Stack maps (F,S,C,h,w) (one copy, optionally converting to ``dtype``)."""
        n_frames, n_seq, c, h, w = maps.shape
        data = maps.new_zeros((n_seq, c, n_frames, h + gap, w), dtype=dtype or maps.dtype)
        data[:, :, :, :h] = maps.permute(1, 2, 0, 3, 4)
        return cls(data.view(n_seq, c, -1), n_frames, h, w, gap)

    def like(self, maps: torch.Tensor) -> torch.Tensor:
        """Other maps (F,S,K,h,w) of the same frames in this layout (S,K,L), zero in the gaps."""
        return FrameStack.of(maps, self.gap, self.data.dtype).data

    def unstack(self, data: torch.Tensor) -> torch.Tensor:
        """Maps (S,K,L) in this layout -> (F,S,K,h,w)."""
        n_seq, k = data.shape[:2]
        maps = data.view(n_seq, k, self.frames, self.height + self.gap, self.width)[:, :, :, :self.height]
        return maps.permute(2, 0, 1, 3, 4)

    @property
    def canvas(self) -> Tuple[int, int]:
        """The (height, width) of one sequence's stacked frames."""
        return self.frames * (self.height + self.gap), self.width


def filter_to_gemm(filt: torch.Tensor) -> torch.Tensor:
    """Filters (S,K,C,fs,fs) -> (S, K·fs², C) with the kernel flipped (the GEMM form's layout)."""
    n_seq, k, c = filt.shape[:3]
    return filt.flip(-2, -1).permute(0, 1, 3, 4, 2).reshape(n_seq, -1, c)


def filter_from_gemm(mat: torch.Tensor, filter_size: int) -> torch.Tensor:
    """The inverse of ``filter_to_gemm``: (S, K·fs², C) -> (S,K,C,fs,fs)."""
    n_seq, rows, c = mat.shape
    return mat.view(n_seq, rows // filter_size ** 2, filter_size, filter_size, c).permute(0, 1, 4, 2, 3).flip(-2, -1)


def _stacked_image(stack: FrameStack, data: torch.Tensor) -> torch.Tensor:
    """Maps (S,K,L) in ``stack``'s layout as one image (1, S·K, canvas) for a convolution grouped by sequence."""
    return data.reshape(1, -1, *stack.canvas)


def apply_filter_stacked(stack: FrameStack, filt: torch.Tensor) -> torch.Tensor:
    """x * z on stacked features, filters (S,K,C,fs,fs) -> scores (S,K,L); the values in the gaps are
    meaningless (``FrameStack.unstack`` drops them, residual weights are zero there)."""
    n_seq, k, c, fs = filt.shape[0], filt.shape[1], filt.shape[2], filt.shape[-1]
    if torch.is_grad_enabled():
        out = F.fold(torch.bmm(filter_to_gemm(filt), stack.data), stack.canvas, fs, padding=fs // 2)
    else:
        out = F.conv2d(_stacked_image(stack, stack.data), filt.reshape(n_seq * k, c, fs, fs), padding=fs // 2,
                       groups=n_seq)
    return out.view(n_seq, k, -1)


def correlate_stacked(stack: FrameStack, activation: torch.Tensor, filter_size: int) -> torch.Tensor:
    """The adjoint of ``apply_filter_stacked`` in the filter: sum_t x_t ⋆ a_t for activations (S,K,L) that
    are zero in the gaps -> (S,K,C,fs,fs). This is J^T r's data part."""
    n_seq, k = activation.shape[:2]
    if torch.is_grad_enabled():
        cols = F.unfold(activation.view(n_seq, k, *stack.canvas), filter_size, padding=filter_size // 2)
        return filter_from_gemm(torch.bmm(cols, stack.data.transpose(1, 2)), filter_size)
    c = stack.data.shape[1]
    grad = torch.nn.grad.conv2d_weight(_stacked_image(stack, stack.data), (n_seq * k, c, filter_size, filter_size),
                                       _stacked_image(stack, activation), padding=filter_size // 2, groups=n_seq)
    return grad.view(n_seq, k, c, filter_size, filter_size)

"""Applying per-sequence filters to feature maps: s_t = x_t * z."""
from __future__ import annotations

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


def apply_feat_transpose(feat: torch.Tensor, activation: torch.Tensor, filter_size: tuple) -> torch.Tensor:
    """The adjoint of ``apply_filter`` in the filter: sum_t x_t ⋆ a_t -> (S,K,C,fh,fw).

    This is J^T r for a residual linear in the filter; it lets steepest descent use closed forms
    instead of double backward.
    """
    if feat.dim() == 4:
        feat = feat.unsqueeze(1)
        activation = activation.unsqueeze(1) if activation.dim() == 4 else activation
    n_frames, n_seq, c, h, w = feat.shape
    k = activation.shape[2]
    fh, fw = filter_size
    # Correlate features with the activations, batching sequences as groups and frames as channels.
    x = feat.permute(2, 1, 0, 3, 4).reshape(c, n_seq * n_frames, h, w)
    a = activation.permute(1, 2, 0, 3, 4).reshape(n_seq * k, n_frames, h, w)
    g = F.conv2d(x, a, padding=(fh // 2, fw // 2), groups=n_seq)  # (C, S*K, fh, fw)
    return g.view(c, n_seq, k, fh, fw).permute(1, 2, 0, 3, 4).contiguous()

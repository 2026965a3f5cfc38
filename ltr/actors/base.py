"""What every actor shares: the train / eval switch of its network."""
from __future__ import annotations

import torch.nn as nn


class Actor:
    """Runs the network on a batch and returns (loss, statistics); ``disable_all_bn`` keeps every
    BatchNorm on its running statistics, as the official settings do (batches are too small)."""

    net: nn.Module
    disable_all_bn: bool = True

    def train(self, mode: bool = True) -> None:
        self.net.train(mode)
        if self.disable_all_bn:
            self.net.eval()

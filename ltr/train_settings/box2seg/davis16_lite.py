"""The CPU recipe the shipped network's setting (``davis16_lite_d64_boxdrop``) builds on: ``davis16_cpu``
on a frozen ImageNet EfficientNet-Lite0 (weights from its pip package), narrower heads (256-d target
features, decoder width 32) and 320x192 crops of 3x the box, 6 epochs of 100 iterations at a constant rate
(the CPU budget ends before a decay would pay). ~1 h on two idle CPU cores; everything else as
``davis16`` (24 train / 6 held-out sequences)."""
from __future__ import annotations

from ltr.train_settings.box2seg.davis16_cpu import configure as configure_davis16_cpu


def configure(settings) -> None:
    configure_davis16_cpu(settings)
    settings.description = "box2seg on shared DAVIS-2016 with an ImageNet EfficientNet-Lite0 (the shipped network)"
    settings.output_size = (192, 320)  # (H, W)
    settings.search_area_factor = settings.inference_search_area = 3.0
    settings.num_epochs = 6
    settings.lr_milestones = ()
    settings.net_kwargs = dict(backbone_pretrained=True, backbone_type="efficientnet_lite0", out_feature_dim=256,
                               decoder_mdim=32)

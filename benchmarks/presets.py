"""The benchmarks' network presets, without torch (their command lines list them before torch loads)."""

# Network presets: the CPU-sized EfficientNet-Lite network and the paper's (official) ResNet-50 one.
CONFIGS = {
    "lite": {"net": dict(backbone_type="efficientnet_lite0", out_feature_dim=256, decoder_mdim=32),
             "crop": (192, 320), "description": "EfficientNet-Lite0, C=256, decoder width 32"},
    "paper": {"net": {}, "crop": (480, 832), "description": "ResNet-50, C=512, decoder width 64 (official)"},
}

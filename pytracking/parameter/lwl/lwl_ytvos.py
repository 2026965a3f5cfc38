"""The official LWL tracker settings with the official ResNet-50 network ``lwl_stage2.pth`` (facts §6.5).

Put the file in network_path (pytracking/evaluation/local.py) or pytracking/networks/.
"""
from pytracking.tracker.lwl import LWLParams


def parameters() -> LWLParams:
    return LWLParams(net="lwl_stage2.pth")

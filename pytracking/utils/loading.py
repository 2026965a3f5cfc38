"""Find networks by name: an explicit path, the environment's ``network_path``, or the ones shipped in
``pytracking/networks/`` (pytracking's place for networks), so tools run on a fresh install."""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, List, Union

if TYPE_CHECKING:
    import torch.nn as nn

SHIPPED_NETWORKS = Path(__file__).resolve().parents[1] / "networks"
DEFAULT_BOX2SEG = "box2seg_lite0.pth.tar"  # the box->mask network trained on the shared DAVIS-2016 videos
OFFICIAL_FILES = ("the official sta.pth.tar and lwl_stage2.pth come from pytracking's releases (README, 'Official "
                  "weights')")


def network_file(name: Union[str, Path], network_path: Union[str, List[str], None] = None) -> Path:
    """The checkpoint file ``name`` refers to; FileNotFoundError naming every place looked at."""
    path = Path(name)
    if path.is_file():
        return path
    roots = [network_path] if isinstance(network_path, (str, Path)) else list(network_path or [])
    candidates = [Path(root) / name for root in roots if root] + [SHIPPED_NETWORKS / name]
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    looked = list(dict.fromkeys(str(p) for p in [path] + candidates))
    raise FileNotFoundError(f"{name} not found (looked at {', '.join(looked)})")


def load_network(name: Union[str, Path], **kwargs: Any) -> "nn.Module":
    """pytracking's ``load_network``: the network in file ``name``, or found by name in ``network_path``
    (``pytracking/evaluation/local.py``) or the shipped folder; ``kwargs`` go to ``ltr.admin.loading.
    load_network``. FileNotFoundError says where it looked and where official files come from."""
    from ltr.admin.loading import load_network as load_file
    from pytracking.evaluation.environment import env_settings

    try:
        path = network_file(name, env_settings().network_path)
    except FileNotFoundError as err:
        raise FileNotFoundError(f"{err}; {OFFICIAL_FILES}") from None
    return load_file(path, **kwargs)

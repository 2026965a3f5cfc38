"""Paths for evaluation and annotation: ``pytracking/evaluation/local.py``, generated from defaults."""
from __future__ import annotations

import os
from typing import Dict

from ltr.admin.environment import ENV_PREFIX, REPO_ROOT, EnvironmentSettings, load_local

LOCAL_FILE = REPO_ROOT / "pytracking" / "evaluation" / "local.py"


def pytracking_defaults() -> Dict[str, str]:
    """Default pytracking paths; '' means 'not configured'."""
    base = os.environ.get(ENV_PREFIX + "WORKSPACE_DIR", str(REPO_ROOT / "workspace"))
    return {
        "results_path": os.path.join(base, "tracking_results"),
        "segmentation_path": os.path.join(base, "segmentation_results"),
        "network_path": os.path.join(base, "networks"),
        "result_plot_path": os.path.join(base, "result_plots"),
        "annotation_path": os.path.join(base, "pseudo_masks"),
        "lasot_path": "",
        "got10k_path": "",
        "davis_dir": "",
        "davis16_dir": "",
        "youtubevos_dir": "",
        "lasot_mask_path": "",
        "got10k_mask_path": "",
    }


def env_settings() -> EnvironmentSettings:
    """The pytracking environment (results, networks, dataset roots)."""
    return load_local("pytracking.evaluation.local", LOCAL_FILE, pytracking_defaults,
                      "Paths for evaluation and annotation (pytracking).")

"""Paths for evaluation and annotation: ``pytracking/evaluation/local.py``, generated from defaults."""
from __future__ import annotations

from ltr.admin.environment import REPO_ROOT, EnvironmentSettings, load_local, pytracking_defaults

LOCAL_FILE = REPO_ROOT / "pytracking" / "evaluation" / "local.py"


def env_settings() -> EnvironmentSettings:
    """The pytracking environment (results, networks, dataset roots)."""
    return load_local("pytracking.evaluation.local", LOCAL_FILE, pytracking_defaults,
                      "Paths for evaluation and annotation (pytracking).")

"""Where data, weights and outputs live: ``ltr/admin/local.py``, generated from defaults.

pytracking makes users edit a ``local.py`` before anything runs; here the file is written from
defaults on first use (or by ``install.sh``), and every field can be overridden without editing it
through an environment variable ``BOX2SEG_<FIELD>`` (e.g. ``BOX2SEG_DAVIS16_DIR``).
"""
from __future__ import annotations

import importlib
import os
import warnings
from pathlib import Path
from typing import Callable, Dict

REPO_ROOT = Path(__file__).resolve().parents[2]
ENV_PREFIX = "BOX2SEG_"
LOCAL_FILE = REPO_ROOT / "ltr" / "admin" / "local.py"


class ConfigError(ValueError):
    """A configuration mistake the user can fix (a dataset that is not configured, an unknown sequence,
    a setting that cannot work); command lines print its message as one line and exit with code 2."""


class ConfigPathError(ConfigError, FileNotFoundError):
    """A configured or given file or folder that does not exist."""


def ltr_defaults() -> Dict[str, str]:
    """Default LTR (training) paths; '' means 'not configured'."""
    ws = os.environ.get(ENV_PREFIX + "WORKSPACE_DIR", str(REPO_ROOT / "workspace"))
    return {
        "workspace_dir": ws,
        "tensorboard_dir": os.path.join(ws, "tensorboard"),
        "pretrained_networks": os.path.join(ws, "pretrained_networks"),
        "pregenerated_masks": "",
        "lasot_dir": "",
        "got10k_dir": "",
        "youtubevos_dir": "",
        "davis_dir": "",
        "davis16_dir": "",
        "coco_dir": "",
        "backbone_weights": "",
    }


class EnvironmentSettings:
    """Attribute bag of paths; values of ``BOX2SEG_<NAME>`` environment variables win."""

    def __init__(self, values: Dict[str, str]):
        for k, v in values.items():
            setattr(self, k, os.environ.get(ENV_PREFIX + k.upper(), v))

    def __repr__(self) -> str:
        return "EnvironmentSettings(%s)" % ", ".join(f"{k}={v!r}" for k, v in vars(self).items())


def shared_davis16_dir() -> str:
    """The shared DAVIS-2016 copy beside the checkout (``../shared/data/davis2016-train``), or '' when
    absent: a fresh clone next to it runs the ``davis16_heldout`` examples without editing a local file."""
    root = REPO_ROOT.parent / "shared" / "data" / "davis2016-train"
    return str(root) if root.is_dir() else ""


def write_local_file(path: Path, defaults: Dict[str, str], doc: str) -> None:
    """Write a ``local.py`` whose ``local_values()`` returns ``defaults`` (an editable template)."""
    lines = [f'"""{doc} Edit freely; BOX2SEG_<NAME> environment variables override these."""', "",
             "", "def local_values():", "    return {"]
    lines += [f"        {k!r}: {v!r}," for k, v in defaults.items()]
    lines += ["    }", ""]
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text("\n".join(lines))
    os.replace(tmp, path)


def load_local(module: str, path: Path, defaults: Callable[[], Dict[str, str]], doc: str) -> EnvironmentSettings:
    """Read ``module`` (a generated local.py), creating it from ``defaults`` when missing; a new file
    points ``davis16_dir`` at the shared DAVIS-2016 copy when there is one."""
    values = defaults()
    try:
        local = importlib.import_module(module)
    except ImportError:
        if "davis16_dir" in values and not values["davis16_dir"]:
            values["davis16_dir"] = shared_davis16_dir()
        try:
            write_local_file(path, values, doc)
            warnings.warn(f"{path} did not exist; wrote it with default paths. Edit it to point at your data.")
        except OSError as err:  # read-only install: defaults still work
            warnings.warn(f"could not write {path} ({err}); using default paths")
        return EnvironmentSettings(values)
    values.update(local.local_values())
    return EnvironmentSettings(values)


def env_settings() -> EnvironmentSettings:
    """The LTR environment (workspace, dataset roots, pretrained weights)."""
    return load_local("ltr.admin.local", LOCAL_FILE, ltr_defaults, "Paths for training (ltr).")

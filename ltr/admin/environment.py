"""Where data, weights and outputs live: ``ltr/admin/local.py``, generated from defaults.

pytracking makes users edit a ``local.py`` before anything runs; here the file is written from
defaults on first use (or by ``install.sh``), and every field can be overridden without editing it
through an environment variable ``BOX2SEG_<FIELD>`` (e.g. ``BOX2SEG_DAVIS16_DIR``).
"""
from __future__ import annotations

import difflib
import importlib
import os
import warnings
from pathlib import Path
from typing import Callable, Dict, Iterable, List, Mapping, Optional

REPO_ROOT = Path(__file__).resolve().parents[2]
ENV_PREFIX = "BOX2SEG_"
LOCAL_FILE = REPO_ROOT / "ltr" / "admin" / "local.py"
# fields that follow BOX2SEG_WORKSPACE_DIR when a local file leaves them at <workspace_dir>/<folder>, as --workspace
# moves them in run_training.py
FOLLOW_WORKSPACE = {"tensorboard_dir": "tensorboard"}
# BOX2SEG_ variables that name no local-file field, and who reads them
OTHER_VARIABLES = {"FETCH_WEIGHTS": "install.sh", "SHARED_DATA": "the tests", "SHARED_SPEC": "the tests"}


class ConfigError(ValueError):
    """A configuration mistake the user can fix (a dataset that is not configured, an unknown sequence,
    a setting that cannot work); command lines print its message as one line and exit with code 2."""


class ConfigPathError(ConfigError, FileNotFoundError):
    """A configured or given file or folder that does not exist."""


def default_workspace() -> str:
    """Where both local files' output paths default to: BOX2SEG_WORKSPACE_DIR, else <repository>/workspace."""
    return os.environ.get(ENV_PREFIX + "WORKSPACE_DIR", str(REPO_ROOT / "workspace"))


def ltr_defaults() -> Dict[str, str]:
    """Default LTR (training) paths; '' means 'not configured'."""
    ws = default_workspace()
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


def pytracking_defaults() -> Dict[str, str]:
    """Default pytracking (evaluation, annotation, tracking) paths; '' means 'not configured'. Kept beside
    ``ltr_defaults`` so that every ``BOX2SEG_`` variable can be checked against both files' fields."""
    base = default_workspace()
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


def _did_you_mean(name: str, choices: Iterable[str], quote: bool = False) -> str:
    close = difflib.get_close_matches(name, list(choices), n=1)
    if not close:
        return ""
    return f" (did you mean {close[0]!r}?)" if quote else f" (did you mean {close[0]}?)"


def _field_variables() -> List[str]:
    return [ENV_PREFIX + k.upper() for k in (*ltr_defaults(), *pytracking_defaults())]


def setting_variables(environ: Mapping[str, str]) -> Dict[str, str]:
    """The variables of ``environ`` that override a local file's field (a command repeated elsewhere needs
    them to write to the same places)."""
    fields = set(_field_variables())
    return {name: value for name, value in sorted(environ.items()) if name in fields}


def unknown_variables(environ: Mapping[str, str]) -> List[str]:
    """One message per ``BOX2SEG_`` variable that no local file's field and no other reader knows: a
    misspelt override would otherwise be ignored without a word."""
    known = {*_field_variables(), *(ENV_PREFIX + k for k in OTHER_VARIABLES)}
    return [f"{name} names no field of ltr/admin/local.py or pytracking/evaluation/local.py and is ignored"
            f"{_did_you_mean(name, known)}"
            for name in sorted(environ) if name.startswith(ENV_PREFIX) and name not in known]


def unknown_fields(path: Path, fields: Iterable[str], defaults: Iterable[str]) -> List[str]:
    """One message per field of a local file that the file's tool does not read (e.g. pytracking's
    ``lasot_path`` written into training's file, whose field is ``lasot_dir``)."""
    defaults = list(defaults)
    return [f"{path}: {field!r} is not one of this file's settings and is ignored"
            f"{_did_you_mean(field, defaults, quote=True)}" for field in sorted(set(fields) - set(defaults))]


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
    local_values = local.local_values()
    for message in unknown_fields(path, local_values, values) + unknown_variables(os.environ):
        warnings.warn(message)
    values.update(local_values)
    return EnvironmentSettings(follow_workspace(values, os.environ.get(ENV_PREFIX + "WORKSPACE_DIR")))


def follow_workspace(values: Dict[str, str], workspace: Optional[str]) -> Dict[str, str]:
    """``values`` with the ``FOLLOW_WORKSPACE`` fields moved into ``workspace`` (BOX2SEG_WORKSPACE_DIR) where
    they sit at their default place in the file's own workspace: the generated file spells that place out,
    and a moved workspace would otherwise leave them behind."""
    if not workspace or "workspace_dir" not in values:
        return values
    moved = dict(values)
    for field, folder in FOLLOW_WORKSPACE.items():
        default = os.path.join(values["workspace_dir"], folder)
        if field in values and os.path.normpath(values[field]) == os.path.normpath(default):
            moved[field] = os.path.join(workspace, folder)
    return moved


def env_settings() -> EnvironmentSettings:
    """The LTR environment (workspace, dataset roots, pretrained weights)."""
    return load_local("ltr.admin.local", LOCAL_FILE, ltr_defaults, "Paths for training (ltr).")

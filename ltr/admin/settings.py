"""Training settings: a plain attribute bag filled by a train-setting module's ``configure``."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Dict

from ltr.admin.environment import env_settings


class Settings:
    """Holds ``env`` (paths) plus whatever a train setting defines."""

    def __init__(self) -> None:
        self.env = env_settings()
        self.use_gpu = True

    def to_dict(self) -> Dict[str, Any]:
        """The plain-data part of the settings (stored in checkpoints; no custom classes)."""
        plain = (str, int, float, bool, type(None))

        def convert(v: Any) -> Any:
            if isinstance(v, plain):
                return v
            if isinstance(v, (list, tuple)) and all(isinstance(x, plain) for x in v):
                return list(v)
            if isinstance(v, dict) and all(isinstance(x, plain) for x in v.values()):
                return dict(v)
            return repr(v)

        out = {k: convert(v) for k, v in vars(self).items() if k != "env"}
        out["env"] = {k: str(v) for k, v in vars(self.env).items()}
        return out


def checkpoint_dir(settings: Settings, project_path: str) -> Path:
    """Where training writes the checkpoints of the setting at ``project_path`` (``ltr/<module>/<setting>``)."""
    return Path(settings.env.workspace_dir) / "checkpoints" / project_path


def checkpoint_file(settings: Settings, project_path: str, net_type: str, epoch: int) -> Path:
    """The checkpoint training writes for ``epoch`` of that setting: ``<NetType>_ep<epoch:04d>.pth.tar``."""
    return checkpoint_dir(settings, project_path) / f"{net_type}_ep{epoch:04d}.pth.tar"


def earlier_checkpoint(settings: Settings, module: str, setting: str, net_type: str, epoch: int) -> Path:
    """The checkpoint of another setting's run that this one starts from; FileNotFoundError naming it
    and the command that makes it."""
    path = checkpoint_file(settings, f"ltr/{module}/{setting}", net_type, epoch)
    if not path.is_file():
        raise FileNotFoundError(f"this setting starts from {path}, which does not exist: "
                                f"run `python ltr/run_training.py {module} {setting}` first (same workspace)")
    return path

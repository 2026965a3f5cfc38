"""Training settings: a plain attribute bag filled by a train-setting module's ``configure``."""
from __future__ import annotations

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

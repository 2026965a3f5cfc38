"""Load and save networks in pytracking's checkpoint format (facts §1.1-1.3).

A checkpoint is a ``torch.save``d dict with at least ``net`` (the unwrapped state_dict) and
``constructor`` (a pickled ``NetConstructor``). Official files pickle classes of pytracking's
``ltr`` package that we do not have (settings, stats, ``dlframework`` legacy names): they are
unpickled as inert stand-ins, and official constructor functions are mapped to ours.
"""
from __future__ import annotations

import importlib
import inspect
import os
import pickle
import warnings
from pathlib import Path
from typing import Any, Dict, Optional, Union

import torch
import torch.nn as nn

from ltr.admin.model_constructor import NetConstructor

# Official constructor (module, function) -> ours.
OFFICIAL_CONSTRUCTORS = {
    ("ltr.models.lwl.sta_net", "steepest_descent_resnet50"): ("ltr.models.box2seg.box2seg_net",
                                                              "steepest_descent_resnet50"),
    ("ltr.models.lwl.lwl_net", "steepest_descent_resnet50"): ("ltr.models.lwl.lwl_net", "steepest_descent_resnet50"),
}
_LEGACY_MODULES = {
    "dlframework": "ltr", "dlframework.common": "ltr", "dlframework.common.utils": "ltr.admin",
}
_FOREIGN_PREFIXES = ("ltr", "pytracking", "dlframework")


class _Stub:
    """Stand-in for a pickled class we do not have: keeps its state, does nothing else."""

    def __init__(self, *args, **kwargs):
        self.args, self.kwargs = args, kwargs

    def __setstate__(self, state: Any) -> None:
        if isinstance(state, dict):
            self.__dict__.update(state)
        else:
            self.state = state


def _map_legacy_module(module: str) -> str:
    if module.startswith("dlframework.common.utils."):
        return "ltr.admin." + module.rsplit(".", 1)[1]
    return _LEGACY_MODULES.get(module, module)


class _CompatUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        module = _map_legacy_module(module)
        try:
            return super().find_class(module, name)
        except (ImportError, AttributeError):
            if not module.startswith(_FOREIGN_PREFIXES):
                raise
            return type(name, (_Stub,), {"__module__": "box2seg_stub." + module})


class _CompatPickleModule:
    """A ``pickle_module`` for ``torch.load`` that tolerates pytracking-only classes."""

    Unpickler = _CompatUnpickler
    load = staticmethod(lambda f, **kw: _CompatUnpickler(f, **kw).load())


def torch_load_legacy(path: Union[str, Path]) -> Dict[str, Any]:
    """``torch.load`` a pytracking checkpoint on CPU, official or ours."""
    return torch.load(str(path), map_location="cpu", weights_only=False, pickle_module=_CompatPickleModule)


def _resolve_checkpoint(network_dir: Union[str, Path], checkpoint: Union[None, int, str]) -> Path:
    path = Path(network_dir)
    if path.is_file():
        return path
    if not path.is_dir():
        raise FileNotFoundError(f"no checkpoint file or directory at {path}")
    if checkpoint is None:
        found = sorted(path.glob("*.pth.tar"))
        if not found:
            raise FileNotFoundError(f"no *.pth.tar checkpoint in {path}")
        return found[-1]
    if isinstance(checkpoint, int):
        found = sorted(path.glob(f"*_ep{checkpoint:04d}.pth.tar"))
        if not found:
            raise FileNotFoundError(f"no checkpoint of epoch {checkpoint} in {path}")
        return found[-1]
    return path / checkpoint


def our_constructor(constructor: Any) -> NetConstructor:
    """Map an official (or legacy ``dlframework``) constructor to the function that builds ours."""
    module = constructor.fun_module
    if module.startswith("dlframework."):
        module = module[len("dlframework."):]
    module, name = OFFICIAL_CONSTRUCTORS.get((module, constructor.fun_name), (module, constructor.fun_name))
    return NetConstructor(name, module, getattr(constructor, "args", ()), getattr(constructor, "kwds", {}))


def portable_constructor(constructor: NetConstructor) -> NetConstructor:
    """The constructor to store in a checkpoint: the official one when the net is an official
    architecture (so pytracking can rebuild it), with every argument written out explicitly."""
    for (off_module, off_name), (module, name) in OFFICIAL_CONSTRUCTORS.items():
        if (constructor.fun_module, constructor.fun_name) != (module, name):
            continue
        fun = getattr(importlib.import_module(module), name)
        bound = inspect.signature(fun).bind(*constructor.args, **constructor.kwds)
        bound.apply_defaults()
        kwds = dict(bound.arguments)
        ours_only = {"variant": "MultiFrameIterative", "aggregation": "steepest_descent", "aggregation_frames": 3}
        if any(kwds.get(k, v) != v for k, v in ours_only.items()):
            return constructor  # an ablation variant: only we can build it
        for k in ours_only:
            kwds.pop(k, None)
        kwds.pop("backbone_weights", None)  # where the initial weights came from, not part of the network
        return NetConstructor(off_name, off_module, (), kwds)
    return constructor


def load_network(network_dir: Union[str, Path], checkpoint: Union[None, int, str] = None,
                 constructor_fun_name: Optional[str] = None, constructor_module: Optional[str] = None,
                 **kwargs) -> nn.Module:
    """Rebuild a network from a checkpoint (file, or directory + epoch) and load its weights strictly.

    ``kwargs`` override constructor arguments (e.g. ``backbone_pretrained=False``); names the
    constructor does not take are ignored with a warning.
    """
    path = _resolve_checkpoint(network_dir, checkpoint)
    ckpt = torch_load_legacy(path)
    if not isinstance(ckpt, dict) or ckpt.get("constructor") is None or "net" not in ckpt:
        raise ValueError(f"{path} is not a pytracking-format checkpoint (needs 'constructor' and 'net')")
    constructor = our_constructor(ckpt["constructor"])
    if constructor_fun_name is not None:
        constructor.fun_name = constructor_fun_name
    if constructor_module is not None:
        constructor.fun_module = constructor_module
    fun = getattr(importlib.import_module(constructor.fun_module), constructor.fun_name)
    params = inspect.signature(fun).parameters
    for key, value in kwargs.items():
        if key in params:
            constructor.kwds[key] = value
        else:
            warnings.warn(f"load_network: ignoring argument {key!r}, which {constructor.fun_name} does not take")
    net = constructor.get()
    net.load_state_dict(ckpt["net"])
    net.constructor = constructor
    net.info = ckpt.get("net_info")
    return net


def unwrap(net: nn.Module) -> nn.Module:
    """The bare network inside DataParallel / DistributedDataParallel wrappers."""
    return net.module if hasattr(net, "module") and isinstance(net.module, nn.Module) else net


def save_checkpoint(path: Union[str, Path], net: nn.Module, epoch: int, extra: Optional[Dict[str, Any]] = None
                    ) -> Path:
    """Write a pytracking-format checkpoint atomically (temporary file, then rename)."""
    net = unwrap(net)
    state = {
        "epoch": epoch,
        "net_type": type(net).__name__,
        "net": net.state_dict(),
        "net_info": getattr(net, "info", None),
        "constructor": portable_constructor(net.constructor) if hasattr(net, "constructor") else None,
    }
    state.update(extra or {})
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    torch.save(state, tmp)
    os.replace(tmp, path)
    return path

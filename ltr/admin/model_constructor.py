"""Record how a network was built, so a checkpoint can rebuild it (pytracking's format).

A function decorated with ``model_constructor`` attaches ``net.constructor``, a ``NetConstructor``
holding the function's module, name and arguments; checkpoints pickle that object. The class path
``ltr.admin.model_constructor.NetConstructor`` and its attribute names equal pytracking's, so
official checkpoints unpickle into it and pytracking can unpickle ours.
"""
from __future__ import annotations

import functools
import importlib
from typing import Any, Callable, Dict, Tuple

import torch.nn as nn


class NetConstructor:
    """Module + function name + arguments of a network constructor; ``get()`` rebuilds the net."""

    def __init__(self, fun_name: str, fun_module: str, args: Tuple = (), kwds: Dict[str, Any] = None):
        self.fun_name = fun_name
        self.fun_module = fun_module
        self.args = tuple(args)
        self.kwds = dict(kwds or {})

    def get(self) -> nn.Module:
        fun = getattr(importlib.import_module(self.fun_module), self.fun_name)
        return fun(*self.args, **self.kwds)

    def __repr__(self) -> str:
        return f"NetConstructor({self.fun_module}.{self.fun_name}, args={self.args}, kwds={self.kwds})"


def model_constructor(f: Callable[..., nn.Module]) -> Callable[..., nn.Module]:
    """Decorator: the returned network remembers how to rebuild itself (``net.constructor``)."""

    @functools.wraps(f)
    def wrapper(*args, **kwds):
        net = f(*args, **kwds)
        net.constructor = NetConstructor(f.__name__, f.__module__, args, kwds)
        return net

    return wrapper

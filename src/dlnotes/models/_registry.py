"""A registry of every model the notes build, so tests can loop over all of them (timm-style).

Register a factory with an example input shape::

    @register_model("softmax-regression", input_shape=(2, 1, 28, 28))
    def softmax_regression() -> nn.Module: ...

``tests/test_models.py`` creates each registered model, runs the example input through it, and
checks the output shape, that nothing is NaN, and that every parameter receives a gradient.
Model modules live beside this file; :func:`load_all` imports them so they register.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import nn

__all__ = ["ModelSpec", "MODELS", "register_model", "create_model", "load_all"]


@dataclass(frozen=True)
class ModelSpec:
    """A registered model: its factory, an example input shape and the expected output shape."""

    name: str
    factory: Callable[[], nn.Module]
    input_shape: tuple[int, ...]
    output_shape: tuple[int, ...]
    input_dtype: torch.dtype = torch.float32  # integer dtypes: token indices in [0, 10)


MODELS: dict[str, ModelSpec] = {}


def register_model(
    name: str,
    *,
    input_shape: tuple[int, ...],
    output_shape: tuple[int, ...],
    input_dtype: torch.dtype = torch.float32,
):
    """Decorator: register a zero-argument factory that returns a fresh model."""

    def decorator(factory: Callable[[], nn.Module]):
        if name in MODELS and MODELS[name].factory is not factory:
            raise ValueError(f"a model named {name!r} is already registered")
        MODELS[name] = ModelSpec(name, factory, input_shape, output_shape, input_dtype)
        return factory

    return decorator


def load_all() -> dict[str, ModelSpec]:
    """Import every module of :mod:`dlnotes.models` so that all models are registered."""
    package = importlib.import_module("dlnotes.models")
    for info in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
        importlib.import_module(info.name)
    return MODELS


def create_model(name: str) -> nn.Module:
    """A fresh instance of the registered model ``name``."""
    if name not in MODELS:
        load_all()
    if name not in MODELS:
        raise KeyError(f"no model named {name!r}; registered: {', '.join(sorted(MODELS))}")
    return MODELS[name].factory()

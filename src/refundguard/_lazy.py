"""Lazy package exports: a package names what it offers, and each name is imported on first use.

``import refundguard`` (or ``refundguard.media``, ``refundguard.index``) then costs almost nothing, so the
command line answers ``--help`` without loading NumPy, OpenCV or the web stack, and a module that needs one
small piece of a package does not pay for the rest::

    __getattr__, __dir__ = lazy_exports(__name__, {"LoadedImage": "refundguard.media.load"})
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping
from typing import Any


def lazy_exports(package: str, names: Mapping[str, str]) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """Module-level ``__getattr__`` and ``__dir__`` for ``package``: ``names`` maps each export to its module.

    A name is imported once, on first access, and then stored in the package like an ordinary attribute.
    """
    table = dict(names)

    def __getattr__(name: str) -> Any:
        try:
            module = table[name]
        except KeyError:
            raise AttributeError(f"module {package!r} has no attribute {name!r}") from None
        value = getattr(importlib.import_module(module), name)
        setattr(sys.modules[package], name, value)
        return value

    def __dir__() -> list[str]:
        return sorted(set(vars(sys.modules[package])) | set(table))

    return __getattr__, __dir__

"""The ``refundguard`` command. Each module in this package adds its commands to :data:`app`."""

from __future__ import annotations

import importlib
import pkgutil

from refundguard.cli.app import app

for _info in pkgutil.iter_modules(__path__):
    if _info.name not in ("app",) and not _info.name.startswith("_"):
        importlib.import_module(f"{__name__}.{_info.name}")

__all__ = ["app"]

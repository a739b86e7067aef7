"""The ``refundguard`` command. Each module in this package adds its commands to :data:`app`."""

from __future__ import annotations

import importlib
import os
import pkgutil

from refundguard.cli._start import pause_gc_for_start

pause_gc_for_start()

# One OpenBLAS thread from the start: the analysis sets NumPy's BLAS to one thread anyway when its check pool
# starts (refundguard.parallel.limit_library_threads), and OpenBLAS started with the machine's thread count
# spends ~60 ms of the command's start (wall, 2 cores) creating threads it is then told not to use. Set before
# NumPy is first imported; a value the user set is kept.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

from refundguard.cli.app import app  # noqa: E402  (after the collector is paused and OPENBLAS set)

for _info in pkgutil.iter_modules(__path__):
    if _info.name not in ("app",) and not _info.name.startswith("_"):
        importlib.import_module(f"{__name__}.{_info.name}")

__all__ = ["app"]

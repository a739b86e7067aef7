"""One bounded thread pool per process, shared by every analysis that runs in it.

Checks of one analysis that do not depend on each other run side by side on this pool, and so do the
checks of concurrent analyses in the claim service: however many claims are being analysed, at most
:func:`pool_size` threads do check work. The heavy parts (NumPy, OpenCV, SciPy, Pillow, onnxruntime)
release the GIL, so threads use the cores. Nothing creates a pool per call.

A task may split its own work with :func:`fork`: the piece is offered to the pool, and when the task needs
the result and no worker has started the piece yet, the task takes it back and does it itself. A task never
waits for a piece that nobody runs, so a full pool cannot deadlock.

The size is ``REFUNDGUARD_CHECK_THREADS`` (default: the number of CPUs this process may use, at most 8).
When the pool starts, the libraries' own thread pools (OpenBLAS, OpenMP, OpenCV) are set to one thread:
the pool is the one level of parallelism. Left alone, each BLAS call of each worker would start threads
of its own that spin while they wait -- measured here, the tamper check's lattice search took 0.43 CPU
seconds with NumPy's two OpenBLAS threads and 0.12 with one, for the same result.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Generic, TypeVar

T = TypeVar("T")

_POOL: ThreadPoolExecutor | None = None
_LOCK = threading.Lock()
#: upper bound of the default size: more threads than this rarely help image checks and cost memory
MAX_DEFAULT_THREADS = 8


def pool_size() -> int:
    """Threads of the shared pool: ``REFUNDGUARD_CHECK_THREADS`` or the usable CPUs (at most 8)."""
    raw = os.environ.get("REFUNDGUARD_CHECK_THREADS", "").strip()
    if raw:
        try:
            value = int(raw)
        except ValueError:
            value = 0
        if value >= 1:
            return value
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return max(1, min(cpus, MAX_DEFAULT_THREADS))


def limit_library_threads() -> None:
    """One thread for the BLAS, OpenMP and OpenCV thread pools of this process (see the module docstring), and
    one malloc arena for the pool's threads (:func:`share_malloc_arena`)."""
    import cv2
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=1)
    cv2.setNumThreads(1)
    share_malloc_arena()


#: glibc's ``mallopt`` parameters (malloc.h): the number of malloc arenas, the size from which a block is mmapped
_M_ARENA_MAX = -8
_M_MMAP_THRESHOLD = -3
#: blocks of this size and larger get pages of their own, handed back to the system when freed
#: (:func:`share_malloc_arena`)
MMAP_THRESHOLD_BYTES = 16 * 1024 * 1024


def share_malloc_arena() -> bool:
    """Ask glibc to give the pool's threads the process's one malloc arena instead of one each.

    With an arena per thread, the working arrays a check frees in one thread stay in that thread's arena, and
    the next check's arrays in another thread take fresh pages: measured on the 12 MP claim with two references
    (``python -m bench speed``), the peak RSS was ~25-35 MiB higher and the page faults ~20 % more. The checks'
    work is in large arrays (few, long allocations), so the shared arena's lock is not contended.

    Blocks of :data:`MMAP_THRESHOLD_BYTES` (16 MiB) and more are mmapped, whatever was freed before: glibc's
    own threshold starts at 128 KiB and rises to the size of each mmapped block freed (up to 32 MiB), after
    which the 16-32 MiB arrays of a 12 MP photo (a float32 plane is 46 MiB, a grey or int16 plane 11-23 MiB)
    come from the heap, where a freed one stays resident until everything above it is freed. Measured on the
    12 MP forged claim with two references, peak RSS ~20 MiB lower at the same CPU seconds (1 MiB: ~30 %
    more CPU seconds, every plane's pages faulted in anew). A threshold the user set
    (``MALLOC_MMAP_THRESHOLD_``) is kept. Returns whether the arena was set (only glibc has the switches;
    elsewhere nothing changes)."""
    import ctypes
    import platform

    if platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
        return False
    try:
        libc = ctypes.CDLL(None)
        if not os.environ.get("MALLOC_MMAP_THRESHOLD_"):
            libc.mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES)
        return bool(libc.mallopt(_M_ARENA_MAX, 1))
    except (OSError, AttributeError):
        return False


def shared_pool() -> ThreadPoolExecutor:
    """The process-wide pool, created on first use."""
    global _POOL
    if _POOL is None:
        with _LOCK:
            if _POOL is None:
                limit_library_threads()
                _POOL = ThreadPoolExecutor(max_workers=pool_size(), thread_name_prefix="rg-check")
    return _POOL


def _reset_after_fork() -> None:  # a forked child (Celery prefork) gets its own pool, not the parent's threads
    global _POOL, _LOCK
    _POOL = None
    _LOCK = threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_reset_after_fork)


class Forked(Generic[T]):
    """A piece of work offered to the shared pool; :meth:`result` runs it in the caller when still unstarted."""

    def __init__(self, fn: Callable[..., T], *args: object) -> None:
        self._fn, self._args = fn, args
        self._future: Future[T] = shared_pool().submit(fn, *args)

    def result(self) -> T:
        if self._future.cancel():  # no worker took it: do it here rather than wait for a busy pool
            return self._fn(*self._args)
        return self._future.result()


def fork(fn: Callable[..., T], *args: object) -> Forked[T]:
    """Offer ``fn(*args)`` to the shared pool (see :class:`Forked`)."""
    return Forked(fn, *args)

"""Run a webhook coroutine to completion from synchronous code, whether or not an event loop is running."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


def run_coroutine(coro: Coroutine[Any, Any, T]) -> T:
    """``asyncio.run(coro)``; when this thread already runs a loop (a caller inside async code, a test
    browser driver), the coroutine gets its own loop on a short-lived thread instead of failing."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    result: list[T] = []
    error: list[BaseException] = []

    def work() -> None:
        try:
            result.append(asyncio.run(coro))
        except BaseException as exc:  # re-raised in the caller's thread
            error.append(exc)

    thread = threading.Thread(target=work, name="refundguard-webhook-sync", daemon=True)
    thread.start()
    thread.join()
    if error:
        raise error[0]
    return result[0]

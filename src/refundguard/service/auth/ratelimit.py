"""Failure counting per client address: after ``limit`` failures within ``window_s`` the client is refused
(429) until the oldest of them leaves the window.

Counts live in the server process (the API runs as one uvicorn process; with several servers each counts
its own, so the effective limit is ``limit`` × servers). The number of tracked clients is bounded: the
least recently failing are forgotten first.
"""

from __future__ import annotations

import ipaddress
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Mapping
from typing import Any


def client_address(scope: Mapping[str, Any]) -> str:
    """The client of an ASGI request as a rate-limit bucket: the IPv4 address, or the /64 of an IPv6 one.

    Behind a reverse proxy uvicorn puts the forwarded client here when the proxy is trusted
    (``--forwarded-allow-ips``); otherwise every client shares the proxy's address.
    """
    client = scope.get("client")
    host = str(client[0]) if client else "unknown"
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return host[:64]
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network((ip, 64), strict=False))
    return str(ip)


class FailureLimiter:
    """Sliding-window failure counts by client."""

    def __init__(self, limit: int, window_s: float, *, clock: Callable[[], float] = time.monotonic,
                 max_clients: int = 100_000) -> None:
        self.limit = limit
        self.window_s = window_s
        self._clock = clock
        self._max_clients = max_clients
        self._failures: OrderedDict[str, deque[float]] = OrderedDict()
        self._lock = threading.Lock()

    def _trim(self, who: str, now: float) -> deque[float] | None:
        times = self._failures.get(who)
        if times is None:
            return None
        while times and times[0] <= now - self.window_s:
            times.popleft()
        if not times:
            del self._failures[who]
            return None
        return times

    def retry_after(self, who: str) -> float:
        """Seconds until ``who`` may try again; 0 when it may now."""
        with self._lock:
            now = self._clock()
            times = self._trim(who, now)
            if times is None or len(times) < self.limit:
                return 0.0
            return max(0.0, times[-self.limit] + self.window_s - now)

    def failed(self, who: str) -> bool:
        """Count a failure; True when this one reached the limit (the client is refused from now on)."""
        with self._lock:
            now = self._clock()
            times = self._trim(who, now)
            if times is None:
                times = self._failures[who] = deque(maxlen=self.limit)
            times.append(now)
            self._failures.move_to_end(who)
            while len(self._failures) > self._max_clients:
                self._failures.popitem(last=False)
            return len(times) == self.limit

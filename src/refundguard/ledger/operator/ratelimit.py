"""A token bucket per member: ``rate_per_minute`` tokens a minute, at most ``burst`` saved up."""

from __future__ import annotations

import threading
import time


class TokenBuckets:
    def __init__(self, rate_per_minute: float, burst: int) -> None:
        self.rate = rate_per_minute / 60.0
        self.burst = float(burst)
        self._state: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def take(self, member: str, tokens: int = 1, *, now: float | None = None) -> bool:
        """Spend ``tokens`` of ``member``'s bucket; False (nothing spent) when it does not hold that many."""
        now = time.monotonic() if now is None else now
        with self._lock:
            level, last = self._state.get(member, (self.burst, now))
            level = min(self.burst, level + (now - last) * self.rate)
            if level < tokens:
                self._state[member] = (level, now)
                return False
            self._state[member] = (level - tokens, now)
            return True

"""Per-tenant upload quotas: uploads in flight at once, and bytes per rolling hour (all keys of a tenant).

Counted in the server process, in one-minute buckets (at most 60 per tenant). With several API servers
each enforces the quota on its own share of the traffic.
"""

from __future__ import annotations

import math
import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable

from refundguard.service.errors import TooManyRequests

HOUR_S = 3600.0
BUCKET_S = 60.0


class UploadQuota:
    """Admission and accounting of upload requests by tenant."""

    def __init__(self, *, concurrent: int, bytes_per_hour: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.concurrent = concurrent
        self.bytes_per_hour = bytes_per_hour
        self._clock = clock
        self._lock = threading.Lock()
        self._in_flight: dict[str, int] = defaultdict(int)
        self._buckets: dict[str, deque[list[float]]] = defaultdict(deque)  # [bucket start, bytes]

    def _used(self, tenant: str, now: float) -> float:
        buckets = self._buckets[tenant]
        while buckets and buckets[0][0] <= now - HOUR_S:
            buckets.popleft()
        return sum(b[1] for b in buckets)

    def _wait_for(self, tenant: str, needed: float, now: float) -> float:
        """Seconds until ``needed`` more bytes fit in the hour (the oldest buckets leave the window)."""
        over = self._used(tenant, now) + needed - self.bytes_per_hour
        if over <= 0:
            return 1.0
        for start, size in self._buckets[tenant]:
            over -= size
            if over <= 0:
                return max(1.0, start + HOUR_S - now)
        return HOUR_S  # larger than a whole hour's quota

    def admit(self, tenant: str, announced: int | None) -> Ticket:
        """Start an upload of ``announced`` bytes (None: unknown, chunked) or raise :class:`TooManyRequests`."""
        with self._lock:
            now = self._clock()
            if self._in_flight[tenant] >= self.concurrent:
                raise TooManyRequests(f"this tenant already has {self.concurrent} uploads in progress; retry when "
                                      "one has finished",
                                      f"该租户已有 {self.concurrent} 个上传正在进行，请稍后重试",
                                      retry_after_s=5.0, code="upload_quota")
            needed = announced or 0
            if self._used(tenant, now) + needed > self.bytes_per_hour:
                raise self._hourly(self._wait_for(tenant, needed, now))
            self._in_flight[tenant] += 1
        return Ticket(self, tenant)

    def _hourly(self, wait: float) -> TooManyRequests:
        mib = self.bytes_per_hour // (1024 * 1024)
        return TooManyRequests(f"this tenant's upload quota ({mib} MiB per hour) is used up; retry in "
                               f"{math.ceil(wait)} s",
                               f"该租户的上传配额（每小时 {mib} MiB）已用完，请 {math.ceil(wait)} 秒后重试",
                               retry_after_s=wait, code="upload_quota")

    def _charge(self, tenant: str, size: int) -> None:
        with self._lock:
            now = self._clock()
            start = now - now % BUCKET_S
            buckets = self._buckets[tenant]
            if buckets and buckets[-1][0] == start:
                buckets[-1][1] += size
            else:
                buckets.append([start, float(size)])
            if self._used(tenant, now) > self.bytes_per_hour:
                raise self._hourly(self._wait_for(tenant, 0, now))

    def _release(self, tenant: str) -> None:
        with self._lock:
            self._in_flight[tenant] -= 1
            if self._in_flight[tenant] <= 0:
                del self._in_flight[tenant]

    def in_flight(self, tenant: str) -> int:
        with self._lock:
            return self._in_flight.get(tenant, 0)


class Ticket:
    """One admitted upload: bytes are charged as they arrive; :meth:`release` frees its slot (once)."""

    def __init__(self, quota: UploadQuota, tenant: str) -> None:
        self._quota = quota
        self.tenant = tenant
        self._open = True

    def charge(self, size: int) -> None:
        """Count ``size`` received bytes; raises :class:`TooManyRequests` when the hour's quota is exceeded."""
        if size:
            self._quota._charge(self.tenant, size)

    def release(self) -> None:
        if self._open:
            self._open = False
            self._quota._release(self.tenant)

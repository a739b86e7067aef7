"""How the request gate (:mod:`refundguard.service.ingress.gate`) admits the buyer's capture page.

The page has no account and no cookie session: the signed link in the path is the credential, and after the
session starts, the nonce the page received (a header or form field, never a cookie, so another site cannot make
the buyer's browser send it: there is no ambient credential to forge a request with). The gate still

- refuses posts another site's page makes (``Origin`` / ``Sec-Fetch-Site``), like every browser form here;
- caps a frame upload at the largest photo or video the capture settings allow (plus the form around it), before
  and while the body is read, and drops it when it arrives too slowly; the other capture posts get 16 KiB.

Frames per session are bounded by the capture service (``max_frames``: 429 ``too_many_frames``).
"""

from __future__ import annotations

from refundguard.capture.config import CaptureConfig
from refundguard.service.config import RequestLimitsConfig
from refundguard.service.ingress.gate import POST, BodyRule

#: the session start and completion posts (a small JSON object or nothing)
SMALL_POST_BYTES = 16 * 1024


def gate_rules(config: CaptureConfig) -> tuple[BodyRule, ...]:
    """The gate's rules for ``/capture/<token>/...``, to be put before the service's own."""
    frame_bytes = config.frame_request_bytes

    def frames(_limits: RequestLimitsConfig) -> int:
        return frame_bytes

    def small(_limits: RequestLimitsConfig) -> int:
        return SMALL_POST_BYTES

    return (
        BodyRule(r"/capture/[^/]+/frames/?", frames, "none", POST, same_origin=True),
        BodyRule(r"/capture/[^/]+/(session|complete)/?", small, "none", POST, same_origin=True),
        BodyRule(r"/capture/.*", small, "none", same_origin=True),
    )

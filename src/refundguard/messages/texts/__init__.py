"""The catalogue's texts, one module per domain (importing this package fills :data:`CATALOGUE`)."""

from refundguard.messages.texts import (  # noqa: F401
    capture,
    capture_facts,
    checks,
    cli,
    coverage,
    live,
    media,
    multiview,
    provenance,
    reference,
    reuse,
    service,
    tamper,
    watermark,
    words,
)

"""The catalogue's texts, one module per domain (importing this package fills :data:`CATALOGUE`)."""

from refundguard.messages.texts import (  # noqa: F401
    capture,
    checks,
    cli,
    coverage,
    live,
    multiview,
    reference,
    service,
    words,
)

"""The catalogue's texts, one module per domain (importing this package fills :data:`CATALOGUE`)."""

from refundguard.messages.texts import checks, cli, coverage, live, multiview, reference, service, words  # noqa: F401

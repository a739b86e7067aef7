"""The catalogue's texts, one module per domain (importing this package fills :data:`CATALOGUE`)."""

from refundguard.messages.texts import capture, checks, cli, coverage, live, multiview, service, words  # noqa: F401

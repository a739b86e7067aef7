"""Fixtures of the ledger tests: the service tests' real-server factory."""

from tests.service.conftest import server_factory  # noqa: F401 - fixture

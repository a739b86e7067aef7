"""Fuzz targets for every container the loader reads, bounded so the suite stays quick.

The ``ci`` profile (default) runs a few dozen examples per target on every ``make test``; run a longer
session locally with ``HYPOTHESIS_PROFILE=fuzz python -m pytest tests/fuzz`` (thousands of examples). No
example database is written: a failure prints the blob that reproduces it (``@reproduce_failure``).
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

_COMMON = {"deadline": None, "database": None, "print_blob": True,
           "suppress_health_check": [HealthCheck.too_slow, HealthCheck.function_scoped_fixture,
                                     HealthCheck.data_too_large]}
settings.register_profile("ci", max_examples=30, **_COMMON)
settings.register_profile("fuzz", max_examples=3000, **_COMMON)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

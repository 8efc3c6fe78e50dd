"""Test configuration: a bounded hypothesis profile so the suite stays under five minutes."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from hypothesis import HealthCheck, settings

sys.path.insert(0, str(Path(__file__).parent))

settings.register_profile(
    "ci", max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)
settings.register_profile("long", max_examples=2000, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

# Every test, and every infrascan process a test starts, uses a cache directory of its own session,
# never the developer's ~/.cache/infrascan.
os.environ["XDG_CACHE_HOME"] = __import__("tempfile").mkdtemp(prefix="infrascan-test-cache-")

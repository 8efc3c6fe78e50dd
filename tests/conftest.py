"""Test configuration: a bounded hypothesis profile so the suite stays under five minutes.

The "ci" profile is derandomized: the gate runs the same examples every time, so a merge is never
blocked by a draw no one can reproduce. `HYPOTHESIS_PROFILE=long` explores fresh random examples
(2,000 per test) and is how the property tests look for new failures."""

from __future__ import annotations

import atexit
import os
import shutil
import sys
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, settings

sys.path.insert(0, str(Path(__file__).parent))

settings.register_profile(
    "ci", max_examples=60, deadline=None, derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile("long", max_examples=2000, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

# Every test, and every infrascan process a test starts, uses a cache directory of its own session,
# never the developer's ~/.cache/infrascan; removed when the session ends (a few MB a run).
os.environ["XDG_CACHE_HOME"] = _CACHE = tempfile.mkdtemp(prefix="infrascan-test-cache-")
atexit.register(shutil.rmtree, _CACHE, ignore_errors=True)

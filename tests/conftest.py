"""Hypothesis profiles: a fast default for every run, ``thorough`` on request.

``HYPOTHESIS_PROFILE=thorough pytest`` runs 1,000 examples per property instead of 100.
"""

import os
import sys
from pathlib import Path

from hypothesis import HealthCheck, settings

settings.register_profile("default", max_examples=100, deadline=None)
settings.register_profile(
    "thorough", max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))

# The learner modules under tests/fixtures are imported by name, as a notebook would.
sys.path.insert(0, str(Path(__file__).parent / "fixtures"))

# pytester runs small test files, for the pytest plugin's tests (tests/test_testing.py)
pytest_plugins = ["pytester"]

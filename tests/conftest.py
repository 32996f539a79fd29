"""Hypothesis profiles: a fast default for every run, ``thorough`` on request.

The default draws the same examples on every run (``derandomize``), so that CI's verdict is the
code's, not the draw's; known bugs found by other draws are pinned in tests/test_known_bugs.py.
``HYPOTHESIS_PROFILE=thorough pytest`` runs 1,000 random examples per property instead of 100.
``HYPOTHESIS_PROFILE=mutation`` is for ``mutmut run`` (docs/mutation.md): every mutant reruns the
tests, so fewer examples, drawn the same way every time (``derandomize``) so the score is reproducible.
"""

import os
import sys
from pathlib import Path

from hypothesis import HealthCheck, settings

settings.register_profile("default", max_examples=100, deadline=None, derandomize=True, database=None)
settings.register_profile(
    "thorough", max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile(
    "mutation",
    max_examples=20,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))

# The learner modules under tests/fixtures are imported by name, as a notebook would.
sys.path.insert(0, str(Path(__file__).parent / "fixtures"))
# ... and the course's notebooks (tests/fixtures/course), as docs/quickstart.md imports them.
sys.path.insert(1, str(Path(__file__).parent / "fixtures" / "course"))

# pytester runs small test files, for the pytest plugin's tests (tests/test_testing.py)
pytest_plugins = ["pytester"]

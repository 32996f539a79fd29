"""The pytest plugin (registered through the ``pytest11`` entry point, so installing gradcheck is enough).

It adds:

* the option ``--gradcheck-profile {default,fast,thorough}``, which sets the options of every
  check made through the fixture;
* the fixture ``gradcheck``: ``gradcheck(cost_fn, parameters, gradients, **options)`` is
  :func:`gradcheck.testing.assert_gradients` with the profile's options (options passed to the
  call win).

========== ==========================================================================
profile    options
========== ==========================================================================
default    none: ``verify_gradients``' defaults (exhaustive up to 1,000 parameters)
fast       ``mode="directional"``: 2 random directions per block, 8 evaluations or so
thorough   ``mode="exhaustive", method="richardson"``: every entry, 6 evaluations each
========== ==========================================================================
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from gradcheck.report import GradientReport
from gradcheck.testing import assert_gradients

__all__ = ["PROFILES", "gradcheck", "pytest_addoption"]

#: ``--gradcheck-profile`` name -> options of :func:`gradcheck.verify_gradients`.
PROFILES: dict[str, dict[str, Any]] = {
    "default": {},
    "fast": {"mode": "directional"},
    "thorough": {"mode": "exhaustive", "method": "richardson"},
}


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("gradcheck")
    group.addoption(
        "--gradcheck-profile",
        choices=sorted(PROFILES),
        default="default",
        help="options of the gradcheck fixture's checks: default, fast (random directions) or "
        "thorough (every entry, Richardson extrapolation)",
    )


@pytest.fixture
def gradcheck(request: pytest.FixtureRequest) -> Callable[..., GradientReport]:
    """``gradcheck(cost_fn, parameters, gradients, **options)``: assert the gradients are right.

    Uses the ``--gradcheck-profile`` options; returns the report when they are right and raises
    ``AssertionError`` naming the gradient, the worst entry and the likely mistake otherwise.
    """
    profile = PROFILES[request.config.getoption("--gradcheck-profile")]

    def check(*args: Any, **options: Any) -> GradientReport:
        __tracebackhide__ = True
        return assert_gradients(*args, **{**profile, **options})

    return check

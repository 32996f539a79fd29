"""The pytest plugin (registered through the ``pytest11`` entry point, so installing gradcheck is enough).

It adds:

* the option ``--gradcheck-profile {default,fast,thorough}``, which sets the options of every
  check made through the fixture;
* the fixture ``check_gradients``: ``check_gradients(cost_fn, parameters, gradients, **options)``
  is :func:`gradcheck.testing.assert_gradients` with the profile's options (options passed to the
  call win). It is not called ``gradcheck``, so that it never hides the package in a test module.

========== ==========================================================================
profile    options
========== ==========================================================================
default    none: ``verify_gradients``' defaults (exhaustive up to 1,000 parameters)
fast       ``mode="directional"``: 2 random directions per block, 8 evaluations or so
thorough   ``mode="exhaustive", method="richardson"``: every entry, 6 evaluations each
========== ==========================================================================

pytest loads this module in every session of an environment where gradcheck is installed, even
in projects that never check a gradient: it imports nothing but pytest until the fixture is used.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from gradcheck.report import GradientReport

__all__ = ["PROFILES", "check_gradients", "pytest_addoption"]

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
        help="options of the check_gradients fixture: default, fast (random directions) or "
        "thorough (every entry, Richardson extrapolation)",
    )


@pytest.fixture
def check_gradients(request: pytest.FixtureRequest) -> Callable[..., GradientReport]:
    """``check_gradients(cost_fn, parameters, gradients, **options)``: assert the gradients are right.

    Uses the ``--gradcheck-profile`` options; returns the report when they are right and raises
    ``AssertionError`` naming the gradient, the worst entry and the likely mistake otherwise.
    """
    from gradcheck.testing import assert_gradients  # numpy and the engine: only when a test asks

    profile = PROFILES[request.config.getoption("--gradcheck-profile")]

    def check(*args: Any, **options: Any) -> GradientReport:
        __tracebackhide__ = True
        return assert_gradients(*args, **{**profile, **options})

    return check

"""gradcheck: is a hand-written gradient right, and if not, which entries are wrong and why.

>>> from gradcheck import verify_gradients, numerical_gradient, GradcheckError

The names below are imported on first use (PEP 562), so that ``import gradcheck`` (and the pytest
plugin, which pytest loads in every session) costs next to nothing until a check is made.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from gradcheck.errors import GradcheckError, GradcheckWarning
    from gradcheck.numerical import numerical_gradient
    from gradcheck.report import DIAGNOSIS_CODES, Diagnosis, GradientReport, GradientResult
    from gradcheck.verify import verify_gradients

__all__ = [
    "DIAGNOSIS_CODES",
    "Diagnosis",
    "GradcheckError",
    "GradcheckWarning",
    "GradientReport",
    "GradientResult",
    "numerical_gradient",
    "verify_gradients",
]

#: The version, in this one place (pyproject.toml reads it from here).
__version__ = "0.1.0"

#: Public name -> the module that defines it.
_HOMES = {
    "DIAGNOSIS_CODES": "gradcheck.report",
    "Diagnosis": "gradcheck.report",
    "GradcheckError": "gradcheck.errors",
    "GradcheckWarning": "gradcheck.errors",
    "GradientReport": "gradcheck.report",
    "GradientResult": "gradcheck.report",
    "numerical_gradient": "gradcheck.numerical",
    "verify_gradients": "gradcheck.verify",
}


def __getattr__(name: str) -> Any:
    if name in _HOMES:
        value = getattr(importlib.import_module(_HOMES[name]), name)
        globals()[name] = value  # the next lookup is an ordinary attribute
        return value
    raise AttributeError(f"module 'gradcheck' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])

"""The registry of reference models: every network gradcheck can recognise behind a user's cost.

A new network is a new entry here (a :class:`~.interface.Model`), not an edit of the engine: the
engine asks every model, in this order, for the references that fit (:func:`references`), and
takes the hints (formulas, steps of the backward pass) of the model that claims the parameters'
names when no reference is recognised (:func:`hints_for`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

from .deep_model import DEEP
from .interface import Dropout, Hints, Model, Parameters, Reference
from .logistic import LOGISTIC
from .two_layer_model import TWO_LAYER

__all__ = ["MODELS", "hints_for", "references"]

#: Model name -> model, in the order they are tried.
MODELS: dict[str, Model] = {model.name: model for model in (TWO_LAYER, LOGISTIC, DEEP)}


def references(
    parameters: Parameters,
    X: np.ndarray,
    Y: np.ndarray,
    *,
    activation: Any = None,
    dropout: Dropout | None = None,
) -> list[Reference]:
    """Every registered model's references that fit these parameters and data (and ran with
    ``dropout``, when given), in registry order."""
    return [
        reference
        for model in MODELS.values()
        for reference in model.references(parameters, X, Y, activation=activation, dropout=dropout)
    ]


class _NoHints:
    """Hints of parameters no model names: no formulas, no steps."""

    parameter_names: tuple[str, ...] = ()
    formulas: Mapping[str, str] = {}

    def step_hint(self, failed: frozenset[str]) -> str:
        return ""

    def everywhere(self, code: str, m: int | None) -> str | None:
        return None


def hints_for(names: Iterable[str]) -> Hints:
    """The hints of the first model that claims these parameter names (none: no hints)."""
    wanted = set(names)
    for model in MODELS.values():
        hints = model.hints(wanted)
        if hints is not None:
            return hints
    return _NoHints()

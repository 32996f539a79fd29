"""The one interface every reference model implements, so the engine can consult it without knowing it.

A **model** is a family of networks with hand-derived gradients (the one-hidden-layer network;
logistic regression and the L-layer network join it the same way). A **reference** is one member of
the family with every option fixed (the hidden activation, say) and the data bound: a cost that
gradcheck can match a user's cost against, differentiate exactly with autograd, bound the rounding
of, and whose catalog of mistakes it can run at the user's point.

gradcheck asks every model of :data:`gradcheck.network.models.MODELS` for the references that fit the
parameters and data it was given (:meth:`Model.references`); it knows no network itself. Nothing
here imports gradcheck's engine: the engine depends on the models, never the reverse.

Shapes follow the course: ``X`` (n_x, m), ``Y`` (n_y, m), parameters keyed ``W1, b1, ...``.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

__all__ = ["Dropout", "Hints", "Model", "Reference", "WrongVariant"]

Parameters = Mapping[str, Any]


@dataclass(frozen=True)
class Dropout:
    """Inverted dropout as the caller ran it: a cost cannot reveal its masks, the caller can.

    Attributes
    ----------
    keep_prob : float
    masks : tuple of ndarray
        ``D{l}`` (n_l, m) of 0s and 1s, one per hidden layer ``l = 1 .. L-1``.
    """

    keep_prob: float
    masks: tuple[np.ndarray, ...]


@dataclass(frozen=True)
class WrongVariant:
    """One catalogued mistake, evaluated at a point: the gradients the learner's wrong code gives.

    Attributes
    ----------
    name : str
        Catalog key, e.g. ``"derivative_is_A1"``.
    code : str
        The diagnosis code it gets (a key of ``gradcheck.DIAGNOSIS_CODES``).
    gradients : dict of str to ndarray
        The wrong code's gradient per parameter name (``W1``, not ``dW1``), float64.
    meaning : str
        What is wrong, in words, with the reference's formulas filled in.
    wrote : str
        The line the learner wrote.
    fix : str
        The right line.
    context : str
        A sentence that helps read the fix (e.g. the activation's ``g′`` formula), or ``""``.
    """

    name: str
    code: str
    gradients: dict[str, np.ndarray]
    meaning: str
    wrote: str
    fix: str
    context: str = ""


class Hints(Protocol):
    """What a model can say about gradients by their parameters' names alone (no recognition needed)."""

    @property
    def parameter_names(self) -> tuple[str, ...]:
        """The parameters' names in the order the model's messages list them (``W1, b1, W2, b2``)."""
        ...

    @property
    def formulas(self) -> Mapping[str, str]:
        """The right line for each parameter's gradient, as learners write it (quoted in fixes)."""
        ...

    def step_hint(self, failed: frozenset[str]) -> str:
        """Which step of the backward pass the set of failed gradients points at, or ``""``."""
        ...

    def everywhere(self, code: str, m: int | None) -> str | None:
        """The summary when every gradient failed with the same ``code``, or None for the generic one."""
        ...


class Reference(Protocol):
    """One network of a model with its options fixed and its data bound."""

    @property
    def description(self) -> str:
        """For the report, e.g. ``"reference network, tanh hidden layer"``."""
        ...

    @property
    def hints(self) -> Hints:
        """The model's hints (formulas, steps)."""
        ...

    @property
    def hidden(self) -> tuple[str, ...]:
        """Its hidden layers' activation names, first to last (none for logistic regression)."""
        ...

    def cost(self, parameters: Parameters) -> Any:
        """The exact cost, written so that autograd differentiates it exactly (from logits)."""
        ...

    def written_cost(self, parameters: Parameters, dtype: np.dtype[Any]) -> Any:
        """The same cost as learners write it (from probabilities), computed in ``dtype``: flat where
        outputs round to 0 or 1, as theirs is."""
        ...

    def fit(self, points: Sequence[Parameters], costs: Sequence[float], rtol: float) -> Reference | None:
        """This reference with its free options (a leaky ReLU's α, L2's λ) chosen so that its cost
        is ``costs`` at ``points`` (the engine then checks it at every point, so a fit never makes
        a wrong match); itself when it has none; None when no choice fits. ``rtol``: the
        precision the costs agree to."""
        ...

    def rounding_magnitude(self, parameters: Parameters) -> dict[str, np.ndarray]:
        """``M`` per parameter: the size of the terms each gradient entry is summed from, so that two
        correct backward passes differ by a few ``ε (|a| + M)``."""
        ...

    def kinked(self, parameters: Parameters) -> int:
        """How many pre-activations sit exactly on a kink of an activation."""
        ...

    def kink_interval(self, parameters: Parameters) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        """``(lo, hi)`` per parameter: every value correct code may return, whatever slope it takes
        at the kinks (``lo == hi`` away from them)."""
        ...

    def wrong_variants(self, parameters: Parameters) -> Iterator[WrongVariant]:
        """The catalog's mistakes that apply here, each evaluated at ``parameters``, in the order
        diagnosis prefers them; variants that cannot run at this point are left out."""
        ...


class Model(Protocol):
    """A family of reference networks."""

    @property
    def name(self) -> str:
        """Registry key, e.g. ``"two_layer"``."""
        ...

    def hints(self, names: Collection[str]) -> Hints | None:
        """The hints for gradients of parameters with these names, if the model claims the names
        (``W1, b1, W2, b2`` for the one-hidden-layer network), else None."""
        ...

    def references(
        self,
        parameters: Parameters,
        X: np.ndarray,
        Y: np.ndarray,
        *,
        activation: Any = None,
        dropout: Dropout | None = None,
    ) -> list[Reference]:
        """The members that fit these parameters' names and shapes and this data, in the order to try
        them (empty when none fits). ``activation`` restricts them to that hidden activation;
        ``dropout``, when given, to the members that ran with it (none, for a model without it)."""
        ...

    def example(self, seed: int) -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray]:
        """``(parameters, X, Y)``: a small point of this model drawn from ``seed``, away from kinks
        and saturation (the registry's tests check every model there)."""
        ...

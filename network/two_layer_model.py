"""The one-hidden-layer network as a reference model (:mod:`.interface`): the first model on the seam.

:class:`TwoLayerModel` recognises parameters ``W1`` (n_h, n_x), ``b1`` (n_h, 1), ``W2`` (n_y, n_h),
``b2`` (n_y, 1) for data ``X`` (n_x, m), ``Y`` (n_y, m), and offers one :class:`TwoLayerReference`
per hidden activation of the registry. The formulas are those of :mod:`.two_layer`; the mistakes
those of :mod:`.mistakes`, then those of :mod:`.deep_mistakes` at L = 2 (the same network written
the Week 4 way).
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from .activations import ACTIVATIONS, Activation, get_activation
from .deep import Network
from .deep_model import TIGHT, DeepReference
from .fitting import leaky_alpha
from .interface import Dropout, Hints, Parameters, Reference, WrongVariant
from .mistakes import CATALOG, FORMULAS
from .problems import reference_problem
from .two_layer import PARAMETER_NAMES, cost, cost_from_logits, forward, logits

__all__ = ["TWO_LAYER", "TwoLayerModel", "TwoLayerReference", "kink_interval", "rounding_magnitude"]


def kink_interval(
    parameters: Mapping[str, np.ndarray], X: np.ndarray, Y: np.ndarray, activation: Activation
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """What correct code may return where hidden pre-activations sit exactly on a kink.

    At ``Z1[j, i] = 0`` a ReLU-like ``g′`` is undefined; code may use any slope ``s`` between the
    left and right derivatives ``s_L ≤ s ≤ s_R`` (0 and 1 for ReLU, α and 1 for leaky ReLU), and
    each kinked unit may do so independently. With ``C = W2ᵀ dZ2`` split into the part away from
    kinks (``B = C ⊙ g′(Z1)``, kinked entries zeroed) and at kinks (``T = C ⊙ [Z1 = 0]``), the
    entries of ``dW1 = (B + T ⊙ S) Xᵀ / m`` range over ::

        lo = (B Xᵀ + s_L P₊ + s_R P₋) / m        hi = (B Xᵀ + s_R P₊ + s_L P₋) / m
        P₊ = T⁺ X⁺ᵀ + T⁻ X⁻ᵀ   (the positive terms T_ji X_ki)    P₋ = T⁺ X⁻ᵀ + T⁻ X⁺ᵀ

    (``⁺``/``⁻`` the positive and negative parts), and ``db1`` likewise with ``X`` a row of ones.
    Layer 2 does not depend on the slope at a kink (``g(0) = 0`` either way).

    This is wider than the one-sided derivatives along a single entry when several kinks meet
    on one coordinate (``W1`` and ``b1`` initialised to zero): there, code that is correct by
    every convention can lie outside ``[D₋, D₊]``, and only the network's structure tells.

    Returns
    -------
    dict of str to (ndarray, ndarray)
        ``(lo, hi)`` for ``W1, b1, W2, b2``.
    """
    m = X.shape[1]
    A2, cache = forward(X, dict(parameters), activation)
    Z1 = cache["Z1"]
    C = parameters["W2"].T @ (A2 - Y)
    at_kink = np.zeros(Z1.shape, dtype=bool)
    for kink in activation.kinks:
        at_kink |= Z1 == kink
    slopes = [
        float(activation.derivative(np.array(kink + side)))
        for kink in activation.kinks[:1]
        for side in (-1.0, 1.0)
    ]
    s_left, s_right = (min(slopes), max(slopes)) if slopes else (0.0, 0.0)
    B = np.where(at_kink, 0.0, C * activation.derivative(Z1))
    T = np.where(at_kink, C, 0.0)
    Tp, Tm = np.maximum(T, 0.0), np.minimum(T, 0.0)
    out: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for name, inputs in (("W1", X), ("b1", np.ones((1, m)))):
        Xp, Xm = np.maximum(inputs, 0.0), np.minimum(inputs, 0.0)
        positive = Tp @ Xp.T + Tm @ Xm.T
        negative = Tp @ Xm.T + Tm @ Xp.T
        fixed = B @ inputs.T
        out[name] = (
            (fixed + s_left * positive + s_right * negative) / m,
            (fixed + s_right * positive + s_left * negative) / m,
        )
    dZ2 = A2 - Y
    for name, value in (("W2", dZ2 @ cache["A1"].T / m), ("b2", np.sum(dZ2, axis=1, keepdims=True) / m)):
        out[name] = (value, value)
    return out


def rounding_magnitude(
    parameters: Mapping[str, np.ndarray], X: np.ndarray, Y: np.ndarray, activation: Activation
) -> dict[str, np.ndarray]:
    """The backward pass run on absolute values: the scale of each gradient entry's rounding error.

    Rounding in a sum is bounded by ``ε`` times the sum of the terms' absolute values, not by
    the (possibly tiny, cancelled) result. So the hand-derived formulas are evaluated with every
    factor replaced by its magnitude::

        S2 = |A2| + |Y|                         (the terms of dZ2 = A2 − Y)
        U1 = |W1| |X| + |b1|                    (the terms of Z1; bounds how far A1 and g′ can move)
        M_W2 = S2 (|A1| + U1)ᵀ / m              M_b2 = Σ S2 / m
        S1 = (|W2|ᵀ S2) ⊙ (|g′(Z1)| + U1)
        M_W1 = S1 |X|ᵀ / m                      M_b1 = Σ S1 / m

    Parameters
    ----------
    parameters : mapping
        ``W1`` (n_h, n_x), ``b1`` (n_h, 1), ``W2`` (n_y, n_h), ``b2`` (n_y, 1), float64.
    X : ndarray, shape (n_x, m)
    Y : ndarray, shape (n_y, m)
    activation : Activation

    Returns
    -------
    dict of str to ndarray
        ``M`` per parameter, keyed ``W1, b1, W2, b2``, each of its parameter's shape.
    """
    m = X.shape[1]
    A2, cache = forward(X, dict(parameters), activation)
    S2 = np.abs(A2) + np.abs(Y)
    U1 = np.abs(parameters["W1"]) @ np.abs(X) + np.abs(parameters["b1"])
    S1 = (np.abs(parameters["W2"]).T @ S2) * (np.abs(activation.derivative(cache["Z1"])) + U1)
    return {
        "W1": S1 @ np.abs(X).T / m,
        "b1": np.sum(S1, axis=1, keepdims=True) / m,
        "W2": S2 @ (np.abs(cache["A1"]) + U1).T / m,
        "b2": np.sum(S2, axis=1, keepdims=True) / m,
    }


@dataclass(frozen=True)
class TwoLayerReference:
    """The one-hidden-layer network with hidden activation ``activation`` on data ``X``, ``Y``.

    ``free_alpha``: a leaky ReLU's α is to be fitted to the user's cost (:meth:`fit`).
    """

    X: np.ndarray
    Y: np.ndarray
    activation: Activation
    free_alpha: bool = False

    @property
    def description(self) -> str:
        g = self.activation
        name = g.name if g.alpha is None else f"{g.name} (alpha={g.alpha:g})"
        return f"reference network, {name} hidden layer"

    @property
    def hints(self) -> TwoLayerModel:
        return TWO_LAYER

    @property
    def hidden(self) -> tuple[str, ...]:
        return (self.activation.name,)

    def cost(self, parameters: Any) -> Any:  # a dict autograd traces through: no copy
        return cost_from_logits(logits(self.X, parameters, self.activation), self.Y)

    def written_cost(self, parameters: Parameters, dtype: np.dtype[Any]) -> Any:
        point = {name: np.asarray(value, dtype=dtype) for name, value in parameters.items()}
        return cost(
            forward(self.X.astype(dtype, copy=False), point, self.activation)[0],
            self.Y.astype(dtype, copy=False),
        )

    def fit(
        self, points: Sequence[Parameters], costs: Sequence[float], rtol: float
    ) -> TwoLayerReference | None:
        """Itself; with a free α, the leaky ReLU whose cost at ``points[0]`` is ``costs[0]``."""
        if not self.free_alpha:
            return self

        def residual(alpha: float) -> float:
            return float(self._with_alpha(alpha).cost(dict(points[0]))) - costs[0]

        tight = [TIGHT * rtol * max(1.0, abs(cost)) for cost in costs]
        alpha = leaky_alpha(residual, tight[0])
        if alpha is None:
            return None
        fitted = self._with_alpha(alpha)
        return fitted if abs(float(fitted.cost(dict(points[1]))) - costs[1]) <= tight[1] else None

    def _with_alpha(self, alpha: float) -> TwoLayerReference:
        return replace(self, activation=get_activation("leaky_relu", alpha=alpha), free_alpha=False)

    def rounding_magnitude(self, parameters: Parameters) -> dict[str, np.ndarray]:
        return rounding_magnitude(parameters, self.X, self.Y, self.activation)

    def kinked(self, parameters: Parameters) -> int:
        Z1 = forward(self.X, dict(parameters), self.activation)[1]["Z1"]
        return int(sum(np.count_nonzero(Z1 == kink) for kink in self.activation.kinks))

    def kink_interval(self, parameters: Parameters) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        return kink_interval(parameters, self.X, self.Y, self.activation)

    def wrong_variants(self, parameters: Parameters) -> Iterator[WrongVariant]:
        n_h, n_x = np.shape(parameters["W1"])
        shape = (n_x, n_h, self.Y.shape[0], self.X.shape[1])
        g = self.activation
        formula = f"{g.name}" if g.alpha is None else f"{g.name} (alpha={g.alpha:g})"
        for mistake in CATALOG:
            if mistake.cost is not None or not mistake.applies(g, shape):
                continue  # a variant with its own cost cannot have matched the reference cost
            try:
                with np.errstate(all="ignore"):
                    grads = mistake.at(dict(parameters), self.X, self.Y, g)
            except (ValueError, FloatingPointError):
                continue
            meaning, wrote, fix = mistake.describe(g)
            code = mistake.code or "unknown"
            context = (
                f"For the {formula} hidden layer g'(Z1) = {g.formula}."
                if code == ("wrong_activation_derivative")
                else ""
            )
            yield WrongVariant(
                mistake.name,
                code,
                {name: np.asarray(grads[f"d{name}"], dtype=np.float64) for name in PARAMETER_NAMES},
                meaning,
                wrote,
                fix,
                context,
            )
        # The same network written the Week 4 way (``linear_backward``, a list of caches), as the
        # course's two_layer_model is: this model is recognised first at L = 2, so the L-layer
        # catalog's mistakes follow, for those only that code makes (``np.dot(W, dZ)`` on a square
        # W2, the next layer's cache, another α). Ties go to the ones above, in this model's words.
        yield from DeepReference(self.X, self.Y, Network((self.activation,), "sigmoid")).wrong_variants(
            parameters
        )


@dataclass(frozen=True)
class TwoLayerModel:
    """The one-hidden-layer network: tanh, sigmoid, ReLU, leaky ReLU or identity hidden layer,
    sigmoid output, cross-entropy cost (:mod:`.two_layer`)."""

    name: str = "two_layer"
    parameter_names: tuple[str, ...] = PARAMETER_NAMES

    @property
    def formulas(self) -> Mapping[str, str]:
        return FORMULAS

    def hints(self, names: Collection[str]) -> Hints | None:
        """Itself for names among ``W1, b1, W2, b2`` (and no deeper layer's)."""
        deeper = any(re.fullmatch(r"[Wb]([3-9]|[1-9]\d+)", name) for name in names)
        return self if set(names) & set(PARAMETER_NAMES) and not deeper else None

    def references(
        self,
        parameters: Parameters,
        X: np.ndarray,
        Y: np.ndarray,
        *,
        activation: Any = None,
        dropout: Dropout | None = None,
    ) -> list[Reference]:
        if dropout is not None or not self._fits(parameters, X, Y):  # dropout: the L-layer model's
            return []
        if activation is not None:
            return [TwoLayerReference(X, Y, get_activation(activation))]
        candidates: list[TwoLayerReference] = [
            TwoLayerReference(X, Y, candidate, free_alpha=candidate.name == "leaky_relu")
            for candidate in (builder() for builder in ACTIVATIONS.values())
        ]
        return [*sorted(candidates, key=lambda reference: reference.free_alpha)]  # α = 0, 1: relu, identity

    def example(self, seed: int) -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray]:
        problem = reference_problem((3, 4, 1, 7), get_activation("tanh"), seed=seed, scale=0.7)
        return problem.parameters, problem.X, problem.Y

    def _fits(self, parameters: Parameters, X: np.ndarray, Y: np.ndarray) -> bool:
        if set(parameters) != set(PARAMETER_NAMES) or X.ndim != 2 or Y.ndim != 2 or X.shape[1] != Y.shape[1]:
            return False
        n_x, n_y = X.shape[0], Y.shape[0]
        n_h = np.shape(parameters["W1"])[0] if np.ndim(parameters["W1"]) == 2 else -1
        expected = {"W1": (n_h, n_x), "b1": (n_h, 1), "W2": (n_y, n_h), "b2": (n_y, 1)}
        return all(np.shape(parameters[name]) == expected[name] for name in PARAMETER_NAMES)

    def step_hint(self, failed: frozenset[str]) -> str:
        if failed == set(PARAMETER_NAMES):
            return "Every gradient is off: look at dZ2 or at a factor every gradient shares."
        if failed == {"W1", "b1"}:
            return "Layer 2 is right and dW1, db1 are off: the mistake is in dZ1 (W2.T, dZ2 or g'(Z1))."
        return ""

    def everywhere(self, code: str, m: int | None) -> str | None:
        if code == "missing_1_over_m":
            return (
                f"Every gradient is exactly m = {m} times the right one: the 1/m is missing everywhere "
                "(or the cost is a mean while the gradients are those of the sum). Fix: divide each by m."
            )
        if code == "extra_1_over_m":
            return (
                f"Every gradient is exactly 1/m = 1/{m} of the right one: the cost is a sum (no 1/m) while "
                "the gradients divide by m, or dZ2 was divided by m and then dW2, db2 again. Fix: average "
                "the cost over the examples, and divide by m once, in dW and db."
            )
        if code == "sign_flipped":
            return "Every gradient has the wrong sign: dZ2 is flipped. Fix: dZ2 = A2 - Y."
        return None


#: The one-hidden-layer network, as registered in :data:`gradcheck.network.models.MODELS`.
TWO_LAYER = TwoLayerModel()

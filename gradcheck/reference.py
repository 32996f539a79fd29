"""The third opinion: recognise the reference network behind a cost and differentiate it exactly.

When the caller gives ``X`` and ``Y`` and the parameters are ``W1, b1, W2, b2`` of matching
shapes, the cost is compared with the reference network's cross-entropy (for each hidden
activation in the registry) at the point and at two nearby points. If one matches to rounding,
autograd differentiates the reference cost (:func:`gradcheck.network.two_layer.cost_from_logits`, exact
even where outputs saturate): an exact gradient for every entry, independent of both the
learner's formulas and finite differences.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import autograd
import numpy as np

from gradcheck.errors import GradcheckError
from gradcheck.network.activations import ACTIVATIONS, Activation, get_activation
from gradcheck.network.two_layer import PARAMETER_NAMES, cost, cost_from_logits, forward
from gradcheck.numerical import call_cost

__all__ = ["ReferenceMatch", "kink_interval", "match_reference", "rounding_magnitude"]


@dataclass(frozen=True)
class ReferenceMatch:
    """The reference network the cost was recognised as, and its exact gradient.

    Attributes
    ----------
    activation : Activation
        The hidden activation whose reference cost matched.
    gradient : dict of str to ndarray
        Autograd's gradient of the reference cost at the point, keyed ``W1, b1, W2, b2``.
    description : str
        For the report, e.g. ``"reference network, tanh hidden layer (autograd)"``.
    magnitude : dict of str to ndarray
        ``M``, the size of the terms each gradient entry is computed from (see
        :func:`rounding_magnitude`): two correct implementations of the backward pass differ
        by a few ``ε (|a| + M)``.
    kinked : int
        How many hidden pre-activations sit exactly on a kink of the activation.
    saturated : bool
        The cost matched only when written on probabilities (``A2``), as the course writes it:
        some outputs round to 0 or 1, where such a cost is flat or noisy and finite
        differences cannot follow it. The exact gradient still comes from the logits.
    interval : dict of str to (ndarray, ndarray)
        ``(lo, hi)`` per parameter: every value correct code can return there, whatever
        derivative it takes at the kinks (see :func:`kink_interval`); ``lo == hi`` away from kinks.
    """

    activation: Activation
    gradient: dict[str, np.ndarray]
    description: str
    magnitude: dict[str, np.ndarray]
    kinked: int = 0
    interval: dict[str, tuple[np.ndarray, np.ndarray]] | None = None
    saturated: bool = False


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


def _reference_cost(X: np.ndarray, Y: np.ndarray, activation: Activation) -> Callable[[Any], Any]:
    def reference_cost(parameters: Any) -> Any:
        return cost_from_logits(forward(X, parameters, activation)[1]["Z2"], Y)

    return reference_cost


def _probability_cost(
    X: np.ndarray, Y: np.ndarray, activation: Activation, dtype: np.dtype[Any]
) -> Callable[[Any], Any]:
    """The same cost written on ``A2`` as learners write it, in ``dtype``: flat where ``A2`` rounds
    to 0 or 1."""
    X, Y = X.astype(dtype), Y.astype(dtype)

    def probability_cost(parameters: Any) -> Any:
        point = {name: np.asarray(value, dtype=dtype) for name, value in parameters.items()}
        return cost(forward(X, point, activation)[0], Y)

    return probability_cost


def _shapes_fit(parameters: Mapping[str, np.ndarray], X: np.ndarray, Y: np.ndarray) -> bool:
    if set(parameters) != set(PARAMETER_NAMES) or X.ndim != 2 or Y.ndim != 2 or X.shape[1] != Y.shape[1]:
        return False
    n_x, n_y = X.shape[0], Y.shape[0]
    n_h = parameters["W1"].shape[0] if parameters["W1"].ndim == 2 else -1
    expected = {"W1": (n_h, n_x), "b1": (n_h, 1), "W2": (n_y, n_h), "b2": (n_y, 1)}
    return all(parameters[name].shape == expected[name] for name in PARAMETER_NAMES)


def match_reference(
    cost_fn: Callable[[dict[str, np.ndarray]], float],
    parameters: Mapping[str, np.ndarray],
    X: np.ndarray,
    Y: np.ndarray,
    *,
    activation: str | Activation | None = None,
    seed: int = 0,
    rtol: float = 1e-9,
    dtype: type[np.floating[Any]] | np.dtype[Any] = np.float64,
) -> ReferenceMatch | None:
    """Recognise ``cost_fn`` as the reference network's cost, or return None.

    Parameters
    ----------
    cost_fn : callable
        ``cost_fn(parameters) -> float``; already known to be a deterministic finite scalar.
    parameters : mapping
        float64 arrays ``W1`` (n_h, n_x), ``b1`` (n_h, 1), ``W2`` (n_y, n_h), ``b2`` (n_y, 1).
    X : ndarray, shape (n_x, m)
    Y : ndarray, shape (n_y, m)
    activation : str or Activation, optional
        Only try this hidden activation (needed for a leaky ReLU whose α is not 0.01).
        Default: every activation of the registry, in registry order.
    seed : int, default 0
        Seed for the two nearby points (each entry moved by ``1e-3 · (1 + |θ|)`` at random).
    rtol : float, default 1e-9
        Costs match when ``|J − J_ref| ≤ rtol · max(1, |J|)`` at all three points, for the
        reference cost written on logits (exact) or on probabilities (as learners write it).
    dtype : numpy float dtype, default float64
        The dtype the cost computes in; the probability form is evaluated in it, so that it
        saturates where the cost does.

    Returns
    -------
    ReferenceMatch or None
    """
    X = np.asarray(X, dtype=np.float64)
    Y = np.asarray(Y, dtype=np.float64)
    if not _shapes_fit(parameters, X, Y):
        return None
    rng = np.random.default_rng(seed)
    points = [dict(parameters)]
    for _ in range(2):
        points.append(
            {
                name: value + 1e-3 * (1.0 + np.abs(value)) * rng.standard_normal(value.shape)
                for name, value in parameters.items()
            }
        )
    where = "near the given parameters (every entry moved by about 0.1%, to recognise the reference network)"
    try:
        targets = [float(call_cost(cost_fn, {k: v.copy() for k, v in p.items()}, where)) for p in points]
    except GradcheckError:  # the cost raised: the caller must know (a ValueError, so first)
        raise
    except (TypeError, ValueError):  # not one number away from the point: not the reference
        return None
    candidates = (
        [get_activation(activation)] if activation is not None else [b() for b in ACTIVATIONS.values()]
    )
    best: tuple[float, Activation, bool] | None = None  # (deviation, activation, logits form matched)
    for candidate in candidates:
        forms = (_reference_cost(X, Y, candidate), _probability_cost(X, Y, candidate, np.dtype(dtype)))
        with np.errstate(all="ignore"):
            deviations = [
                max(
                    abs(float(form(point)) - target) / max(1.0, abs(target))
                    for point, target in zip(points, targets, strict=True)
                )
                for form in forms
            ]
        deviation = min(deviations)
        if deviation <= rtol and (best is None or deviation < best[0]):
            best = (deviation, candidate, deviations[0] <= rtol)
    if best is None:
        return None
    _, candidate, exact_form = best
    reference_cost = _reference_cost(X, Y, candidate)
    gradient = autograd.grad(reference_cost)(dict(parameters))
    name = candidate.name if candidate.alpha is None else f"{candidate.name} (alpha={candidate.alpha:g})"
    point = dict(parameters)
    Z1 = forward(X, point, candidate)[1]["Z1"]
    kinked = int(sum(np.count_nonzero(Z1 == kink) for kink in candidate.kinks))
    return ReferenceMatch(
        activation=candidate,
        gradient={k: np.asarray(v, dtype=np.float64) for k, v in gradient.items()},
        description=f"reference network, {name} hidden layer (autograd)",
        saturated=not exact_form,
        magnitude=rounding_magnitude(point, X, Y, candidate),
        kinked=kinked,
        interval=kink_interval(point, X, Y, candidate) if kinked else None,
    )

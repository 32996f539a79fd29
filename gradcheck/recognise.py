"""The third opinion: recognise a reference model behind a cost and differentiate it exactly.

When the caller gives ``X`` and ``Y``, every registered model (:data:`gradcheck.network.models.MODELS`)
offers the references that fit the parameters' names and shapes, in order. Free options (L2's λ, a
leaky ReLU's α) are fitted to the cost first (:meth:`Reference.fit`); then the cost is compared
with the reference at the point and, if it matches there, at two nearby points, written exactly
(on logits) and as learners write it (on probabilities, in the cost's own dtype). The first that
matches to rounding everywhere is the one: autograd differentiates its
exact form: a gradient for every entry, independent of both the learner's formulas and finite
differences, with the reference's rounding magnitude and, at kinks, the interval correct code may
return. The engine knows no network: a new model is an entry of the registry.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any, overload

import autograd
import numpy as np

from gradcheck.errors import GradcheckError
from gradcheck.network.interface import Dropout, Reference
from gradcheck.network.models import references
from gradcheck.numerical import call_cost

__all__ = ["SATURATED_NOTE", "Recognised", "recognise", "unmatched_note"]

#: A candidate whose cost agrees with the user's to this many machine epsilons (relative) at
#: every point matches as exactly as rounding allows: the search stops there.
EXACT = 64.0

#: Seed and size of the two nearby points: every entry moved by ``NEARBY · (1 + |θ|)`` at random.
NEARBY = 1e-3

#: The note a report carries when only the form on probabilities matched.
SATURATED_NOTE = (
    "some outputs A2 round to 0 or 1, where a cost computed from A2 is flat or noisy and finite "
    "differences cannot follow it; the exact reference gradient (autograd, from the logits) "
    "decides there. To check with finite differences too, use smaller weights or compute the "
    "cost from Z2: mean(logaddexp(0, Z2) - Y * Z2)"
)


@dataclass(frozen=True)
class Recognised:
    """The reference the cost was recognised as, and what it says at the point.

    Attributes
    ----------
    reference : Reference
        The model's network with its options fixed (e.g. the tanh hidden layer).
    gradient : dict of str to ndarray
        Autograd's gradient of the reference's exact cost at the point.
    magnitude : dict of str to ndarray
        ``M``, the size of the terms each gradient entry is summed from (rounding bound ``ε M``).
    kinked : int
        How many pre-activations sit exactly on a kink.
    interval : dict of str to (ndarray, ndarray) or None
        What correct code may return at kinks (None when nothing sits on one).
    saturated : bool
        Only the form on probabilities matched: some outputs round to 0 or 1, where such a cost is
        flat or noisy and finite differences cannot follow it.
    """

    reference: Reference
    gradient: dict[str, np.ndarray]
    magnitude: dict[str, np.ndarray]
    kinked: int = 0
    interval: dict[str, tuple[np.ndarray, np.ndarray]] | None = None
    saturated: bool = False

    @property
    def description(self) -> str:
        """For the report, e.g. ``"reference network, tanh hidden layer (autograd)"``."""
        return f"{self.reference.description} (autograd)"

    @property
    def notes(self) -> tuple[str, ...]:
        """What the report must say about the recognition."""
        return (SATURATED_NOTE,) if self.saturated else ()


def recognise(
    cost_fn: Callable[[dict[str, np.ndarray]], Any],
    parameters: Mapping[str, np.ndarray],
    X: np.ndarray,
    Y: np.ndarray,
    *,
    activation: Any = None,
    seed: int = 0,
    rtol: float = 1e-9,
    dtype: type[np.floating[Any]] | np.dtype[Any] = np.float64,
    cost: float | None = None,
    dropout: Dropout | None = None,
) -> Recognised | None:
    """Recognise ``cost_fn`` as a registered reference model, or return None.

    Parameters
    ----------
    cost_fn : callable
        ``cost_fn(parameters) -> float``; already known to be a deterministic finite scalar.
    parameters : mapping
        The point, float64 arrays keyed by parameter name.
    X : ndarray, shape (n_x, m)
    Y : ndarray, shape (n_y, m)
    activation : str or Activation, optional
        Only try references with this hidden activation (needed for a leaky ReLU whose α is not
        0.01). Default: every one the models offer, in registry order.
    seed : int, default 0
        Seed for the two nearby points.
    rtol : float, default 1e-9
        Costs match when ``|J − J_ref| ≤ rtol · max(1, |J|)`` at all three points, for the exact
        form or the form learners write.
    dtype : numpy float dtype, default float64
        The dtype the cost computes in; the learners' form is evaluated in it, so that it saturates
        where the cost does.
    cost : float, optional
        ``cost_fn`` at ``parameters``, when already known (saves a call). The cost at the nearby
        points is asked for only when a candidate matches at the point.
    dropout : Dropout, optional
        The keep probability and masks the cost ran with (held fixed at every point), when the
        caller knows them: only references with that dropout are tried.

    Returns
    -------
    Recognised or None
    """
    X = np.asarray(X, dtype=np.float64)
    Y = np.asarray(Y, dtype=np.float64)
    candidates = references(parameters, X, Y, activation=activation, dropout=dropout)
    if not candidates:
        return None
    points = _points(parameters, seed)
    targets = _Costs(cost_fn, points, cost)
    try:
        match = _best_match(candidates, points, targets, rtol, np.dtype(dtype))
    except _NotANumberError:  # not one number away from the point: not a reference
        return None
    if match is None:
        return None
    reference, exact_form = match
    point = dict(parameters)
    gradient = autograd.grad(reference.cost)(point)
    kinked = reference.kinked(point)
    return Recognised(
        reference=reference,
        gradient={k: np.asarray(v, dtype=np.float64) for k, v in gradient.items()},
        magnitude=reference.rounding_magnitude(point),
        kinked=kinked,
        interval=reference.kink_interval(point) if kinked else None,
        saturated=not exact_form,
    )


def unmatched_note(parameters: Mapping[str, np.ndarray], X: np.ndarray, Y: np.ndarray) -> str | None:
    """What the report says when references fit the shapes but none matched the cost (else None)."""
    candidates = references(parameters, np.asarray(X, dtype=np.float64), np.asarray(Y, dtype=np.float64))
    if not candidates:
        return None
    example = candidates[0].description.removeprefix("reference ")
    return (
        f"the parameters and data fit {len(candidates)} reference network"
        f"{'s' if len(candidates) > 1 else ''} (e.g. {example}), but the cost matches none of them "
        "(every hidden activation, output and L2 strength was tried), so the gradients are checked by "
        "finite differences alone. A cost with dropout cannot be matched: its masks are unknown here; "
        "neither can a cost of another form (another loss, an extra term)"
    )


class _NotANumberError(Exception):
    """The cost gave something other than one number at a nearby point."""


class _Costs(Sequence[float]):
    """The user's cost at the points, each asked of the cost only when first needed."""

    WHERE = "near the given parameters (every entry moved by about 0.1%, to recognise the reference network)"

    def __init__(
        self,
        cost_fn: Callable[[dict[str, np.ndarray]], Any],
        points: list[dict[str, np.ndarray]],
        first: float | None,
    ) -> None:
        self._cost_fn, self._points = cost_fn, points
        self._known: dict[int, float] = {} if first is None else {0: float(first)}

    def __len__(self) -> int:
        return len(self._points)

    @overload
    def __getitem__(self, index: int) -> float: ...

    @overload
    def __getitem__(self, index: slice) -> list[float]: ...

    def __getitem__(self, index: int | slice) -> float | list[float]:
        if isinstance(index, slice):
            return [self[i] for i in range(len(self))[index]]
        if index not in self._known:
            point = {k: v.copy() for k, v in self._points[index].items()}
            try:  # the cost raising is a GradcheckError: the caller must know
                self._known[index] = float(call_cost(self._cost_fn, point, self.WHERE))
            except GradcheckError:
                raise
            except (TypeError, ValueError) as error:
                raise _NotANumberError from error
        return self._known[index]


def _best_match(
    candidates: list[Reference],
    points: list[dict[str, np.ndarray]],
    targets: Sequence[float],
    rtol: float,
    dtype: np.dtype[Any],
) -> tuple[Reference, bool] | None:
    """The candidate (its free options fitted) whose cost is closest to the user's at every point,
    and whether its exact form matched (else only the form on probabilities did).

    Each form is tried at the point first, and at the two nearby points only if it matches there.
    A match to the cost's own rounding (:data:`EXACT`) ends the search: the course's ReLU network,
    tried first, is usually found with one evaluation. Otherwise the closest match wins, so a
    network whose units all sit near 0 is not taken for another activation that agrees with it
    there to within ``rtol`` only (tanh(z) ≈ z).
    """
    best: tuple[float, Reference, bool] | None = None
    exact_enough = EXACT * float(np.finfo(dtype).eps)
    for candidate in candidates:
        fitted = candidate.fit(points, targets, rtol)
        if fitted is None:
            continue
        for exact, form in ((True, fitted.cost), (False, partial(fitted.written_cost, dtype=dtype))):
            here = _deviation(form, points[:1], targets[:1])
            if here > rtol or (best is not None and here >= best[0]):
                continue
            deviation = max(here, _deviation(form, points[1:], targets[1:]))
            if deviation <= rtol and (best is None or deviation < best[0]):
                best = (deviation, fitted, exact)
                if deviation <= exact_enough:
                    return fitted, exact
    return None if best is None else (best[1], best[2])


def _points(parameters: Mapping[str, np.ndarray], seed: int) -> list[dict[str, np.ndarray]]:
    """The point and two nearby ones, each entry moved by ``NEARBY · (1 + |θ|) · N(0, 1)``."""
    rng = np.random.default_rng(seed)
    points = [dict(parameters)]
    for _ in range(2):
        points.append(
            {
                name: value + NEARBY * (1.0 + np.abs(value)) * rng.standard_normal(value.shape)
                for name, value in parameters.items()
            }
        )
    return points


def _deviation(
    form: Callable[[dict[str, np.ndarray]], Any],
    points: list[dict[str, np.ndarray]],
    targets: Sequence[float],
) -> float:
    """The largest ``|J_form − J| / max(1, |J|)`` over the points."""
    with np.errstate(all="ignore"):
        return max(
            abs(float(form(point)) - target) / max(1.0, abs(target))
            for point, target in zip(points, targets, strict=True)
        )

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

Recognition names a reference only when the evidence tells it apart (:func:`recognition`). A cost
that takes the same value at the three points, within the tolerance of a match, is flat there (a
constant would match it: outputs that round to 0 or 1 make a cost computed from them flat), and
candidates that match about as well as the best one and give another gradient are not told apart
from it. Such a tie is broken near the point scaled by :data:`SHRINK`, where the outputs are
moderate (:func:`_tie_break`); failing that, no reference is named (:class:`Refusal` says why) and
finite differences decide alone.
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

__all__ = ["SATURATED_NOTE", "Recognised", "Refusal", "recognise", "recognition", "unmatched_note"]

#: A candidate whose cost agrees with the user's to this many machine epsilons (relative) at
#: every point matches as exactly as rounding allows: the search stops there.
EXACT = 64.0

#: A candidate whose deviation from the cost is within this factor of the best one's (or within
#: rounding, :data:`EXACT`) matches about as well: the evidence does not tell the two apart.
APART = 16.0

#: Sizes of the two nearby points, tried in turn: every entry moved by ``d · (1 + |θ|)`` at random,
#: at the first ``d`` where the cost is not flat (a float32 cost, matched to 1e-4, can look flat
#: over a 0.1% move that a 1% move shows it is not). Flat at the last: flat.
NEARBY = (1e-3, 1e-2, 1e-1)

#: Where the evidence near the point does not single out a reference, it is looked for near the
#: point scaled by each of these in turn (:func:`_tie_break`): a network's outputs there are
#: moderate (its logits shrink by about ``s`` per layer), where networks a cost on saturated outputs
#: cannot tell apart give different costs.
SHRINK = (0.25, 0.0625)

#: The note a report carries when only the form on probabilities matched.
SATURATED_NOTE = (
    "some outputs A2 round to 0 or 1, or lie so near them that the cost's dtype holds few values of "
    "1 - A2 there (float32 from |Z2| of about 8), where a cost computed from A2 is flat or a "
    "staircase and finite differences cannot follow it; the exact reference gradient (autograd, "
    "from the logits) decides there. To check with finite differences too, use smaller weights or "
    "compute the cost from Z2: mean(logaddexp(0, Z2) - Y * Z2)"
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
    scaled : float or None
        The evidence near the point did not tell the reference apart from others; near the point
        scaled by this it did (None: near the point).
    """

    reference: Reference
    gradient: dict[str, np.ndarray]
    magnitude: dict[str, np.ndarray]
    kinked: int = 0
    interval: dict[str, tuple[np.ndarray, np.ndarray]] | None = None
    saturated: bool = False
    scaled: float | None = None

    @property
    def description(self) -> str:
        """For the report, e.g. ``"reference network, tanh hidden layer (autograd)"``."""
        return f"{self.reference.description} (autograd)"

    @property
    def notes(self) -> tuple[str, ...]:
        """What the report must say about the recognition."""
        notes: tuple[str, ...] = (SATURATED_NOTE,) if self.saturated else ()
        if self.scaled is not None:
            notes += (
                "near the given parameters the cost matches several reference networks with different "
                f"gradients about equally well; near them scaled by {self.scaled:g}, where the outputs "
                f"are moderate, it matches only the {self.reference.description}, which is taken",
            )
        return notes


@dataclass(frozen=True)
class Refusal:
    """References fit the cost, but the evidence does not single one out: none is named.

    Attributes
    ----------
    flat : bool
        The cost is the same at the point and near it, within the tolerance of a match: a
        constant would match it (outputs that round to 0 or 1 make a cost computed from them flat).
    references : tuple of str
        The best match first, then the rivals that give other gradients (their descriptions).
    rtol : float
        The tolerance of a match.
    distance : float
        How far the nearby points were (each entry moved by about this share of ``1 + |θ|``).
    unpinned : bool
        No candidate matched with its free options fitted, but ``references`` match as offered
        (a leaky ReLU with α = 0.01): the cost does not pin the option, so its gradient is unknown.
    """

    flat: bool
    references: tuple[str, ...]
    rtol: float
    distance: float = NEARBY[0]
    unpinned: bool = False

    @property
    def note(self) -> str:
        """What the report says about the refusal."""
        first, second = (name.removeprefix("reference ") for name in (*self.references, "")[:2])
        if self.unpinned:
            why = (
                f"the cost matches the {self.references[0]} as offered, but does not pin its alpha: it "
                "is taken only when a change in its 4th digit moves the cost by 100 times its rounding, "
                "which this cost cannot show (its units below 0 weigh little in it, or it is coarse: "
                "float32, outputs near 0 or 1), and the gradient of every unit below 0 scales with alpha"
            )
        elif self.flat:
            why = (
                f"the cost takes the same value, to {self.rtol:.0e} relative, at the given parameters "
                f"and near them (every entry moved by up to {self.distance:.0%}): it is flat there, as a "
                "cost computed "
                "from outputs A2 that round to 0 or 1 is, and a flat cost cannot tell the reference "
                f"networks apart (e.g. {first}, {second})"
            )
        else:
            why = (
                f"the cost matches {len(self.references)} reference networks that give different "
                f"gradients about equally well (e.g. {first}, {second}), and cannot tell them apart"
            )
        return (
            f"{why}, so none is taken and the gradients are checked by finite differences alone, "
            "which see only the slope of the cost as computed. To check this point against the "
            "reference, name the hidden activation (activation=...), use smaller weights, or compute "
            "the cost from Z2: mean(logaddexp(0, Z2) - Y * Z2)"
        )


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

    :func:`recognition`, without the reason when no reference is named.

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
    found = recognition(
        cost_fn,
        parameters,
        X,
        Y,
        activation=activation,
        seed=seed,
        rtol=rtol,
        dtype=dtype,
        cost=cost,
        dropout=dropout,
    )
    return found if isinstance(found, Recognised) else None


def recognition(
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
) -> Recognised | Refusal | None:
    """The reference model behind ``cost_fn``; why none is named when the evidence cannot tell; or None.

    The best match (:func:`_best_match`) is named only when no rival gives another gradient at the
    point. Its rivals are the candidates the evidence does not tell apart from it:

    - where the cost is flat, ``|J(θ_k) − J(θ)| ≤ rtol · max(1, |J(θ)|)`` at both nearby points θ_k
      (a constant would match it), every candidate the cost does not exclude: those that match it,
      and those whose free options it cannot fit (a flat cost does not determine them);
    - elsewhere, the candidates that match about as well as the best one: a deviation within
      ``max(EXACT ε, APART · d_best)``.

    Two gradients agree when every entry differs by at most ``EXACT · ε · (M_a + M_b)``, with ``M``
    each reference's rounding magnitude (a network written twice, as the one-hidden-layer model
    and as the L-layer model at L = 2, is one opinion).

    Where rivals remain (or the cost does not pin a candidate's free options), the same search near
    the point scaled by each of :data:`SHRINK` may single one out (:func:`_tie_break`); the
    :class:`Recognised` then says at which scale (``scaled``), and its notes say so.

    Parameters are those of :func:`recognise`.

    Returns
    -------
    Recognised, Refusal or None
        None when no candidate fits the shapes or matches the cost.
    """
    X = np.asarray(X, dtype=np.float64)
    Y = np.asarray(Y, dtype=np.float64)
    candidates = references(parameters, X, Y, activation=activation, dropout=dropout)
    if not candidates:
        return None
    try:
        near = _named_near(cost_fn, candidates, parameters, seed, cost, rtol, np.dtype(dtype))
    except _NotANumberError:  # not one number away from the point: not a reference
        return None
    found: _Match | Refusal | None = near.found
    scale: float | None = None
    if isinstance(found, Refusal):
        broken = _tie_break(cost_fn, candidates, parameters, seed, rtol, np.dtype(dtype), near)
        if broken is not None:
            found, scale = broken
    if not isinstance(found, _Match):
        return found
    point = dict(parameters)
    best = found.reference
    gradient = autograd.grad(best.cost)(point)
    kinked = best.kinked(point)
    return Recognised(
        reference=best,
        gradient={k: np.asarray(v, dtype=np.float64) for k, v in gradient.items()},
        magnitude=best.rounding_magnitude(point),
        kinked=kinked,
        interval=best.kink_interval(point) if kinked else None,
        saturated=not found.exact,
        scaled=scale,
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


@dataclass(frozen=True)
class _Match:
    """A candidate, its free options fitted, whose cost matches the user's at every point."""

    reference: Reference
    deviation: float
    exact: bool  # the closer form is the exact one (else the form on probabilities)
    both: bool  # both forms match: no output rounds to where a cost on probabilities is flat


@dataclass(frozen=True)
class _Search:
    """What the search found, per candidate: whether its free options could be fitted, and its
    match (None: no form matched, or it was not tried after an exact match). A candidate whose
    options could not be fitted is tried as offered (e.g. a leaky ReLU's α = 0.01): its match is
    evidence against the best one, never the best itself."""

    fitted: list[bool]
    matches: list[_Match | None]
    candidates: list[Reference]
    best: _Match | None
    flat: bool

    def unpinned(self) -> tuple[str, ...]:
        """The candidates whose free options could not be fitted but which match as offered."""
        return tuple(
            candidate.description
            for candidate, fitted, match in zip(self.candidates, self.fitted, self.matches, strict=False)
            if not fitted and match is not None
        )

    def close(self, dtype: np.dtype[Any]) -> float:
        """The deviation within which a candidate matches about as well as the best one."""
        assert self.best is not None
        return max(EXACT * float(np.finfo(dtype).eps), APART * self.best.deviation)

    def rivals(self, dtype: np.dtype[Any]) -> list[tuple[Reference, Reference | None]]:
        """The candidates the evidence does not tell apart from the best one, each with the
        reference that matched (None: a flat cost left its free options undetermined)."""
        assert self.best is not None
        close = self.close(dtype)
        out: list[tuple[Reference, Reference | None]] = []
        for candidate, fitted, match in zip(self.candidates, self.fitted, self.matches, strict=False):
            if match is self.best:
                continue
            if match is not None and (self.flat or match.deviation <= close):
                out.append((candidate, match.reference))
            elif self.flat and not fitted:
                out.append((candidate, None))
        return out


@dataclass(frozen=True)
class _Near:
    """What the evidence near one point says: the reference it singles out, why it singles out none
    (:class:`Refusal`), or None; with the points, the cost there and the search."""

    found: _Match | Refusal | None
    points: list[dict[str, np.ndarray]]
    targets: Sequence[float]
    search: _Search


def _named_near(
    cost_fn: Callable[[dict[str, np.ndarray]], Any],
    candidates: list[Reference],
    parameters: Mapping[str, np.ndarray],
    seed: int,
    cost: float | None,
    rtol: float,
    dtype: np.dtype[Any],
) -> _Near:
    """The best match near ``parameters`` (:func:`_best_match`) when no rival gives another gradient
    there (see :func:`recognition`)."""
    points, targets, distance = _nearby(cost_fn, parameters, seed, cost, rtol)
    search = _best_match(candidates, points, targets, rtol, dtype)
    if search.best is None:
        unpinned = search.unpinned()
        refusal = Refusal(flat=False, references=unpinned, rtol=rtol, distance=distance, unpinned=True)
        return _Near(refusal if unpinned else None, points, targets, search)
    best = search.best.reference
    point = dict(parameters)
    rivals = [c for c, fitted in search.rivals(dtype) if not _same_gradient(best, fitted, point)]
    if not rivals:
        return _Near(search.best, points, targets, search)
    names = (best.description, *(candidate.description for candidate in rivals))
    refusal = Refusal(flat=search.flat, references=names, rtol=rtol, distance=distance)
    return _Near(refusal, points, targets, search)


def _tie_break(
    cost_fn: Callable[[dict[str, np.ndarray]], Any],
    candidates: list[Reference],
    parameters: Mapping[str, np.ndarray],
    seed: int,
    rtol: float,
    dtype: np.dtype[Any],
    near: _Near,
) -> tuple[_Match, float] | None:
    """The reference the cost singles out near ``s · θ`` (each ``s`` of :data:`SHRINK` in turn), if
    it matches the cost near ``θ`` about as well as the best match there; else None.

    The cost is one function of the parameters: where the evidence near ``θ`` cannot tell references
    apart (outputs that round to 0 or 1, a float32 cost's staircase there), it can near a point whose
    outputs are moderate, and what it names there is the cost's network everywhere. A cost that does
    not give a finite number near ``s · θ`` breaks no tie.
    """
    close = rtol if near.search.best is None else near.search.close(dtype)
    for scale in SHRINK:
        shrunk = {name: scale * value for name, value in parameters.items()}
        try:
            found = _named_near(cost_fn, candidates, shrunk, seed, None, rtol, dtype).found
        except (GradcheckError, _NotANumberError):
            return None
        if isinstance(found, _Match):
            here = _match(found.reference, near.points, near.targets, rtol, dtype)
            return (here, scale) if here is not None and here.deviation <= close else None
    return None


def _best_match(
    candidates: list[Reference],
    points: list[dict[str, np.ndarray]],
    targets: Sequence[float],
    rtol: float,
    dtype: np.dtype[Any],
) -> _Search:
    """Every candidate's match (its free options fitted), and the closest one at every point.

    Each form is tried at the point first, and at the two nearby points only if it matches there.
    A match to the cost's own rounding (:data:`EXACT`) by a candidate both of whose forms match
    ends the search, unless the cost is flat, or a candidate after it with other hidden activations
    matches the cost at the point as closely (:func:`_as_close`): the course's ReLU network is then
    found without fitting the candidates after it. Not in float32, whose rounding hides the difference between
    networks that agree to a few parts in a million (tanh and identity where the units sit near 0):
    every candidate is tried, and one that matches as closely is a rival. Where only the form on
    probabilities matches, the rounding of
    a cost inflated by floored logs (708 for each output that rounds to the wrong label) may hide
    another hidden layer, and every candidate is tried. The closest match is the best, so a network
    whose units all sit near 0 is not taken for another activation that agrees with it there to
    within ``rtol`` only (tanh(z) ≈ z).
    """
    exact_enough = EXACT * float(np.finfo(dtype).eps)
    fitted_all: list[bool] = []
    matches: list[_Match | None] = []
    best: _Match | None = None
    for k, candidate in enumerate(candidates):
        fitted = candidate.fit(points, targets, rtol)
        match = _match(fitted or candidate, points, targets, rtol, dtype)
        fitted_all.append(fitted is not None)
        matches.append(match)
        if fitted is None or match is None or (best is not None and match.deviation >= best.deviation):
            continue
        best = match
        exact = best.deviation <= exact_enough and best.both and dtype == np.float64
        if exact and not _flat(targets, rtol) and not _as_close(best, candidates[k + 1 :], points, targets):
            break
    return _Search(fitted_all, matches, candidates, best, best is not None and _flat(targets, rtol))


def _as_close(
    best: _Match, rest: list[Reference], points: list[dict[str, np.ndarray]], targets: Sequence[float]
) -> bool:
    """Does a candidate not yet tried, with other hidden activations than the best match, match the
    cost at the point as closely, as offered (one evaluation of its exact form each)? Then the
    search goes on: a leaky ReLU network whose units below 0 barely move the cost matches a ReLU
    one to rounding, with another gradient. (The same network written by another model, the
    one-hidden-layer network as the L-layer one, has the same activations: no rival.)"""
    close = max(best.deviation, EXACT * float(np.finfo(np.float64).eps))
    return any(
        candidate.hidden != best.reference.hidden
        and _deviation(candidate.cost, points[:1], targets[:1]) <= close
        for candidate in rest
    )


def _match(
    fitted: Reference,
    points: list[dict[str, np.ndarray]],
    targets: Sequence[float],
    rtol: float,
    dtype: np.dtype[Any],
) -> _Match | None:
    """The closer of the reference's two forms, if one matches the cost within ``rtol`` everywhere
    (the form on probabilities is not tried when the exact one matches to rounding)."""
    exact = _full_deviation(fitted.cost, points, targets, rtol)
    if exact <= EXACT * float(np.finfo(dtype).eps):
        return _Match(fitted, exact, exact=True, both=True)
    written = _full_deviation(partial(fitted.written_cost, dtype=dtype), points, targets, rtol)
    closer = min(exact, written)
    if closer > rtol:
        return None
    return _Match(fitted, closer, exact=exact == closer, both=max(exact, written) <= rtol)


def _full_deviation(
    form: Callable[[dict[str, np.ndarray]], Any],
    points: list[dict[str, np.ndarray]],
    targets: Sequence[float],
    rtol: float,
) -> float:
    """:func:`_deviation` at every point, or at the point alone when it is beyond ``rtol`` there."""
    here = _deviation(form, points[:1], targets[:1])
    return here if here > rtol else max(here, _deviation(form, points[1:], targets[1:]))


def _flat(targets: Sequence[float], rtol: float) -> bool:
    """Whether the cost is the same at the nearby points as at the point, within the tolerance of
    a match: ``|J(θ_k) − J(θ)| ≤ rtol · max(1, |J(θ)|)``, so a constant would match it."""
    first = targets[0]
    return all(abs(value - first) <= rtol * max(1.0, abs(first)) for value in targets[1:])


def _same_gradient(reference: Reference, rival: Reference | None, point: dict[str, np.ndarray]) -> bool:
    """Whether two references give the same gradient at the point, to rounding:
    ``|g_a − g_b| ≤ EXACT · ε · (M_a + M_b)`` entry by entry (False for an unfitted rival)."""
    if rival is None:
        return False
    eps = float(np.finfo(np.float64).eps)
    ga, gb = autograd.grad(reference.cost)(dict(point)), autograd.grad(rival.cost)(dict(point))
    ma, mb = reference.rounding_magnitude(point), rival.rounding_magnitude(point)
    return all(
        bool(np.all(np.abs(np.asarray(ga[k]) - np.asarray(gb[k])) <= EXACT * eps * (ma[k] + mb[k])))
        for k in point
    )


def _nearby(
    cost_fn: Callable[[dict[str, np.ndarray]], Any],
    parameters: Mapping[str, np.ndarray],
    seed: int,
    cost: float | None,
    rtol: float,
) -> tuple[list[dict[str, np.ndarray]], _Costs, float]:
    """The point and two nearby ones at the first distance of :data:`NEARBY` where the cost is not
    flat (else the last), the cost there, and that distance."""
    for distance in NEARBY:
        points = _points(parameters, seed, distance)
        targets = _Costs(cost_fn, points, cost)
        if distance == NEARBY[-1] or not _flat(targets, rtol):
            break
        cost = targets[0]
    return points, targets, distance


def _points(parameters: Mapping[str, np.ndarray], seed: int, distance: float) -> list[dict[str, np.ndarray]]:
    """The point and two nearby ones, each entry moved by ``distance · (1 + |θ|) · N(0, 1)``."""
    rng = np.random.default_rng(seed)
    points = [dict(parameters)]
    for _ in range(2):
        points.append(
            {
                name: value + distance * (1.0 + np.abs(value)) * rng.standard_normal(value.shape)
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

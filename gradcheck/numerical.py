"""Finite-difference gradients of any ``cost_fn(parameters) -> float``, each with an error estimate.

The cost is always evaluated on float64 copies of the parameters; the caller's arrays are never
touched. ``h`` is the step of entry ``θ_i``, ``e_i`` its unit vector, ``σ`` the rounding noise
of one cost evaluation (at least ``ε max(|J|, 1)``, ``ε`` the machine epsilon of the dtype the
cost returns) and ``G`` the gradient's scale (the largest ``|∂J/∂θ_i|``), standing in for the
unknown higher derivatives. Every method returns the derivative *and* a bound on its error::

    method      formula                                         evals  error estimate
    central     (J(θ+h e_i) − J(θ−h e_i)) / 2h                  2      σ/h + h²G
    forward     (J(θ+h e_i) − J(θ)) / h                         1      2σ/h + hG
    richardson  R = (16 R₂ − R₁)/15, R₁, R₂ Richardson values    6      |R₂ − R₁|/15 + 6.6 σ/h
                of central differences at h, h/2 and h/2, h/4
    complex     Im J(θ + i h e_i) / h                           1      4ε (|∂J/∂θ_i| + max(G, 1))

Steps come from balancing the two error terms of each method: truncation ``~hᵖ`` against
rounding ``~σ/h``. For central differences the truncation is ``h² |J‴|/6`` and the rounding
``σ/h``, so ``h ∝ (σ/|J|)^(1/3)``: 6.1e-6 for a float64 cost of ordinary noise; forward
differences use the square root (1.5e-8); Richardson's final value has truncation ``O(h⁶)``,
so ``h ∝ (σ/|J|)^(1/7)`` (5.8e-3); the complex step has no subtraction at all, so any tiny
step works (1e-20). Each is relative to ``max(1, |θ_i|)`` and rounded so that ``θ_i + h`` is
exactly representable.

The complex step needs a cost written for complex input (numpy arithmetic, ``exp``, ``log``,
``tanh``; no ``float()``, ``abs`` or ``np.real``). It is validated first along a random
direction against central differences; a cost that is not complex-safe falls back to
Richardson with a message saying why.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import partial
from typing import Any, Literal

import numpy as np

from gradcheck.errors import GradcheckError, GradcheckWarning, located, warn

__all__ = [
    "DIRECTION_EVALUATIONS",
    "FINITE_SHRINK",
    "FINITE_SHRINKS",
    "HALVINGS",
    "KINK_RETRIES",
    "KINK_SHRINK",
    "METHODS",
    "NOISE_COARSE",
    "NOISE_GROWTH",
    "NOISE_LINES",
    "NOISE_LINE_POINTS",
    "SECOND_LOOK",
    "CostProbe",
    "FiniteDifferences",
    "GradcheckWarning",
    "call_cost",
    "check_method",
    "check_parameters",
    "estimate_noise",
    "evaluate_cost",
    "finite_differences",
    "numerical_gradient",
    "relative_step",
]

Method = Literal["central", "forward", "richardson", "complex"]
CostFn = Callable[[dict[str, np.ndarray]], Any]

#: Finite-difference methods and the power of σ/max(|J|, 1) that gives their default relative step
#: (None: a fixed step, the complex step's 1e-20).
METHODS: dict[str, float | None] = {
    "central": 1.0 / 3.0,
    "forward": 1.0 / 2.0,
    "richardson": 1.0 / 7.0,
    "complex": None,
}
COMPLEX_STEP = 1e-20
FLOAT64_EPS = float(np.finfo(np.float64).eps)
#: Spacing of the points :func:`estimate_noise` samples. Small, so that a kink of a ReLU network
#: rarely falls among them (its slope change would look like noise); large enough that every
#: point rounds differently.
NOISE_STEP = 1e-8
#: How much larger the noise estimate's step gets when the cost does not resolve it, and how far.
NOISE_STEP_GROWTH = 100.0
NOISE_STEP_MAX = 1e-4
#: The noise estimate's points lie at ``t_k = k + u_k`` steps from the point, ``|u_k| ≤ NOISE_JITTER``:
#: unequal spacing, so that a rounding sawtooth cannot advance by the same amount at every point.
NOISE_JITTER = 0.35
#: A cost is noisier than its dtype's rounding when its measured noise exceeds that many times it.
NOISIER = 10.0
#: The two larger spacings the first line is sampled at too, for a staircase wider than its span
#: (:func:`_staircase`). Each takes twice the line's points: with 8, white noise's order 6 estimate
#: falls below :data:`ORDERS_HOLD` of its order 4 one on one line in 20, with 16 on one in a
#: thousand.
NOISE_COARSE = (1e-5, 1e-3)
#: Noise's estimates of orders 4, 5 and 6 on one line agree within this factor (a smooth cost's fall
#: with the order by the spacing times its rate of change).
ORDERS_AGREE = 4.0
#: At each of two spacings, noise's estimate of order 6 keeps this share of its order 4 one or
#: more (a slope change at the point: about a third).
ORDERS_HOLD = 0.5
#: From one spacing to a larger one, noise's estimate grows by less than this share of their ratio;
#: a kink's grows in proportion to the spacing, a smooth cost's faster.
NOISE_GROWTH = 0.3
#: Independent directions the noise is estimated along; the largest estimate is kept.
NOISE_LINES = 2
#: Evaluations per line of the noise estimate (its default ``points``).
NOISE_LINE_POINTS = 8
#: Evaluations of a staircase's readings along one line (:meth:`CostProbe.look_again`): twice
#: :data:`NOISE_LINE_POINTS` at each of the two spacings of :data:`NOISE_COARSE`.
SECOND_LOOK = 4 * NOISE_LINE_POINTS
#: Halvings of the step with which a failing entry's truncation is measured (:func:`halved`): the
#: differences at ``h/2`` and ``h/4``.
HALVINGS = 2
#: Rounding bound of the Richardson value, in units of σ/h (see the module docs).
RICHARDSON_ROUNDING = 99.0 / 15.0


def check_parameters(parameters: object) -> None:
    """Raise :class:`GradcheckError` unless ``parameters`` is a non-empty dict of finite float arrays
    (or Python integers: the course's ``initialize_with_zeros`` returns ``b = 0``, checked as 0.0)."""
    if not isinstance(parameters, Mapping):
        raise GradcheckError(
            "parameters must be a dict of arrays such as {'W1': W1, 'b1': b1}, "
            f"got a {type(parameters).__name__}"
        )
    if not parameters:
        raise GradcheckError(
            "parameters is empty: pass the dict of arrays the gradients are taken with respect to"
        )
    for name, value in parameters.items():
        if not isinstance(name, str):
            raise GradcheckError(f"parameter names must be strings such as 'W1', got {name!r}")
        try:
            array = np.asarray(value)
        except Exception as error:
            raise GradcheckError(f"parameters[{name!r}] is not an array: {error}") from error
        scalar = isinstance(value, int | np.integer) and not isinstance(value, bool)  # b = 0, as the course
        if array.dtype.kind != "f" and not scalar:
            hint = f"pass {name}.astype(float)" if array.dtype.kind in "biu" else "pass a float numpy array"
            raise GradcheckError(
                f"parameters[{name!r}] has dtype {array.dtype}; gradients are taken with respect to "
                f"floating-point parameters: {hint}"
            )
        if array.size == 0:
            raise GradcheckError(
                f"parameters[{name!r}] is empty (shape {array.shape}); every parameter needs entries"
            )
        if not np.all(np.isfinite(array)):
            bad = tuple(int(i) for i in np.argwhere(~np.isfinite(array))[0])
            raise GradcheckError(
                f"parameters[{name!r}] holds {array[bad]} at {_entry(name, bad)}; a gradient can only be "
                "checked at finite parameters: re-initialise them or check before training diverges"
            )


def call_cost(
    cost_fn: CostFn,
    parameters: Mapping[str, np.ndarray],
    where: str | Callable[[], str],
    label: str = "the cost function",
) -> Any:
    """Call ``cost_fn`` once on a new dict of ``parameters`` and return what it returned.

    ``where`` names the point for error messages (``"at the given parameters"``,
    ``"with W1[0, 2] perturbed by +6.1e-06"``); a callable is called only to build a message,
    so the hot loop formats nothing. ``label`` names the cost in messages.

    Raises
    ------
    GradcheckError
        If the cost raises or calls ``sys.exit``: the message names the call, the original
        exception is its ``__cause__``.
    """
    try:
        return cost_fn(dict(parameters))  # a new dict: keys the cost rebinds or deletes stay ours
    except GradcheckError as error:  # a learner function named in the message already
        raise GradcheckError(f"{error} (called {_place(where)})") from (error.__cause__ or error)
    except SystemExit as error:
        raise GradcheckError(
            f"{label} called sys.exit({error.code!r}) (called {_place(where)}); a cost must return its "
            "value, not end the program"
        ) from error
    except Exception as error:
        raise GradcheckError(
            f"{label} raised {type(error).__name__}: {error} (called {_place(where)}; in "
            f"{located(error, 'the cost function')}); fix the cost so that it runs on these parameters"
        ) from error


def _place(where: str | Callable[[], str]) -> str:
    return where() if callable(where) else where


class _NotFiniteError(GradcheckError):
    """The cost returned NaN or an infinity (a :class:`GradcheckError` to every caller)."""

    def __init__(self, label: str, value: float, where: str | Callable[[], str]) -> None:
        super().__init__(
            f"{label} returned {value} {_place(where)}; a gradient can only be checked where the "
            "cost is finite: look for log(0), division by zero or overflow in the cost"
        )


def evaluate_cost(
    cost_fn: CostFn,
    parameters: dict[str, np.ndarray],
    where: str | Callable[[], str],
    label: str = "the cost function",
) -> tuple[float, float]:
    """Call ``cost_fn`` once and return ``(J, eps)``: the value as a float and its dtype's epsilon.

    ``where`` and ``label`` name the point and the cost for error messages (see :func:`call_cost`).

    Raises
    ------
    GradcheckError
        If the cost raises, or returns anything but one finite real number.
    """

    value = call_cost(cost_fn, parameters, where, label)
    if type(value) is float or type(value) is np.float64:  # the usual answer, checked fast
        if not math.isfinite(value):
            raise _NotFiniteError(label, value, where)
        return float(value), FLOAT64_EPS
    try:
        array = np.asarray(value)
    except ValueError:  # e.g. a ragged list
        array = np.asarray(None, dtype=object)
    if array.dtype.kind not in "fiu" or array.size != 1:
        shape = f" of shape {array.shape}" if array.ndim else ""
        raise GradcheckError(
            f"{label} must return one real number, but returned a {type(value).__name__}{shape} "
            f"(dtype {array.dtype}) {_place(where)}; return a float, e.g. float(np.squeeze(cost))"
        )
    number = float(array.reshape(()))
    if not math.isfinite(number):
        raise _NotFiniteError(label, number, where)
    dtype = array.dtype if array.dtype.kind == "f" else np.dtype(np.float64)
    return number, float(np.finfo(dtype).eps)


def estimate_noise(
    cost_fn: CostFn,
    work: dict[str, np.ndarray],
    cost: float,
    eps: float,
    *,
    points: int = NOISE_LINE_POINTS,
    seed: int = 0,
) -> tuple[float, int]:
    """Estimate the rounding noise of the cost near the point from its high-order differences.

    The cost is evaluated at ``θ + t_k δ v`` (k = 1 … ``points``) along a random direction ``v``
    with ``δ = 1e-8`` relative to each entry's size, and ``t_k = k + u_k``, ``u_k`` drawn once in
    ``±NOISE_JITTER``; ``t_0 = 0`` is the point. Over so short a distance the smooth part of ``J``
    has negligible divided differences of order 4 to 6, so what remains is noise: with independent
    noise of standard deviation σ, the divided difference ``J[t_i … t_{i+k}] = Σ_j w_j J(t_j)``,
    ``w_j = 1 / Π_{l≠j} (t_j − t_l)``, has variance ``σ² Σ_j w_j²``, and
    ``σ_k² = mean_i (J[t_i … t_{i+k}]² / Σ_j w_j²)`` estimates ``σ²`` (on equally spaced points
    this is the method of Moré and Wild, "Estimating computational noise", 2011: ``Σ_j w_j²`` is
    ``C(2k, k) / (k! δᵏ)²``). The estimate of one line is the largest of the orders 4, 5 and 6.

    Why the points are not equally spaced: rounding is a function of the point, not a random draw.
    Where one operation dominates the noise (``1 − A2`` with ``A2`` near 1), its rounding error is
    a sawtooth of its input; on equally spaced points whose input moves by nearly a whole number
    of its units per point the sawtooth advances by a nearly constant amount, a linear function
    that every difference of order 2 or more cancels (one direction in eight at ``δ = 1e-8`` on the
    course's cost with ``m = 1``). Unequal spacing samples the sawtooth at unrelated phases.

    Why :data:`NOISE_LINES` lines, in independent directions, the largest kept: a direction along
    which that operation's input barely moves sees none of its noise (about one direction in five
    hundred on the same cost); two such directions at once are as rare as its square. The estimate
    is never less than ``eps · max(|J|, 1)``: a small cost is usually a difference of terms of unit
    size (``softplus(z) - y z`` for a confident right output), whose rounding is that of the terms.

    When fewer than half the values of a line differ from one another, the cost is coarser than
    the steps (it rounds its parameters or its result to a lower precision than it returns, such
    as float32 inside and a Python float out) and the differences would see no noise at all: that
    line is sampled again with ``δ`` :data:`NOISE_STEP_GROWTH` times larger, up to
    :data:`NOISE_STEP_MAX`.

    Why the first line is sampled at the spacings of :data:`NOISE_COARSE` too: a staircase wider
    than the line's span is noise the line never sees. ``log(1 − A2)`` with ``A2`` near 1 steps by
    the rounding of ``1 − A2`` only every ``ε / (1 − A2)`` of ``Z2``: with an output at ``Z2`` of 20
    to 29 against its label (float64), every 5e-8 to 5e-4, while the differences, at steps far
    larger than the line's span, cross several steps. Two coarse readings count as noise when each
    keeps its size across the orders 4, 5 and 6 and the coarser grows less than a kink's would
    (:func:`_staircase`); a kink's grows in proportion to the spacing and the smooth cost's faster,
    and both fall with the order. It can only raise the estimate.

    Parameters
    ----------
    cost_fn : callable
    work : dict of str to ndarray
        float64 copies of the parameters; restored exactly before returning.
    cost : float
        ``J(θ)``, already evaluated.
    eps : float
        Machine epsilon of the cost's dtype.
    points : int, default 8
        Extra evaluations per line, twice that per coarse sampling (``(NOISE_LINES + 4) · points``
        in all, the first line's coarse samplings included; more when a line is sampled again).
    seed : int, default 0
        Seed of the random directions and offsets.

    Returns
    -------
    noise : float
        Estimated standard deviation of the cost's rounding noise (absolute).
    evaluations : int
        Cost evaluations spent.
    """
    fine, staircase, spent = _noise_parts(cost_fn, work, cost, eps, points, seed)
    return max(fine, staircase), spent


def _noise_parts(
    cost_fn: CostFn, work: dict[str, np.ndarray], cost: float, eps: float, points: int, seed: int
) -> tuple[float, float, int]:
    """:func:`estimate_noise` in its parts: the lines' estimate (at least the rounding), the
    staircase's (:func:`_staircase`, 0 if none), and the evaluations spent."""
    estimates, spent, staircase = [eps * max(abs(cost), 1.0)], 0, 0.0
    for line, (direction, offsets) in enumerate(_noise_lines(work, points, seed)):
        step = NOISE_STEP
        while True:
            values = _along(cost_fn, work, direction, cost, step * offsets[1:])
            spent += points
            if len(set(values)) > points // 2 or step * NOISE_STEP_GROWTH > NOISE_STEP_MAX:
                break
            step *= NOISE_STEP_GROWTH  # the cost did not resolve the steps: a coarser one
        estimates.append(_line_noise(offsets, np.asarray(values)))
        if line == 0:
            staircase, more = _staircase(cost_fn, work, direction, cost, offsets)
            spent += more
    return max(estimates), staircase, spent


def _noise_lines(
    work: dict[str, np.ndarray], points: int, seed: int
) -> list[tuple[dict[str, np.ndarray], np.ndarray]]:
    """The :data:`NOISE_LINES` lines of :func:`estimate_noise`, drawn from ``seed``: each a random
    direction (entries ``N(0, 1) · max(1, |θ|)``) and ``points + 1`` offsets ``t_k = k + u_k``,
    ``t_0 = 0``."""
    rng = np.random.default_rng(seed)
    lines = []
    for _ in range(NOISE_LINES):
        direction = {
            name: rng.standard_normal(t.shape) * np.maximum(1.0, np.abs(t)) for name, t in work.items()
        }
        offsets = np.arange(points + 1, dtype=np.float64)
        offsets[1:] += rng.uniform(-NOISE_JITTER, NOISE_JITTER, points)
        lines.append((direction, offsets))
    return lines


def _staircase(
    cost_fn: CostFn,
    work: dict[str, np.ndarray],
    direction: dict[str, np.ndarray],
    cost: float,
    offsets: np.ndarray,
) -> tuple[float, int]:
    """The noise of a staircase wider than a line's span at :data:`NOISE_STEP` (0 if none), and the
    evaluations spent: the line sampled at the two spacings of :data:`NOISE_COARSE`.

    The two readings show noise (:func:`_stairs`) when both keep their size across the orders 4, 5
    and 6 and the coarser grows less than a kink's would. Each takes twice the line's points and
    leaves the point itself out: kinks closer to it than the first offset make ``J(θ)`` an outlier
    of the same size at every spacing (the slope change times their distance), which reads as
    noise; a staircase shows among the other points. A cost not finite there shows none, and
    numpy's warnings about it (``log(0)`` of an output rounded to 1, 1.6% of each entry away) are
    not the user's: they are silenced.
    """
    at = np.concatenate([offsets[1:], offsets[1:] + (offsets.size - 1)])  # twice the points, not 0
    readings: list[list[float]] = []
    for spacing in NOISE_COARSE:
        try:
            with np.errstate(all="ignore"):  # 1.6% away, a confident output may round to 1: not news
                values = _along(cost_fn, work, direction, cost, spacing * at)[1:]  # J(θ) left out
        except _NotFiniteError:
            return 0.0, at.size * (len(readings) + 1)
        readings.append(_orders(at, np.asarray(values)))
    fine, coarse = readings
    return _stairs(fine, coarse), at.size * len(NOISE_COARSE)


def _stairs(fine: list[float], coarse: list[float]) -> float:
    """Noise the two readings (``σ_k``, k = 4, 5, 6, at the spacings of :data:`NOISE_COARSE`) both
    show, or 0.

    Both agree across the orders within :data:`ORDERS_AGREE`, the order 6 estimate of each keeps
    :data:`ORDERS_HOLD` of its order 4 one, and the coarser is less than :data:`NOISE_GROWTH` times
    the spacings' ratio times the finer: then the smaller of the two.
    """
    low, high = max(fine), max(coarse)
    ratio = NOISE_COARSE[1] / NOISE_COARSE[0]
    noisy = all(_agree(orders) and orders[-1] >= ORDERS_HOLD * orders[0] for orders in (fine, coarse))
    return min(low, high) if noisy and high < NOISE_GROWTH * ratio * low else 0.0


def _agree(orders: list[float]) -> bool:
    """Do a reading's estimates of orders 4, 5 and 6 agree, as noise's do (and show any)?"""
    return 0.0 < max(orders) <= ORDERS_AGREE * min(orders)


def _line_noise(offsets: np.ndarray, values: np.ndarray) -> float:
    """Noise of ``values`` (``J`` at ``θ + t δ v``, ``t = offsets``, increasing) from their divided
    differences of order 4, 5 and 6: the largest ``σ_k`` (see :func:`estimate_noise`).

    Parameters
    ----------
    offsets : ndarray, shape (n,)
        Distinct, increasing positions ``t``; n ≥ 7. Any unit: ``σ_k`` does not depend on it.
    values : ndarray, shape (n,)
        The cost there.

    Returns
    -------
    float
        ``max_k sqrt(mean_i (J[t_i … t_{i+k}]² / Σ_j w_j²))``, ``k`` = 4, 5, 6.
    """
    return max(_orders(offsets, values))


def _orders(offsets: np.ndarray, values: np.ndarray) -> list[float]:
    """``σ_k`` of :func:`_line_noise` for ``k`` = 4, 5, 6 (noise: about equal; a smooth cost's fall
    with the order by the spacing times its rate of change)."""
    estimates = []
    for order in (4, 5, 6):
        t = np.lib.stride_tricks.sliding_window_view(offsets, order + 1)  # (windows, order + 1)
        gaps = t[:, :, None] - t[:, None, :]  # t_j − t_l
        gaps[:, np.arange(order + 1), np.arange(order + 1)] = 1.0  # leave l = j out of the product
        weights = 1.0 / np.prod(gaps, axis=2)
        divided = np.sum(weights * np.lib.stride_tricks.sliding_window_view(values, order + 1), axis=1)
        estimates.append(math.sqrt(float(np.mean(divided**2 / np.sum(weights**2, axis=1)))))
    return estimates


def _along(
    cost_fn: CostFn,
    work: dict[str, np.ndarray],
    direction: dict[str, np.ndarray],
    cost: float,
    distances: np.ndarray,
) -> list[float]:
    """``[J(θ), J(θ + d v) for d in distances]``; ``work`` restored exactly afterwards."""
    originals = {name: theta.copy() for name, theta in work.items()}
    values = [cost]
    try:
        for distance in distances:
            for name, theta in work.items():
                theta[...] = originals[name] + float(distance) * direction[name]
            values.append(evaluate_cost(cost_fn, work, "near the given parameters (estimating its noise)")[0])
    finally:
        for name, theta in work.items():
            theta[...] = originals[name]
    return values


def relative_step(method: str, noise: float, cost: float) -> float:
    """Default step of ``method`` relative to ``max(1, |θ_i|)``: ``(σ / max(|J|, 1))^p``.

    Parameters
    ----------
    method : {"central", "forward", "richardson", "complex"}
    noise : float
        ``σ``, the rounding noise of one cost evaluation.
    cost : float
        ``J(θ)``.

    Returns
    -------
    float
        ``p`` = 1/3 (central), 1/2 (forward), 1/7 (richardson); 1e-20 for the complex step.
    """
    power = METHODS[method]
    if power is None:
        return COMPLEX_STEP
    return float((noise / max(abs(cost), 1.0)) ** power)


class CostProbe:
    """The cost function at one point: evaluates it on float64 copies and counts the calls.

    Made by :meth:`at`, which checks the cost and the point and calls the cost twice; the
    constructor only stores what that found. The arrays the cost receives are compared with the
    point after its first call and at the end of a check: a cost that writes into its parameters
    is named as such (:meth:`check_untouched`).

    Parameters
    ----------
    cost_fn : callable
        ``cost_fn(parameters) -> float``.
    point : dict of str to ndarray
        The point: float64, read-only copies of the caller's parameters.
    cost, eps : float
        ``J(θ)`` and the machine epsilon of the dtype the cost returned.
    evaluations : int
        Cost calls made so far.
    label : str, default "the cost function"
        How messages name the cost (the learner form names the learner's functions).

    Attributes
    ----------
    work : dict of str to ndarray
        float64 copies handed to the cost; always restored to the point between calls.
    cost : float
        ``J(θ)``.
    eps : float
        Machine epsilon of the dtype the cost returned.
    noise : float
        ``σ``: ``eps · max(|J|, 1)`` until :meth:`measure_noise` has measured more.
    rounding : float
        ``σ`` without a staircase wider than the noise lines' span (:func:`_staircase`): the
        precision a cost's value has, to which recognition matches it.
    noise_measured : bool
    evaluations : int
        Cost calls so far.
    notes : tuple of str
        What the user should know about the cost (a noise above its dtype's rounding).
    """

    def __init__(
        self,
        cost_fn: CostFn,
        point: dict[str, np.ndarray],
        work: dict[str, np.ndarray],
        *,
        cost: float,
        eps: float,
        evaluations: int,
        label: str = "the cost function",
    ) -> None:
        self.cost_fn, self.label = cost_fn, label
        self.point, self.work = point, work
        self.cost, self.eps, self.evaluations = cost, eps, evaluations
        self.noise = eps * max(abs(cost), 1.0)
        self.rounding = self.noise  # the noise at the finest spacing, without a staircase's
        self.noise_measured = False
        self._estimate: float | None = None  # the measured noise, once measured
        self._looked_again = False  # a staircase read along the second line too (look_again)
        self._complex: dict[str, np.ndarray] | None = None

    @classmethod
    def at(
        cls, cost_fn: CostFn, parameters: Mapping[str, Any], *, label: str = "the cost function"
    ) -> CostProbe:
        """Probe ``cost_fn`` at ``parameters``: check both, copy the point, call the cost twice.

        Two different values mean the cost is not a function of the parameters alone (dropout, a
        fresh random draw), and no check can work; a cost that writes into its parameters on the
        first call is named as such.

        Raises
        ------
        GradcheckError
            When the cost is not callable, the parameters are not a dict of finite float arrays,
            or the cost raises, is not one finite number, changes its arguments or is not
            deterministic.
        """
        if not callable(cost_fn):
            raise GradcheckError(
                f"cost_fn must be callable as cost_fn(parameters) -> float, got a {type(cost_fn).__name__}"
            )
        check_parameters(parameters)
        work = {name: np.array(value, dtype=np.float64, copy=True) for name, value in parameters.items()}
        point = {name: value.copy() for name, value in work.items()}
        for value in point.values():
            value.flags.writeable = False
        cost, eps = evaluate_cost(cost_fn, work, "at the given parameters", label)
        _check_untouched(label, point, [("", work)])
        again, _ = evaluate_cost(cost_fn, work, "at the given parameters (second call)", label)
        if again != cost:
            raise GradcheckError(
                f"nondeterministic_cost: {label} returned {cost!r} and then {again!r} for the same "
                "parameters; a gradient check needs a deterministic cost: switch off dropout or fix its "
                "random state (e.g. np.random.seed inside the cost; the learner form starts np.random "
                "from the same state at every call, so draw dropout masks with np.random.rand, as the "
                "course does, not with a Generator of your own)"
            )
        return cls(cost_fn, point, work, cost=cost, eps=eps, evaluations=2, label=label)

    def check_untouched(self) -> None:
        """Raise :class:`GradcheckError` if the cost changed the arrays it was given in place.

        The cost gets float64 copies (``work``), restored entry by entry after each perturbation;
        this compares them, and the complex copies, with the point. Called after the first
        evaluation and at the end of a check, so a cost that writes into its parameters on any
        call is caught (unless it only ever changes the one entry being perturbed, which is put
        back anyway).
        """
        copies = [("", self.work)] + ([] if self._complex is None else [(" (complex step)", self._complex)])
        _check_untouched(self.label, self.point, copies)

    @property
    def size(self) -> int:
        """Number of parameter entries ``P``."""
        return sum(value.size for value in self.point.values())

    def evaluate(self, where: str | Callable[[], str]) -> tuple[float, float]:
        """``J`` at the current ``work`` and its dtype's epsilon (see :func:`evaluate_cost`)."""
        self.evaluations += 1
        return evaluate_cost(self.cost_fn, self.work, where, self.label)

    def step(self, name: str, index: tuple[int, ...], method: str, step: float | None = None) -> float:
        """The step for entry ``name[index]``: ``step`` or the default, exactly representable."""
        theta = float(self.point[name][index])
        h = step if step is not None else relative_step(method, self.noise, self.cost) * max(1.0, abs(theta))
        if method == "complex":
            return h
        return (theta + h) - theta

    def entry(self, name: str, index: tuple[int, ...], offset: float) -> float:
        """``J`` with ``name[index]`` moved by ``offset`` (every other entry at the point)."""
        theta = self.work[name]
        theta[index] = self.point[name][index] + offset
        try:
            return self.evaluate(partial(_perturbed, name, index, offset))[0]
        finally:
            theta[index] = self.point[name][index]

    def along(self, direction: Mapping[str, np.ndarray], t: float) -> tuple[float, dict[str, np.ndarray]]:
        """``J(θ + t v)`` and the offsets actually applied, ``fl(θ + t v) − θ`` per block.

        ``direction`` maps parameter names to arrays of their shape (or to flat index arrays
        with values, see :meth:`along_entries`); blocks it does not name stay at the point.
        """
        offsets = {}
        try:
            for name, v in direction.items():
                moved = self.point[name] + t * v
                self.work[name][...] = moved
                offsets[name] = moved - self.point[name]
            value = self.evaluate(f"along a random direction (step {t:.3g})")[0]
        finally:
            for name in direction:
                self.work[name][...] = self.point[name]
        return value, offsets

    def along_entries(self, name: str, flat: np.ndarray, v: np.ndarray, t: float) -> tuple[float, np.ndarray]:
        """``J`` with entries ``flat`` (flat indices) of ``name`` moved by ``t v``; the applied offsets."""
        theta = self.work[name].reshape(-1)
        origin = self.point[name].reshape(-1)
        moved = origin[flat] + t * v
        theta[flat] = moved
        try:
            value = self.evaluate(f"with {flat.size} entries of {name} moved (step {t:.3g})")[0]
        finally:
            theta[flat] = origin[flat]
        return value, moved - origin[flat]

    def look_again(self) -> bool:
        """Read a staircase along the second noise line too (:func:`_staircase`), once, after
        :meth:`measure_noise`: did ``σ`` rise, to more than :data:`NOISIER` times the rounding?

        The first line's direction can barely move the output whose rounding steps (``Z2`` of one
        example moving 500 times less than along a typical direction), and then sees none of its
        steps while the differences, along coordinates, cross many. Taken when a disagreement
        outlives the measured noise (:func:`gradcheck.setting.measure`): :data:`SECOND_LOOK`
        evaluations.
        """
        if not self.noise_measured or self._looked_again:
            return False
        self._looked_again = True
        direction, offsets = _noise_lines(self.work, NOISE_LINE_POINTS, 0)[1]
        staircase, spent = _staircase(self.cost_fn, self.work, direction, self.cost, offsets)
        self.evaluations += spent
        if staircase <= max(self.noise, NOISIER * self.eps * max(abs(self.cost), 1.0)):
            return False  # nothing beyond σ, or the rounding the first look already measured
        self._estimate, self.noise = max(self._estimate or 0.0, staircase), staircase
        return True

    def measure_noise(self) -> float:
        """Measure the cost's rounding noise once (:func:`estimate_noise`); the new ``σ``."""
        if not self.noise_measured:
            fine, staircase, spent = _noise_parts(
                self.cost_fn, self.work, self.cost, self.eps, NOISE_LINE_POINTS, 0
            )
            self.evaluations += spent
            self.noise_measured, self._estimate, self.rounding = True, max(fine, staircase), fine
            self.noise = max(self.noise, fine, staircase)
        return self.noise

    @property
    def noisy(self) -> bool:
        """Is the measured noise more than :data:`NOISIER` times the dtype's rounding ``ε max(|J|, 1)``?
        (Within that, the estimate's own scatter: steps and errors of the rounding serve.)"""
        return self._estimate is not None and self._estimate > NOISIER * self.eps * max(abs(self.cost), 1.0)

    @property
    def notes(self) -> tuple[str, ...]:
        """What the user should know about the cost: that it is noisier than its dtype's rounding."""
        rounding = self.eps * max(abs(self.cost), 1.0)
        if not self.noisy or self._estimate is None:
            return ()
        return (
            f"the cost is noisier than rounding alone ({self._estimate:.2g} against {rounding:.2g} for its "
            "dtype): steps and tolerances were widened to match; a cost computed from saturated "
            "probabilities (log(1 - A2) with A2 near 1) does this, and so does one computed in float32 "
            "but returned as a float64 or a Python float. Finite differences then resolve only coarsely: "
            "pass X and Y, and the reference judges",
        )

    def complex_entry(self, name: str, index: tuple[int, ...], h: float) -> complex:
        """``J(θ + i h e_i)`` on complex copies; raises if the result is not complex."""
        work = self._complex_work()
        theta = work[name]
        theta[index] += 1j * h
        try:
            return self._complex_call(work)
        except Exception as error:
            raise GradcheckError(
                f"the cost function raised {type(error).__name__}: {error} (called "
                f"{_perturbed(name, index, h)}i, a complex step); fix the cost or use another method"
            ) from error
        finally:
            theta[index] = self.point[name][index]

    def complex_along(self, direction: Mapping[str, np.ndarray], h: float) -> complex:
        """``J(θ + i h v)`` on complex copies."""
        work = self._complex_work()
        try:
            for key, v in direction.items():
                work[key] += 1j * h * v
            return self._complex_call(work)
        finally:
            for key in direction:
                work[key][...] = self.point[key]

    def _complex_work(self) -> dict[str, np.ndarray]:
        """complex128 copies of the point, made once and restored after every call."""
        if self._complex is None:
            self._complex = {key: value.astype(np.complex128) for key, value in self.point.items()}
        return self._complex

    def _complex_call(self, values: dict[str, np.ndarray]) -> complex:
        self.evaluations += 1
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # numpy's ComplexWarning from a float() inside the cost
            out = self.cost_fn(dict(values))
        array = np.asarray(out)
        if array.size != 1 or array.dtype.kind != "c":
            raise TypeError(
                f"it returned a {type(out).__name__} ({array.dtype}), dropping the imaginary part"
            )
        return complex(array.reshape(()))


@dataclass(frozen=True)
class FiniteDifferences:
    """The numerical gradient with what is needed to judge its accuracy.

    Attributes
    ----------
    gradient : dict of str to ndarray
        ∂J/∂θ per parameter, float64, each with its parameter's shape (NaN where not computed).
    error : dict of str to ndarray
        Estimated absolute error of every computed entry (see the module docs; NaN elsewhere).
    steps : dict of str to ndarray
        The step ``h`` used for every computed entry (NaN elsewhere).
    checked : dict of str to ndarray of bool
        Which entries were computed (all of them unless ``entries`` was given).
    kink_gap : dict of str to ndarray
        ``|D₊ − D₋|`` per entry for central differences (NaN for other methods): see
        :func:`derivative`.
    cost : float
        ``J(θ)`` at the unperturbed point.
    eps : float
        Machine epsilon of the dtype the cost returned (2.2e-16 for float64).
    noise : float
        ``σ``, the rounding noise of one cost evaluation used for steps and errors.
    method : str
        The method used (``"richardson"`` when ``"complex"`` fell back).
    evaluations : int
        How many times the cost was called.
    notes : tuple of str
        Fallbacks and measurements the user should know about.
    """

    gradient: dict[str, np.ndarray]
    error: dict[str, np.ndarray]
    steps: dict[str, np.ndarray]
    checked: dict[str, np.ndarray]
    kink_gap: dict[str, np.ndarray]
    cost: float
    eps: float
    noise: float
    method: str
    evaluations: int
    notes: tuple[str, ...] = field(default=())


def derivative(
    probe: CostProbe, name: str, index: tuple[int, ...], method: str, step: float | None = None
) -> tuple[float, float, float, float]:
    """One entry's derivative by ``method``: ``(value, h, measured_error, kink_gap)``.

    ``measured_error`` is the part of the error estimate known from this entry alone: the
    rounding ``σ/h`` (central), ``2σ/h`` (forward), Richardson's whole estimate, 0 for the
    complex step. :func:`fd_error` adds the terms that need the gradient's scale ``G``.
    ``kink_gap`` is ``|D₊ − D₋|``, the one-sided derivatives' disagreement that central
    differences give for free (``(J(θ+h) − J(θ))/h`` against ``(J(θ) − J(θ−h))/h``; about
    ``h |J″|`` where the cost is smooth); NaN for the other methods.
    """
    h = probe.step(name, index, method, step)
    sigma = probe.noise
    if method == "central":
        plus, minus = probe.entry(name, index, h), probe.entry(name, index, -h)
        gap = abs((plus - probe.cost) - (probe.cost - minus)) / h
        return (plus - minus) / (2.0 * h), h, sigma / h, gap
    if method == "forward":
        return (probe.entry(name, index, h) - probe.cost) / h, h, 2.0 * sigma / h, math.nan
    if method == "complex":
        return probe.complex_entry(name, index, h).imag / h, h, 0.0, math.nan
    theta = float(probe.point[name][index])
    levels = []
    for divisor in (1.0, 2.0, 4.0):
        s = (theta + h / divisor) - theta  # exactly representable offsets
        s_minus = theta - (theta - s)
        levels.append((probe.entry(name, index, s) - probe.entry(name, index, -s_minus)) / (s + s_minus))
    r1 = (4.0 * levels[1] - levels[0]) / 3.0
    r2 = (4.0 * levels[2] - levels[1]) / 3.0
    return (16.0 * r2 - r1) / 15.0, h, abs(r2 - r1) / 15.0 + RICHARDSON_ROUNDING * sigma / h, math.nan


def fd_error(
    method: str, values: np.ndarray, steps: np.ndarray, measured: np.ndarray, eps: float, scale: float
) -> np.ndarray:
    """The full error estimate: ``measured`` plus the terms that need the gradient's scale ``G``.

    central ``+ h²G``; forward ``+ hG``; complex ``4ε(|n| + max(G, 1))``; Richardson adds nothing.
    """
    result: np.ndarray = np.array(measured, dtype=np.float64)
    if method == "central":
        result = result + steps**2 * scale
    elif method == "forward":
        result = result + steps * scale
    elif method == "complex":
        result = result + 4.0 * eps * (np.abs(values) + max(scale, 1.0))
    return result


def halved(
    probe: CostProbe, name: str, index: tuple[int, ...], method: str, h: float, value: float
) -> tuple[float, float] | None:
    """A failing entry's difference ``value = D(h)`` measured against its own truncation.

    The differences at ``h/2`` and ``h/4`` are taken (:data:`HALVINGS` halvings, 2 evaluations each
    for central differences, 1 for forward ones). A difference of order ``p`` (2 central, 1
    forward) has truncation ``T(s) = c sᵖ + O(sᵖ⁺¹)``, so ``Δ₁ = D(h) − D(h/2)`` and
    ``Δ₂ = D(h/2) − D(h/4)`` are ``(1 − 2⁻ᵖ) T(h)`` and ``(1 − 2⁻ᵖ) T(h/2)``: ``Δ₁ = 2ᵖ Δ₂``. When
    they shrink so, within half of ``Δ₁`` and the rounding ``q`` of ``Δ₁ − 2ᵖ Δ₂``, the
    Richardson value from ``h/2`` and ``h/4`` and its error are::

        R = (2ᵖ D(h/4) − D(h/2)) / (2ᵖ − 1)
        e = |Δ₁ − 2ᵖ Δ₂| / (2ᵖ − 1)  +  r (2ᵖ · 4 + 2) / (2ᵖ − 1)
        q = r (1 + 2 (1 + 2ᵖ) + 4 · 2ᵖ)

    The first term of ``e`` is ``|R₁ − R|``, ``R₁`` the same extrapolation from ``h`` and ``h/2``:
    the error of ``R₁``, which bounds ``R``'s (smaller by ``2ᵖ⁺²`` or so, central); ``r = σ/h``
    (central) or ``2σ/h`` (forward) is the rounding of a difference at ``h``, and the second term
    bounds ``R``'s. Differences that do not shrink as ``hᵖ`` are no evidence of truncation (a kink
    within the step makes them shrink as ``1/h``): None.

    Parameters
    ----------
    probe : CostProbe
    name : str
    index : tuple of int
    method : {"central", "forward"}
    h : float
        The step of ``value``.
    value : float
        ``D(h)``, the entry's difference.

    Returns
    -------
    (float, float) or None
        ``(R, e)``, or None when the differences do not shrink as a truncation does.
    """
    factor = 4.0 if method == "central" else 2.0  # 2ᵖ
    rounding = (1.0 if method == "central" else 2.0) * probe.noise / h
    differences = [value]
    for halving in range(1, HALVINGS + 1):
        differences.append(derivative(probe, name, index, method, h / 2.0**halving)[0])
    first, second = differences[0] - differences[1], differences[1] - differences[2]
    mismatch = abs(first - factor * second)
    if not mismatch <= abs(first) / 2.0 + rounding * (1.0 + 2.0 * (1.0 + factor) + 4.0 * factor):
        return None
    extrapolated = (factor * differences[2] - differences[1]) / (factor - 1.0)
    error = (mismatch + rounding * (4.0 * factor + 2.0)) / (factor - 1.0)
    return extrapolated, error


def one_sided(
    probe: CostProbe, name: str, index: tuple[int, ...], step: float | None = None
) -> tuple[float, float, float, float]:
    """Left and right derivatives of one entry with their error estimates: ``(L, R, e_L, e_R)``.

    Each side is extrapolated from steps ``s`` and ``s/2`` (``s`` the central step):
    ``R = 2 D₊(s/2) − D₊(s)`` with ``D₊(s) = (J(θ + s e_i) − J(θ)) / s``, error estimate
    ``|D₊(s/2) − D₊(s)| + 10 σ/s``; the left side likewise. Four evaluations. ``step`` replaces
    the default ``s``.
    """
    s = probe.step(name, index, "central", step)
    theta = float(probe.point[name][index])
    sides = []
    for sign in (-1.0, 1.0):
        big = (theta + sign * s) - theta
        small = (theta + sign * s / 2.0) - theta
        d_big = (probe.entry(name, index, big) - probe.cost) / big
        d_small = (probe.entry(name, index, small) - probe.cost) / small
        sides.append((2.0 * d_small - d_big, abs(d_small - d_big) + 10.0 * probe.noise / s))
    (left, left_error), (right, right_error) = sides
    return left, right, left_error, right_error


def complex_safety(probe: CostProbe, *, seed: int = 0) -> str | None:
    """Why the cost cannot take complex steps, or None when it can.

    The complex step ``Im J(θ + i h v)/h`` along a random direction ``v`` must agree with central
    differences along ``v`` within their error (the third difference bounds the truncation). A
    cost that raises on complex input, returns a real number (``float()``, ``np.real``), or uses
    ``abs``/``conj`` (its complex derivative is wrong) is caught here. Four evaluations.
    """
    rng = np.random.default_rng(seed)
    direction = {name: random_direction(theta, rng) for name, theta in probe.point.items()}
    try:
        value = probe.complex_along(direction, COMPLEX_STEP)
    except Exception as error:  # any failure on complex input means: not complex-safe
        return f"it fails on complex input ({type(error).__name__}: {error})"
    estimate = directional_difference(probe, direction)
    exact = value.imag / COMPLEX_STEP
    tolerance = 100.0 * (estimate.error + 4.0 * probe.eps * (abs(exact) + 1.0))
    if not math.isfinite(exact) or abs(exact - estimate.value) > tolerance:
        return (
            f"its complex-step derivative along a random direction ({exact:.6g}) disagrees with central "
            f"differences ({estimate.value:.6g} ± {tolerance:.2g}); abs(), conj() or a comparison on "
            "complex values breaks it"
        )
    return None


def random_direction(theta: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A random direction for one block: Gaussian, each entry weighted by ``max(1, |θ_i|)``, unit norm."""
    v = rng.standard_normal(theta.shape) * np.maximum(1.0, np.abs(theta))
    return _unit(v)


def sign_direction(theta: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A direction that moves every entry of a block alike: random signs, sizes uniform in [1, 2].

    ``v_i = ± u_i max(1, |θ_i|)`` with ``u_i ~ U[1, 2]``, scaled to unit norm. No entry gets less
    than half the average weight (``|v_i| ≥ 1 / (2 √n)`` for ``n`` entries of ``|θ_i| ≤ 1``), where a
    Gaussian direction gives a tenth of it to one entry in twelve; the sizes are continuous, so
    errors of several entries cancel along it with probability zero, as along a Gaussian one.

    Parameters
    ----------
    theta : ndarray
        The block's parameters, any shape.
    rng : numpy.random.Generator

    Returns
    -------
    ndarray
        ``theta``'s shape, unit norm.
    """
    signs = rng.choice(np.array([-1.0, 1.0]), size=theta.shape)
    v = signs * rng.uniform(1.0, 2.0, size=theta.shape) * np.maximum(1.0, np.abs(theta))
    return _unit(v)


def _combine(coefficients: tuple[float, ...], arrays: list[np.ndarray]) -> np.ndarray:
    """``Σ c_k arrays_k``."""
    total: np.ndarray = np.zeros_like(arrays[0])
    for c, array in zip(coefficients, arrays, strict=True):
        total += c * array
    return total


def _unit(v: np.ndarray) -> np.ndarray:
    norm = float(np.linalg.norm(v))
    unit: np.ndarray = v / norm if norm else v
    return unit


#: Cost evaluations of a difference along a direction, per stencil (:func:`directional_difference`).
DIRECTION_EVALUATIONS = {"central": 3, "richardson": 6}
#: An entry whose default step leaves the cost's finite values (an output pushed to log 0) is
#: differenced again at steps this many times smaller, up to ``FINITE_SHRINKS`` times.
FINITE_SHRINK = 16.0
FINITE_SHRINKS = 3
#: A Richardson difference along a direction whose error is mostly a kink within its steps is
#: taken again at steps this many times smaller, up to ``KINK_RETRIES`` times (6 evaluations each).
KINK_SHRINK = 16.0
KINK_RETRIES = 2
#: The kink term's own rounding, in ``σ/h``: ``(h/4)(4 + 5·16 + 4·64) σ/h²`` (each curvature
#: ``C(k)`` rounds by up to ``4σ/k²``). Below twice that, it shows no kink.
KINK_TERM_ROUNDING = 85.0


@dataclass(frozen=True)
class Directional:
    """A difference along a direction ``v`` with its error estimate.

    ``value`` approximates ``∂J/∂v``; ``error = rounding + truncation``, the truncation measured
    from the same evaluations (see :func:`directional_difference`). ``weights`` is, per block, the
    combination of the offsets actually applied that ``value`` differentiates along: the analytic
    side is ``Σ ⟨a, weights⟩``, exact to first order whatever the rounding of ``θ ± h v``.
    """

    value: float
    error: float
    truncation: float
    step: float
    weights: dict[str, np.ndarray]


def directional_difference(
    probe: CostProbe, direction: Mapping[str, np.ndarray], stencil: str = "central"
) -> Directional:
    """A difference of the cost along ``direction`` with an estimated error.

    ``"central"`` (3 evaluations, step ``h`` of central differences)::

        value = (J(θ + h v) − J(θ − h v)) / 2h
        error = σ/h + |Δ³|/6h,   Δ³ = J(θ + 2hv) − 3J(θ + hv) + 3J(θ) − J(θ − hv) ≈ h³ J‴_v

    ``"richardson"`` (6 evaluations, Richardson's step ``h``, about 1,000 times central's): central
    differences ``D(k)`` at ``k = h, h/2, h/4``, extrapolated to ``R = (64 D(h/4) − 20 D(h/2) +
    D(h)) / 45`` (the ``(16 R₂ − R₁)/15`` of :func:`derivative`)::

        error = |R₂ − R₁|/15 + 6.6 σ/h + h |C(h) − 5 C(h/2) + 4 C(h/4)| / 4,
        C(k) = (J(θ + kv) − 2J(θ) + J(θ − kv)) / k²

    The last term is for kinks: ``C(k)`` tends to ``J″_v`` on a smooth cost (the combination
    cancels its ``k²`` term) but grows like ``1/k`` at a kink within the steps, which shifts every
    ``D(k)`` by about half the slope's jump, unseen by ``|R₂ − R₁|``. Over every position of one
    kink in ``[−2h, 2h]`` the whole estimate stays within a factor 10.3 of the shift it causes.

    Parameters
    ----------
    probe : CostProbe
    direction : mapping of str to ndarray
        Per block moved, an array of its shape; blocks not named stay at the point.
    stencil : {"central", "richardson"}, default "central"

    Returns
    -------
    Directional
    """
    if stencil == "richardson":
        return _richardson_along(probe, direction)
    h = relative_step("central", probe.noise, probe.cost)
    plus, d_plus = probe.along(direction, h)
    minus, d_minus = probe.along(direction, -h)
    twice, _ = probe.along(direction, 2.0 * h)
    third = twice - 3.0 * plus + 3.0 * probe.cost - minus
    truncation = abs(third) / (6.0 * h)
    weights = {name: (d_plus[name] - d_minus[name]) / (2.0 * h) for name in direction}
    return Directional((plus - minus) / (2.0 * h), probe.noise / h + truncation, truncation, h, weights)


def _richardson_along(probe: CostProbe, direction: Mapping[str, np.ndarray]) -> Directional:
    """The ``"richardson"`` stencil of :func:`directional_difference`: at the step for the noise,
    then, while a kink within the steps is most of the latest error, at steps :data:`KINK_SHRINK`
    times smaller (up to :data:`KINK_RETRIES` times); the estimate with the smallest error."""
    h = relative_step("richardson", probe.noise, probe.cost)
    latest, kink = _richardson_at(probe, direction, h)
    best = latest
    for _ in range(KINK_RETRIES):
        rounding = KINK_TERM_ROUNDING * probe.noise / h
        if kink <= max(latest.error - kink, 2.0 * rounding):  # no kink makes most of the error
            break
        h /= KINK_SHRINK
        latest, kink = _richardson_at(probe, direction, h)
        best = min(best, latest, key=lambda taken: taken.error)
    return best


def _richardson_at(
    probe: CostProbe, direction: Mapping[str, np.ndarray], h: float
) -> tuple[Directional, float]:
    """Richardson's difference at steps ``h, h/2, h/4`` and its kink term."""
    steps = (h, h / 2.0, h / 4.0)
    central, curvature, offsets = [], [], []
    for k in steps:
        plus, d_plus = probe.along(direction, k)
        minus, d_minus = probe.along(direction, -k)
        central.append((plus - minus) / (2.0 * k))
        curvature.append((plus - 2.0 * probe.cost + minus) / k**2)
        offsets.append({name: (d_plus[name] - d_minus[name]) / (2.0 * k) for name in direction})
    r1 = (4.0 * central[1] - central[0]) / 3.0
    r2 = (4.0 * central[2] - central[1]) / 3.0
    coefficients = (1.0 / 45.0, -20.0 / 45.0, 64.0 / 45.0)  # (16 r2 − r1)/15 in terms of D(h), D(h/2), D(h/4)
    value = sum(c * d for c, d in zip(coefficients, central, strict=True))
    weights = {name: _combine(coefficients, [w[name] for w in offsets]) for name in direction}
    kink = h * abs(curvature[0] - 5.0 * curvature[1] + 4.0 * curvature[2]) / 4.0
    truncation = abs(r2 - r1) / 15.0 + kink
    error = RICHARDSON_ROUNDING * probe.noise / h + truncation
    return Directional(value, error, truncation, h, weights), kink


def finite_differences(
    cost_fn: CostFn | CostProbe,
    parameters: Mapping[str, Any] | None = None,
    *,
    method: Method = "central",
    step: float | None = None,
    entries: Mapping[str, np.ndarray] | None = None,
) -> FiniteDifferences:
    """Finite-difference gradient of ``cost_fn`` at ``parameters`` with a per-entry error estimate.

    Parameters
    ----------
    cost_fn : callable or CostProbe
        ``cost_fn(parameters) -> float``, called with dicts of float64 copies; or a probe
        already made at the point (then ``parameters`` is not needed).
    parameters : mapping of str to array_like
        The point; any float dtype. Not modified.
    method : {"central", "forward", "richardson", "complex"}, default "central"
        See the module docs. ``"complex"`` falls back to ``"richardson"`` (with a
        :class:`GradcheckWarning` and a note) when the cost is not complex-safe.
    step : float, optional
        Absolute step for every entry. Default: chosen per entry from the cost's noise.
    entries : mapping of str to ndarray of int, optional
        Flat indices to compute per parameter (sampled checks); parameters it does not name
        are skipped. Default: every entry of every parameter.

    Returns
    -------
    FiniteDifferences

    Raises
    ------
    GradcheckError
        Unknown method, non-positive step, or a cost that raises, is not a finite scalar, or
        is not deterministic.
    """
    check_method(method, step)
    probe = (
        cost_fn
        if isinstance(cost_fn, CostProbe)
        else CostProbe.at(cost_fn, {} if parameters is None else parameters)
    )
    if not probe.noise_measured and step is None and not isinstance(cost_fn, CostProbe):
        probe.measure_noise()
    used, fallback = _usable_method(probe, method)
    gradient, error, steps, checked, gaps = {}, {}, {}, {}, {}
    measured: dict[str, np.ndarray] = {}
    for name, theta in probe.point.items():
        flat = np.arange(theta.size) if entries is None else np.asarray(entries.get(name, []), dtype=int)
        g, h_all, m_all, gap = (np.full(theta.shape, np.nan) for _ in range(4))
        mask = np.zeros(theta.shape, dtype=bool)
        if used in ("central", "forward"):
            _differences(probe, name, flat, used, step, g, h_all, m_all, gap)
        else:
            for position in flat:
                index = tuple(int(i) for i in np.unravel_index(int(position), theta.shape))
                g[index], h_all[index], m_all[index], gap[index] = derivative(probe, name, index, used, step)
        mask.reshape(-1)[flat] = True
        gradient[name], steps[name], measured[name], checked[name], gaps[name] = g, h_all, m_all, mask, gap
    scale = max(
        (float(np.max(np.abs(g[checked[n]]))) for n, g in gradient.items() if checked[n].any()), default=0.0
    )
    for name in gradient:
        error[name] = fd_error(used, gradient[name], steps[name], measured[name], probe.eps, scale)
    return FiniteDifferences(
        gradient,
        error,
        steps,
        checked,
        gaps,
        probe.cost,
        probe.eps,
        probe.noise,
        used,
        probe.evaluations,
        (*probe.notes, *fallback),
    )


def _differences(
    probe: CostProbe,
    name: str,
    flat: np.ndarray,
    method: str,
    step: float | None,
    g: np.ndarray,
    h_all: np.ndarray,
    m_all: np.ndarray,
    gap: np.ndarray,
) -> None:
    """Central or forward differences of the entries ``flat`` of ``name``, written into the arrays.

    The same formulas as :func:`derivative`, in one tight loop: exhaustive checks should cost
    the evaluations and nothing more.
    """
    origin = probe.point[name].reshape(-1)[flat]
    theta = probe.work[name].reshape(-1)
    if step is None:
        h = relative_step(method, probe.noise, probe.cost) * np.maximum(1.0, np.abs(origin))
    else:
        h = np.full(origin.shape, float(step))
    h = (origin + h) - origin  # exactly representable
    cost, sigma, evaluate = probe.cost, probe.noise, probe.evaluate
    values = np.empty(flat.size)
    gaps = np.full(flat.size, np.nan)
    try:
        for k, position in enumerate(flat.tolist()):
            original = float(origin[k])
            for shrinks in range(FINITE_SHRINKS + 1):
                hk = float(h[k])
                try:
                    theta[position] = original + hk
                    plus = evaluate(partial(_perturbed_flat, probe, name, position, hk))[0]
                    if method == "central":
                        theta[position] = original - hk
                        minus = evaluate(partial(_perturbed_flat, probe, name, position, -hk))[0]
                    break
                except _NotFiniteError:
                    if step is not None or shrinks == FINITE_SHRINKS:
                        raise  # the caller's step, or not finite however near the point
                    h[k] = (original + hk / FINITE_SHRINK) - original
                finally:
                    theta[position] = original
            if method == "central":
                values[k] = (plus - minus) / (2.0 * hk)
                gaps[k] = abs((plus - cost) - (cost - minus)) / hk
            else:
                values[k] = (plus - cost) / hk
    finally:
        theta[flat] = origin
    g.reshape(-1)[flat] = values
    h_all.reshape(-1)[flat] = h
    m_all.reshape(-1)[flat] = (sigma if method == "central" else 2.0 * sigma) / h
    gap.reshape(-1)[flat] = gaps


def _perturbed_flat(probe: CostProbe, name: str, position: int, h: float) -> str:
    index = tuple(int(i) for i in np.unravel_index(position, probe.point[name].shape))
    return _perturbed(name, index, h)


def check_method(method: str, step: float | None) -> None:
    """Raise :class:`GradcheckError` unless ``method`` is one of :data:`METHODS` and ``step`` is None
    or a positive finite number."""
    if not isinstance(method, str) or method not in METHODS:
        raise GradcheckError(f"unknown method {method!r}; choose one of {', '.join(METHODS)}")
    if step is not None and not (
        isinstance(step, int | float) and not isinstance(step, bool) and math.isfinite(step) and step > 0
    ):
        raise GradcheckError(f"step must be a positive finite number or None, got {step!r}")


def _usable_method(probe: CostProbe, method: str) -> tuple[str, tuple[str, ...]]:
    """``method`` and no note, or Richardson and the note why (also warned) when a complex step
    cannot work."""
    if method != "complex":
        return method, ()
    reason = complex_safety(probe)
    if reason is None:
        return method, ()
    message = (
        f"the complex step was asked for, but the cost is not complex-safe: {reason}. Richardson "
        "extrapolation was used instead (accurate to about 1e-10); to use the complex step, write the cost "
        "with numpy operations that accept complex arrays and return the complex result without float()"
    )
    warn(message)
    return "richardson", (message,)


def numerical_gradient(
    cost_fn: CostFn,
    parameters: Mapping[str, Any],
    method: Method = "central",
    step: float | None = None,
) -> dict[str, np.ndarray]:
    """Finite-difference gradient of ``cost_fn`` at ``parameters``, one entry at a time.

    Parameters
    ----------
    cost_fn : callable
        ``cost_fn(parameters) -> float``; receives a dict of float64 copies of ``parameters``
        (complex copies for ``method="complex"``).
    parameters : mapping of str to array_like
        The point, e.g. ``{"W1": (n_h, n_x), "b1": (n_h, 1), ...}``; any float dtype; not modified.
    method : {"central", "forward", "richardson", "complex"}, default "central"
        Evaluations per entry and float64 accuracy (relative, smooth costs): central 2, about
        1e-10; forward 1, about 1e-8; richardson 6, about 1e-12; complex 1, machine precision.
    step : float, optional
        Absolute step ``h`` for every entry; by default chosen per entry (see the module docs).

    Returns
    -------
    dict of str to ndarray
        ``∂J/∂θ`` for every parameter, float64, same shapes as ``parameters``.

    Examples
    --------
    >>> import numpy as np
    >>> cost = lambda p: np.sum(p["w"] ** 2)
    >>> point = {"w": np.array([1.0, -2.0])}
    >>> grad = numerical_gradient(cost, point, method="complex")
    >>> grad["w"]
    array([ 2., -4.])
    """
    return finite_differences(cost_fn, parameters, method=method, step=step).gradient


def _check_untouched(
    label: str, point: Mapping[str, np.ndarray], copies: list[tuple[str, dict[str, np.ndarray]]]
) -> None:
    """Raise :class:`GradcheckError` naming the first entry of ``copies`` that differs from ``point``."""
    for how, arrays in copies:
        for name, theta in arrays.items():
            origin = point[name]
            changed = np.argwhere(theta != origin)
            if changed.size:
                index = tuple(int(i) for i in changed[0])
                before, after = float(origin[index]), theta[index].item()
                many = f"{len(changed)} entries" if len(changed) > 1 else "1 entry"
                raise GradcheckError(
                    f"{label} changed parameters[{name!r}] in place{how}: {_entry(name, index)} was "
                    f"{before!r} before the call and {after!r} after ({many} changed); a cost must only "
                    "read its parameters: compute new arrays (W = W - x, not W -= x) or work on copies"
                )


def _perturbed(name: str, index: tuple[int, ...], h: float) -> str:
    return f"with {_entry(name, index)} perturbed by {h:+.3g}"


def _entry(name: str, index: tuple[int, ...]) -> str:
    return f"{name}[{', '.join(map(str, index))}]" if index else name

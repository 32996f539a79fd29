"""Finite-difference gradients of any ``cost_fn(parameters) -> float``, entry by entry.

The cost is always evaluated on float64 copies of the parameters, one entry perturbed at a
time; the caller's arrays are never touched.

Methods (``h`` the step of entry ``θ_i``, ``e_i`` its unit vector)::

    central:  (J(θ + h e_i) - J(θ - h e_i)) / (2h)     error ≈ h² J‴/6 + ε|J|/h
    forward:  (J(θ + h e_i) - J(θ)) / h                error ≈ h J″/2 + 2ε|J|/h

``ε|J|`` stands for the rounding noise σ_J of one cost evaluation: at least ``ε max(|J|, 1)``
with ``ε`` the machine epsilon of the cost's own result (float64 unless the cost computes in
float32), more where :func:`estimate_noise` measures more. The default step balances the two
error terms: ``h = (σ_J / max(|J|, 1))^(1/3) max(1, |θ_i|)`` for central (6.1e-6 for a float64
cost of ordinary noise), the square root for forward (1.5e-8), rounded so that ``θ_i + h`` is
exactly representable.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import partial
from typing import Any, Literal

import numpy as np

from gradcheck.errors import GradcheckError

__all__ = [
    "METHODS",
    "FiniteDifferences",
    "check_parameters",
    "estimate_noise",
    "evaluate_cost",
    "finite_differences",
    "numerical_gradient",
]

Method = Literal["central", "forward"]
CostFn = Callable[[dict[str, np.ndarray]], Any]

#: Finite-difference methods and the power of ε that gives their default relative step.
METHODS: dict[str, float] = {"central": 1.0 / 3.0, "forward": 1.0 / 2.0}


@dataclass(frozen=True)
class FiniteDifferences:
    """The numerical gradient with what is needed to judge its accuracy.

    Attributes
    ----------
    gradient : dict of str to ndarray
        ∂J/∂θ per parameter, float64, each with its parameter's shape.
    steps : dict of str to ndarray
        The step ``h`` used for every entry (same shapes).
    cost : float
        ``J(θ)`` at the unperturbed point.
    eps : float
        Machine epsilon of the dtype the cost returned (2.2e-16 for float64).
    noise : float
        Estimated absolute rounding noise of one cost evaluation near the point, at least
        ``eps · max(|J|, 1)`` (see :func:`estimate_noise`).
    method : str
        ``"central"`` or ``"forward"``.
    evaluations : int
        How many times the cost was called.
    """

    gradient: dict[str, np.ndarray]
    steps: dict[str, np.ndarray]
    cost: float
    eps: float
    noise: float
    method: str
    evaluations: int


def _float64_copies(parameters: Mapping[str, Any]) -> dict[str, np.ndarray]:
    return {name: np.array(value, dtype=np.float64, copy=True) for name, value in parameters.items()}


def check_parameters(parameters: object) -> None:
    """Raise :class:`GradcheckError` unless ``parameters`` is a non-empty dict of finite float arrays."""
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
        if array.dtype.kind != "f":
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


def _entry(name: str, index: tuple[int, ...]) -> str:
    return f"{name}[{', '.join(map(str, index))}]" if index else name


def _perturbed(name: str, index: tuple[int, ...], h: float) -> str:
    return f"with {_entry(name, index)} perturbed by {h:+.3g}"


def evaluate_cost(
    cost_fn: CostFn, parameters: dict[str, np.ndarray], where: str | Callable[[], str]
) -> tuple[float, float]:
    """Call ``cost_fn`` once and return ``(J, eps)``: the value as a float and its dtype's epsilon.

    ``where`` names the point for error messages (``"at the given parameters"``,
    ``"with W1[0, 2] perturbed by +6.1e-06"``); a callable is called only to build a message,
    so the hot loop formats nothing.

    Raises
    ------
    GradcheckError
        If the cost raises, or returns anything but one finite real number.
    """

    def place() -> str:
        return where() if callable(where) else where

    try:
        value = cost_fn(parameters)
    except Exception as error:
        raise GradcheckError(
            f"the cost function raised {type(error).__name__}: {error} (called {place()}); "
            "fix the cost so that it runs on these parameters"
        ) from error
    try:
        array = np.asarray(value)
    except ValueError:  # e.g. a ragged list
        array = np.asarray(None, dtype=object)
    if array.dtype.kind not in "fiu" or array.size != 1:
        shape = f" of shape {array.shape}" if array.ndim else ""
        raise GradcheckError(
            f"the cost function must return one real number, but returned a {type(value).__name__}{shape} "
            f"(dtype {array.dtype}) {place()}; return a float, e.g. float(np.squeeze(cost))"
        )
    number = float(array.reshape(()))
    if not math.isfinite(number):
        raise GradcheckError(
            f"the cost function returned {number} {place()}; a gradient can only be checked where the "
            "cost is finite: look for log(0), division by zero or overflow in the cost"
        )
    dtype = array.dtype if array.dtype.kind == "f" else np.dtype(np.float64)
    return number, float(np.finfo(dtype).eps)


def estimate_noise(
    cost_fn: CostFn, work: dict[str, np.ndarray], cost: float, eps: float, *, points: int = 8, seed: int = 0
) -> tuple[float, int]:
    """Estimate the rounding noise of the cost near the point from its high-order differences.

    The cost is evaluated at ``θ + k δ v`` (k = 0 … ``points``) along a random direction ``v``
    with ``δ = 1e-6`` relative to each entry's size. Over so short a distance the smooth part of
    ``J`` has negligible k-th differences, so what remains is noise: with independent noise of
    standard deviation σ, the k-th difference has variance ``C(2k, k) σ²``. The estimate is the
    largest of the orders 4, 5 and 6 (the method of Moré and Wild, "Estimating computational
    noise", 2011), and never less than ``eps · max(|J|, 1)``: a small cost is usually a
    difference of terms of unit size (``softplus(z) - y z`` for a confident right output), whose
    rounding is that of the terms, and rounding that varies smoothly along the sampled
    direction is invisible to the differences.

    This matters for costs computed from saturated probabilities: ``log(1 - A2)`` with ``A2``
    near 1 has a relative error far above ``eps``, and a step chosen for ``eps`` would be
    swamped by it.

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
        Extra evaluations.
    seed : int, default 0
        Seed of the random direction.

    Returns
    -------
    noise : float
        Estimated standard deviation of the cost's rounding noise (absolute).
    evaluations : int
        Cost evaluations spent.
    """
    rng = np.random.default_rng(seed)
    originals = {name: theta.copy() for name, theta in work.items()}
    direction = {
        name: rng.standard_normal(theta.shape) * np.maximum(1.0, np.abs(theta))
        for name, theta in originals.items()
    }
    values = [cost]
    try:
        for k in range(1, points + 1):
            for name, theta in work.items():
                theta[...] = originals[name] + (k * 1e-6) * direction[name]
            values.append(evaluate_cost(cost_fn, work, "near the given parameters (estimating its noise)")[0])
    finally:
        for name, theta in work.items():
            theta[...] = originals[name]
    differences = np.asarray(values)
    estimates = []
    for order in range(1, 7):
        differences = np.diff(differences)
        if order >= 4:
            estimates.append(float(np.sqrt(np.mean(differences**2) / math.comb(2 * order, order))))
    return max([eps * max(abs(cost), 1.0), *estimates]), points


def finite_differences(
    cost_fn: CostFn,
    parameters: Mapping[str, Any],
    *,
    method: Method = "central",
    step: float | None = None,
) -> FiniteDifferences:
    """Finite-difference gradient of ``cost_fn`` at ``parameters``, with its steps and precision.

    The cost is first called twice at the unperturbed point: two different values mean it is
    not a function of the parameters alone (dropout, a fresh random draw) and no check can work.

    Parameters
    ----------
    cost_fn : callable
        ``cost_fn(parameters) -> float``. It receives a dict of float64 copies.
    parameters : mapping of str to array_like
        The point; any float dtype. Not modified.
    method : {"central", "forward"}, default "central"
    step : float, optional
        Absolute step for every entry. Default: ``(σ_J / max(|J|, 1))^(1/3) max(1, |θ_i|)`` for
        central and the square root for forward, σ_J the cost's noise (see the module docs).

    Returns
    -------
    FiniteDifferences

    Raises
    ------
    GradcheckError
        Unknown method, non-positive step, or a cost that raises, is not a finite scalar, or
        is not deterministic.
    """
    if method not in METHODS:
        raise GradcheckError(f"unknown method {method!r}; choose one of {', '.join(METHODS)}")
    if step is not None and not (isinstance(step, int | float) and math.isfinite(step) and step > 0):
        raise GradcheckError(f"step must be a positive finite number or None, got {step!r}")
    if not callable(cost_fn):
        raise GradcheckError(
            f"cost_fn must be callable as cost_fn(parameters) -> float, got a {type(cost_fn).__name__}"
        )
    check_parameters(parameters)
    work = _float64_copies(parameters)
    J0, eps = evaluate_cost(cost_fn, work, "at the given parameters")
    J0_again, _ = evaluate_cost(cost_fn, work, "at the given parameters (second call)")
    if J0_again != J0:
        raise GradcheckError(
            f"nondeterministic_cost: the cost function returned {J0!r} and then {J0_again!r} for the "
            "same parameters; a gradient check needs a deterministic cost: switch off dropout or fix "
            "its random state (e.g. np.random.seed inside the cost)"
        )
    noise, extra = estimate_noise(cost_fn, work, J0, eps)
    relative_step = (noise / max(abs(J0), 1.0)) ** METHODS[method]  # noise ≥ ε max(|J|, 1)
    gradient: dict[str, np.ndarray] = {}
    steps: dict[str, np.ndarray] = {}
    evaluations = 2 + extra
    for name, theta in work.items():
        g = np.empty_like(theta)
        h_all = np.empty_like(theta)
        for index in np.ndindex(theta.shape):
            original = theta[index]
            h = step if step is not None else relative_step * max(1.0, abs(original))
            h = (original + h) - original  # exactly representable: θ + h - θ == h
            theta[index] = original + h
            J_plus, _ = evaluate_cost(cost_fn, work, partial(_perturbed, name, index, h))
            if method == "central":
                theta[index] = original - h
                J_minus, _ = evaluate_cost(cost_fn, work, partial(_perturbed, name, index, -h))
                g[index] = (J_plus - J_minus) / (2.0 * h)
                evaluations += 2
            else:
                g[index] = (J_plus - J0) / h
                evaluations += 1
            theta[index] = original
            h_all[index] = h
        gradient[name] = g
        steps[name] = h_all
    return FiniteDifferences(gradient, steps, J0, eps, noise, method, evaluations)


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
        ``cost_fn(parameters) -> float``; receives a dict of float64 copies of ``parameters``.
    parameters : mapping of str to array_like
        The point, e.g. ``{"W1": (n_h, n_x), "b1": (n_h, 1), ...}``; any float dtype; not modified.
    method : {"central", "forward"}, default "central"
        Central differences cost 2 evaluations per entry and are accurate to about 1e-10
        relative in float64; forward differences cost 1 and reach about 1e-8.
    step : float, optional
        Absolute step ``h`` for every entry; by default chosen per entry (see the module docs).

    Returns
    -------
    dict of str to ndarray
        ``∂J/∂θ`` for every parameter, float64, same shapes as ``parameters``.

    Examples
    --------
    >>> import numpy as np
    >>> grad = numerical_gradient(lambda p: float(np.sum(p["w"] ** 2)), {"w": np.array([1.0, -2.0])})
    >>> np.round(grad["w"], 6)
    array([ 2., -4.])
    """
    return finite_differences(cost_fn, parameters, method=method, step=step).gradient

"""``verify_gradients``: check analytic gradients against finite differences (and autograd).

Two forms share one engine:

* general: ``verify_gradients(cost_fn, parameters, gradients, X=None, Y=None)`` for any
  ``cost_fn(parameters) -> float``;
* learner: ``verify_gradients(forward=..., backward=..., parameters=..., X=..., Y=...)`` with the
  course's ``forward_propagation`` / ``backward_propagation`` (and ``compute_cost``) as they are.

Shapes are checked before values, so a transposed gradient or a missing ``keepdims`` is a failed
entry that says so even when the flattened values would match. Nothing the caller passes is
modified: the cost and the learner's functions only ever see copies.
"""

from __future__ import annotations

import copy
import inspect
from collections.abc import Callable, Mapping
from functools import partial
from typing import Any

import numpy as np

from gradcheck.compare import block_relative_error, compare, fd_tolerance
from gradcheck.diagnose import shape_diagnosis, value_diagnosis
from gradcheck.errors import GradcheckError
from gradcheck.numerical import Method, check_parameters, finite_differences
from gradcheck.reference import ReferenceMatch, match_reference
from gradcheck.report import Diagnosis, GradientReport, GradientResult
from network.activations import Activation
from network.two_layer import cost as reference_cost

__all__ = ["verify_gradients"]


def verify_gradients(
    cost_fn: Callable[[dict[str, np.ndarray]], Any] | None = None,
    parameters: Mapping[str, Any] | None = None,
    gradients: Mapping[str, Any] | None = None,
    X: Any = None,
    Y: Any = None,
    *,
    forward: Callable[..., Any] | None = None,
    backward: Callable[..., Any] | None = None,
    compute_cost: Callable[..., Any] | None = None,
    activation: str | Activation | None = None,
    method: Method = "central",
    step: float | None = None,
    safety: float = 100.0,
) -> GradientReport:
    """Check every gradient entry against finite differences, and against autograd when possible.

    General form: ``verify_gradients(cost_fn, parameters, gradients, X=None, Y=None)``.
    Learner form: ``verify_gradients(forward=..., backward=..., parameters=..., X=..., Y=...,
    compute_cost=None)``.

    Parameters
    ----------
    cost_fn : callable, optional
        General form: ``cost_fn(parameters) -> float``, called with dicts of float64 copies.
    parameters : mapping of str to ndarray
        The point, e.g. ``W1`` (n_h, n_x), ``b1`` (n_h, 1), ``W2`` (n_y, n_h), ``b2`` (n_y, 1).
    gradients : mapping of str to array_like, optional
        General form: the analytic gradients, keyed ``"dW1"`` or ``"W1"``; keys naming no
        parameter (``"dZ1"``, ``"dA1"``) are ignored.
    X : ndarray, shape (n_x, m), optional
        Inputs. With ``Y``, lets the check recognise the reference network behind the cost and
        compare with its exact autograd gradient too. Required in the learner form.
    Y : ndarray, shape (n_y, m) or (m,), optional
        Labels; a (m,) vector is used as (1, m).
    forward : callable, optional
        Learner form: ``forward_propagation(X, parameters) -> (A2, cache)``.
    backward : callable, optional
        Learner form: ``backward_propagation(parameters, cache, X, Y) -> dict`` of ``dW1, db1, ...``.
    compute_cost : callable, optional
        Learner form: ``compute_cost(A2, Y)`` or the older ``compute_cost(A2, Y, parameters)``.
        Default: the reference cross-entropy :func:`network.two_layer.cost`.
    activation : str or Activation, optional
        The hidden activation of the reference network to compare with (e.g.
        ``get_activation("leaky_relu", alpha=0.2)``). Default: recognised automatically among
        the registry's activations with their default parameters.
    method : {"central", "forward"}, default "central"
        Finite-difference method.
    step : float, optional
        Absolute finite-difference step; default chosen per entry from the dtype.
    safety : float, default 100
        Safety factor of the pass rule (see :mod:`gradcheck.compare`).

    Returns
    -------
    GradientReport
        ``report.passed``; ``report["W1"]`` (or ``report["dW1"]``) with ``.passed``,
        ``.relative_error``, ``.diagnosis``, the worst entry and its values.

    Raises
    ------
    GradcheckError
        When the call cannot be checked: arguments of both forms or of neither, a cost that is
        not callable or not a finite deterministic scalar, parameters that are not a dict of
        finite float arrays, a learner function that raises or returns the wrong thing. A wrong
        gradient never raises: it is a failed entry of the report.
    """
    if not (isinstance(safety, int | float) and np.isfinite(safety) and safety > 0):
        raise GradcheckError(f"safety must be a positive number, got {safety!r}")
    learner = forward is not None or backward is not None
    if learner:
        if cost_fn is not None or gradients is not None:
            raise GradcheckError(
                "pass either cost_fn and gradients (general form) or forward and backward (learner form), "
                "not both"
            )
        if forward is None or backward is None or X is None or Y is None or parameters is None:
            missing = [
                name
                for name, value in (
                    ("forward", forward),
                    ("backward", backward),
                    ("parameters", parameters),
                    ("X", X),
                    ("Y", Y),
                )
                if value is None
            ]
            raise GradcheckError(
                "the learner form needs forward, backward, parameters, X and Y; "
                f"missing: {', '.join(missing)}"
            )
        check_parameters(parameters)
        X, Y = _inputs(X, Y)
        cost_fn, gradients = _learner_functions(forward, backward, compute_cost, parameters, X, Y)
    else:
        if cost_fn is None or parameters is None or gradients is None:
            raise GradcheckError(
                "verify_gradients needs cost_fn, parameters and gradients "
                "(or, in the learner form, forward=, backward=, parameters=, X=, Y=)"
            )
        if compute_cost is not None:
            raise GradcheckError(
                "compute_cost belongs to the learner form; pass it with forward= and backward="
            )
        if (X is None) != (Y is None):
            raise GradcheckError(
                "pass X and Y together (both are needed to compare with the reference network)"
            )
        if X is not None:
            X, Y = _inputs(X, Y)
    if not isinstance(gradients, Mapping):
        raise GradcheckError(
            f"gradients must be a dict such as {{'dW1': dW1, 'db1': db1}}, got a {type(gradients).__name__}"
        )
    fd = finite_differences(cost_fn, parameters, method=method, step=step)
    reference: ReferenceMatch | None = None
    if X is not None:
        point = {name: np.array(value, dtype=np.float64) for name, value in parameters.items()}
        reference = match_reference(cost_fn, point, X, Y, activation=activation)
    scale = max(float(np.max(np.abs(g))) for g in fd.gradient.values())
    results: dict[str, GradientResult] = {}
    for name, value in parameters.items():
        key, raw = _lookup(gradients, name)
        expected = tuple(np.shape(value))
        numeric = fd.gradient[name]
        if key is None:
            results[name] = _unusable(
                name,
                None,
                expected,
                Diagnosis(
                    "missing_gradient",
                    f"no gradient for {name}: gradients has no key 'd{name}' (nor '{name}'); "
                    f"it has {', '.join(map(repr, gradients)) or 'no keys'}",
                ),
            )
            continue
        analytic = _as_float_array(raw)
        if analytic is None:
            results[name] = _unusable(
                name,
                key,
                expected,
                Diagnosis(
                    "invalid_gradient",
                    f"{key} is a {type(raw).__name__}, not a numeric array; return a numpy float array "
                    f"of shape {expected}",
                ),
            )
            continue
        values = analytic.astype(np.float64)
        tolerance_for = partial(
            fd_tolerance,
            steps=fd.steps[name],
            method=fd.method,
            noise=fd.noise,
            analytic_eps=float(np.finfo(analytic.dtype).eps),
            scale=scale,
            safety=safety,
        )
        if analytic.shape != expected:
            results[name] = _wrong_shape(name, key, values, expected, numeric, tolerance_for)
            continue
        tolerance = tolerance_for(values)
        versus_numeric = compare(values, numeric, tolerance)
        failed = versus_numeric.failed | ~np.isfinite(values)
        reference_error = numeric_reference_error = None
        if reference is not None:
            exact = reference.gradient[name]
            reference_error = block_relative_error(values, exact)
            numeric_reference_error = block_relative_error(numeric, exact)
        n_failed = int(np.count_nonzero(failed))
        diagnosis = None
        if n_failed:
            transpose_matches = (
                values.ndim == 2
                and values.shape[0] == values.shape[1]
                and not compare(values.T, numeric, tolerance).failed.any()
            )
            diagnosis = value_diagnosis(name, key, values, numeric, transpose_matches)
        results[name] = GradientResult(
            name=name,
            gradient_key=key,
            passed=n_failed == 0,
            expected_shape=expected,
            shape=analytic.shape,
            relative_error=versus_numeric.relative_error,
            size=values.size,
            n_failed=n_failed,
            worst_index=versus_numeric.worst_index,
            worst_analytic=versus_numeric.worst_analytic,
            worst_numeric=versus_numeric.worst_other,
            worst_relative_error=versus_numeric.worst_relative_error,
            worst_tolerance=versus_numeric.worst_tolerance,
            reference_error=reference_error,
            numeric_reference_error=numeric_reference_error,
            diagnosis=diagnosis,
        )
    ignored = tuple(str(k) for k in gradients if not any(k == n or k == f"d{n}" for n in parameters))
    return GradientReport(
        results=results,
        method=fd.method,
        evaluations=fd.evaluations,
        reference=None if reference is None else reference.description,
        ignored_keys=ignored,
    )


def _inputs(X: Any, Y: Any) -> tuple[np.ndarray, np.ndarray]:
    """Float copies of ``X`` (n_x, m) and ``Y`` (n_y, m); a (m,) ``Y`` becomes (1, m)."""
    try:
        X = np.array(X, dtype=np.float64, copy=True)
        Y = np.array(Y, dtype=np.float64, copy=True)
    except (TypeError, ValueError) as error:
        raise GradcheckError(f"X and Y must be numeric arrays: {error}") from error
    if Y.ndim == 1:
        Y = Y.reshape(1, -1)
    if X.ndim != 2 or Y.ndim != 2 or X.shape[1] != Y.shape[1]:
        raise GradcheckError(
            f"X must be (n_x, m) and Y (n_y, m) or (m,) with the same m; got X {X.shape} and Y {Y.shape} "
            "(examples are columns: transpose if yours are rows)"
        )
    return X, Y


def _call(function: Callable[..., Any], role: str, *args: Any) -> Any:
    name = getattr(function, "__name__", role)
    try:
        return function(*args)
    except Exception as error:
        raise GradcheckError(f"{name} raised {type(error).__name__}: {error}") from error


def _cost_takes_parameters(compute_cost: Callable[..., Any]) -> bool:
    """True for the older ``compute_cost(A2, Y, parameters)``; False for ``compute_cost(A2, Y)``."""
    try:
        signature = inspect.signature(compute_cost)
    except (TypeError, ValueError):
        return False
    try:
        signature.bind(None, None)
    except TypeError:
        try:
            signature.bind(None, None, None)
        except TypeError as error:
            raise GradcheckError(
                f"compute_cost must take (A2, Y) or (A2, Y, parameters); its signature is {signature}"
            ) from error
        return True
    return False


def _learner_functions(
    forward: Callable[..., Any],
    backward: Callable[..., Any],
    compute_cost: Callable[..., Any] | None,
    parameters: Mapping[str, Any],
    X: np.ndarray,
    Y: np.ndarray,
) -> tuple[Callable[[dict[str, np.ndarray]], Any], Mapping[str, Any]]:
    """The cost function and the learner's gradients at ``parameters``, computed on copies."""
    for role, function in (("forward", forward), ("backward", backward), ("compute_cost", compute_cost)):
        if function is not None and not callable(function):
            raise GradcheckError(f"{role} must be a function, got a {type(function).__name__}")
    with_parameters = compute_cost is not None and _cost_takes_parameters(compute_cost)

    def run_forward(point: Mapping[str, Any]) -> tuple[Any, Any]:
        out = _call(forward, "forward", X.copy(), point)
        if not (isinstance(out, tuple) and len(out) == 2):
            raise GradcheckError(
                f"{getattr(forward, '__name__', 'forward')} must return (A2, cache), "
                f"got a {type(out).__name__}"
            )
        return out

    def cost_fn(point: dict[str, np.ndarray]) -> Any:
        A2, _ = run_forward(point)
        if compute_cost is None:
            return reference_cost(np.asarray(A2), Y.copy())
        args = (A2, Y.copy(), point) if with_parameters else (A2, Y.copy())
        return _call(compute_cost, "compute_cost", *args)

    point = copy.deepcopy(dict(parameters))
    _, cache = run_forward(point)
    gradients = _call(backward, "backward", copy.deepcopy(dict(parameters)), cache, X.copy(), Y.copy())
    if not isinstance(gradients, Mapping):
        raise GradcheckError(
            f"{getattr(backward, '__name__', 'backward')} must return a dict such as "
            f"{{'dW1': dW1, 'db1': db1, 'dW2': dW2, 'db2': db2}}, got a {type(gradients).__name__}"
        )
    return cost_fn, gradients


def _lookup(gradients: Mapping[str, Any], name: str) -> tuple[str | None, Any]:
    for key in (f"d{name}", name):
        if key in gradients:
            return key, gradients[key]
    return None, None


def _as_float_array(raw: Any) -> np.ndarray | None:
    try:
        array = np.array(raw, copy=True)
    except (TypeError, ValueError):
        return None
    if array.dtype.kind == "f":
        return array
    if array.dtype.kind in "iu":
        return array.astype(np.float64)
    return None


def _unusable(name: str, key: str | None, expected: tuple[int, ...], diagnosis: Diagnosis) -> GradientResult:
    size = int(np.prod(expected))
    return GradientResult(
        name=name,
        gradient_key=key,
        passed=False,
        expected_shape=expected,
        shape=None,
        relative_error=float("nan"),
        size=size,
        n_failed=size,
        diagnosis=diagnosis,
    )


def _wrong_shape(
    name: str,
    key: str,
    values: np.ndarray,
    expected: tuple[int, ...],
    numeric: np.ndarray,
    tolerance_for: Callable[[np.ndarray], np.ndarray],
) -> GradientResult:
    """A gradient whose shape is not its parameter's: failed, and explained."""
    transpose_matches: bool | None = None
    relative_error = float("nan")
    if values.size == numeric.size:
        is_transpose = values.ndim == 2 and values.shape == expected[::-1]
        candidate = values.T if is_transpose else values.reshape(expected)
        transpose_matches = not compare(candidate, numeric, tolerance_for(candidate)).failed.any()
        relative_error = block_relative_error(values.reshape(-1), numeric.reshape(-1))
    return GradientResult(
        name=name,
        gradient_key=key,
        passed=False,
        expected_shape=expected,
        shape=values.shape,
        relative_error=relative_error,
        size=numeric.size,
        n_failed=numeric.size,
        diagnosis=shape_diagnosis(name, key, values, expected, transpose_matches),
    )

"""The learner form: the course's own ``forward_propagation`` and ``backward_propagation``, as written.

:func:`learner_call` turns them into what the engine checks, a cost ``J(parameters)`` (forward,
then ``compute_cost`` or the cross-entropy) and the gradients ``backward_propagation`` returns at
the point, computed on copies. An error inside the learner's code becomes a :class:`GradcheckError`
naming their function, with a hint for numpy's usual shape errors.
"""

from __future__ import annotations

import copy
import inspect
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from gradcheck.arguments import inputs
from gradcheck.errors import GradcheckError
from gradcheck.network.two_layer import cost as reference_cost
from gradcheck.numerical import check_parameters

__all__ = ["learner_call"]


def learner_call(
    forward: Callable[..., Any] | None,
    backward: Callable[..., Any] | None,
    compute_cost: Callable[..., Any] | None,
    parameters: Mapping[str, Any] | None,
    X: Any,
    Y: Any,
) -> tuple[Callable[[dict[str, np.ndarray]], Any], Mapping[str, Any], str, np.ndarray, np.ndarray]:
    """The learner's functions as a checkable call: ``(cost_fn, gradients, label, X, Y)``.

    ``label`` names the cost in messages, e.g. ``"the cost (forward_propagation, then
    compute_cost)"``; ``X`` and ``Y`` come back as float copies (``Y`` (m,) as (1, m)).

    Raises
    ------
    GradcheckError
        When an argument is missing or unusable, or a learner function raises, exits, changes its
        parameters or returns the wrong thing.
    """
    if forward is None or backward is None or X is None or Y is None or parameters is None:
        named = (("forward", forward), ("backward", backward), ("parameters", parameters), ("X", X), ("Y", Y))
        missing = [name for name, value in named if value is None]
        raise GradcheckError(
            f"the learner form needs forward, backward, parameters, X and Y; missing: {', '.join(missing)}"
        )
    check_parameters(parameters)
    X, Y = inputs(X, Y)
    then = _name(compute_cost, "compute_cost") if compute_cost is not None else "the cross-entropy"
    label = f"the cost ({_name(forward, 'forward')}, then {then})"
    cost_fn, gradients = _wrap(forward, backward, compute_cost, parameters, X, Y)
    return cost_fn, gradients, label, X, Y


def _name(function: Callable[..., Any] | None, role: str) -> str:
    return str(getattr(function, "__name__", role))


def _call(function: Callable[..., Any], role: str, *args: Any) -> Any:
    name = _name(function, role)
    try:
        return function(*args)
    except SystemExit as error:
        raise GradcheckError(
            f"{name} called sys.exit({error.code!r}); it must return its result, not end the program"
        ) from error
    except Exception as error:
        raise GradcheckError(f"{name} raised {type(error).__name__}: {error}{_hint(error)}") from error


def _hint(error: Exception) -> str:
    """What numpy's shape errors usually mean in a learner's forward or backward pass."""
    text = str(error)
    if "could not be broadcast" in text:
        return (
            " (element-wise * and np.multiply need equal or broadcastable shapes; "
            "for a matrix product such as W2.T · dZ2 use np.dot)"
        )
    if "not aligned" in text or "matmul: Input operand" in text:
        return (
            " (np.dot(A, B) needs A's columns to match B's rows: look for a missing or extra .T, "
            "e.g. np.dot(dZ2, A1.T) for dW2)"
        )
    return ""


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


def _wrap(
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
                f"{_name(forward, 'forward')} must return (A2, cache), got a {type(out).__name__}"
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
    given = copy.deepcopy(dict(parameters))
    gradients = _call(backward, "backward", given, cache, X.copy(), Y.copy())
    for name, value in parameters.items():
        if name not in given or not np.array_equal(np.asarray(given[name]), np.asarray(value)):
            raise GradcheckError(
                f"{_name(backward, 'backward')} changed parameters[{name!r}] (the copy it was given); "
                "backward propagation must only read the parameters: the update belongs in "
                "update_parameters, and W -= x there changes the arrays in place"
            )
    if not isinstance(gradients, Mapping):
        raise GradcheckError(
            f"{_name(backward, 'backward')} must return a dict such as "
            f"{{'dW1': dW1, 'db1': db1, 'dW2': dW2, 'db2': db2}}, got a {type(gradients).__name__}"
        )
    return cost_fn, gradients

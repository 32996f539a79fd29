"""Name the mistake behind a failed gradient, when it is evident from the numbers.

For now: problems of shape (transposed, missing ``keepdims``, summed to a scalar), gradients
left as zeros, and non-finite values. Comparing with the catalog of realistic mistakes
(``network/mistakes.py``) comes later.
"""

from __future__ import annotations

import numpy as np

from gradcheck.report import Diagnosis

__all__ = ["shape_diagnosis", "value_diagnosis"]

#: The right formula for each reference gradient, quoted in fixes.
FORMULAS: dict[str, str] = {
    "W1": "dW1 = np.dot(dZ1, X.T) / m",
    "b1": "db1 = np.sum(dZ1, axis=1, keepdims=True) / m",
    "W2": "dW2 = np.dot(dZ2, A1.T) / m",
    "b2": "db2 = np.sum(dZ2, axis=1, keepdims=True) / m",
}


def _fix(name: str, fallback: str) -> str:
    return f"write {FORMULAS[name]}" if name in FORMULAS else fallback


def shape_diagnosis(
    name: str, label: str, analytic: np.ndarray, expected: tuple[int, ...], transpose_matches: bool | None
) -> Diagnosis:
    """Explain why ``analytic`` does not have the parameter's shape ``expected``.

    Parameters
    ----------
    name : str
        Parameter name, e.g. ``"b1"``.
    label : str
        The gradient's name as the caller keyed it, e.g. ``"db1"``.
    analytic : ndarray
        The caller's gradient, any shape.
    expected : tuple of int
        The parameter's shape.
    transpose_matches : bool or None
        Whether the reshaped/transposed values agree with the numerical gradient (None when
        the sizes differ, so nothing can be compared).

    Returns
    -------
    Diagnosis
        ``transposed`` or ``shape_mismatch``, with the fix.
    """
    shape = analytic.shape
    agree = {
        True: " Its values are right once reshaped, so only the shape is wrong.",
        False: " Its values are wrong too.",
        None: "",
    }
    if len(shape) == 2 and len(expected) == 2 and shape == expected[::-1]:
        fix = _fix(name, "swap the operands of the product (A @ B.T instead of B @ A.T) or transpose it")
        values = {
            True: " Its transpose matches the numerical gradient, so only the orientation is wrong.",
            False: " Its transpose does not match the numerical gradient either.",
            None: "",
        }[transpose_matches]
        return Diagnosis(
            "transposed",
            f"{label} has shape {shape} but {name} has shape {expected}: it is transposed.{values} "
            f"Fix: {fix}.",
        )
    if len(expected) == 2 and expected[1] == 1 and shape == (expected[0],):
        fix = _fix(
            name, f"keep the summed axis, e.g. np.sum(..., axis=1, keepdims=True), or reshape to {expected}"
        )
        return Diagnosis(
            "shape_mismatch",
            f"{label} has shape {shape} but {name} has shape {expected}: did you forget keepdims=True?"
            f"{agree[transpose_matches]} Fix: {fix}.",
        )
    if analytic.size == 1 and int(np.prod(expected)) > 1:
        fix = _fix(name, "sum over the examples axis only, keeping it: np.sum(..., axis=1, keepdims=True)")
        return Diagnosis(
            "shape_mismatch",
            f"{label} is a single number but {name} has shape {expected}: a sum without axis= adds up every "
            f"entry. Fix: {fix}.",
        )
    fix = _fix(name, f"compute one derivative per entry of {name}")
    return Diagnosis(
        "shape_mismatch",
        f"{label} has shape {shape} but {name} has shape {expected}; a gradient always has its parameter's "
        f"shape.{agree[transpose_matches]} Fix: {fix}.",
    )


def value_diagnosis(
    name: str, label: str, analytic: np.ndarray, numeric: np.ndarray, transpose_matches: bool
) -> Diagnosis | None:
    """The evident mistake behind wrong values of the right shape, or None.

    Parameters
    ----------
    name, label : str
        Parameter name and the gradient's key.
    analytic, numeric : ndarray
        Same shape, float64.
    transpose_matches : bool
        Whether ``analytic.T`` agrees with ``numeric`` (square matrices only).

    Returns
    -------
    Diagnosis or None
        ``non_finite``, ``zero_gradient`` or ``transposed``; None when nothing is evident.
    """
    if not np.all(np.isfinite(analytic)):
        count = int(np.count_nonzero(~np.isfinite(analytic)))
        first = tuple(int(i) for i in np.argwhere(~np.isfinite(analytic))[0])
        return Diagnosis(
            "non_finite",
            f"{label} holds {count} NaN/inf entries (first at {name}{list(first)}); look for log(0), "
            "0/0 or overflow in the backward pass.",
        )
    if not np.any(analytic) and np.any(numeric):
        fix = _fix(name, f"compute the derivative of the cost with respect to {name}")
        return Diagnosis(
            "zero_gradient",
            f"{label} is all zeros but the cost does change with {name}: was it left as "
            f"np.zeros(...)? Fix: {fix}.",
        )
    if transpose_matches:
        fix = _fix(name, "swap the operands of the product or transpose it")
        return Diagnosis(
            "transposed",
            f"{label} is the transpose of the right gradient ({name} is square, so the shapes agree). "
            f"Fix: {fix}.",
        )
    return None

"""Choosing a reference's free options (leaky ReLU's α, L2's λ) so that its cost matches a user's.

A learner's leaky ReLU may use any α and their L2 cost any λ: gradcheck cannot try every value,
so a model solves for them from the user's cost at a few points (:func:`lambd_from`, :func:`root`);
the engine then checks the fitted reference at every point, so a fit never makes a wrong match.
"""

from __future__ import annotations

import math
from collections.abc import Callable

__all__ = ["DIGITS", "SEPARATION", "lambd_from", "leaky_alpha", "root", "roundest"]


def lambd_from(target: float, data: float, penalty: float, rtol: float = 1e-9) -> float | None:
    """λ with ``data + λ · penalty = target``: 0 when they already agree, None when λ would be < 0.

    Parameters
    ----------
    target : float
        The user's cost.
    data : float
        The reference's cost without the L2 term.
    penalty : float
        The L2 term per unit λ, ``Σ ‖W‖² / 2m``.
    rtol : float
        Agreement within ``rtol · max(1, |target|)`` means λ = 0.
    """
    gap = target - data
    if abs(gap) <= rtol * max(1.0, abs(target)):
        return 0.0
    if penalty <= 0 or gap < 0:
        return None
    return gap / penalty


def root(
    residual: Callable[[float], float | None],
    x0: float,
    x1: float,
    *,
    xtol: float = 1e-13,
    ftol: float = 0.0,
    steps: int = 12,
) -> float | None:
    """A zero of ``residual`` by the secant method from ``x0``, ``x1``, or None if it finds none.

    ``residual`` may return None where it is undefined (the search then stops). A residual within
    ``ftol`` is a zero: where the residual is rounding noise the secant steps go nowhere (two equal
    residuals, or steps above ``xtol`` in random directions), so the search stops there instead of
    giving up on a point that already solves the equation, as when the option is one of the two
    starting values.
    """
    f0, f1 = residual(x0), residual(x1)
    if f0 is not None and abs(f0) <= ftol:
        return x0
    for _ in range(steps):
        if f0 is None or f1 is None:
            return None
        if abs(f1) <= ftol:
            return x1
        if f1 == f0:
            return None
        x0, x1 = x1, x1 - f1 * (x1 - x0) / (f1 - f0)
        f0 = f1
        if abs(x1 - x0) <= xtol * max(1.0, abs(x1)):
            return x1
        f1 = residual(x1)
    return None


#: Options are taken with at most this many significant digits (``alpha = 0.2``, ``lambd = 0.7``).
DIGITS = 4

#: A change in the last of those digits must move the cost by this many times the tolerance.
SEPARATION = 100.0


def roundest(value: float, residual: Callable[[float], float | None], tolerance: float) -> float | None:
    """The value of fewest significant digits (at most :data:`DIGITS`) near ``value`` whose
    ``residual`` is within ``tolerance``, or None.

    A learner writes ``alpha = 0.2`` or ``lambd = 0.7``. A solver lands near that value, not on it,
    and where the cost barely depends on the option the reference's gradient would differ from
    the learner's by more than rounding. So the value is taken only if it is short, reproduces the
    cost to ``tolerance`` (the cost's rounding), and is the only such value: one unit in its
    :data:`DIGITS`-th digit must move the cost by :data:`SEPARATION` tolerances. Otherwise the check
    goes on without a reference rather than with a doubtful one.
    """
    for k in range(1, DIGITS + 1):
        candidate = float(f"{value:.{k}g}")
        r = residual(candidate)
        if candidate == 0.0 or r is None or abs(r) > tolerance:
            continue
        unit = 10.0 ** (math.floor(math.log10(abs(candidate))) - DIGITS + 1)
        moved = residual(candidate + unit)
        return candidate if moved is not None and abs(moved - r) >= SEPARATION * tolerance else None
    return None


def leaky_alpha(residual: Callable[[float], float | None], tolerance: float) -> float | None:
    """A leaky ReLU's α with ``residual(α)`` within ``tolerance``: solved by :func:`root` from the
    course's values 0.01 and 0.2, then taken only as :func:`roundest` allows; or None."""
    alpha = root(residual, 0.01, 0.2, ftol=tolerance)
    if alpha is None or not math.isfinite(alpha):
        return None
    return roundest(alpha, residual, tolerance)

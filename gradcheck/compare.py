"""Errors, tolerances and verdicts: how an analytic gradient is compared with another opinion.

Two measures are reported for every gradient block:

* the **block relative error** ``‖a − n‖ / (‖a‖ + ‖n‖)`` (Frobenius norms; 0 when both are 0),
  the number the course's checker prints, kept for comparison;
* the **element-wise** errors, which decide the verdict and locate the worst entry.

The pass rule
-------------
Entry ``i`` passes when ``|a_i − n_i| ≤ τ_i`` with ::

    τ_i = safety · ( e_i + ε_a · (|a_i| + max(G, 1)) )

``e_i`` is the other opinion's own error estimate: for finite differences the method's
(:mod:`gradcheck.numerical`: ``σ/h + h²G`` for central differences, measured per entry for
Richardson, ``4ε(|n| + max(G, 1))`` for the complex step), for the exact reference
``ε_a · M_i`` with ``M`` the backward pass run on absolute values
(:func:`gradcheck.network.two_layer_model.rounding_magnitude`). ``ε_a`` is the epsilon of the analytic
gradient's dtype, so a float32 gradient is allowed its own rounding; ``G = max |n|`` is the
gradient's scale. The last term is the analytic gradient's own rounding: relative to the entry,
and absolute relative to the larger of ``G`` and 1, because the terms a gradient is computed from
(probabilities, activations, ``A2 - Y``) are of unit size even when the gradient is tiny.
``safety`` (default 100) covers estimates that are estimates; measured on 1,500 generated
reference problems, correct gradients stay well below the default tolerance
(``bench/tolerance_margin.py``, docs/benchmarks.md).

At a kink (:func:`kink_verdict`) an entry passes when it lies between the one-sided derivatives,
widened by the same rule.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

__all__ = [
    "Comparison",
    "block_relative_error",
    "compare",
    "element_relative_errors",
    "excess_over",
    "kink_verdict",
    "outside",
    "tolerance",
]


def block_relative_error(analytic: np.ndarray, numeric: np.ndarray) -> float:
    """``‖a − n‖ / (‖a‖ + ‖n‖)`` with Frobenius norms; 0 when both are 0.

    Parameters
    ----------
    analytic, numeric : ndarray
        Same shape.

    Returns
    -------
    float
        In [0, 1]: 0 for equal blocks, 1 when one is zero and the other not, or when they are
        opposite.
    """
    a = np.asarray(analytic, dtype=np.float64)
    n = np.asarray(numeric, dtype=np.float64)
    denominator = float(np.linalg.norm(a) + np.linalg.norm(n))
    if denominator == 0.0:
        return 0.0
    return float(np.linalg.norm(a - n)) / denominator


def element_relative_errors(analytic: np.ndarray, numeric: np.ndarray) -> np.ndarray:
    """Element-wise ``|a_i − n_i| / (|a_i| + |n_i|)``, 0 where both are 0.

    Parameters
    ----------
    analytic, numeric : ndarray
        Same shape.

    Returns
    -------
    ndarray
        Same shape, values in [0, 1].
    """
    a = np.asarray(analytic, dtype=np.float64)
    n = np.asarray(numeric, dtype=np.float64)
    denominator = np.abs(a) + np.abs(n)
    out = np.zeros(np.broadcast_shapes(a.shape, n.shape))
    with np.errstate(invalid="ignore"):  # inf against inf: NaN, which is not a pass
        np.divide(np.abs(a - n), denominator, out=out, where=denominator > 0)
    return out


def tolerance(
    analytic: np.ndarray, error: np.ndarray, *, analytic_eps: float, scale: float, safety: float
) -> np.ndarray:
    """Per-entry tolerance ``τ_i = safety · (e_i + ε_a (|a_i| + max(G, 1)))``.

    Parameters
    ----------
    analytic : ndarray
        The analytic gradient block (float64 values).
    error : ndarray
        ``e_i``, the other opinion's error estimate (finite differences: see
        :mod:`gradcheck.numerical`; the exact reference: its rounding bound), same shape.
    analytic_eps : float
        Machine epsilon of the analytic gradient's dtype.
    scale : float
        ``G``, the gradient's scale (largest ``|∂J/∂θ_i|``).
    safety : float
        Safety factor (> 0).

    Returns
    -------
    ndarray
        ``τ``, same shape as ``analytic``.
    """
    representation = analytic_eps * (np.abs(analytic) + max(scale, 1.0))
    result: np.ndarray = safety * (error + representation)
    return result


#: A value or an array of them, elementwise.
ArrayOrFloat = float | npt.NDArray[np.floating]

#: How far beyond their error estimates one-sided derivatives must disagree to show a kink.
KINK_EVIDENCE = 10.0


def kink_verdict(
    analytic: float,
    left: float,
    right: float,
    left_error: float,
    right_error: float,
    *,
    analytic_eps: float,
    scale: float,
    safety: float,
) -> tuple[bool, float]:
    """Is there a kink, and how far does the analytic value lie outside the one-sided derivatives?

    A kink is detected when ``|R − L| > KINK_EVIDENCE · (e_L + e_R)``: the one-sided derivatives
    disagree well beyond their error estimates (which hold with a margin of 2 or more on smooth
    costs, docs/benchmarks.md). Not the pass rule's ``safety``: at a kink whose slopes differ
    little (a unit whose outgoing weight is tiny) that would hide the kink and fail correct code.
    The analytic value then passes when it lies in ``[min(L, R) − τ, max(L, R) + τ]`` with
    ``τ = safety · (max(e_L, e_R) + ε_a (|a| + max(G, 1)))``: its excess ::

        excess = max(min(L, R) − a, a − max(L, R), 0) / τ

    is at most 1 (0 between the two; ``inf`` outside when ``τ = 0``).

    Returns
    -------
    kink : bool
    excess : float
        Only meaningful when ``kink`` is True; ``inf`` for non-finite inputs.
    """
    if not all(map(np.isfinite, (analytic, left, right, left_error, right_error))):
        return False, math.inf
    kink = abs(right - left) > KINK_EVIDENCE * (left_error + right_error)
    slack = safety * (max(left_error, right_error) + analytic_eps * (abs(analytic) + max(scale, 1.0)))
    excess = excess_over(outside(analytic, min(left, right), max(left, right)), slack)
    return bool(kink), float(excess)


def outside(value: ArrayOrFloat, low: ArrayOrFloat, high: ArrayOrFloat) -> np.ndarray:
    """How far ``value`` lies outside ``[low, high]``: ``max(low − value, value − high, 0)``, elementwise."""
    return np.maximum(np.maximum(np.subtract(low, value), np.subtract(value, high)), 0.0)


def excess_over(distance: ArrayOrFloat, tolerance: ArrayOrFloat) -> np.ndarray:
    """``distance / tolerance`` elementwise, a miss in units of its tolerance (above 1: beyond it):
    0 for no distance, ``inf`` for a positive one over a zero tolerance, or a non-finite one."""
    distance, tolerance = np.asarray(distance, dtype=float), np.asarray(tolerance, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = distance / tolerance
    usable = np.isfinite(distance) & (tolerance > 0.0)
    return np.where(distance == 0.0, 0.0, np.where(usable, ratio, np.inf))


@dataclass(frozen=True)
class Comparison:
    """An analytic block against one other opinion, entry by entry.

    Attributes
    ----------
    relative_error : float
        Block relative error ``‖a − n‖ / (‖a‖ + ‖n‖)``.
    failed : ndarray of bool
        ``|a − n| > τ`` per entry.
    worst_index : tuple of int
        Entry most beyond its tolerance (largest ``|a − n| / τ``); the largest ``|a − n|`` when
        nothing fails.
    worst_analytic, worst_other, worst_relative_error, worst_tolerance : float
        ``a``, the other opinion, ``|a − n| / (|a| + |n|)`` and ``τ`` at that entry.
    """

    relative_error: float
    failed: np.ndarray
    worst_index: tuple[int, ...]
    worst_analytic: float
    worst_other: float
    worst_relative_error: float
    worst_tolerance: float

    @property
    def n_failed(self) -> int:
        """Number of entries beyond tolerance."""
        return int(np.count_nonzero(self.failed))


def compare(analytic: np.ndarray, other: np.ndarray, tolerance: np.ndarray | float) -> Comparison:
    """Compare two same-shape blocks against a per-entry tolerance.

    Parameters
    ----------
    analytic, other : ndarray
        Same shape; ``other`` is the numeric or the reference gradient.
    tolerance : ndarray or float
        ``τ``, same shape (or broadcastable; ``np.inf`` when only the errors are wanted).

    Returns
    -------
    Comparison
    """
    a = np.asarray(analytic, dtype=np.float64)
    n = np.asarray(other, dtype=np.float64)
    difference = np.abs(a - n)
    tau = np.broadcast_to(np.asarray(tolerance, dtype=np.float64), a.shape)
    failed = difference > tau
    if failed.any():
        excess = np.full(a.shape, np.inf)
        np.divide(difference, tau, out=excess, where=tau > 0)
        excess[~failed] = 0.0
        flat = int(np.argmax(excess))
    else:
        flat = int(np.argmax(difference)) if a.size else 0
    index = tuple(int(i) for i in np.unravel_index(flat, a.shape)) if a.shape else ()
    relative = element_relative_errors(a, n)
    return Comparison(
        relative_error=block_relative_error(a, n),
        failed=failed,
        worst_index=index,
        worst_analytic=float(a[index]),
        worst_other=float(n[index]),
        worst_relative_error=float(relative[index]),
        worst_tolerance=float(tau[index]),
    )

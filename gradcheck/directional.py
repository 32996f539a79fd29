"""Checks that scale: random directions per block, then group testing to find the wrong entries.

A block ``a`` (one parameter's analytic gradient) is right when ``⟨a, v⟩ = ∂J/∂v`` for every
direction ``v``; one central difference along ``v`` costs 2 evaluations whatever the block's size
(3 with the third difference that estimates its truncation error, see
:func:`gradcheck.numerical.directional_difference`). A random ``v`` misses a wrong block only when
the error ``a − ∇J`` is orthogonal to it, which for a Gaussian ``v`` has probability zero; the
test is limited only by the finite-difference error, so each direction is judged with

    |⟨a, w⟩ − D_v|  ≤  safety · ( σ/h + |Δ³|/6h + ε_a Σ_i (|a_i| + max(G, 1)) |w_i| )

(``w`` the offsets actually applied divided by ``2h``, ``≈ v``; the terms as in
:mod:`gradcheck.compare`).

When a block fails, **adaptive group testing** finds the wrong entries: the index set is halved,
the mismatch of the first half measured along the failing direction restricted to it (rescaled
to unit norm, which improves the signal as the sets shrink), and the second half's mismatch
follows by subtraction, since mismatches add over disjoint sets. Sets whose mismatch exceeds its
(accumulated) tolerance are split again. With ``k`` wrong entries among ``P`` this takes about
``2 k log₂ P`` evaluations; each entry found is then confirmed on its own by central
differences. More than ``max_wrong`` wrong sets means the block is wrong almost everywhere: the
search stops and a sample of entries is checked one by one instead.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from gradcheck.numerical import (
    CostProbe,
    Directional,
    directional_difference,
    random_direction,
    relative_step,
)

__all__ = ["DirectionCheck", "check_direction", "localise"]


@dataclass(frozen=True)
class DirectionCheck:
    """Blocks checked along one direction whose part in each block has unit norm.

    With several blocks, a wrong block moves ``Σ_b ⟨a_b, w_b⟩ − D_v`` exactly as much as it would
    alone; errors of different blocks cancel only for directions of probability zero. So one
    stencil tests every block, and per-block checks are needed only when it fails.

    Attributes
    ----------
    directions : dict of str to ndarray
        The unit-norm part ``v_b`` of the direction in each block moved.
    numeric : Directional
        ``D_v`` with its error estimate.
    analytic : float
        ``Σ_b ⟨a_b, w_b⟩``.
    tolerance : float
        The right-hand side of the pass rule.
    """

    directions: dict[str, np.ndarray]
    numeric: Directional
    analytic: float
    tolerance: float

    @property
    def mismatch(self) -> float:
        """``Σ_b ⟨a_b, w_b⟩ − D_v``."""
        return self.analytic - self.numeric.value

    @property
    def passed(self) -> bool:
        """``|mismatch| ≤ τ`` (False when either side is not finite)."""
        return bool(abs(self.mismatch) <= self.tolerance)


def _rounding(analytic: np.ndarray, weights: np.ndarray, analytic_eps: float, scale: float) -> float:
    return float(analytic_eps * np.sum((np.abs(analytic) + max(scale, 1.0)) * np.abs(weights)))


def check_direction(
    probe: CostProbe,
    analytic: dict[str, np.ndarray],
    rng: np.random.Generator,
    *,
    analytic_eps: dict[str, float],
    scale: float,
    safety: float,
    directions: dict[str, np.ndarray] | None = None,
) -> DirectionCheck:
    """Check the ``analytic`` blocks along one random direction (3 evaluations).

    Parameters
    ----------
    probe : CostProbe
    analytic : dict of str to ndarray
        Analytic gradients (float64, their parameters' shapes) of the blocks to move; one block
        to check it alone.
    rng : numpy.random.Generator
        Source of the direction: Gaussian, weighted by ``max(1, |θ_i|)``, unit norm per block.
    analytic_eps : dict of str to float
        Machine epsilon of each analytic gradient's dtype.
    scale : float
        ``G``, the gradient's scale.
    safety : float
    directions : dict of str to ndarray, optional
        Unit directions to use instead of fresh random ones.

    Returns
    -------
    DirectionCheck
    """
    if directions is None:
        directions = {name: random_direction(probe.point[name], rng) for name in analytic}
    numeric = directional_difference(probe, directions)
    value = sum(float(np.sum(a * numeric.weights[name])) for name, a in analytic.items())
    rounding = sum(
        _rounding(a, numeric.weights[name], analytic_eps[name], scale) for name, a in analytic.items()
    )
    return DirectionCheck(directions, numeric, value, safety * (numeric.error + rounding))


def localise(
    probe: CostProbe,
    name: str,
    analytic: np.ndarray,
    failed: DirectionCheck,
    *,
    analytic_eps: float,
    scale: float,
    safety: float,
    max_wrong: int = 8,
) -> tuple[list[int], bool]:
    """Find the entries of block ``name`` behind a failed direction by adaptive group testing.

    Parameters
    ----------
    probe : CostProbe
    name : str
    analytic : ndarray
        The block's analytic gradient, float64.
    failed : DirectionCheck
        A direction along which block ``name`` alone failed; its mismatch is split between halves.
    analytic_eps, scale, safety : float
        As for :func:`check_direction`.
    max_wrong : int, default 8
        Give up when more sets than this are known to hold wrong entries at once.

    Returns
    -------
    candidates : list of int
        Flat indices of the entries found (each still to be confirmed on its own).
    gave_up : bool
        True when the block is wrong in more than ``max_wrong`` places.
    """
    a = analytic.reshape(-1)
    v = failed.directions[name].reshape(-1)
    h = relative_step("central", probe.noise, probe.cost)
    truncation = failed.numeric.truncation
    pending: list[tuple[np.ndarray, float, float]] = [(np.arange(a.size), failed.mismatch, failed.tolerance)]
    found: list[int] = []
    while pending:
        if len(pending) + len(found) > max_wrong:
            return found, True
        subset, mismatch, tolerance = pending.pop()
        if subset.size == 1:
            found.append(int(subset[0]))
            continue
        first, second = subset[: subset.size // 2], subset[subset.size // 2 :]
        norm = float(np.linalg.norm(v[first]))
        if norm == 0.0:  # the direction does not move these entries: all the mismatch is in the other half
            pending.append((second, mismatch, tolerance))
            continue
        u = v[first] / norm
        plus, d_plus = probe.along_entries(name, first, u, h)
        minus, d_minus = probe.along_entries(name, first, u, -h)
        weights = (d_plus - d_minus) / (2.0 * h)
        measured = float(np.sum(a[first] * weights)) - (plus - minus) / (2.0 * h)
        measured_tolerance = safety * (
            probe.noise / h + truncation + _rounding(a[first], weights, analytic_eps, scale)
        )
        first_mismatch, first_tolerance = measured * norm, measured_tolerance * norm
        second_mismatch = mismatch - first_mismatch
        second_tolerance = tolerance + first_tolerance
        for part, part_mismatch, part_tolerance in (
            (second, second_mismatch, second_tolerance),
            (first, first_mismatch, first_tolerance),
        ):
            if not math.isfinite(part_mismatch) or abs(part_mismatch) > part_tolerance:
                pending.append((part, part_mismatch, part_tolerance))
    return found, False

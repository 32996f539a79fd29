"""Checks that scale: random directions per block, then group testing to find the wrong entries.

A block ``a`` (one parameter's analytic gradient) is right when ``⟨a, v⟩ = ∂J/∂v`` for every
direction ``v``; one difference along ``v`` costs a few evaluations whatever the block's size
(:func:`gradcheck.numerical.directional_difference`). A random ``v`` misses a wrong block only when
the error ``a − ∇J`` is orthogonal to it, which for a continuous distribution of ``v`` has
probability zero; the test is limited only by the finite-difference error, so each direction is
judged with

    |⟨a, w⟩ − D_v|  ≤  safety · ( e_v + ε_a Σ_i (|a_i| + max(G, 1)) |w_i| )

(``w`` the combination of offsets actually applied that ``D_v`` differentiates along, ``≈ v``;
``e_v`` its error estimate; the other terms as in :mod:`gradcheck.compare`).

Two kinds of direction are used (:func:`check_blocks`). ``directions`` Gaussian ones with central
differences (3 evaluations each) catch any error of the size entry-by-entry checks resolve, spread
over the block. One entry among ``n`` moves a unit direction by only ``|v_i| ≈ 1/√n`` of its error,
so :data:`SENSITIVE_DIRECTIONS` more move every entry alike (random signs,
:func:`gradcheck.numerical.sign_direction`) and are differentiated by Richardson extrapolation
(6 evaluations), whose error is about a hundredth of central differences': one entry off by
``δ a_i`` shows when ``δ |a_i| / (2 √n)`` exceeds that tolerance.

When a block fails, **adaptive group testing** finds the wrong entries: the index set is halved,
the mismatch of the first half measured along the failing direction restricted to it (rescaled
to unit norm, which improves the signal as the sets shrink), by the same kind of difference, and
the second half's mismatch follows by subtraction, since mismatches add over disjoint sets. Sets
whose mismatch exceeds its (accumulated) tolerance are split again. With ``k`` wrong entries among
``P`` this takes about ``k log₂ P`` differences; each entry found is then confirmed on its own.
More than ``max_wrong`` wrong sets means the block is wrong almost everywhere: the search stops
and a sample of entries is checked one by one instead.
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
    sign_direction,
)

__all__ = [
    "SENSITIVE_DIRECTIONS",
    "BlockDirections",
    "DirectionCheck",
    "check_blocks",
    "check_direction",
    "localise",
]

#: Directions of random signs, differentiated by Richardson extrapolation, that every block checked
#: along directions gets after its Gaussian ones (6 evaluations each).
SENSITIVE_DIRECTIONS = 1
#: How each stencil's directions are drawn.
DRAWS = {"central": random_direction, "richardson": sign_direction}


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
    stencil: str = "central"

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
    stencil: str = "central",
) -> DirectionCheck:
    """Check the ``analytic`` blocks along one random direction (3 or 6 evaluations).

    Parameters
    ----------
    probe : CostProbe
    analytic : dict of str to ndarray
        Analytic gradients (float64, their parameters' shapes) of the blocks to move; one block
        to check it alone.
    rng : numpy.random.Generator
        Source of the direction, unit norm per block, weighted by ``max(1, |θ_i|)``: Gaussian for
        central differences, random signs for Richardson's (:data:`DRAWS`).
    analytic_eps : dict of str to float
        Machine epsilon of each analytic gradient's dtype.
    scale : float
        ``G``, the gradient's scale.
    safety : float
    directions : dict of str to ndarray, optional
        Unit directions to use instead of fresh random ones.
    stencil : {"central", "richardson"}, default "central"
        The difference taken along them (:func:`gradcheck.numerical.directional_difference`).

    Returns
    -------
    DirectionCheck
    """
    if directions is None:
        directions = {name: DRAWS[stencil](probe.point[name], rng) for name in analytic}
    numeric = directional_difference(probe, directions, stencil)
    value = sum(float(np.sum(a * numeric.weights[name])) for name, a in analytic.items())
    rounding = sum(
        _rounding(a, numeric.weights[name], analytic_eps[name], scale) for name, a in analytic.items()
    )
    return DirectionCheck(directions, numeric, value, safety * (numeric.error + rounding), stencil)


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
        measured, error, weights = _part(probe, name, first, v[first] / norm, failed)
        measured = float(np.sum(a[first] * weights)) - measured
        measured_tolerance = safety * (error + _rounding(a[first], weights, analytic_eps, scale))
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


def _part(
    probe: CostProbe, name: str, subset: np.ndarray, u: np.ndarray, failed: DirectionCheck
) -> tuple[float, float, np.ndarray]:
    """The entries ``subset`` of block ``name`` moved alone along ``u`` (unit norm), by the failed
    check's stencil: ``(D_u, its error, weights of the subset)``.

    Central differences take 2 evaluations and reuse the failed check's measured truncation;
    Richardson's take 6 and measure their own error, kinks included.
    """
    if failed.stencil == "central":
        h = relative_step("central", probe.noise, probe.cost)
        plus, d_plus = probe.along_entries(name, subset, u, h)
        minus, d_minus = probe.along_entries(name, subset, u, -h)
        error = probe.noise / h + failed.numeric.truncation
        return (plus - minus) / (2.0 * h), error, (d_plus - d_minus) / (2.0 * h)
    shape = probe.point[name].shape
    direction = np.zeros(probe.point[name].size)
    direction[subset] = u
    numeric = directional_difference(probe, {name: direction.reshape(shape)}, failed.stencil)
    return numeric.value, numeric.error, numeric.weights[name].reshape(-1)[subset]


@dataclass(frozen=True)
class BlockDirections:
    """What the directions said of one block: the checks it took part in with others, and alone.

    Attributes
    ----------
    joint : list of DirectionCheck
        Checks that moved this block together with the others still passing.
    own : list of DirectionCheck
        This block's part of a failed joint check, measured alone (one per stencil at most).
    """

    joint: list[DirectionCheck]
    own: list[DirectionCheck]


def check_blocks(
    probe: CostProbe,
    blocks: dict[str, np.ndarray],
    rng: np.random.Generator,
    *,
    directions: int,
    analytic_eps: dict[str, float],
    scale: float,
    safety: float,
) -> dict[str, BlockDirections]:
    """Check ``blocks`` together along ``directions`` Gaussian directions, then
    :data:`SENSITIVE_DIRECTIONS` sensitive ones; a block wrong along one stencil's is not moved
    along the next's.

    With several blocks, a wrong block moves ``Σ_b ⟨a_b, w_b⟩ − D_v`` exactly as much as it would
    alone, so one difference tests every block; when a joint check fails, each block still in is
    measured alone along its own part of it (the first failed check of that stencil), and the
    blocks that fail alone leave the joint checks. Evaluations with every block right::

        3 · directions + 6 · SENSITIVE_DIRECTIONS

    Parameters
    ----------
    probe : CostProbe
    blocks : dict of str to ndarray
        The analytic gradients (float64, their parameters' shapes, finite) to check along directions.
    rng : numpy.random.Generator
    directions : int
        Gaussian directions (central differences).
    analytic_eps : dict of str to float
    scale, safety : float
        As for :func:`check_direction`.

    Returns
    -------
    dict of str to BlockDirections
    """
    found = {name: BlockDirections([], []) for name in blocks}
    still = dict(blocks)
    for stencil, count in (("central", directions), ("richardson", SENSITIVE_DIRECTIONS)):
        if not still:
            break
        checks = [
            check_direction(
                probe, still, rng, analytic_eps=analytic_eps, scale=scale, safety=safety, stencil=stencil
            )
            for _ in range(count)
        ]
        failed = next((check for check in checks if not check.passed), None)
        for name in list(still):
            found[name].joint.extend(checks)
            if failed is None:
                continue
            alone = check_direction(
                probe,
                {name: still[name]},
                rng,
                analytic_eps=analytic_eps,
                scale=scale,
                safety=safety,
                directions={name: failed.directions[name]},
                stencil=stencil,
            )
            found[name].own.append(alone)
            if not alone.passed:
                del still[name]
    return found

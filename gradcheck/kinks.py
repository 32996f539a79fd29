"""One entry looked at closely: its finite difference, and whether a kink explains a miss.

A ReLU-like network has kinks, points where the cost has no derivative; there any value between the
one-sided derivatives is right, and a difference whose step crosses a kink mixes the slopes on its
two sides. An entry *off* its kinks has one derivative, which only a step that crosses none of them
shows: a difference that straddles a kink is no evidence against it, a smaller one that does not
straddle it is. So before an entry that disagrees with finite differences is called wrong,
:func:`kink_excess` looks for a kink at the point or within the step:

1. the gate: the central difference's one-sided gap ``|D₊ − D₋|`` (free) beyond ``KINK_GATE`` times
   its smooth size ``4σ/h + hG`` (:func:`shows_kink`), or as large as the miss (central
   differences average the sides); failing both, the difference at ``h / RESTEP`` (2 evaluations)
   must have moved (a kink within the step);
2. the step ladder: one-sided pairs at ``h / d`` for ``d`` in :data:`ONE_SIDED_DIVISORS`, smallest
   step first (4 evaluations each). The smallest step resolves kinks closest to the point; a larger
   pair speaks only while its sides agree with the last one's (:data:`AGREEMENT`), and the first
   that disagrees straddles a kink off the point and ends the climb;
3. of the pairs climbed, the one with the smallest error estimate decides: if it shows a kink, the
   analytic value must lie between its one-sided derivatives; if not, the entry is off its kinks
   and the value must agree with that pair's central difference, which must have moved away from
   the one that missed (on a smooth cost it stays, and its larger noise proves nothing).

A kink closer to the point than the smallest step, ``h / max(ONE_SIDED_DIVISORS)``, cannot be told
from one at the point.

An entry the climb finds off its kinks, with one derivative that does not explain the miss, may
still only have been missed by its difference's truncation, which the error estimate ``h²G``
assumes small next to the gradient's scale: where the curvature is large (logits of 100 and more,
large weights) it is not, and the one-sided estimates are too coarse to show it.
:func:`truncation_corrected` measures it before the entry is called wrong: the differences at
``h/2`` and ``h/4`` must shrink as a truncation does, and the value extrapolated from them, with
its own error, is what the entry is judged against (4 evaluations, central differences).
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from gradcheck.compare import excess_over, kink_verdict
from gradcheck.numerical import derivative, fd_error, halved, one_sided
from gradcheck.setting import Setting

__all__ = [
    "AGREEMENT",
    "KINK_GATE",
    "ONE_SIDED_DIVISORS",
    "RESTEP",
    "Finding",
    "entry_difference",
    "kink_excess",
    "shows_kink",
    "truncation_corrected",
]

#: A central difference's one-sided gap beyond this many times its smooth size (4σ/h + hG) shows a
#: kink within the step.
KINK_GATE = 2.0
#: The gate's smaller step: ``h / RESTEP``.
RESTEP = 16.0
#: One-sided pairs are taken at ``h / d`` for these ``d``, in this order (smallest step first).
ONE_SIDED_DIVISORS = (4096.0, 256.0, 16.0, 1.0)
#: Two one-sided pairs agree when each side of one is within this many times the two error
#: estimates of the other's (the estimates hold with a margin of 2 or more on smooth costs).
AGREEMENT = 2.0


def entry_difference(
    setting: Setting, name: str, flat: int, a: float, eps: float, method: str | None = None
) -> tuple[float, float, bool, float, float]:
    """The finite-difference opinion on one entry not yet measured.

    Takes the entry's derivative with the check's method and step (or with ``method`` and its
    default step) and judges ``a`` with the pass rule: ``(numeric, tolerance, wrong, gap, h)``,
    with the one-sided gap and the step that :func:`kink_excess` needs.
    """
    probe = setting.probe
    index = _index(setting, name, flat)
    step = setting.options.step if method is None else None
    method = setting.method if method is None else method
    value, h, measured, gap = derivative(probe, name, index, method, step)
    error = fd_error(method, np.asarray(value), np.asarray(h), np.asarray(measured), probe.eps, setting.scale)
    tau = float(setting.tolerance(np.asarray(a), error, eps))
    return value, tau, not abs(a - value) <= tau, gap, h


class Finding(NamedTuple):
    """What an investigation found: ``excess``, how far ``a`` lies beyond what the kink evidence
    allows, in units of the tolerance there (at most 1: a kink explains the miss; ``inf``: nothing
    shows one); ``corrected``, the entry's difference and tolerance corrected for its measured
    truncation (None: not measured)."""

    excess: float
    corrected: tuple[float, float] | None = None


def kink_excess(
    setting: Setting, name: str, flat: int, a: float, miss: tuple[float, float, float, float], eps: float
) -> Finding:
    """How far ``a`` lies beyond what the kink evidence allows, and the difference's measured
    truncation where no kink explains the miss (see the module docs).

    At a kink at the point, ``a``'s distance outside the one-sided derivatives over their slack
    (:func:`gradcheck.compare.kink_verdict`); off the point, ``|a − D| / τ`` with ``D`` the side
    that decides and ``τ`` the pass rule's tolerance at its step.

    ``miss`` is ``(n, tau, gap, h0)``: the difference ``a`` missed, its tolerance, its one-sided
    gap and its step (NaN where unknown). The truncation is measured (:func:`truncation_corrected`)
    only where the climb found one derivative that does not explain the miss, and no pair
    straddled a kink: the entry is off its kinks, and ``h²G`` may have underestimated the
    truncation of its difference (the one-sided estimates, extrapolated from one step each, are
    too coarse to show it).
    """
    n, tau, gap, h0 = miss
    index = _index(setting, name, flat)
    h = setting.probe.step(name, index, "central", setting.options.step)
    if _gate_closed(setting, a, n, tau, gap, h0):
        value, error = _central(setting, name, index, h / RESTEP)
        if not _moved(setting, value, error, n, tau):
            return Finding(math.inf)  # nor does a truncation: a 16 times smaller step stays
    (left, left_error), (right, right_error), straddled = _climb(setting, name, index, h)
    kink, excess = kink_verdict(
        a,
        left,
        right,
        left_error,
        right_error,
        analytic_eps=eps,
        scale=setting.scale,
        safety=setting.options.safety,
    )
    if kink:
        return Finding(excess)
    value, error = (left, left_error) if left_error <= right_error else (right, right_error)
    moved = straddled or _moved(setting, value, error, n, tau)
    tolerance = float(setting.tolerance(np.asarray(a), np.asarray(error), eps))
    excess = float(excess_over(abs(a - value), tolerance)) if moved else math.inf
    if excess <= 1.0 or straddled:
        return Finding(excess)
    return Finding(excess, truncation_corrected(setting, name, flat, a, n, h0, eps))


def truncation_corrected(
    setting: Setting, name: str, flat: int, a: float, value: float, h: float, eps: float
) -> tuple[float, float] | None:
    """The entry's difference corrected for its measured truncation, and the pass rule's tolerance.

    ``value`` is the difference ``a`` missed, at step ``h``. Returns ``(R, τ)``: the value
    extrapolated from the differences at ``h/2`` and ``h/4`` (:func:`gradcheck.numerical.halved`)
    and the tolerance of the pass rule with its error estimate; None when they do not shrink as a
    truncation does, for a method without an assumed truncation term (Richardson, complex step), or
    without a step. Central differences: 4 evaluations.
    """
    if setting.method not in ("central", "forward") or not (math.isfinite(h) and math.isfinite(value)):
        return None
    measured = halved(setting.probe, name, _index(setting, name, flat), setting.method, h, value)
    if measured is None:
        return None
    extrapolated, error = measured
    return extrapolated, float(setting.tolerance(np.asarray(a), np.asarray(error), eps))


def shows_kink(setting: Setting, gap: float, h0: float) -> bool:
    """Does a central difference's one-sided gap ``|D₊ − D₋|`` at step ``h0`` show a kink within the
    step? Beyond ``KINK_GATE · (4σ/h0 + h0·G)``, its size on a smooth cost (free: no evaluation)."""
    if not (math.isfinite(gap) and math.isfinite(h0)):
        return False
    return gap > KINK_GATE * (4.0 * setting.probe.noise / h0 + h0 * setting.scale)


def _climb(
    setting: Setting, name: str, index: tuple[int, ...], h: float
) -> tuple[tuple[float, float], tuple[float, float], bool]:
    """Each side's derivative and error estimate, from the one-sided pairs climbed from the smallest
    step up while both sides of each pair agree with the one below (:data:`AGREEMENT`), and
    whether a pair disagreed.

    A pair that disagrees straddles a kink off the point, and so do all larger ones (the entry's
    own difference among them): the climb ends there. Of the estimates climbed, each side takes the
    one with the smallest error (noise grows as the step shrinks, truncation as it grows).
    """
    climbed: list[tuple[float, float, float, float]] = []
    for divisor in ONE_SIDED_DIVISORS:
        sides = one_sided(setting.probe, name, index, h / divisor)
        straddled = bool(climbed) and not _agree(climbed[-1], sides)
        if straddled:
            break
        climbed.append(sides)
    left = min(((left, e_left) for left, _, e_left, _ in climbed), key=lambda side: side[1])
    right = min(((right, e_right) for _, right, _, e_right in climbed), key=lambda side: side[1])
    return left, right, straddled


def _agree(smaller: tuple[float, float, float, float], larger: tuple[float, float, float, float]) -> bool:
    """Do two one-sided pairs ``(L, R, e_L, e_R)`` see the same sides, within :data:`AGREEMENT` times
    their summed error estimates?"""
    left, right, left_error, right_error = smaller
    return abs(larger[0] - left) <= AGREEMENT * (larger[2] + left_error) and abs(
        larger[1] - right
    ) <= AGREEMENT * (larger[3] + right_error)


def _gate_closed(setting: Setting, a: float, n: float, tau: float, gap: float, h0: float) -> bool:
    """Nothing free shows a kink: the one-sided gap is of smooth size and smaller than the miss."""
    if not (math.isfinite(gap) and math.isfinite(n) and math.isfinite(h0)):
        return False
    return not (shows_kink(setting, gap, h0) or abs(a - n) <= gap + tau)


def _central(setting: Setting, name: str, index: tuple[int, ...], h: float) -> tuple[float, float]:
    """A central difference at step ``h`` and its error estimate (2 evaluations)."""
    probe = setting.probe
    value, step, measured, _ = derivative(probe, name, index, "central", h)
    error = fd_error(
        "central", np.asarray(value), np.asarray(step), np.asarray(measured), probe.eps, setting.scale
    )
    return float(value), float(error)


def _moved(setting: Setting, value: float, error: float, n: float, tau: float) -> bool:
    """Did a smaller step move the central difference beyond both estimates' own errors? Then the
    larger step crossed a kink; on a smooth cost the difference stays by ``n``."""
    return abs(value - n) > error + tau / setting.options.safety


def _index(setting: Setting, name: str, flat: int) -> tuple[int, ...]:
    return tuple(int(i) for i in np.unravel_index(flat, setting.probe.point[name].shape))

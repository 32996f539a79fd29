"""One entry looked at closely: its finite difference, and whether a kink explains a miss.

A ReLU-like network has kinks, points where the cost has no derivative; there any value between the
one-sided derivatives is right, and a central difference whose step crosses a kink averages the
two sides. So before an entry that disagrees with finite differences is called wrong,
:func:`kink_explains` looks for a kink at the point or within the step:

1. the gate: the central difference's one-sided gap ``|D₊ − D₋|`` (free) beyond ``KINK_GATE`` times
   its smooth size ``4σ/h + hG`` (a kink at the point), or as large as the miss (central
   differences average the sides); failing both, the difference at ``h / RESTEP`` (2 evaluations)
   must have moved (a kink within the step);
2. the one-sided derivatives at the steps ``h / d`` for ``d`` in :data:`ONE_SIDED_DIVISORS`
   (4 evaluations each, smallest step first): the first that shows a kink decides whether the
   analytic value lies between them (a larger step may take in a second kink nearby);
3. where none shows one, a central difference at a smaller step (``h / d``, ``d`` in
   :data:`CENTRAL_DIVISORS`) may still agree on its own, if it moved (near kinks, not on one).
"""

from __future__ import annotations

import math

import numpy as np

from gradcheck.compare import kink_verdict
from gradcheck.numerical import derivative, fd_error, one_sided
from gradcheck.setting import Setting

__all__ = [
    "CENTRAL_DIVISORS",
    "KINK_GATE",
    "ONE_SIDED_DIVISORS",
    "RESTEP",
    "entry_difference",
    "kink_explains",
]

#: A central difference's one-sided gap beyond this many times its smooth size (4σ/h + hG) shows a
#: kink at the point.
KINK_GATE = 2.0
#: The gate's smaller step: ``h / RESTEP``.
RESTEP = 16.0
#: One-sided derivatives are taken at ``h / d`` for these ``d``, in this order.
ONE_SIDED_DIVISORS = (256.0, 16.0, 1.0)
#: Central differences at ``h / d`` for these ``d`` may agree on their own near kinks.
CENTRAL_DIVISORS = (16.0, 256.0)


def entry_difference(
    setting: Setting, name: str, flat: int, a: float, eps: float
) -> tuple[float, float, bool, float, float]:
    """The finite-difference opinion on one entry not yet measured.

    Takes the entry's derivative with the check's method and step and judges ``a`` with the pass
    rule: ``(numeric, tolerance, wrong, gap, h)``, with the one-sided gap and the step that
    :func:`kink_explains` needs.
    """
    probe = setting.probe
    index = _index(setting, name, flat)
    value, h, measured, gap = derivative(probe, name, index, setting.method, setting.options.step)
    error = fd_error(
        setting.method, np.asarray(value), np.asarray(h), np.asarray(measured), probe.eps, setting.scale
    )
    tau = float(setting.tolerance(np.asarray(a), error, eps))
    return value, tau, not abs(a - value) <= tau, gap, h


def kink_explains(
    setting: Setting, name: str, flat: int, a: float, miss: tuple[float, float, float, float], eps: float
) -> bool:
    """True when a kink explains why ``a`` missed its finite difference: ``a`` lies between the
    one-sided derivatives (see the module docs for the steps).

    ``miss`` is ``(n, tau, gap, h0)``: the difference ``a`` missed, its tolerance, its one-sided
    gap and its step (NaN where unknown).
    """
    n, tau, gap, h0 = miss
    index = _index(setting, name, flat)
    h = setting.probe.step(name, index, "central", setting.options.step)
    smaller: dict[float, tuple[float, float]] = {}
    if _gate_closed(setting, a, n, tau, gap, h0):
        smaller[RESTEP] = _central(setting, name, index, h / RESTEP)
        if not _moved(setting, *smaller[RESTEP], n, tau):
            return False
    for divisor in ONE_SIDED_DIVISORS:  # the smallest step that shows the kink decides
        left, right, left_error, right_error = one_sided(setting.probe, name, index, h / divisor)
        kink, within = kink_verdict(
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
            return within
    for divisor in CENTRAL_DIVISORS:
        value, error = smaller.get(divisor) or _central(setting, name, index, h / divisor)
        tolerance = float(setting.tolerance(np.asarray(a), np.asarray(error), eps))
        if _moved(setting, value, error, n, tau) and abs(a - value) <= tolerance:
            return True
    return False


def _gate_closed(setting: Setting, a: float, n: float, tau: float, gap: float, h0: float) -> bool:
    """Nothing free shows a kink: the one-sided gap is of smooth size and smaller than the miss."""
    if not (math.isfinite(gap) and math.isfinite(n) and math.isfinite(h0)):
        return False
    smooth = KINK_GATE * (4.0 * setting.probe.noise / h0 + h0 * setting.scale)
    return not (gap > smooth or abs(a - n) <= gap + tau)


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

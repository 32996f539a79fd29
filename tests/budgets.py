"""What a check costs and where it evaluates the cost: every count and offset the tests expect.

Derived here, once, from the engine's documented constants (``gradcheck.kinks``,
``gradcheck.judge``, ``gradcheck.setting``), so that a change of steps or budgets that leaves the
verdicts alone changes these numbers and no test. The counts are those of the formulas themselves:
a central difference evaluates ``θ ± s`` (2), a one-sided pair extrapolates each side from ``s``
and ``s/2`` (4).
"""

from __future__ import annotations

from gradcheck.judge import MAX_INVESTIGATED
from gradcheck.kinks import CENTRAL_DIVISORS, ONE_SIDED_DIVISORS, RESTEP
from gradcheck.setting import NOISE_POINTS

__all__ = [
    "BEYOND_INVESTIGATED",
    "CENTRAL",
    "MAX_INVESTIGATED",
    "NOISE",
    "ONE_SIDED_PAIR",
    "START",
    "central_offsets",
    "central_step",
    "exhaustive",
    "first_pair_decides",
    "full_investigation",
    "kink_inside_the_step_agrees",
    "kink_investigation",
    "off_kink_look",
    "one_sided_offsets",
    "pairs",
]

#: The cost at the point, twice (the second call checks that it is deterministic).
START = 2
#: The noise estimate, measured once (up front when at least this many entries are checked one by one).
NOISE = NOISE_POINTS
#: A central difference: ``θ ± s``.
CENTRAL = 2
#: A pair of one-sided derivatives, each side extrapolated from ``s`` and ``s/2``.
ONE_SIDED_PAIR = 4
#: A number of rejections or suspects beyond the per-block budget, with some to spare.
BEYOND_INVESTIGATED = MAX_INVESTIGATED + 8


def exhaustive(entries: int) -> int:
    """Evaluations of a check of ``entries`` entries one by one by central differences (noise up front)."""
    assert entries >= NOISE_POINTS, "fewer entries measure the noise only when one disagrees"
    return START + NOISE + CENTRAL * entries


def pairs(*steps: float) -> list[float]:
    """The offsets ``±s`` for each ``s``, sorted."""
    return sorted([*steps, *(-s for s in steps)])


def central_offsets(h: float, divisor: float) -> list[float]:
    """A central difference at ``h / divisor``."""
    return pairs(h / divisor)


def one_sided_offsets(h: float, divisor: float) -> list[float]:
    """A one-sided pair at ``s = h / divisor``: ``±s`` and ``±s/2``."""
    return pairs(h / divisor, h / divisor / 2.0)


def kink_investigation(h: float, *, gate: bool, one_sided: int, centrals: int) -> list[float]:
    """The offsets a kink investigation of an entry with central step ``h`` adds, in order of the docs:

    ``gate``: the gate's central difference at ``h / RESTEP`` (taken when nothing free shows a
    kink); ``one_sided``: how many one-sided pairs, from the smallest step; ``centrals``: how many of
    the smaller central differences then, the gate's reused when its step is one of them.
    """
    offsets = central_offsets(h, RESTEP) if gate else []
    for divisor in ONE_SIDED_DIVISORS[:one_sided]:
        offsets += one_sided_offsets(h, divisor)
    for divisor in CENTRAL_DIVISORS[:centrals]:
        if not (gate and divisor == RESTEP):
            offsets += central_offsets(h, divisor)
    return sorted(offsets)


def off_kink_look(h: float) -> list[float]:
    """Nothing free shows a kink, and the gate's smaller step does not move the difference: stop."""
    return kink_investigation(h, gate=True, one_sided=0, centrals=0)


def first_pair_decides(h: float) -> list[float]:
    """A kink at the point: the first one-sided pair shows it and decides."""
    return kink_investigation(h, gate=False, one_sided=1, centrals=0)


def full_investigation(h: float, *, gate: bool) -> list[float]:
    """No pair shows a kink and no smaller central difference agrees: every step is taken."""
    return kink_investigation(h, gate=gate, one_sided=len(ONE_SIDED_DIVISORS), centrals=len(CENTRAL_DIVISORS))


def central_step(offsets: list[float]) -> float:
    """The central step ``h`` of a full investigation, from its offsets: the largest is ``h`` over
    the smallest divisor."""
    return max(offsets) * min((*ONE_SIDED_DIVISORS, *CENTRAL_DIVISORS))


def kink_inside_the_step_agrees(h: float) -> list[float]:
    """The gate's difference moved, no pair shows a kink at the point, and the first smaller
    central difference agrees."""
    return kink_investigation(h, gate=True, one_sided=len(ONE_SIDED_DIVISORS), centrals=1)

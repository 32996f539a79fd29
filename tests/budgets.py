"""What a check costs and where it evaluates the cost: every count and offset the tests expect.

Derived here, once, from the engine's documented constants (``gradcheck.kinks``,
``gradcheck.judge``, ``gradcheck.setting``), so that a change of steps or budgets that leaves the
verdicts alone changes these numbers and no test. The counts are those of the formulas themselves:
a central difference evaluates ``θ ± s`` (2), a one-sided pair extrapolates each side from ``s``
and ``s/2`` (4).
"""

from __future__ import annotations

from gradcheck.arguments import Options
from gradcheck.directional import SENSITIVE_DIRECTIONS
from gradcheck.judge import MAX_INVESTIGATED
from gradcheck.kinks import ONE_SIDED_DIVISORS, RESTEP
from gradcheck.numerical import DIRECTION_EVALUATIONS, HALVINGS, SECOND_LOOK
from gradcheck.setting import NOISE_POINTS, NOISE_UP_FRONT

__all__ = [
    "BEYOND_INVESTIGATED",
    "CENTRAL",
    "DIRECTION",
    "DIRECTIONS",
    "MAX_INVESTIGATED",
    "NOISE",
    "ONE_SIDED_PAIR",
    "SECOND_LOOK",
    "SENSITIVE",
    "START",
    "TRUNCATION",
    "TRUNCATION_FORWARD",
    "central_offsets",
    "central_step",
    "directional",
    "directions_taken",
    "exhaustive",
    "kink_investigation",
    "late_noise",
    "off_kink_look",
    "one_sided_offsets",
    "pairs",
    "truncation_offsets",
    "whole_climb",
]

#: The cost at the point, twice (the second call checks that it is deterministic).
START = 2
#: The noise estimate, measured once: up front when at least ``NOISE_UP_FRONT`` entries are checked one
#: by one, else when one disagrees (:func:`late_noise`).
NOISE = NOISE_POINTS
#: A central difference: ``θ ± s``.
CENTRAL = 2
#: A pair of one-sided derivatives, each side extrapolated from ``s`` and ``s/2``.
ONE_SIDED_PAIR = 4
#: A failing entry's truncation measured before it is called wrong: central differences at ``h/2`` and
#: ``h/4`` (forward differences: one evaluation each).
TRUNCATION = CENTRAL * HALVINGS
TRUNCATION_FORWARD = HALVINGS
#: A number of rejections or suspects beyond the per-block budget, with some to spare.
BEYOND_INVESTIGATED = MAX_INVESTIGATED + 8
#: A Gaussian direction: a central difference (``θ ± hv``) and the third difference's ``θ + 2hv``.
DIRECTION = DIRECTION_EVALUATIONS["central"]
#: A sensitive direction: central differences at ``±hv``, ``±hv/2`` and ``±hv/4``, extrapolated.
SENSITIVE = DIRECTION_EVALUATIONS["richardson"]
#: Gaussian directions by default (``verify_gradients(directions=...)``).
DIRECTIONS = Options().directions


def directions_taken(directions: int = DIRECTIONS) -> int:
    """Directions a block right along every one is checked along: the Gaussian and the sensitive ones."""
    return directions + SENSITIVE_DIRECTIONS


def directional(directions: int = DIRECTIONS) -> int:
    """Evaluations of a check along directions of gradients right everywhere: the start, then every
    block moved at once along each direction."""
    return START + DIRECTION * directions + SENSITIVE * SENSITIVE_DIRECTIONS


def late_noise(entries: int) -> int:
    """What a disagreement among ``entries`` entries checked one by one adds for the noise when it
    outlives the estimate (a wrong entry): the estimate, unless it was measured up front (at least
    ``NOISE_UP_FRONT`` entries), and the staircase read along its second line (``SECOND_LOOK``)."""
    return (NOISE if entries < NOISE_UP_FRONT else 0) + SECOND_LOOK


def exhaustive(entries: int) -> int:
    """Evaluations of a check of ``entries`` entries one by one by central differences (noise up front)."""
    assert entries >= NOISE_UP_FRONT, "fewer entries measure the noise only when one disagrees"
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


def truncation_offsets(h: float, *, central: bool = True) -> list[float]:
    """A failing entry's truncation measured, its difference at step ``h``: the differences at ``h/2``
    and ``h/4`` (``±``, central; ``+``, forward)."""
    steps = [h / 2.0**halving for halving in range(1, HALVINGS + 1)]
    return pairs(*steps) if central else sorted(steps)


def kink_investigation(h: float, *, gate: bool, pairs: int) -> list[float]:
    """The offsets a kink investigation of an entry with central step ``h`` adds, in order of the docs:

    ``gate``: the gate's central difference at ``h / RESTEP`` (taken when nothing free shows a
    kink); ``pairs``: how many one-sided pairs of the climb, from the smallest step (the climb
    stops after the first pair that disagrees with the one below it).
    """
    offsets = central_offsets(h, RESTEP) if gate else []
    for divisor in ONE_SIDED_DIVISORS[:pairs]:
        offsets += one_sided_offsets(h, divisor)
    return sorted(offsets)


def off_kink_look(h: float) -> list[float]:
    """Nothing free shows a kink, and the gate's smaller step does not move the difference: stop."""
    return kink_investigation(h, gate=True, pairs=0)


def whole_climb(h: float, *, gate: bool) -> list[float]:
    """Every one-sided pair agrees with the one below it (a kink at the point, or none): every step
    is taken."""
    return kink_investigation(h, gate=gate, pairs=len(ONE_SIDED_DIVISORS))


def central_step(offsets: list[float]) -> float:
    """The central step ``h`` of a whole climb, from its offsets: the largest is ``h`` over the
    smallest divisor."""
    return max(offsets) * min(ONE_SIDED_DIVISORS)

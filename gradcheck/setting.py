"""What every block of a check is judged against, measured once before any verdict.

:func:`measure` is the step between recognising a reference and judging the blocks: it plans which
entries finite differences look at one by one (:data:`EXHAUSTIVE_UP_TO`), measures the cost's noise
where it matters (:data:`NOISE_UP_FRONT`, :data:`NOISE_POINTS`), takes the finite differences, and
fixes the gradient's scale ``G``. Nothing after it changes the noise, the steps or the scale, so
each block is judged once.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import cast

import numpy as np

from gradcheck.arguments import Options
from gradcheck.compare import tolerance
from gradcheck.numerical import (
    FLOAT64_EPS,
    NOISE_LINE_POINTS,
    NOISE_LINES,
    SECOND_LOOK,
    CostProbe,
    FiniteDifferences,
    Method,
    finite_differences,
)
from gradcheck.recognise import Recognised

__all__ = [
    "EXHAUSTIVE_FALLBACK_UP_TO",
    "EXHAUSTIVE_UP_TO",
    "NOISE_POINTS",
    "NOISE_UP_FRONT",
    "Setting",
    "measure",
]

#: The default ("auto") mode checks every entry when the whole problem has at most this many, and
#: otherwise random directions (with entries of blocks too small for them).
EXHAUSTIVE_UP_TO = 1000
#: Above :data:`EXHAUSTIVE_UP_TO`, the default mode still takes a block entry by entry when kinks
#: leave its directions far coarser (:func:`gradcheck.judge._entry_by_entry`), up to this many
#: entries in all (2 evaluations each).
EXHAUSTIVE_FALLBACK_UP_TO = 10 * EXHAUSTIVE_UP_TO
#: Evaluations :meth:`CostProbe.measure_noise` costs: ``NOISE_LINES`` lines of ``NOISE_LINE_POINTS``,
#: the first read for a staircase too (``SECOND_LOOK``, what that costs along one line; more for a
#: cost coarser than its steps).
NOISE_POINTS = NOISE_LINES * NOISE_LINE_POINTS + SECOND_LOOK
#: The noise is measured up front when at least this many entries are checked one by one: their
#: central differences (2 evaluations each) then cost 8 times the estimate, and taking them again
#: for a cost found noisy late would cost 8 times more. With fewer, only once an entry disagrees:
#: right code on a cost no noisier than its dtype (most checks of a learner's code) never pays for it.
NOISE_UP_FRONT = 4 * NOISE_POINTS


@dataclass(frozen=True)
class Setting:
    """The point, the opinions available on it and the scale they are judged at.

    Attributes
    ----------
    probe : CostProbe
    recognised : Recognised or None
        The reference model behind the cost, when one was recognised.
    options : Options
    rng : numpy.random.Generator
        The source of every random direction and sample, in the order the check draws them.
    plan : dict of str to ndarray or None
        Flat indices checked entry by entry per block; None for a block checked along directions.
    fd : FiniteDifferences or None
        Finite differences of the planned entries.
    method : str
        The finite-difference method used (Richardson when the complex step fell back).
    scale : float
        ``G``, the gradient's scale.
    inputs_eps : float
        Machine epsilon of the least precise of the parameters, ``X`` and ``Y`` as the caller gave
        them (:func:`gradcheck.arguments.least_precision`): the analytic gradients were computed
        from them.
    """

    probe: CostProbe
    recognised: Recognised | None
    options: Options
    rng: np.random.Generator
    plan: dict[str, np.ndarray | None]
    fd: FiniteDifferences | None
    method: str
    scale: float
    inputs_eps: float = FLOAT64_EPS

    def analytic_eps(self, array: np.ndarray) -> float:
        """:func:`analytic_eps` of ``array`` at this check's inputs."""
        return analytic_eps(array, self.inputs_eps)

    def tolerance(self, analytic: np.ndarray, error: np.ndarray, eps: float) -> np.ndarray:
        """The pass rule's ``τ`` (:func:`gradcheck.compare.tolerance`) at this check's scale and safety."""
        return tolerance(analytic, error, analytic_eps=eps, scale=self.scale, safety=self.options.safety)

    @property
    def notes(self) -> tuple[str, ...]:
        """What the measurement has to say (a noisy cost, a method that fell back)."""
        return tuple(dict.fromkeys((*self.probe.notes, *(self.fd.notes if self.fd else ()))))


def analytic_eps(array: np.ndarray, inputs_eps: float) -> float:
    """The precision an analytic gradient is judged at: its dtype's ``ε``, or ``inputs_eps`` (that
    of what it was computed from) when larger, as for float64 gradients of float32 data."""
    return max(float(np.finfo(array.dtype).eps), inputs_eps)


def measure(
    probe: CostProbe,
    recognised: Recognised | None,
    options: Options,
    analytic: Mapping[str, np.ndarray],
    inputs_eps: float = FLOAT64_EPS,
) -> Setting:
    """Plan the check, measure the noise where it matters and take the planned finite differences.

    Parameters
    ----------
    probe : CostProbe
    recognised : Recognised or None
    options : Options
    analytic : mapping of str to ndarray
        The usable analytic gradients (any shape), keyed by parameter name.
    inputs_eps : float, default float64's
        Machine epsilon of the least precise input the gradients were computed from
        (:attr:`Setting.inputs_eps`).

    Returns
    -------
    Setting
    """
    rng = np.random.default_rng(options.seed)
    plan = _plan(probe, options, rng)
    entries = {name: flat for name, flat in plan.items() if flat is not None and flat.size}
    fd = None
    if entries:
        if options.step is None and sum(flat.size for flat in entries.values()) >= NOISE_UP_FRONT:
            probe.measure_noise()  # cheap next to the entries; directions estimate their own error
        fd = _differences(probe, options, entries)
        if (
            options.step is None
            and not probe.noise_measured
            and _disagrees(fd, recognised, options, analytic, inputs_eps)
        ):
            assumed = probe.noise
            probe.measure_noise()  # a disagreement may only mean the cost is noisier than its dtype
            if probe.noisy:
                fd = _differences(probe, options, entries)  # the steps and errors of the measured noise
            else:  # the estimate's own scatter: the differences stand, and so does the σ they took
                probe.noise = assumed
        if options.step is None and _disagrees(fd, recognised, options, analytic, inputs_eps):
            if probe.look_again():  # a staircase the first noise line's direction did not cross
                fd = _differences(probe, options, entries)
    return Setting(
        probe=probe,
        recognised=recognised,
        options=options,
        rng=rng,
        plan=plan,
        fd=fd,
        method=fd.method if fd is not None else options.method,
        scale=_scale(fd, recognised, analytic),
        inputs_eps=inputs_eps,
    )


def _plan(probe: CostProbe, options: Options, rng: np.random.Generator) -> dict[str, np.ndarray | None]:
    """Flat indices to check entry by entry per block; None for directions only."""
    plan: dict[str, np.ndarray | None] = {}
    for name, theta in probe.point.items():
        if options.mode == "exhaustive" or (options.mode == "auto" and probe.size <= EXHAUSTIVE_UP_TO):
            plan[name] = np.arange(theta.size)
        elif options.mode == "sampled":
            count = min(options.samples, theta.size)
            plan[name] = np.sort(rng.choice(theta.size, size=count, replace=False))
        else:
            plan[name] = None
    return plan


def _differences(probe: CostProbe, options: Options, entries: dict[str, np.ndarray]) -> FiniteDifferences:
    method = cast(Method, options.method)  # checked against METHODS by check_options
    return finite_differences(probe, method=method, step=options.step, entries=entries)


def _scale(
    fd: FiniteDifferences | None, recognised: Recognised | None, analytic: Mapping[str, np.ndarray]
) -> float:
    """``G``: the largest entry finite differences or the reference give; else the analytic one's."""
    magnitudes = []
    if fd is not None:
        magnitudes = [
            float(np.max(np.abs(g[fd.checked[n]]))) for n, g in fd.gradient.items() if fd.checked[n].any()
        ]
    if recognised is not None:
        magnitudes += [float(np.max(np.abs(g))) for g in recognised.gradient.values()]
    if not magnitudes:
        magnitudes = [float(np.max(np.abs(a[np.isfinite(a)]), initial=0.0)) for a in analytic.values()]
    return max(magnitudes, default=0.0)


def _disagrees(
    fd: FiniteDifferences,
    recognised: Recognised | None,
    options: Options,
    analytic: Mapping[str, np.ndarray],
    inputs_eps: float,
) -> bool:
    """Does a finite analytic entry of the right shape lie beyond its tolerance from its difference?"""
    scale = _scale(fd, recognised, analytic)
    for name, array in analytic.items():
        checked = fd.checked.get(name)
        if checked is None or array.shape != checked.shape or not checked.any():
            continue
        a = array.astype(np.float64)[checked]
        eps = analytic_eps(array, inputs_eps)
        tau = tolerance(a, fd.error[name][checked], analytic_eps=eps, scale=scale, safety=options.safety)
        if np.any(np.isfinite(a) & ~(np.abs(a - fd.gradient[name][checked]) <= tau)):
            return True
    return False

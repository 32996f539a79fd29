"""The judging stage: each block's entries against finite differences, directions and the reference.

Three opinions can speak on an entry: finite differences (entry by entry, or along random
directions for blocks too large), and the recognised reference model's exact gradient. A block is
judged in named steps over one record of its entries (:class:`Entries`):

1. :func:`_fd_opinion`: the planned entries against their finite differences;
2. :func:`_reference_opinion`: every entry against the reference (any value between the one-sided
   derivatives at kinks); the worst rejections confirmed by finite differences, entries finer than
   finite differences resolve left to the reference ("blind");
3. :func:`_investigate_kinks`: an entry finite differences reject, that a kink, or the truncation
   of its difference where the curvature is large, may explain;
4. :func:`_directional_opinion`: a block checked along directions, measured alone when a joint
   direction failed; without a reference, group testing locates its wrong entries;
5. :func:`_verdict`: wrong entries and the block's verdict; with a reference an entry is wrong only
   when every opinion that looked at it and can resolve it rejects it.

Evaluation budgets: per block, suspects whose own difference shows a kink are investigated until
:data:`MAX_INVESTIGATED` of them are left unexplained, the others only when there are at most
:data:`MAX_INVESTIGATED` of them; as many reference rejections are confirmed by finite differences.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

import numpy as np

from gradcheck.compare import block_relative_error, element_relative_errors, excess_over, outside
from gradcheck.diagnose import Evidence, harmless_shape, shape_diagnosis, shape_note
from gradcheck.directional import BlockDirections, DirectionCheck, check_blocks, check_direction, localise
from gradcheck.kinks import entry_difference, kink_excess, shows_kink
from gradcheck.network.interface import Hints
from gradcheck.numerical import relative_step
from gradcheck.report import EXCESS_MAP_SIZE, GradientResult
from gradcheck.setting import EXHAUSTIVE_FALLBACK_UP_TO, Setting

__all__ = ["COARSER", "MAX_INVESTIGATED", "Entries", "Judgement", "judge", "judged_arrays"]

#: Per block: suspects left unexplained by a kink before the search stops (others: investigated only
#: up to this many), and reference rejections confirmed by finite differences.
MAX_INVESTIGATED = 32
#: How much coarser than a block's own entry-by-entry differences its directions may resolve a
#: one-entry error before the default mode takes its entries one by one too (:func:`_entry_by_entry`).
COARSER = 10.0
FLOAT64_EPS = float(np.finfo(np.float64).eps)


@dataclass(frozen=True)
class Judgement:
    """The judged blocks: a result per usable gradient, and the evidence on the failed ones.

    Attributes
    ----------
    results : dict of str to GradientResult
        Without diagnoses, except for gradients of the wrong shape (explained here); a harmless
        shape's is judged on its values and has a ``note``.
    evidence : dict of str to Evidence
        What was measured on each failed gradient of the right (or a harmless) shape, for
        diagnosis, in the parameter's shape.
    notes : tuple of str
        What judging found that the user should know (entries finer than finite differences).
    """

    results: dict[str, GradientResult]
    evidence: dict[str, Evidence]
    notes: tuple[str, ...]


@dataclass
class Entries:
    """One block's entries, flat, and what the opinions say of each.

    ``numeric`` and ``tau`` hold the opinion each entry is finally judged against and its tolerance
    (NaN: none); ``judged`` marks entries with an element-wise verdict; ``fd_wrong`` the ones finite
    differences reject, ``reference_wrong`` the ones the reference rejects (None: no reference);
    ``kinks`` the ones a kink explains, and ``kink_excess`` their miss in units of the tolerance at the
    kink (at most 1; NaN elsewhere): a difference that straddles a kink is not what judged them;
    ``blind`` those the reference alone can resolve. ``gap`` and ``step`` hold each measured entry's
    one-sided gap ``|D₊ − D₋|`` and step (NaN until measured).
    """

    a: np.ndarray
    eps: float
    gap: np.ndarray
    step: np.ndarray
    numeric: np.ndarray = field(init=False)
    tau: np.ndarray = field(init=False)
    judged: np.ndarray = field(init=False)
    fd_wrong: np.ndarray = field(init=False)
    kinks: np.ndarray = field(init=False)
    kink_excess: np.ndarray = field(init=False)
    blind: np.ndarray = field(init=False)
    reference_wrong: np.ndarray | None = None

    def __post_init__(self) -> None:
        self.numeric = np.full(self.a.size, np.nan)
        self.tau = np.full(self.a.size, np.nan)
        self.kink_excess = np.full(self.a.size, np.nan)
        self.judged, self.fd_wrong, self.kinks, self.blind = (
            np.zeros(self.a.size, dtype=bool) for _ in range(4)
        )

    @property
    def finite(self) -> np.ndarray:
        finite: np.ndarray = np.isfinite(self.a)
        return finite

    def measure(self, setting: Setting, name: str, i: int, method: str | None = None) -> None:
        """Take entry ``i``'s finite difference now (by the check's method, or ``method``) and judge
        it with it."""
        measured = entry_difference(setting, name, i, float(self.a[i]), self.eps, method)
        self.numeric[i], self.tau[i], self.fd_wrong[i], self.gap[i], self.step[i] = measured
        self.judged[i] = True

    def explained_by_kink(self, setting: Setting, name: str, i: int) -> bool:
        """Does a kink, or the truncation of its difference, explain why entry ``i`` misses it?

        Then it passes (a kink counted). A measured truncation replaces the entry's difference and
        tolerance with the corrected ones (:func:`gradcheck.kinks.kink_excess`), which the
        report shows, passing or not.
        """
        miss = (self.numeric[i], self.tau[i], self.gap[i], self.step[i])
        finding = kink_excess(setting, name, i, float(self.a[i]), miss, self.eps)
        if finding.excess <= 1.0:
            self.fd_wrong[i], self.kinks[i], self.kink_excess[i] = False, True, finding.excess
            return True
        if finding.corrected is not None:
            self.numeric[i], self.tau[i] = finding.corrected
            self.fd_wrong[i] = not abs(self.a[i] - self.numeric[i]) <= self.tau[i]
        return not self.fd_wrong[i]


@dataclass(frozen=True)
class _Verdict:
    wrong: np.ndarray
    failed: bool
    fd_agrees: bool
    reference_agrees: bool | None


def judged_arrays(
    analytic: Mapping[str, tuple[str, np.ndarray]], point: Mapping[str, np.ndarray]
) -> dict[str, np.ndarray]:
    """Each usable gradient as it is judged: reshaped to its parameter's shape when its own shape is
    harmless (:func:`gradcheck.diagnose.harmless_shape`), else as given.

    Parameters
    ----------
    analytic : mapping of str to (str, ndarray)
        Parameter name -> (the gradient's key, the gradient), as gathered.
    point : mapping of str to ndarray
        The parameters.

    Returns
    -------
    dict of str to ndarray
        Keyed by parameter name; a gradient of any other wrong shape keeps it (and fails for it).
    """
    arrays = {}
    for name, (_, array) in analytic.items():
        expected = point[name].shape
        harmless = array.shape != expected and harmless_shape(expected, array.shape)
        arrays[name] = array.reshape(expected) if harmless else array
    return arrays


def judge(setting: Setting, analytic: dict[str, tuple[str, np.ndarray]], hints: Hints) -> Judgement:
    """Judge every usable gradient, block by block, in the parameters' order.

    Blocks checked along directions are first checked all at once (see
    :class:`gradcheck.directional.DirectionCheck`); each is measured alone only when a joint
    direction fails. A gradient of a harmless shape is judged on its values in its parameter's
    shape (:func:`judged_arrays`), and its result says so (``note``). ``hints`` give the fixes
    quoted for gradients of the wrong shape.
    """
    point = setting.probe.point
    arrays = judged_arrays(analytic, point)
    joint_blocks = {
        name: array.astype(np.float64)
        for name, array in arrays.items()
        if setting.plan[name] is None
        and array.shape == point[name].shape
        and bool(np.all(np.isfinite(array)))
    }
    eps = {name: setting.analytic_eps(array) for name, (_, array) in analytic.items()}
    along = check_blocks(
        setting.probe,
        joint_blocks,
        setting.rng,
        directions=setting.options.directions,
        analytic_eps=eps,
        scale=setting.scale,
        safety=setting.options.safety,
    )
    results: dict[str, GradientResult] = {}
    evidence: dict[str, Evidence] = {}
    notes: list[str] = []
    entry_by_entry: list[tuple[str, str]] = []
    for name, (key, given) in analytic.items():
        array, formula = arrays[name], hints.formulas.get(name)
        if array.shape != point[name].shape:
            results[name] = _wrong_shape(setting, name, key, array, hints)
            continue
        checks = along.get(name, BlockDirections([], []))
        results[name], found, said, coarse = _judge_block(setting, name, key, array, checks, formula)
        if coarse is not None:
            entry_by_entry.append((key, coarse))
        if given.shape != array.shape:  # a harmless shape, judged reshaped
            note = shape_note(name, key, given.shape, array.shape, formula)
            results[name] = replace(results[name], shape=given.shape, note=note)
        notes += said
        if found is not None:
            evidence[name] = found
    if entry_by_entry:
        notes.append(_entry_by_entry_note(*(list(column) for column in zip(*entry_by_entry, strict=True))))
    return Judgement(results, evidence, tuple(notes))


def _judge_block(
    setting: Setting, name: str, key: str, array: np.ndarray, checks: BlockDirections, formula: str | None
) -> tuple[GradientResult, Evidence | None, tuple[str, ...], str | None]:
    """One block of the parameter's shape, through the steps of the module docs; the last item is
    what the note says of a block taken entry by entry too (:func:`_entry_by_entry`)."""
    gap, step = np.full(array.size, np.nan), np.full(array.size, np.nan)
    if setting.fd is not None:
        gap[:], step[:] = setting.fd.kink_gap[name].reshape(-1), setting.fd.steps[name].reshape(-1)
    entries = Entries(array.astype(np.float64).reshape(-1), setting.analytic_eps(array), gap, step)
    _fd_opinion(setting, name, entries)
    notes = _reference_opinion(setting, name, key, entries)
    _investigate_kinks(setting, name, entries)
    own, unexplained = _directional_opinion(setting, name, array.shape, entries, checks.own)
    coarse = _entry_by_entry(setting, name, key, entries, [*checks.joint, *own])
    verdict = _verdict(setting, entries, own, unexplained)
    joint = checks.joint
    result = _result(setting, name, key, array.shape, entries, verdict, own or joint, len(joint) + len(own))
    found = None
    if verdict.failed:
        found = _evidence(setting, name, key, array.shape, entries, verdict, own or joint, formula)
    return result, found, notes, coarse


def _fd_opinion(setting: Setting, name: str, entries: Entries) -> None:
    """The planned entries against their finite differences."""
    flat = setting.plan[name]
    if flat is None or not flat.size or setting.fd is None:
        return
    n = setting.fd.gradient[name].reshape(-1)[flat]
    t = setting.tolerance(entries.a[flat], setting.fd.error[name].reshape(-1)[flat], entries.eps)
    entries.numeric[flat], entries.tau[flat], entries.judged[flat] = n, t, True
    entries.fd_wrong[flat] = ~(np.abs(entries.a[flat] - n) <= t)


def _reference_opinion(setting: Setting, name: str, key: str, entries: Entries) -> tuple[str, ...]:
    """Every entry against the reference's exact gradient, within its rounding ``ε M``.

    At kinks, any value in the reference's interval passes (and is counted). The worst rejections
    finite differences have not looked at are confirmed by them; entries finite differences accept
    but cannot tell from the reference either are finer than they resolve: the reference decides.
    Entries no other opinion looked at are judged against the reference.
    """
    recognised = setting.recognised
    if recognised is None:
        return ()
    a, eps = entries.a, entries.eps
    r = recognised.gradient[name].reshape(-1)
    t_ref = setting.tolerance(a, eps * recognised.magnitude[name].reshape(-1), eps)
    rejected = ~(np.abs(a - r) <= t_ref)
    if recognised.interval is not None:  # at kinks, any slope between the one-sided ones
        lo, hi = (bound.reshape(-1) for bound in recognised.interval[name])
        at_kink = hi - lo > t_ref
        inside = (lo - t_ref <= a) & (a <= hi + t_ref)
        entries.kinks |= at_kink & inside
        entries.kink_excess = np.where(at_kink & inside, excess_over(outside(a, lo, hi), t_ref), np.nan)
        rejected = np.where(at_kink, ~inside, rejected)
    entries.reference_wrong = rejected
    _confirm_rejections(setting, name, entries, r, t_ref)
    notes = _leave_to_reference(entries, r, t_ref, key)
    rest = ~entries.judged  # both opinions accept: the map shows the reference
    entries.numeric[rest], entries.tau[rest] = r[rest], t_ref[rest]
    return notes


def _confirm_rejections(
    setting: Setting, name: str, entries: Entries, r: np.ndarray, t_ref: np.ndarray
) -> None:
    """Finite differences confirm the :data:`MAX_INVESTIGATED` worst rejections they have not seen.

    Beyond those, a rejection stands on the reference alone when it exceeds every excess finite
    differences accepted (those are rounding, not bugs).
    """
    assert entries.reference_wrong is not None
    a = entries.a
    unconfirmed = np.flatnonzero(entries.reference_wrong & ~entries.judged & entries.finite)
    excess = np.abs(a - r)[unconfirmed] / t_ref[unconfirmed]
    order = unconfirmed[np.argsort(-excess)]
    vouched = 0.0  # the largest excess FD accepted against the reference
    for i in order[:MAX_INVESTIGATED]:
        entries.measure(setting, name, int(i))
        if not entries.fd_wrong[i] and not abs(entries.numeric[i] - r[i]) <= entries.tau[i]:
            vouched = max(vouched, abs(a[i] - r[i]) / t_ref[i])
    for i in order[MAX_INVESTIGATED:]:
        if abs(a[i] - r[i]) / t_ref[i] > vouched:
            entries.numeric[i], entries.tau[i], entries.judged[i] = r[i], t_ref[i], True
            entries.fd_wrong[i] = True  # no FD opinion: the reference's stands


def _leave_to_reference(entries: Entries, r: np.ndarray, t_ref: np.ndarray, key: str) -> tuple[str, ...]:
    """Entries FD accepts but cannot tell from the reference either: the reference decides (a note)."""
    assert entries.reference_wrong is not None
    a = entries.a
    entries.blind = (
        entries.reference_wrong
        & entries.judged
        & ~entries.fd_wrong
        & entries.finite
        & (np.abs(entries.numeric - r) <= entries.tau)
    )
    blind = entries.blind
    if not blind.any():
        return ()
    entries.numeric[blind], entries.tau[blind] = r[blind], t_ref[blind]
    worst = float(np.max(np.abs(a - r)[blind] / np.maximum(np.abs(r[blind]), np.abs(a[blind]))))
    return (
        f"{key}: {int(np.count_nonzero(blind))} entries differ from the exact reference gradient by less "
        f"than finite differences can resolve (up to {worst:.2g} relative); the reference (autograd, "
        "exact to rounding) decides them",
    )


def _investigate_kinks(setting: Setting, name: str, entries: Entries) -> None:
    """Entries FD rejects (and the reference, if any, accepts): does a kink explain the miss?

    With the reference, its exact interval decides at kinks; FD's verdict only informs
    ``fd_agrees``. Suspects whose own difference shows a kink within its step (:func:`shows_kink`)
    are investigated until :data:`MAX_INVESTIGATED` of them are left unexplained (a block on many
    kinks, ``W1 = 0``, has one on every entry); the others only when there are at most
    :data:`MAX_INVESTIGATED` of them.
    """
    accepted = True if entries.reference_wrong is None else ~entries.reference_wrong
    suspects = np.flatnonzero(entries.fd_wrong & entries.finite & accepted)
    kinked = np.array([shows_kink(setting, entries.gap[i], entries.step[i]) for i in suspects], dtype=bool)
    unexplained = 0
    for i in suspects[kinked]:
        if unexplained >= MAX_INVESTIGATED:
            break
        unexplained += not entries.explained_by_kink(setting, name, int(i))
    others = suspects[~kinked]
    if others.size <= MAX_INVESTIGATED:
        for i in others:
            entries.explained_by_kink(setting, name, int(i))


def _directional_opinion(
    setting: Setting, name: str, shape: tuple[int, ...], entries: Entries, own: list[DirectionCheck]
) -> tuple[list[DirectionCheck], bool]:
    """A block checked along directions: ``(its own checks, unexplained)``.

    ``own`` holds the block's parts of the failed joint checks, measured alone
    (:func:`gradcheck.directional.check_blocks`). If one fails and no reference decides, group
    testing along it locates the wrong entries (:func:`_locate`). When nothing is located, one
    fresh sensitive direction (Richardson's) tells a fluke from an error too small or too spread
    out to pin: if it fails, the search is run along it too, and a block where that locates
    nothing either is wrong with no entry named (``unexplained``).
    """
    if setting.plan[name] is not None:
        return [], False
    failing = next((check for check in own if not check.passed), None)
    if failing is None or setting.recognised is not None:
        return own, False
    gave_up = _locate(setting, name, shape, entries, failing)
    if entries.fd_wrong.any() or gave_up:
        return own, gave_up
    again = _alone(setting, name, entries.a.reshape(shape), entries.eps, stencil="richardson")
    own = [*own, again]
    if again.passed:
        return own, False
    if failing.stencil != again.stencil:
        gave_up = _locate(setting, name, shape, entries, again)
    return own, gave_up or not entries.fd_wrong.any()


def _entry_by_entry(
    setting: Setting, name: str, key: str, entries: Entries, checks: list[DirectionCheck]
) -> str | None:
    """In the default mode, a block its directions found right, checked entry by entry as well when
    they resolve a one-entry error :data:`COARSER` times worse than its own differences would.

    A one-entry error ``Δ`` moves a direction's mismatch by ``Δ |w_i|``: the sensitive direction
    (Richardson's) resolves ``Δ ≥ τ_v / median |w_i|``, about ``τ_v √n``; a central difference of the
    entry resolves ``safety · σ / h``. On a smooth cost Richardson's error is far below that and the
    directions resolve as finely; where kinks lie within its steps (ReLU units near 0, the course's
    initialisation), its steps must shrink and rounding makes ``τ_v √n`` far coarser. Then, when the
    whole problem has at most :data:`gradcheck.setting.EXHAUSTIVE_FALLBACK_UP_TO` entries, every entry
    is taken (2 evaluations each), and failing ones investigated for kinks as in exhaustive mode.
    Returns what the note says of the block (None: not taken entry by entry).
    """
    probe, options = setting.probe, setting.options
    if (
        options.mode != "auto"
        or setting.plan[name] is not None
        or setting.recognised is not None
        or probe.size > EXHAUSTIVE_FALLBACK_UP_TO
        or entries.judged.any()
    ):
        return None
    sensitive = [c for c in checks if c.stencil == "richardson" and name in c.directions and c.passed]
    if not sensitive:
        return None
    weights = np.abs(sensitive[-1].numeric.weights[name]).reshape(-1)
    directions = sensitive[-1].tolerance / max(float(np.median(weights)), np.finfo(float).tiny)
    theta = float(np.median(np.maximum(1.0, np.abs(probe.point[name]))))
    own = options.safety * probe.noise / (relative_step("central", probe.noise, probe.cost) * theta)
    if directions <= COARSER * own:
        return None
    for i in range(entries.a.size):
        entries.measure(setting, name, i)
    _investigate_kinks(setting, name, entries)
    return f"{key} {directions:.1e} against {own:.1e}"


def _entry_by_entry_note(keys: list[str], said: list[str]) -> str:
    """One note for every block :func:`_entry_by_entry` took."""
    return (
        f"{', '.join(keys)} {'was' if len(keys) == 1 else 'were'} checked entry by entry too: kinks "
        "within the steps of the random directions (ReLU units near 0) let these resolve a one-entry "
        f"error only far more coarsely than each entry's own difference ({', '.join(said)})"
    )


def _locate(
    setting: Setting, name: str, shape: tuple[int, ...], entries: Entries, failing: DirectionCheck
) -> bool:
    """Group testing along ``failing``; each entry found confirmed on its own (:func:`_confirm`).
    Past ``max_wrong`` wrong places, a sample of ``samples`` entries is measured by the check's
    method too. Returns ``gave_up``."""
    options = setting.options
    found, gave_up = localise(
        setting.probe,
        name,
        entries.a.reshape(shape),
        failing,
        analytic_eps=entries.eps,
        scale=setting.scale,
        safety=options.safety,
        max_wrong=options.max_wrong,
    )
    for i in found:
        _confirm(setting, name, entries, i, failing.stencil)
    if gave_up:  # wrong nearly everywhere: look at a sample entry by entry, by the check's method
        size = entries.a.size
        for i in setting.rng.choice(size, min(options.samples, size), replace=False):
            _confirm(setting, name, entries, int(i), "central")
    return gave_up


def _confirm(setting: Setting, name: str, entries: Entries, i: int, stencil: str) -> None:
    """Entry ``i``, found by group testing along a ``stencil`` direction, measured on its own.

    By the check's method; an entry found along a Richardson direction that the check's central
    or forward difference cannot resolve is measured by Richardson extrapolation too (6
    evaluations): at most ``max_wrong`` per block. A rejection is then investigated for a kink.
    """
    if entries.judged[i]:
        return
    entries.measure(setting, name, i)
    if not entries.fd_wrong[i] and stencil == "richardson" and setting.method in ("central", "forward"):
        entries.measure(setting, name, i, method="richardson")
    if entries.fd_wrong[i]:
        entries.explained_by_kink(setting, name, i)


def _alone(
    setting: Setting,
    name: str,
    block: np.ndarray,
    eps: float,
    direction: np.ndarray | None = None,
    stencil: str = "central",
) -> DirectionCheck:
    """Block ``name`` checked alone along ``direction`` (default: a fresh random one); 3 evaluations
    (6 for the ``"richardson"`` stencil)."""
    return check_direction(
        setting.probe,
        {name: block},
        setting.rng,
        analytic_eps={name: eps},
        scale=setting.scale,
        safety=setting.options.safety,
        directions=None if direction is None else {name: direction},
        stencil=stencil,
    )


def _verdict(setting: Setting, entries: Entries, own: list[DirectionCheck], unexplained: bool) -> _Verdict:
    """Wrong entries, the block's verdict and each opinion's."""
    finite, fd_wrong, reference_wrong = entries.finite, entries.fd_wrong, entries.reference_wrong
    # with the reference no search follows a failed direction: the failure is FD's dissent
    dissent = setting.recognised is not None and any(not c.passed for c in own)
    fd_agrees = not fd_wrong.any() and not unexplained and not dissent and bool(finite.all())
    if reference_wrong is None:
        wrong = ~finite | fd_wrong
        return _Verdict(wrong, bool(wrong.any()) or unexplained, fd_agrees, None)
    # an entry is wrong only when every opinion that looked at it and can resolve it rejects it
    wrong = ~finite | ((fd_wrong | entries.blind) & reference_wrong)
    return _Verdict(wrong, bool(wrong.any()), fd_agrees, not bool((reference_wrong & ~entries.kinks).any()))


def _result(
    setting: Setting,
    name: str,
    key: str,
    shape: tuple[int, ...],
    entries: Entries,
    verdict: _Verdict,
    checks: list[DirectionCheck],
    directions: int,
) -> GradientResult:
    """The block's result: verdict, worst entry, relative errors, coverage, opinions, error map."""
    a, numeric = entries.a, entries.numeric
    plan = setting.plan[name]
    mode = "directional" if plan is None else ("exhaustive" if plan.size == a.size else "sampled")
    worst, worst_values = _worst(entries, verdict.wrong, shape)
    reference_error, numeric_reference_error = _reference_errors(setting, name, a)
    checked = (
        int(np.count_nonzero(entries.judged & np.isfinite(numeric))) if plan is not None or directions else 0
    )
    excess = _excess(entries, shape) if verdict.failed and a.size <= EXCESS_MAP_SIZE else None
    return GradientResult(
        name=name,
        gradient_key=key,
        passed=not verdict.failed,
        expected_shape=shape,
        shape=shape,
        relative_error=_relative_error(entries, checks),
        size=a.size,
        n_failed=int(np.count_nonzero(verdict.wrong)),
        worst_index=worst,
        worst_analytic=worst_values[0],
        worst_numeric=worst_values[1],
        worst_relative_error=worst_values[2],
        worst_tolerance=worst_values[3],
        reference_error=reference_error,
        numeric_reference_error=numeric_reference_error,
        mode=mode,
        checked=checked,
        directions=directions,
        n_kinks=int(np.count_nonzero(entries.kinks)),
        fd_agrees=verdict.fd_agrees,
        reference_agrees=verdict.reference_agrees,
        excess=excess,
    )


def _worst(
    entries: Entries, wrong: np.ndarray, shape: tuple[int, ...]
) -> tuple[tuple[int, ...] | None, tuple[float | None, ...]]:
    """The entry most beyond its tolerance (among the wrong ones, if any), and
    ``(analytic, numeric, relative error, tolerance)`` there."""
    a, numeric, tau = entries.a, entries.numeric, entries.tau
    known = np.isfinite(numeric)
    if not known.any():
        return None, (None, None, None, None)
    excess = np.zeros(a.size)
    with np.errstate(invalid="ignore"):  # a non-finite analytic entry: set to inf below
        np.divide(np.abs(a - numeric), tau, out=excess, where=known & (tau > 0))
    excess[~known] = -1.0
    excess[~np.isfinite(a)] = np.inf
    i = int(np.argmax(np.where(wrong, excess, -1.0))) if wrong.any() else int(np.argmax(excess))
    index = tuple(int(j) for j in np.unravel_index(i, shape)) if shape else ()
    return index, (
        float(a[i]),
        float(numeric[i]),
        float(element_relative_errors(a[i], numeric[i])),
        float(tau[i]),
    )


def _relative_error(entries: Entries, checks: list[DirectionCheck]) -> float:
    """The block relative error against every entry's opinion, else along the random directions."""
    a, numeric = entries.a, entries.numeric
    known = np.isfinite(numeric)
    if known.all():
        return block_relative_error(a, numeric)
    if checks:
        mismatch = math.sqrt(sum(c.mismatch**2 for c in checks))
        norms = math.sqrt(sum(c.analytic**2 for c in checks)) + math.sqrt(
            sum(c.numeric.value**2 for c in checks)
        )
        return mismatch / norms if norms else 0.0
    return block_relative_error(a[known], numeric[known])


def _reference_errors(setting: Setting, name: str, a: np.ndarray) -> tuple[float | None, float | None]:
    """Block relative errors of the analytic gradient and of FD's entries against the reference."""
    if setting.recognised is None:
        return None, None
    exact = setting.recognised.gradient[name].reshape(-1)
    fd = setting.fd
    numeric_reference_error = None
    if fd is not None and fd.checked[name].any():
        mask = fd.checked[name].reshape(-1)
        numeric_reference_error = block_relative_error(fd.gradient[name].reshape(-1)[mask], exact[mask])
    return block_relative_error(a, exact), numeric_reference_error


def _excess(entries: Entries, shape: tuple[int, ...]) -> np.ndarray:
    """``|a − n| / τ`` per entry (NaN where not compared; inf for a non-finite ``a``); at an entry a
    kink explains, its excess over the kink's evidence instead (at most 1: it passed)."""
    a = entries.a
    with np.errstate(divide="ignore", invalid="ignore"):
        excess: np.ndarray = np.abs(a - entries.numeric) / entries.tau
    excess[entries.kinks] = entries.kink_excess[entries.kinks]
    excess[~np.isfinite(a)] = np.inf
    return excess.reshape(shape)


def _evidence(
    setting: Setting,
    name: str,
    key: str,
    shape: tuple[int, ...],
    entries: Entries,
    verdict: _Verdict,
    checks: list[DirectionCheck],
    formula: str | None,
) -> Evidence:
    """What diagnosis needs of a failed block: values, the truth as far as known, projections."""
    values = entries.a.reshape(shape)
    point = setting.probe.point[name]
    projections = [
        (c.analytic, c.numeric.value, c.tolerance, float(np.sum(point * c.numeric.weights[name])))
        for c in checks
        if set(c.directions) == {name}
    ]
    truth = (
        setting.recognised.gradient[name]
        if setting.recognised is not None
        else entries.numeric.reshape(shape)
    )
    return Evidence(
        name=name,
        label=key,
        analytic=values,
        truth=truth,
        tolerance=entries.tau.reshape(shape),
        wrong=verdict.wrong.reshape(shape),
        parameter=point,
        projections=projections,
        transpose_matches=_transpose_matches(setting, name, values),
        formula=formula,
    )


def _agrees(setting: Setting, name: str, candidate: np.ndarray, eps: float) -> bool:
    """Would ``candidate`` (the parameter's shape) pass? Reference, FD map, or one direction."""
    recognised, fd = setting.recognised, setting.fd
    if recognised is not None:
        r = recognised.gradient[name]
        t = setting.tolerance(candidate, eps * recognised.magnitude[name], eps)
        return bool(np.all(np.abs(candidate - r) <= t))
    if fd is not None and fd.checked[name].all():
        t = setting.tolerance(candidate, fd.error[name], eps)
        return bool(np.all(np.abs(candidate - fd.gradient[name]) <= t))
    if not np.all(np.isfinite(candidate)):
        return False
    return _alone(setting, name, candidate, eps).passed


def _transpose_matches(setting: Setting, name: str, values: np.ndarray) -> bool:
    if values.ndim != 2 or values.shape[0] != values.shape[1] or values.shape[0] < 2:
        return False
    return _agrees(setting, name, values.T, FLOAT64_EPS)


def _wrong_shape(setting: Setting, name: str, key: str, array: np.ndarray, hints: Hints) -> GradientResult:
    """A gradient whose shape is not its parameter's: failed, and explained."""
    point = setting.probe.point[name]
    values = array.astype(np.float64)
    transpose_matches: bool | None = None
    if values.size == point.size:
        is_transpose = values.ndim == 2 and values.shape == point.shape[::-1]
        candidate = values.T if is_transpose else values.reshape(point.shape)
        transpose_matches = _agrees(setting, name, candidate, setting.analytic_eps(array))
    return GradientResult(
        name=name,
        gradient_key=key,
        passed=False,
        expected_shape=point.shape,
        shape=values.shape,
        relative_error=float("nan"),
        size=point.size,
        n_failed=point.size,
        diagnosis=shape_diagnosis(
            name, key, values, point.shape, transpose_matches, hints.formulas.get(name)
        ),
        mode="none",
    )

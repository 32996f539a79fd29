"""``verify_gradients``: check analytic gradients against finite differences (and autograd).

Two forms share one engine:

* general: ``verify_gradients(cost_fn, parameters, gradients, X=None, Y=None)`` for any
  ``cost_fn(parameters) -> float``;
* learner: ``verify_gradients(forward=..., backward=..., parameters=..., X=..., Y=...)`` with the
  course's ``forward_propagation`` / ``backward_propagation`` (and ``compute_cost``) as they are.

Shapes are checked before values, so a transposed gradient or a missing ``keepdims`` is a failed
entry that says so even when the flattened values would match. Nothing the caller passes is
modified: the cost and the learner's functions only ever see copies.
"""

from __future__ import annotations

import copy
import dataclasses
import inspect
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from gradcheck.compare import block_relative_error, element_relative_errors, kink_verdict, tolerance
from gradcheck.diagnose import (
    Evidence,
    catalog_diagnosis,
    match_catalog,
    shape_diagnosis,
    share,
    summarize,
    value_diagnosis,
)
from gradcheck.directional import DirectionCheck, check_direction, localise
from gradcheck.errors import GradcheckError
from gradcheck.network.activations import Activation, get_activation
from gradcheck.network.two_layer import cost as reference_cost
from gradcheck.numerical import (
    CostProbe,
    FiniteDifferences,
    Method,
    check_method,
    check_parameters,
    derivative,
    fd_error,
    finite_differences,
    one_sided,
)
from gradcheck.reference import ReferenceMatch, match_reference
from gradcheck.report import EXCESS_MAP_SIZE, Diagnosis, GradientReport, GradientResult

__all__ = ["MODES", "verify_gradients"]

#: How finite differences cover each block (see ``verify_gradients(mode=...)``).
MODES = ("auto", "exhaustive", "sampled", "directional")


# pragma: no mutate start  (argument checks: tests/test_bad_calls.py; docs/mutation.md)
def verify_gradients(
    cost_fn: Callable[[dict[str, np.ndarray]], Any] | None = None,
    parameters: Mapping[str, Any] | None = None,
    gradients: Mapping[str, Any] | None = None,
    X: Any = None,
    Y: Any = None,
    *,
    forward: Callable[..., Any] | None = None,
    backward: Callable[..., Any] | None = None,
    compute_cost: Callable[..., Any] | None = None,
    activation: str | Activation | None = None,
    method: Method = "central",
    step: float | None = None,
    safety: float = 100.0,
    mode: str = "auto",
    directions: int = 2,
    samples: int = 16,
    seed: int = 0,
    max_wrong: int = 8,
    m: int | None = None,
) -> GradientReport:
    """Check every gradient entry against finite differences, and against autograd when possible.

    General form: ``verify_gradients(cost_fn, parameters, gradients, X=None, Y=None)``.
    Learner form: ``verify_gradients(forward=..., backward=..., parameters=..., X=..., Y=...,
    compute_cost=None)``.

    Parameters
    ----------
    cost_fn : callable, optional
        General form: ``cost_fn(parameters) -> float``, called with dicts of float64 copies.
    parameters : mapping of str to ndarray
        The point, e.g. ``W1`` (n_h, n_x), ``b1`` (n_h, 1), ``W2`` (n_y, n_h), ``b2`` (n_y, 1).
    gradients : mapping of str to array_like, optional
        General form: the analytic gradients, keyed ``"dW1"`` or ``"W1"``; keys naming no
        parameter (``"dZ1"``, ``"dA1"``) are ignored.
    X : ndarray, shape (n_x, m), optional
        Inputs. With ``Y``, lets the check recognise the reference network behind the cost and
        compare with its exact autograd gradient too. Required in the learner form.
    Y : ndarray, shape (n_y, m) or (m,), optional
        Labels; a (m,) vector is used as (1, m).
    forward : callable, optional
        Learner form: ``forward_propagation(X, parameters) -> (A2, cache)``.
    backward : callable, optional
        Learner form: ``backward_propagation(parameters, cache, X, Y) -> dict`` of ``dW1, db1, ...``.
    compute_cost : callable, optional
        Learner form: ``compute_cost(A2, Y)`` or the older ``compute_cost(A2, Y, parameters)``.
        Default: the reference cross-entropy :func:`gradcheck.network.two_layer.cost`.
    activation : str or Activation, optional
        The hidden activation of the reference network to compare with (e.g.
        ``get_activation("leaky_relu", alpha=0.2)``). Default: recognised automatically among
        the registry's activations with their default parameters.
    method : {"central", "forward", "richardson", "complex"}, default "central"
        Finite-difference method for the entries checked one by one (see
        :mod:`gradcheck.numerical`); random directions always use central differences.
    step : float, optional
        Absolute finite-difference step; default chosen per entry from the cost's noise.
    safety : float, default 100
        Safety factor of the pass rule (see :mod:`gradcheck.compare`).
    mode : {"auto", "exhaustive", "sampled", "directional"}, default "auto"
        How finite differences cover each block. ``"exhaustive"``: every entry (2 evaluations
        each with central differences). ``"sampled"``: ``samples`` random entries per block.
        ``"directional"``: ``directions`` random directions per block (3 evaluations each),
        and group testing to locate the wrong entries of a failing block (about
        ``2 log₂ P`` evaluations per wrong entry; see :mod:`gradcheck.directional`).
        ``"auto"``: exhaustive when the parameters have at most 1000 entries in all, else
        directional, with blocks smaller than their directional check taken entry by entry.
    directions : int, default 2
        Random directions per block in directional mode.
    samples : int, default 16
        Entries per block in sampled mode (and looked at when a block is wrong nearly everywhere).
    seed : int, default 0
        Seed of the random directions and samples.
    max_wrong : int, default 8
        Group testing stops looking for single wrong entries beyond this many.
    m : int, optional
        The number of examples, so that a gradient exactly ``m`` times (or ``1/m`` of) the right
        one is named a missing (or extra) 1/m. Default: ``X.shape[1]`` when ``X`` is given.

    Returns
    -------
    GradientReport
        ``report.passed``; ``report["W1"]`` (or ``report["dW1"]``) with ``.passed``,
        ``.relative_error``, ``.diagnosis``, the worst entry and its values; ``report.diagnosis``
        sums up the likely mistakes (see :mod:`gradcheck.diagnose`).

    Raises
    ------
    GradcheckError
        When the call cannot be checked: arguments of both forms or of neither, a cost that is
        not callable or not a finite deterministic scalar, parameters that are not a dict of
        finite float arrays, a learner function that raises or returns the wrong thing. A wrong
        gradient never raises: it is a failed entry of the report.
    """
    if not (isinstance(safety, int | float) and np.isfinite(safety) and safety > 0):
        raise GradcheckError(f"safety must be a positive number, got {safety!r}")
    check_method(method, step)
    if not isinstance(mode, str) or mode not in MODES:
        raise GradcheckError(f"unknown mode {mode!r}; choose one of {', '.join(MODES)}")
    for option, value in (("directions", directions), ("samples", samples), ("max_wrong", max_wrong)):
        if not (isinstance(value, int) and not isinstance(value, bool) and value >= 1):
            raise GradcheckError(f"{option} must be a positive integer, got {value!r}")
    if not (isinstance(seed, int | np.integer) and not isinstance(seed, bool) and seed >= 0):
        raise GradcheckError(f"seed must be a non-negative integer, got {seed!r}")
    if activation is not None:
        try:
            activation = get_activation(activation)
        except (TypeError, ValueError) as error:
            raise GradcheckError(
                "activation must be a name such as 'tanh' or get_activation('leaky_relu', alpha=0.2): "
                f"{error}"
            ) from error
    if m is not None and not (isinstance(m, int | np.integer) and not isinstance(m, bool) and m >= 1):
        raise GradcheckError(f"m (the number of examples) must be a positive integer, got {m!r}")
    learner = forward is not None or backward is not None
    label = "the cost function"
    if learner:
        if cost_fn is not None or gradients is not None:
            raise GradcheckError(
                "pass either cost_fn and gradients (general form) or forward and backward (learner form), "
                "not both"
            )
        if forward is None or backward is None or X is None or Y is None or parameters is None:
            missing = [
                name
                for name, value in (
                    ("forward", forward),
                    ("backward", backward),
                    ("parameters", parameters),
                    ("X", X),
                    ("Y", Y),
                )
                if value is None
            ]
            raise GradcheckError(
                "the learner form needs forward, backward, parameters, X and Y; "
                f"missing: {', '.join(missing)}"
            )
        check_parameters(parameters)
        X, Y = _inputs(X, Y)
        then = _name(compute_cost, "compute_cost") if compute_cost is not None else "the cross-entropy"
        label = f"the cost ({_name(forward, 'forward')}, then {then})"
        cost_fn, gradients = _learner_functions(forward, backward, compute_cost, parameters, X, Y)
    else:
        if cost_fn is None or parameters is None or gradients is None:
            raise GradcheckError(
                "verify_gradients needs cost_fn, parameters and gradients "
                "(or, in the learner form, forward=, backward=, parameters=, X=, Y=)"
            )
        if compute_cost is not None:
            raise GradcheckError(
                "compute_cost belongs to the learner form; pass it with forward= and backward="
            )
        if (X is None) != (Y is None):
            raise GradcheckError(
                "pass X and Y together (both are needed to compare with the reference network)"
            )
        if X is not None:
            X, Y = _inputs(X, Y)
    if not isinstance(gradients, Mapping):
        raise GradcheckError(
            f"gradients must be a dict such as {{'dW1': dW1, 'db1': db1}}, got a {type(gradients).__name__}"
        )
    if X is not None:
        if m is not None and m != X.shape[1]:
            raise GradcheckError(
                f"m={m} but X has {X.shape[1]} examples (columns); leave m out or make them agree"
            )
        m = int(X.shape[1])
    options = _Options(method, step, safety, mode, directions, samples, seed, max_wrong)
    probe = CostProbe(cost_fn, parameters, label=label)
    if step is not None:
        for name, theta in probe.point.items():
            still = np.argwhere((theta + step) - theta == 0)
            if still.size:
                index = tuple(int(i) for i in still[0])
                raise GradcheckError(
                    f"step={step:g} is too small to move {name}{list(index)} = {theta[index]:g}: in float64 "
                    "θ + step rounds back to θ; use a step of at least "
                    f"{4 * np.spacing(abs(theta[index])):g} "
                    "(1e-6 times the entries' size is usual), or leave step out for the default"
                )
    reference: ReferenceMatch | None = None
    if X is not None:
        # a float32 cost can only match to its own precision
        rtol = max(1e-9, 1e3 * probe.eps)
        dtype = np.float32 if probe.eps > np.finfo(np.float64).eps else np.float64
        reference = match_reference(cost_fn, probe.point, X, Y, activation=activation, rtol=rtol, dtype=dtype)
        if reference is not None and reference.saturated:
            probe.notes.append(
                "some outputs A2 round to 0 or 1, where a cost computed from A2 is flat or noisy and finite "
                "differences cannot follow it; the exact reference gradient (autograd, from the logits) "
                "decides there. To check with finite differences too, use smaller weights or compute the "
                "cost from Z2: mean(logaddexp(0, Z2) - Y * Z2)"
            )
    analytic: dict[str, tuple[str, np.ndarray]] = {}
    early: dict[str, GradientResult] = {}
    for name, theta in probe.point.items():
        key, raw = _lookup(gradients, name)
        if key is None:
            early[name] = _unusable(
                name,
                None,
                theta.shape,
                Diagnosis(
                    "missing_gradient",
                    f"no gradient for {name}: gradients has no key 'd{name}' (nor '{name}'); "
                    f"it has {', '.join(map(repr, gradients)) or 'no keys'}",
                ),
            )
            continue
        array = _as_float_array(raw)
        if array is None:
            early[name] = _unusable(
                name,
                key,
                theta.shape,
                Diagnosis(
                    "invalid_gradient",
                    f"{key} is a {type(raw).__name__}, not a numeric array; return a numpy float array "
                    f"of shape {theta.shape}",
                ),
            )
            continue
        analytic[name] = (key, array)
    check = _Check(probe, reference, options, analytic)
    results = check.run()
    entrywise_failure = any(not r.passed and r.mode in ("exhaustive", "sampled") for r in results.values())
    if entrywise_failure and not probe.noise_measured and step is None:
        before = probe.noise
        probe.measure_noise()  # a failure may only mean the cost is noisier than its dtype
        if probe.noise > before:
            check = _Check(probe, reference, options, analytic)
            results = check.run()
    probe.check_untouched()
    ignored = tuple(str(k) for k in gradients if not any(k == n or k == f"d{n}" for n in parameters))
    everything = {name: early.get(name) or results[name] for name in probe.point}
    everything, summary = _diagnose(check, everything, X, Y, None if m is None else int(m))
    return GradientReport(
        results=everything,
        diagnosis=summary,
        method=check.method,
        evaluations=probe.evaluations,
        reference=None if reference is None else reference.description,
        ignored_keys=ignored,
        mode=mode,
        notes=tuple(dict.fromkeys(probe.notes)),
    )


# pragma: no mutate end
@dataclass(frozen=True)
class _Options:
    method: str
    step: float | None
    safety: float
    mode: str
    directions: int
    samples: int
    seed: int
    max_wrong: int


#: Block sizes and counts of the default ("auto") mode: every entry when the whole problem has
#: at most this many, otherwise random directions (and entries of blocks too small for them).
EXHAUSTIVE_UP_TO = 1000
#: Entries investigated for a kink per block, and reference disagreements confirmed by FD.
MAX_INVESTIGATED = 32
#: A central difference's one-sided gap beyond this many times its smooth size (4σ/h + hG) shows
#: a kink at the point (see :meth:`_Check._kink`).
KINK_GATE = 2.0
#: Evaluations :meth:`CostProbe.measure_noise` costs: measured up front only for at least as many entries.
NOISE_POINTS = 8


class _Check:
    """One pass of the engine over every usable block (see :func:`verify_gradients`)."""

    # pragma: no mutate start  (the plan and the run's loop; docs/mutation.md)
    def __init__(
        self,
        probe: CostProbe,
        reference: ReferenceMatch | None,
        options: _Options,
        analytic: dict[str, tuple[str, np.ndarray]],
    ) -> None:
        self.probe, self.reference, self.options, self.analytic = probe, reference, options, analytic
        self.rng = np.random.default_rng(options.seed)
        self.evidence: dict[str, Evidence] = {}  # failed blocks of the right shape, for diagnosis
        self.plan = self._plan()
        entries = {name: flat for name, flat in self.plan.items() if flat is not None and flat.size}
        self.fd: FiniteDifferences | None = None
        self.method = options.method
        if entries:
            if options.step is None and sum(flat.size for flat in entries.values()) >= NOISE_POINTS:
                probe.measure_noise()  # cheap next to the entries; directions estimate their own error
            self.fd = finite_differences(probe, method=options.method, step=options.step, entries=entries)  # type: ignore[arg-type]
            self.method = self.fd.method
        magnitudes = (
            [
                float(np.max(np.abs(g[self.fd.checked[n]])))
                for n, g in self.fd.gradient.items()
                if self.fd.checked[n].any()
            ]
            if self.fd
            else []
        )
        if reference is not None:
            magnitudes += [float(np.max(np.abs(g))) for g in reference.gradient.values()]
        if not magnitudes:
            magnitudes = [float(np.max(np.abs(a[np.isfinite(a)]), initial=0.0)) for _, a in analytic.values()]
        self.scale = max(magnitudes, default=0.0)
        nan = {name: np.full(theta.size, np.nan) for name, theta in probe.point.items()}
        self.gaps = {name: v.copy() for name, v in nan.items()}  # |D₊ − D₋| of central differences
        self.steps = {name: v.copy() for name, v in nan.items()}
        if self.fd is not None:
            for name in probe.point:
                self.gaps[name][:] = self.fd.kink_gap[name].reshape(-1)
                self.steps[name][:] = self.fd.steps[name].reshape(-1)

    def _plan(self) -> dict[str, np.ndarray | None]:
        """Flat indices to check entry by entry per block; None for directions only."""
        mode, size = self.options.mode, self.probe.size
        plan: dict[str, np.ndarray | None] = {}
        for name, theta in self.probe.point.items():
            everything = np.arange(theta.size)
            if mode == "exhaustive" or (mode == "auto" and size <= EXHAUSTIVE_UP_TO):
                plan[name] = everything
            elif mode == "sampled":
                count = min(self.options.samples, theta.size)
                plan[name] = np.sort(self.rng.choice(theta.size, size=count, replace=False))
            else:
                plan[name] = None
        return plan

    def run(self) -> dict[str, GradientResult]:
        # blocks checked along directions are first checked all at once (see DirectionCheck)
        self.joint_blocks = {
            name: array.astype(np.float64)
            for name, (_, array) in self.analytic.items()
            if self.plan[name] is None
            and array.shape == self.probe.point[name].shape
            and bool(np.all(np.isfinite(array)))
        }
        eps = {name: float(np.finfo(array.dtype).eps) for name, (_, array) in self.analytic.items()}
        self.joint: list[DirectionCheck] = []
        if self.joint_blocks:
            self.joint = [
                check_direction(
                    self.probe,
                    self.joint_blocks,
                    self.rng,
                    analytic_eps=eps,
                    scale=self.scale,
                    safety=self.options.safety,
                )
                for _ in range(self.options.directions)
            ]
        results = {}
        for name, (key, array) in self.analytic.items():
            expected = self.probe.point[name].shape
            if array.shape != expected:
                results[name] = self._wrong_shape(name, key, array)
            else:
                results[name] = self._block(name, key, array)
        return results

    # pragma: no mutate end
    # -- opinions on one block ------------------------------------------------------------------

    def _tolerance(self, name: str, analytic: np.ndarray, error: np.ndarray, eps: float) -> np.ndarray:
        return tolerance(analytic, error, analytic_eps=eps, scale=self.scale, safety=self.options.safety)

    def _element(self, name: str, flat: int, a: float, eps: float) -> tuple[float, float, bool]:
        """FD opinion on one entry not yet computed: ``(numeric, tolerance, wrong)``.

        A wrong entry whose step may cross a kink is investigated (:meth:`_kink`).
        """
        index = tuple(int(i) for i in np.unravel_index(flat, self.probe.point[name].shape))
        value, h, measured, gap = derivative(self.probe, name, index, self.method, self.options.step)
        e = fd_error(
            self.method, np.asarray(value), np.asarray(h), np.asarray(measured), self.probe.eps, self.scale
        )
        tau = float(self._tolerance(name, np.asarray(a), e, eps))
        self.gaps[name][flat] = gap
        self.steps[name][flat] = h
        return value, tau, not abs(a - value) <= tau

    def _central(self, name: str, index: tuple[int, ...], h: float) -> tuple[float, float]:
        """A central difference at step ``h`` and its error estimate (2 evaluations)."""
        value, step, measured, _ = derivative(self.probe, name, index, "central", h)
        error = fd_error(
            "central", np.asarray(value), np.asarray(step), np.asarray(measured), self.probe.eps, self.scale
        )
        return float(value), float(error)

    def _moved(self, value: float, error: float, n: float, tau: float) -> bool:
        """Did a smaller step move the central difference beyond both estimates' own errors? Then the
        larger step crossed a kink; on a smooth cost the difference stays by ``n``."""
        return abs(value - n) > error + tau / self.options.safety

    def _kink(self, name: str, flat: int, a: float, n: float, tau: float, eps: float) -> bool:
        """True when a kink explains the miss: ``a`` lies between the one-sided derivatives.

        Worth checking when central differences show a kink: their one-sided gap ``|D₊ − D₋|``
        (free) is ``KINK_GATE`` times beyond its smooth size ``4σ/h + hG`` (a kink at the point),
        or as large as the miss (central differences average the sides), or the difference moves
        when the step shrinks 16-fold (kinks within the step; 2 evaluations). Then the one-sided
        derivatives are taken with the steps ``h/256``, ``h/16`` and ``h``: the smallest that shows
        the kink decides whether ``a`` lies between them (a larger step may take in a second kink
        nearby). Where none shows one, a central difference at a smaller step may still agree on
        its own, if it moved (the point is near kinks, not on one).
        """
        index = tuple(int(i) for i in np.unravel_index(flat, self.probe.point[name].shape))
        h = self.probe.step(name, index, "central", self.options.step)
        gap, h0 = self.gaps[name][flat], self.steps[name][flat]
        smaller: dict[float, tuple[float, float]] = {}
        if math.isfinite(gap) and math.isfinite(n) and math.isfinite(h0):
            smooth = KINK_GATE * (4.0 * self.probe.noise / h0 + h0 * self.scale)
            if not (gap > smooth or abs(a - n) <= gap + tau):
                smaller[16.0] = self._central(name, index, h / 16.0)
                if not self._moved(*smaller[16.0], n, tau):
                    return False
        # the smallest step that shows the kink decides: a larger one may take in a second kink nearby
        for divisor in (256.0, 16.0, 1.0):
            left, right, left_error, right_error = one_sided(self.probe, name, index, h / divisor)
            kink, within = kink_verdict(
                a,
                left,
                right,
                left_error,
                right_error,
                analytic_eps=eps,
                scale=self.scale,
                safety=self.options.safety,
            )
            if kink:
                return within
        for divisor in (16.0, 256.0):
            value, error = smaller.get(divisor) or self._central(name, index, h / divisor)
            tolerance = float(self._tolerance(name, np.asarray(a), np.asarray(error), eps))
            if self._moved(value, error, n, tau) and abs(a - value) <= tolerance:
                return True
        return False

    def _block(self, name: str, key: str, array: np.ndarray) -> GradientResult:
        options, probe = self.options, self.probe
        eps = float(np.finfo(array.dtype).eps)
        a = array.astype(np.float64).reshape(-1)
        size = a.size
        finite = np.isfinite(a)
        numeric = np.full(size, np.nan)  # the opinion each entry was judged against
        tau = np.full(size, np.nan)
        judged = np.zeros(size, dtype=bool)  # entries with an element-wise verdict
        wrong = ~finite
        kinks = np.zeros(size, dtype=bool)
        fd_wrong = np.zeros(size, dtype=bool)
        flat = self.plan[name]
        if flat is not None and flat.size:
            assert self.fd is not None
            n = self.fd.gradient[name].reshape(-1)[flat]
            t = self._tolerance(name, a[flat], self.fd.error[name].reshape(-1)[flat], eps)
            numeric[flat], tau[flat], judged[flat] = n, t, True
            fd_wrong[flat] = ~(np.abs(a[flat] - n) <= t)
        reference_wrong = None
        blind = np.zeros(size, dtype=bool)
        if self.reference is not None:
            r = self.reference.gradient[name].reshape(-1)
            t_ref = self._tolerance(name, a, eps * self.reference.magnitude[name].reshape(-1), eps)
            reference_wrong = ~(np.abs(a - r) <= t_ref)
            if self.reference.interval is not None:  # at kinks, any slope between the one-sided ones
                lo, hi = (bound.reshape(-1) for bound in self.reference.interval[name])
                at_kink = hi - lo > t_ref
                inside = (lo - t_ref <= a) & (a <= hi + t_ref)
                kinks |= at_kink & inside
                reference_wrong = np.where(at_kink, ~inside, reference_wrong)
            # entries the reference rejects but FD has not looked at: FD confirms the worst ones
            unconfirmed = np.flatnonzero(reference_wrong & ~judged & finite)
            excess = np.abs(a - r)[unconfirmed] / t_ref[unconfirmed]
            order = unconfirmed[np.argsort(-excess)]
            vouched = 0.0  # the largest excess FD accepted against the reference: rounding, not bugs
            for i in order[:MAX_INVESTIGATED]:
                numeric[i], tau[i], fd_wrong[i] = self._element(name, int(i), float(a[i]), eps)
                judged[i] = True
                if not fd_wrong[i] and not abs(numeric[i] - r[i]) <= tau[i]:
                    vouched = max(vouched, abs(a[i] - r[i]) / t_ref[i])
            for i in order[MAX_INVESTIGATED:]:
                if abs(a[i] - r[i]) / t_ref[i] > vouched:
                    numeric[i], tau[i], judged[i] = r[i], t_ref[i], True
                    fd_wrong[i] = True  # no FD opinion: the reference's stands
            # FD accepts, but cannot tell a from r either (r is within its tolerance): finer than FD's
            # resolution, where the exact reference alone decides
            blind = reference_wrong & judged & ~fd_wrong & finite & (np.abs(numeric - r) <= tau)
            if blind.any():
                numeric[blind], tau[blind] = r[blind], t_ref[blind]
                worst = float(np.max(np.abs(a - r)[blind] / np.maximum(np.abs(r[blind]), np.abs(a[blind]))))
                self.probe.notes.append(
                    f"{key}: {int(np.count_nonzero(blind))} entries differ from the exact reference gradient "
                    f"by less than finite differences can resolve (up to {worst:.2g} relative); the "
                    "reference (autograd, exact to rounding) decides them"
                )
            # entries both FD and the reference accept need nothing more; fill the map from the reference
            rest = ~judged
            numeric[rest], tau[rest] = r[rest], t_ref[rest]
        # kinks: a failing entry whose one-sided derivatives bracket the analytic value passes. With
        # the reference, its exact interval decides at kinks: FD's verdict only informs fd_agrees
        suspects = np.flatnonzero(fd_wrong & finite & (True if reference_wrong is None else ~reference_wrong))
        if suspects.size <= MAX_INVESTIGATED:
            for i in suspects:
                if self._kink(name, int(i), float(a[i]), numeric[i], tau[i], eps):
                    fd_wrong[i], kinks[i] = False, True
        joint: list[DirectionCheck] = self.joint if name in self.joint_blocks else []
        own: list[DirectionCheck] = []  # this block alone, after a joint direction failed
        unexplained = False
        if flat is None:
            scale, safety = self.scale, options.safety
            block = a.reshape(array.shape)
            failed_joint = [j for j in joint if not j.passed]
            if failed_joint:  # some block is wrong: is it this one? its own part, measured alone
                own.append(
                    check_direction(
                        probe,
                        {name: block},
                        self.rng,
                        analytic_eps={name: eps},
                        scale=scale,
                        safety=safety,
                        directions={name: failed_joint[0].directions[name]},
                    )
                )
            failed = [c for c in own if not c.passed]
            if failed and self.reference is None:
                found, gave_up = localise(
                    probe,
                    name,
                    block,
                    failed[0],
                    analytic_eps=eps,
                    scale=scale,
                    safety=safety,
                    max_wrong=options.max_wrong,
                )
                if gave_up:  # wrong nearly everywhere: look at a sample entry by entry
                    found += [
                        int(i) for i in self.rng.choice(size, min(options.samples, size), replace=False)
                    ]
                for i in dict.fromkeys(found):
                    if not judged[i]:
                        numeric[i], tau[i], fd_wrong[i] = self._element(name, i, float(a[i]), eps)
                        judged[i] = True
                        if fd_wrong[i] and self._kink(name, i, float(a[i]), numeric[i], tau[i], eps):
                            fd_wrong[i], kinks[i] = False, True
                if not fd_wrong.any() and not gave_up:
                    # nothing located: one fresh direction decides between a fluke and a diffuse error
                    again = check_direction(
                        probe, {name: block}, self.rng, analytic_eps={name: eps}, scale=scale, safety=safety
                    )
                    own.append(again)
                    unexplained = not again.passed
                unexplained = unexplained or gave_up
        # with the reference no search follows a failed direction: the failure is FD's dissent
        dissent = self.reference is not None and any(not c.passed for c in own)
        fd_agrees = not fd_wrong.any() and not unexplained and not dissent and bool(finite.all())
        if reference_wrong is None:
            wrong = wrong | fd_wrong
            failed_block = bool(wrong.any()) or unexplained
        else:
            # an entry is wrong only when every opinion that looked at it and can resolve it rejects it
            wrong = wrong | ((fd_wrong | blind) & reference_wrong)
            failed_block = bool(wrong.any())
        return self._result(
            name,
            key,
            array,
            a,
            numeric,
            tau,
            judged,
            wrong,
            kinks,
            own or joint,
            len(joint) + len(own),
            failed_block,
            fd_agrees,
            None if reference_wrong is None else not bool((reference_wrong & ~kinks).any()),
        )

    # pragma: no mutate block  (the result's fields and the shape checks; docs/mutation.md)
    def _result(
        self,
        name: str,
        key: str,
        array: np.ndarray,
        a: np.ndarray,
        numeric: np.ndarray,
        tau: np.ndarray,
        judged: np.ndarray,
        wrong: np.ndarray,
        kinks: np.ndarray,
        checks: list[DirectionCheck],
        directions: int,
        failed: bool,
        fd_agrees: bool,
        reference_agrees: bool | None,
    ) -> GradientResult:
        shape = array.shape
        known = np.isfinite(numeric)
        worst: tuple[int, ...] | None = None
        worst_values: tuple[float | None, ...] = (None, None, None, None)
        if known.any():
            excess = np.zeros(a.size)
            with np.errstate(invalid="ignore"):  # a non-finite analytic entry: set to inf below
                np.divide(np.abs(a - numeric), tau, out=excess, where=known & (tau > 0))
            excess[~known] = -1.0
            excess[~np.isfinite(a)] = np.inf
            i = int(np.argmax(np.where(wrong, excess, -1.0))) if wrong.any() else int(np.argmax(excess))
            worst = tuple(int(j) for j in np.unravel_index(i, shape)) if shape else ()
            worst_values = (
                float(a[i]),
                float(numeric[i]),
                float(element_relative_errors(a[i], numeric[i])),
                float(tau[i]),
            )
        if known.all():
            relative = block_relative_error(a, numeric)
        elif checks:  # the block's relative error along the random directions
            mismatch = math.sqrt(sum(c.mismatch**2 for c in checks))
            norms = math.sqrt(sum(c.analytic**2 for c in checks)) + math.sqrt(
                sum(c.numeric.value**2 for c in checks)
            )
            relative = mismatch / norms if norms else 0.0
        else:
            relative = block_relative_error(a[known], numeric[known])
        reference_error = numeric_reference_error = None
        if self.reference is not None:
            exact = self.reference.gradient[name].reshape(-1)
            reference_error = block_relative_error(a, exact)
            if self.fd is not None and self.fd.checked[name].any():
                mask = self.fd.checked[name].reshape(-1)
                numeric_reference_error = block_relative_error(
                    self.fd.gradient[name].reshape(-1)[mask], exact[mask]
                )
        n_failed = int(np.count_nonzero(wrong))
        if failed:
            values = a.reshape(shape)
            projections = [
                (
                    c.analytic,
                    c.numeric.value,
                    c.tolerance,
                    float(np.sum(self.probe.point[name] * c.numeric.weights[name])),
                )
                for c in checks
                if set(c.directions) == {name}
            ]
            self.evidence[name] = Evidence(
                name=name,
                label=key,
                analytic=values,
                truth=self._truth(name, numeric, shape),
                tolerance=tau.reshape(shape),
                wrong=wrong.reshape(shape),
                parameter=self.probe.point[name],
                projections=projections,
                transpose_matches=self._transpose_matches(name, values),
            )
        plan = self.plan[name]
        mode = "directional" if plan is None else ("exhaustive" if plan.size == a.size else "sampled")
        return GradientResult(
            name=name,
            gradient_key=key,
            passed=not failed,
            expected_shape=shape,
            shape=shape,
            relative_error=relative,
            size=a.size,
            n_failed=n_failed,
            worst_index=worst,
            worst_analytic=worst_values[0],
            worst_numeric=worst_values[1],
            worst_relative_error=worst_values[2],
            worst_tolerance=worst_values[3],
            reference_error=reference_error,
            numeric_reference_error=numeric_reference_error,
            mode=mode,
            checked=int(np.count_nonzero(judged & np.isfinite(numeric)))
            if plan is not None or directions
            else 0,
            directions=directions,
            n_kinks=int(np.count_nonzero(kinks)),
            fd_agrees=fd_agrees,
            reference_agrees=reference_agrees,
            excess=self._excess(a, numeric, tau, shape) if failed and a.size <= EXCESS_MAP_SIZE else None,
        )

    @staticmethod
    def _excess(a: np.ndarray, numeric: np.ndarray, tau: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
        """``|a − n| / τ`` per entry (NaN where not compared; inf for a non-finite ``a``)."""
        with np.errstate(divide="ignore", invalid="ignore"):
            excess: np.ndarray = np.abs(a - numeric) / tau
        excess[~np.isfinite(a)] = np.inf
        return excess.reshape(shape)

    def _truth(self, name: str, numeric: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
        """The right gradient as far as known: the reference where there is one, else what FD measured."""
        if self.reference is not None:
            return self.reference.gradient[name]
        return numeric.reshape(shape)

    def _agrees(self, name: str, candidate: np.ndarray, eps: float) -> bool:
        """Would ``candidate`` (the parameter's shape) pass? Reference, FD map, or one direction."""
        if self.reference is not None:
            r = self.reference.gradient[name]
            t = self._tolerance(name, candidate, eps * self.reference.magnitude[name], eps)
            return bool(np.all(np.abs(candidate - r) <= t))
        if self.fd is not None and self.fd.checked[name].all():
            t = self._tolerance(name, candidate, self.fd.error[name], eps)
            return bool(np.all(np.abs(candidate - self.fd.gradient[name]) <= t))
        if not np.all(np.isfinite(candidate)):
            return False
        return check_direction(
            self.probe,
            {name: candidate},
            self.rng,
            analytic_eps={name: eps},
            scale=self.scale,
            safety=self.options.safety,
        ).passed

    def _transpose_matches(self, name: str, values: np.ndarray) -> bool:
        if values.ndim != 2 or values.shape[0] != values.shape[1] or values.shape[0] < 2:
            return False
        return self._agrees(name, values.T, float(np.finfo(np.float64).eps))

    def _wrong_shape(self, name: str, key: str, array: np.ndarray) -> GradientResult:
        """A gradient whose shape is not its parameter's: failed, and explained."""
        expected = self.probe.point[name].shape
        values = array.astype(np.float64)
        transpose_matches: bool | None = None
        if values.size == self.probe.point[name].size:
            is_transpose = values.ndim == 2 and values.shape == expected[::-1]
            candidate = values.T if is_transpose else values.reshape(expected)
            transpose_matches = self._agrees(name, candidate, float(np.finfo(array.dtype).eps))
        return GradientResult(
            name=name,
            gradient_key=key,
            passed=False,
            expected_shape=expected,
            shape=values.shape,
            relative_error=float("nan"),
            size=self.probe.point[name].size,
            n_failed=self.probe.point[name].size,
            diagnosis=shape_diagnosis(name, key, values, expected, transpose_matches),
            mode="none",
        )


def _diagnose(
    check: _Check,
    results: dict[str, GradientResult],
    X: np.ndarray | None,
    Y: np.ndarray | None,
    m: int | None,
) -> tuple[dict[str, GradientResult], Diagnosis | None]:
    """Each failed gradient's diagnosis (catalog first, then generic), kinks on passed ones, and the
    one-line summary (see :mod:`gradcheck.diagnose`)."""
    labels = {name: result.label for name, result in results.items()}
    failed = [name for name, result in results.items() if not result.passed]
    matches = {}
    reference = check.reference
    if reference is not None and check.evidence and X is not None and Y is not None:
        analytic = {name: evidence.analytic for name, evidence in check.evidence.items()}
        eps = {name: float(np.finfo(np.float64).eps) for name in check.probe.point}  # missing ones too
        eps.update({name: float(np.finfo(array.dtype).eps) for name, (_, array) in check.analytic.items()})
        matches = match_catalog(
            check.probe.point,
            X,
            Y,
            reference.activation,
            analytic,
            failed,
            reference.gradient,
            reference.magnitude,
            eps,
            check.options.safety,
        )
    generic = {name: value_diagnosis(evidence, m) for name, evidence in check.evidence.items()}
    generic = share(generic, check.evidence, m)
    out: dict[str, GradientResult] = {}
    for name, result in results.items():
        diagnosis = result.diagnosis
        if name in check.evidence:
            diagnosis = generic[name]
            if name in matches and reference is not None:
                diagnosis = catalog_diagnosis(matches[name], reference.activation, generic, labels)
        elif result.passed and result.n_kinks:
            diagnosis = Diagnosis(
                "kink",
                f"{result.n_kinks} entr{'ies' if result.n_kinks > 1 else 'y'} of {result.label} at a kink "
                "(a hidden pre-activation exactly 0): the cost has no derivative there, and your values lie "
                "between the one-sided derivatives, as any slope convention gives. Not a bug.",
            )
        out[name] = dataclasses.replace(result, diagnosis=diagnosis)
    summary = summarize(
        {name: out[name].diagnosis for name in failed if out[name].diagnosis is not None},  # type: ignore[misc]
        labels,
        m,
    )
    return out, summary


# pragma: no mutate block  (input checks and learner wrapping: tests/test_bad_calls.py; docs/mutation.md)
def _inputs(X: Any, Y: Any) -> tuple[np.ndarray, np.ndarray]:
    """Float copies of ``X`` (n_x, m) and ``Y`` (n_y, m); a (m,) ``Y`` becomes (1, m)."""
    try:
        X = np.array(X, dtype=np.float64, copy=True)
        Y = np.array(Y, dtype=np.float64, copy=True)
    except (TypeError, ValueError) as error:
        raise GradcheckError(f"X and Y must be numeric arrays: {error}") from error
    if Y.ndim == 1:
        Y = Y.reshape(1, -1)
    if X.ndim != 2 or Y.ndim != 2 or X.shape[1] != Y.shape[1]:
        raise GradcheckError(
            f"X must be (n_x, m) and Y (n_y, m) or (m,) with the same m; got X {X.shape} and Y {Y.shape} "
            "(examples are columns: transpose if yours are rows)"
        )
    if X.shape[1] == 0:
        raise GradcheckError(f"X has no examples (shape {X.shape}); pass at least one column")
    for label, array in (("X", X), ("Y", Y)):
        if not np.all(np.isfinite(array)):
            bad = tuple(int(i) for i in np.argwhere(~np.isfinite(array))[0])
            raise GradcheckError(f"{label} holds {array[bad]} at {label}{list(bad)}; pass finite data")
    return X, Y


def _name(function: Callable[..., Any] | None, role: str) -> str:
    return str(getattr(function, "__name__", role))


def _call(function: Callable[..., Any], role: str, *args: Any) -> Any:
    name = _name(function, role)
    try:
        return function(*args)
    except SystemExit as error:
        raise GradcheckError(
            f"{name} called sys.exit({error.code!r}); it must return its result, not end the program"
        ) from error
    except Exception as error:
        raise GradcheckError(f"{name} raised {type(error).__name__}: {error}{_hint(error)}") from error


def _hint(error: Exception) -> str:
    """What numpy's shape errors usually mean in a learner's forward or backward pass."""
    text = str(error)
    if "could not be broadcast" in text:
        return (
            " (element-wise * and np.multiply need equal or broadcastable shapes; "
            "for a matrix product such as W2.T · dZ2 use np.dot)"
        )
    if "not aligned" in text or "matmul: Input operand" in text:
        return (
            " (np.dot(A, B) needs A's columns to match B's rows: look for a missing or extra .T, "
            "e.g. np.dot(dZ2, A1.T) for dW2)"
        )
    return ""


def _cost_takes_parameters(compute_cost: Callable[..., Any]) -> bool:
    """True for the older ``compute_cost(A2, Y, parameters)``; False for ``compute_cost(A2, Y)``."""
    try:
        signature = inspect.signature(compute_cost)
    except (TypeError, ValueError):
        return False
    try:
        signature.bind(None, None)
    except TypeError:
        try:
            signature.bind(None, None, None)
        except TypeError as error:
            raise GradcheckError(
                f"compute_cost must take (A2, Y) or (A2, Y, parameters); its signature is {signature}"
            ) from error
        return True
    return False


def _learner_functions(
    forward: Callable[..., Any],
    backward: Callable[..., Any],
    compute_cost: Callable[..., Any] | None,
    parameters: Mapping[str, Any],
    X: np.ndarray,
    Y: np.ndarray,
) -> tuple[Callable[[dict[str, np.ndarray]], Any], Mapping[str, Any]]:
    """The cost function and the learner's gradients at ``parameters``, computed on copies."""
    for role, function in (("forward", forward), ("backward", backward), ("compute_cost", compute_cost)):
        if function is not None and not callable(function):
            raise GradcheckError(f"{role} must be a function, got a {type(function).__name__}")
    with_parameters = compute_cost is not None and _cost_takes_parameters(compute_cost)

    def run_forward(point: Mapping[str, Any]) -> tuple[Any, Any]:
        out = _call(forward, "forward", X.copy(), point)
        if not (isinstance(out, tuple) and len(out) == 2):
            raise GradcheckError(
                f"{_name(forward, 'forward')} must return (A2, cache), got a {type(out).__name__}"
            )
        return out

    def cost_fn(point: dict[str, np.ndarray]) -> Any:
        A2, _ = run_forward(point)
        if compute_cost is None:
            return reference_cost(np.asarray(A2), Y.copy())
        args = (A2, Y.copy(), point) if with_parameters else (A2, Y.copy())
        return _call(compute_cost, "compute_cost", *args)

    point = copy.deepcopy(dict(parameters))
    _, cache = run_forward(point)
    given = copy.deepcopy(dict(parameters))
    gradients = _call(backward, "backward", given, cache, X.copy(), Y.copy())
    for name, value in parameters.items():
        if name not in given or not np.array_equal(np.asarray(given[name]), np.asarray(value)):
            raise GradcheckError(
                f"{_name(backward, 'backward')} changed parameters[{name!r}] (the copy it was given); "
                "backward propagation must only read the parameters: the update belongs in "
                "update_parameters, and W -= x there changes the arrays in place"
            )
    if not isinstance(gradients, Mapping):
        raise GradcheckError(
            f"{_name(backward, 'backward')} must return a dict such as "
            f"{{'dW1': dW1, 'db1': db1, 'dW2': dW2, 'db2': db2}}, got a {type(gradients).__name__}"
        )
    return cost_fn, gradients


def _lookup(gradients: Mapping[str, Any], name: str) -> tuple[str | None, Any]:
    for key in (f"d{name}", name):
        if key in gradients:
            return key, gradients[key]
    return None, None


def _as_float_array(raw: Any) -> np.ndarray | None:
    try:
        array = np.array(raw, copy=True)
    except (TypeError, ValueError):
        return None
    if array.dtype.kind == "f":
        return array
    if array.dtype.kind in "iu":
        return array.astype(np.float64)
    return None


def _unusable(name: str, key: str | None, expected: tuple[int, ...], diagnosis: Diagnosis) -> GradientResult:
    size = int(np.prod(expected))
    return GradientResult(
        name=name,
        gradient_key=key,
        passed=False,
        expected_shape=expected,
        shape=None,
        relative_error=float("nan"),
        size=size,
        n_failed=size,
        diagnosis=diagnosis,
    )

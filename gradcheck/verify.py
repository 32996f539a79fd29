"""``verify_gradients``: check analytic gradients against finite differences (and autograd).

Two forms share one engine:

* general: ``verify_gradients(cost_fn, parameters, gradients, X=None, Y=None)`` for any
  ``cost_fn(parameters) -> float``;
* learner: ``verify_gradients(forward=..., backward=..., parameters=..., X=..., Y=...)`` with the
  course's ``forward_propagation`` / ``backward_propagation`` (and ``compute_cost``) as they are.

One call flows one way, each stage a module: **validate** the arguments (:mod:`gradcheck.arguments`,
:mod:`gradcheck.learner_form`) → **probe** the cost (:class:`gradcheck.numerical.CostProbe`: float64
copies, determinism) → **recognise** a reference model behind it (:mod:`gradcheck.recognise`) →
**measure** the noise and the finite differences (:mod:`gradcheck.setting`) → **judge** each block
(:mod:`gradcheck.judge`) → **diagnose** the failed ones (:mod:`gradcheck.diagnose`) → **assemble**
the report (:mod:`gradcheck.report`, data only).

Shapes are checked before values, so a transposed gradient or a missing ``keepdims`` is a failed
entry that says so even when the flattened values would match; only a harmless shape is judged on
its values reshaped, with a note (``θ − α·grad`` keeps θ's shape, or both have one entry:
:func:`gradcheck.diagnose.harmless_shape`). Nothing the caller passes is modified: the cost and
the learner's functions only ever see copies.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from gradcheck.arguments import (
    MODES,
    Options,
    check_options,
    check_step,
    failed_result,
    gather_gradients,
    inputs,
    least_precision,
)
from gradcheck.diagnose import diagnose
from gradcheck.errors import GradcheckError
from gradcheck.judge import judge, judged_arrays
from gradcheck.learner_form import learner_call
from gradcheck.network.activations import Activation
from gradcheck.network.interface import Dropout
from gradcheck.network.models import hints_for
from gradcheck.numerical import CostProbe, Method
from gradcheck.recognise import Recognised, Refusal, recognition, unmatched_note
from gradcheck.report import Diagnosis, GradientReport
from gradcheck.setting import measure

__all__ = ["MODES", "verify_gradients"]

FLOAT64_EPS = float(np.finfo(np.float64).eps)
#: A cost whose measured relative rounding exceeds this share of its inputs' ``ε`` computes in
#: their precision (e.g. casts float32 parameters back to float32 inside).
FLOAT32_INSIDE = 1e-3
CostFn = Callable[[dict[str, np.ndarray]], Any]


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
    propagate: Callable[..., Any] | None = None,
    lambd: float | None = None,
    keep_prob: float | None = None,
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
    compute_cost=None, lambd=None, keep_prob=None)`` with each notebook's functions as they are,
    or Week 2's ``verify_gradients(propagate=propagate, parameters={"w": w, "b": b}, X=X, Y=Y)``
    (the forms: :mod:`gradcheck.learner_form`).

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
        Learner form: ``forward_propagation(X, parameters) -> (A2, cache)``,
        ``L_model_forward(X, parameters) -> (AL, caches)``, ``forward_propagation_n(X, Y,
        parameters) -> (cost, cache)`` or ``forward_propagation_with_dropout(X, parameters,
        keep_prob)``. Every call starts from the same numpy random state (dropout masks stay fixed).
    backward : callable, optional
        Learner form: ``backward_propagation(parameters, cache, X, Y)``, ``L_model_backward(AL, Y,
        caches)``, ``backward_propagation_n(X, Y, cache)``,
        ``backward_propagation_with_regularization(X, Y, cache, lambd)`` or
        ``backward_propagation_with_dropout(X, Y, cache, keep_prob)``, returning a dict of
        ``dW1, db1, ...`` (other keys ignored).
    compute_cost : callable, optional
        Learner form: ``compute_cost(A2, Y)``, the older ``compute_cost(A2, Y, parameters)`` or
        ``compute_cost_with_regularization(A3, Y, parameters, lambd)``. Default: the reference
        cross-entropy :func:`gradcheck.network.two_layer.cost` (plus the L2 term with ``lambd``).
    propagate : callable, optional
        Week 2: ``propagate(w, b, X, Y) -> (grads, cost)``; ``b`` may be a Python number.
    lambd : float, optional
        Learner form: the L2 strength the functions taking ``lambd`` get (default: their own).
    keep_prob : float, optional
        Learner form: dropout's keep probability for the functions taking ``keep_prob``.
    activation : str or Activation, optional
        The hidden activation of the reference network to compare with (e.g.
        ``get_activation("leaky_relu", alpha=0.2)``). Default: recognised automatically among
        the registry's activations with their default parameters.
    method : {"central", "forward", "richardson", "complex"}, default "central"
        Finite-difference method for the entries checked one by one (see
        :mod:`gradcheck.numerical`); Gaussian random directions use central differences, the
        sensitive direction Richardson extrapolation.
    step : float, optional
        Absolute finite-difference step; default chosen per entry from the cost's noise.
    safety : float, default 100
        Safety factor of the pass rule (see :mod:`gradcheck.compare`).
    mode : {"auto", "exhaustive", "sampled", "directional"}, default "auto"
        How finite differences cover each block. ``"exhaustive"``: every entry (2 evaluations
        each with central differences). ``"sampled"``: ``samples`` random entries per block.
        ``"directional"``: ``directions`` Gaussian random directions per block (3 evaluations
        each) and one sensitive direction of random signs (6 evaluations,
        :data:`gradcheck.directional.SENSITIVE_DIRECTIONS`), and group testing to locate the
        wrong entries of a failing block (about ``2 log₂ P`` evaluations per wrong entry; see
        :mod:`gradcheck.directional`).
        ``"auto"``: exhaustive when the parameters have at most 1000 entries in all, else
        directional, with blocks smaller than their directional check taken entry by entry.
    directions : int, default 2
        Gaussian random directions per block in directional mode (the sensitive one comes on
        top).
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
    options = Options(method, step, safety, mode, directions, samples, seed, max_wrong)
    chosen = check_options(options, activation, m)
    learner = None
    learner_form = forward is not None or backward is not None or propagate is not None
    # what the gradients were computed from: the learner form hands X and Y over as float64
    given_eps = least_precision(parameters) if learner_form else least_precision(parameters, X, Y)
    if learner_form:
        if cost_fn is not None or gradients is not None:
            raise GradcheckError(
                "pass either cost_fn and gradients (general form) or forward and backward (learner form), "
                "not both"
            )
        learner = learner_call(
            forward=forward,
            backward=backward,
            compute_cost=compute_cost,
            propagate=propagate,
            parameters=parameters,
            X=X,
            Y=Y,
            lambd=lambd,
            keep_prob=keep_prob,
        )
        if learner.raised is not None:
            return _raised_report(learner.raised, parameters or {}, mode, learner.notes)
        cost_fn, gradients, label, X, Y = (
            learner.cost_fn,
            learner.gradients,
            learner.label,
            learner.X,
            learner.Y,
        )
    else:
        if lambd is not None or keep_prob is not None:
            raise GradcheckError(
                "lambd and keep_prob belong to the learner form (with forward= and backward=)"
            )
        cost_fn, gradients, X, Y = _general_call(cost_fn, parameters, gradients, compute_cost, X, Y)
        label = "the cost function"
    if not isinstance(gradients, Mapping):
        raise GradcheckError(
            f"gradients must be a dict such as {{'dW1': dW1, 'db1': db1}}, got a {type(gradients).__name__}"
        )
    m = _examples(m, X)
    probe = CostProbe.at(cost_fn, parameters if parameters is not None else {}, label=label)
    check_step(step, probe.point)
    found = _recognise(cost_fn, probe, X, Y, chosen, learner.dropout if learner else None, given_eps)
    recognised = found if isinstance(found, Recognised) else None
    unmatched = _unrecognised_note(found, probe.point, X, Y)
    analytic, unusable, ignored = gather_gradients(gradients, probe.point)
    setting = measure(probe, recognised, options, judged_arrays(analytic, probe.point), given_eps)
    hints = recognised.reference.hints if recognised is not None else hints_for(probe.point)
    judgement = judge(setting, analytic, hints)
    probe.check_untouched()
    results = {name: unusable.get(name) or judgement.results[name] for name in probe.point}
    eps = {name: FLOAT64_EPS for name in probe.point}  # missing gradients too
    eps.update({name: setting.analytic_eps(array) for name, (_, array) in analytic.items()})
    results, summary = diagnose(
        results, judgement.evidence, recognised, hints, probe.point, eps, m, options.safety
    )
    notes = (
        *(learner.notes if learner else ()),
        *(recognised.notes if recognised else (unmatched,) if unmatched else ()),
        *setting.notes,
        *judgement.notes,
    )
    return GradientReport(
        results=results,
        diagnosis=summary,
        method=setting.method,
        evaluations=probe.evaluations,
        reference=None if recognised is None else recognised.description,
        ignored_keys=ignored,
        mode=mode,
        notes=tuple(dict.fromkeys(notes)),
    )


def _general_call(
    cost_fn: CostFn | None, parameters: Any, gradients: Any, compute_cost: Any, X: Any, Y: Any
) -> tuple[CostFn, Any, np.ndarray | None, np.ndarray | None]:
    """Check the general form's arguments: ``(cost_fn, gradients, X, Y)``, ``X`` and ``Y`` as float
    copies (or None)."""
    if cost_fn is None or parameters is None or gradients is None:
        raise GradcheckError(
            "verify_gradients needs cost_fn, parameters and gradients "
            "(or, in the learner form, forward=, backward=, parameters=, X=, Y=)"
        )
    if compute_cost is not None:
        raise GradcheckError("compute_cost belongs to the learner form; pass it with forward= and backward=")
    if (X is None) != (Y is None):
        raise GradcheckError("pass X and Y together (both are needed to compare with the reference network)")
    if X is None:
        return cost_fn, gradients, None, None
    return cost_fn, gradients, *inputs(X, Y)


def _examples(m: int | None, X: np.ndarray | None) -> int | None:
    """The number of examples: ``X``'s columns, which a given ``m`` must agree with."""
    if X is None:
        return None if m is None else int(m)
    if m is not None and m != X.shape[1]:
        raise GradcheckError(
            f"m={m} but X has {X.shape[1]} examples (columns); leave m out or make them agree"
        )
    return int(X.shape[1])


def _recognise(
    cost_fn: CostFn,
    probe: CostProbe,
    X: np.ndarray | None,
    Y: np.ndarray | None,
    activation: Activation | None,
    dropout: Dropout | None,
    given_eps: float,
) -> Recognised | Refusal | None:
    """The reference model behind the cost (with X and Y only), matched to the cost's own precision,
    or why none is named though some fit.

    That is ``1e3 p`` relative (at least 1e-9), ``p`` the cost's relative rounding: its dtype's
    ``ε``; or, when the parameters or data are less precise than that dtype (a float64 cost of
    float32 parameters), ``σ / max(|J|, 1)`` with ``σ`` measured (:meth:`CostProbe.measure_noise`):
    such a cost may compute in float64 or cast to float32 inside. The reference is computed in
    float32 when the cost is, by its dtype or by that measure.
    """
    if X is None or Y is None:
        return None
    precision, in_float32 = probe.eps, probe.eps > FLOAT64_EPS
    if given_eps > probe.eps:  # less precise inputs than the cost's dtype: how precise is it?
        probe.measure_noise()  # its rounding, not a staircase's (a match is to the cost's precision)
        precision = max(precision, probe.rounding / max(abs(probe.cost), 1.0))
        in_float32 = precision > FLOAT32_INSIDE * given_eps
    rtol = max(1e-9, 1e3 * precision)  # a float32 cost can only match to its own precision
    dtype = np.float32 if in_float32 else np.float64
    return recognition(
        cost_fn,
        probe.point,
        X,
        Y,
        activation=activation,
        rtol=rtol,
        dtype=dtype,
        cost=probe.cost,
        dropout=dropout,
    )


def _unrecognised_note(
    found: Recognised | Refusal | None,
    point: Mapping[str, np.ndarray],
    X: np.ndarray | None,
    Y: np.ndarray | None,
) -> str | None:
    """Why no reference judges the gradients, when X and Y were given: a refusal's reason, or that
    the references fitting the shapes all differ from the cost."""
    if isinstance(found, Refusal):
        return found.note
    if found is not None or X is None or Y is None:
        return None
    return unmatched_note(point, X, Y)


def _raised_report(
    raised: Diagnosis, parameters: Mapping[str, Any], mode: str, notes: tuple[str, ...]
) -> GradientReport:
    """Every gradient wrong, for the reason the learner's backward pass raised."""
    results = {name: failed_result(name, np.shape(value), raised) for name, value in parameters.items()}
    return GradientReport(
        results=results,
        diagnosis=raised,
        method="central",
        evaluations=0,
        reference=None,
        ignored_keys=(),
        mode=mode,
        notes=notes,
    )

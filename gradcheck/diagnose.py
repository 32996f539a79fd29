"""Name the mistake behind a failed gradient: what is wrong, where, and the fix.

Two routes, tried in this order for each failed gradient of the parameter's shape:

* **reference-aware** (``X`` and ``Y`` given and the cost recognised as a reference model,
  :mod:`gradcheck.recognise`): every variant of the model's catalog of realistic mistakes
  (:meth:`gradcheck.network.interface.Reference.wrong_variants`) is evaluated at the learner's point.
  The variant that reproduces the learner's gradient to rounding, explaining the most failed
  gradients and contradicting none, names the mistake (:func:`match_catalog`).
* **generic** (any cost; :func:`value_diagnosis`): with ``t`` the right gradient (the reference,
  else finite differences, entries and random directions ``u`` as far as they were measured)
  and ``a`` the learner's,

  - ``a = k t`` within tolerance: ``k = m`` is ``missing_1_over_m``, ``k = 1/m``
    ``extra_1_over_m``, ``k = −1`` ``sign_flipped``, another constant ``scaled``;
    ``k = ⟨a, t⟩ / ⟨t, t⟩``, fitted over the entries and the projections ``⟨a, u⟩, ⟨t, u⟩``;
  - ``a − t = c θ`` within tolerance (``θ`` the parameter itself): an L2 term ``(λ/2m) ‖θ‖²``
    in the cost that the gradient leaves out (``c = −λ/m``) or has with another factor;
  - otherwise ``unknown``, with which rows, columns or entries are off and by how much.

Shape problems (:func:`shape_diagnosis`), all-zero and non-finite gradients come first. A gradient
of a harmless shape (:func:`harmless_shape`) is judged and diagnosed on its values in its
parameter's shape; its message adds the shape it came in, and its result has a note
(:func:`shape_note`).
:func:`summarize` turns the per-gradient diagnoses into the report's one-line summary. The fixes
quote the right line of the model's formulas (:class:`gradcheck.network.interface.Hints`); this
module knows no network. A generic diagnosis is a :class:`Finding`: the :class:`Diagnosis` with the
factor it measured kept as a field, so that a catalog message can quote it.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from gradcheck.network.interface import Hints, WrongVariant
from gradcheck.report import DIAGNOSIS_CODES, Diagnosis, GradientResult

if TYPE_CHECKING:
    from gradcheck.recognise import Recognised

__all__ = [
    "Evidence",
    "Finding",
    "Match",
    "catalog_diagnosis",
    "diagnose",
    "harmless_shape",
    "match_catalog",
    "shape_diagnosis",
    "shape_note",
    "share",
    "summarize",
    "value_diagnosis",
]

#: Codes that say the gradient is a constant multiple of the right one.
FACTOR_CODES = ("missing_1_over_m", "extra_1_over_m", "sign_flipped", "scaled")


def _fix(formula: str | None, fallback: str) -> str:
    return f"write {formula}" if formula else fallback


@dataclass(frozen=True)
class Finding:
    """A generic diagnosis and the constant factor it measured, when it is one.

    Attributes
    ----------
    code, message : str
        As in :class:`Diagnosis`.
    factor : str or None
        What a factor diagnosis says of the gradient: ``"exactly m = 7 times too large"``,
        ``"exactly -1 times the right gradient"``; None for other codes.
    """

    code: str
    message: str
    factor: str | None = None

    @property
    def diagnosis(self) -> Diagnosis:
        return Diagnosis(self.code, self.message)


@dataclass(frozen=True)
class Evidence:
    """What the check knows about one failed gradient of the right shape.

    Attributes
    ----------
    name, label : str
        Parameter name (``"W1"``) and the key the gradient came under (``"dW1"``).
    analytic : ndarray
        The learner's gradient, the parameter's shape, float64.
    truth : ndarray
        The right gradient where known (the reference, else finite differences), NaN elsewhere.
    tolerance : ndarray
        The tolerance each known entry was judged with, NaN elsewhere.
    wrong : ndarray of bool
        Entries judged wrong.
    parameter : ndarray
        The parameter's value at the point.
    projections : list of (float, float, float, float)
        ``(⟨a, u⟩, ⟨t, u⟩, tolerance, ⟨θ, u⟩)`` along the random directions ``u`` the block was
        checked along (finite differences along ``u`` for ``⟨t, u⟩``).
    transpose_matches : bool
        Whether ``analytic.T`` passes (square matrices only).
    formula : str or None
        The right line for this gradient, quoted in fixes (from the model's hints).
    """

    name: str
    label: str
    analytic: np.ndarray
    truth: np.ndarray
    tolerance: np.ndarray
    wrong: np.ndarray
    parameter: np.ndarray
    projections: list[tuple[float, float, float, float]] = field(default_factory=list)
    transpose_matches: bool = False
    formula: str | None = None

    @classmethod
    def pool(cls, evidences: Sequence[Evidence]) -> Evidence:
        """Several blocks as one, flattened: a factor or an L2 term they share is measured on all
        their values at once (a 1 x 1 block alone fits any factor)."""

        def joined(part: str) -> np.ndarray:
            return np.concatenate([np.asarray(getattr(e, part)).reshape(-1) for e in evidences])

        return cls(
            name=", ".join(e.name for e in evidences),
            label=", ".join(e.label for e in evidences),
            analytic=joined("analytic"),
            truth=joined("truth"),
            tolerance=joined("tolerance"),
            wrong=joined("wrong"),
            parameter=joined("parameter"),
            projections=[p for e in evidences for p in e.projections],
        )

    def samples(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """``(a, t, τ, θ)`` over known entries and directions, as flat arrays."""
        known = np.isfinite(self.truth) & np.isfinite(self.tolerance)
        columns = [self.analytic[known], self.truth[known], self.tolerance[known], self.parameter[known]]
        if self.projections:
            extra = np.array(self.projections, dtype=np.float64).T
            columns = [np.concatenate([c, e]) for c, e in zip(columns, extra, strict=True)]
        a, t, tau, theta = columns
        return a, t, tau, theta


def shape_diagnosis(
    name: str,
    label: str,
    analytic: np.ndarray,
    expected: tuple[int, ...],
    transpose_matches: bool | None,
    formula: str | None = None,
) -> Diagnosis:
    """Explain why ``analytic`` does not have the parameter's shape ``expected``.

    Parameters
    ----------
    name : str
        Parameter name, e.g. ``"b1"``.
    label : str
        The gradient's name as the caller keyed it, e.g. ``"db1"``.
    analytic : ndarray
        The caller's gradient, any shape.
    expected : tuple of int
        The parameter's shape.
    transpose_matches : bool or None
        Whether the reshaped/transposed values agree with the right gradient (None when the
        sizes differ, so nothing can be compared).
    formula : str, optional
        The right line for this gradient, quoted as the fix.

    Returns
    -------
    Diagnosis
        ``transposed`` or ``shape_mismatch``, with the fix.
    """
    shape = analytic.shape
    who = _called(label, name)
    agree = {
        True: " Its values are right once reshaped, so only the shape is wrong.",
        False: " Its values are wrong too.",
        None: "",
    }
    column = len(expected) == 2 and expected[1] == 1
    if column and len(shape) == 2 and shape[0] == 1 and shape != expected and transpose_matches is not True:
        fix = _fix(formula, "sum over the examples (axis=1), keeping it: np.sum(..., axis=1, keepdims=True)")
        return Diagnosis(
            "shape_mismatch",
            f"{who} has shape {shape} but {name} has shape {expected}: the sum ran over the wrong axis "
            f"(axis=0 adds up the units of each example; the examples are axis 1).{agree[transpose_matches]} "
            f"Fix: {fix}.",
        )
    if len(shape) == 2 and len(expected) == 2 and shape == expected[::-1]:
        fix = _fix(formula, "swap the operands of the product (A @ B.T instead of B @ A.T) or transpose it")
        values = {
            True: " Its transpose matches the right gradient, so only the orientation is wrong.",
            False: " Its transpose does not match the right gradient either.",
            None: "",
        }[transpose_matches]
        return Diagnosis(
            "transposed",
            f"{who} has shape {shape} but {name} has shape {expected}: it is transposed.{values} Fix: {fix}.",
        )
    if len(expected) == 2 and expected[1] == 1 and shape == (expected[0],):
        fix = _fix(
            formula,
            f"keep the summed axis, e.g. np.sum(..., axis=1, keepdims=True), or reshape to {expected}",
        )
        return Diagnosis(
            "shape_mismatch",
            f"{who} has shape {shape} but {name} has shape {expected}: did you forget keepdims=True?"
            f"{agree[transpose_matches]} Fix: {fix}.",
        )
    if analytic.size == 1 and int(np.prod(expected)) > 1:
        fix = _fix(formula, "sum over the examples axis only, keeping it: np.sum(..., axis=1, keepdims=True)")
        return Diagnosis(
            "shape_mismatch",
            f"{who} is a single number but {name} has shape {expected}: a sum without axis= adds up every "
            f"entry. Fix: {fix}.",
        )
    fix = _fix(formula, f"compute one derivative per entry of {name}")
    return Diagnosis(
        "shape_mismatch",
        f"{who} has shape {shape} but {name} has shape {expected}; a gradient always has its parameter's "
        f"shape.{agree[transpose_matches]} Fix: {fix}.",
    )


def harmless_shape(expected: tuple[int, ...], shape: tuple[int, ...]) -> bool:
    """Is a gradient of ``shape`` judged on its values, reshaped to its parameter's ``expected``?

    Yes when ``θ − α·grad`` keeps θ's shape (the same entries, only leading axes of length 1
    dropped: ``(n,)`` for ``(1, n)``, ``()`` for ``(1, 1)``), or when both have exactly one entry
    (a ``(1, 1)`` db for a scalar b). Not for ``(n,)`` where ``(n, 1)`` belongs with ``n > 1``
    (``θ − α·grad`` would be ``(n, n)``), nor for a transpose.

    Parameters
    ----------
    expected : tuple of int
        The parameter's shape.
    shape : tuple of int
        The gradient's.

    Returns
    -------
    bool
    """
    size = math.prod(expected)
    if math.prod(shape) != size:
        return False
    if size == 1:
        return True
    try:
        return np.broadcast_shapes(expected, shape) == expected
    except ValueError:
        return False


def shape_note(
    name: str, label: str, shape: tuple[int, ...], expected: tuple[int, ...], formula: str | None
) -> str:
    """The note on a gradient of a harmless shape (:func:`harmless_shape`): why it passes, and the
    ``keepdims`` that gives the parameter's shape.

    Parameters
    ----------
    name, label : str
        The parameter (``"b2"``) and the gradient's key (``"db2"``).
    shape, expected : tuple of int
        The gradient's shape and the parameter's.
    formula : str, optional
        The right line for this gradient, quoted when it keeps the axes with ``keepdims``.

    Returns
    -------
    str
    """
    array = label if label != name else f"grads[{label!r}]"
    update = f"{name} - learning_rate * {array}"
    after = np.broadcast_shapes(expected, shape)
    effect = (
        f"{update} keeps {name}'s shape"
        if after == expected
        else f"{update} has shape {after} but one entry, as {name} has"
    )
    right = formula.split(" = ", 1)[-1] if formula else None
    reshaped = f"float({array})" if expected == () else f"{array}.reshape({expected})"
    if len(shape) > len(expected):  # axes the parameter lacks
        how = f"a sum without keepdims=True, or {reshaped},"
    elif right is None:
        how = f"keepdims=True on the sum, or {reshaped},"
    else:
        how = right if "keepdims" in right else f"{right} (or keepdims=True on a sum)"
    return (
        f"{_called(label, name)} has shape {shape} where {name} has shape {expected}; harmless here "
        f"({effect}), but {how} gives the parameter's shape"
    )


def _called(label: str, name: str) -> str:
    """The gradient as a message names it: ``db1``, or "the gradient for b1" when keyed ``b1``."""
    return f"the gradient for {name}" if label == name else label


def _factor(k: float, m: int | None) -> str:
    """``k`` for a message: ``"m = 7"``, ``"1/m = 1/7"``, ``"2"``, ``"1/4"`` or ``"0.3127"``."""
    if m is not None and m > 1 and math.isclose(k, m, rel_tol=1e-6):
        return f"m = {m}"
    if m is not None and m > 1 and math.isclose(k, 1.0 / m, rel_tol=1e-6):
        return f"1/m = 1/{m}"
    if k and math.isclose(k, round(k), rel_tol=1e-6):
        return str(round(k))
    if k and math.isclose(1.0 / k, round(1.0 / k), rel_tol=1e-6):
        return f"1/{round(1.0 / k)}" if k > 0 else f"-1/{round(-1.0 / k)}"
    return f"{k:.4g}"


def _simple(k: float) -> float:
    """``k`` if it is ±n or ±1/n for an integer n ≤ 16 (to 1e-6), else NaN."""
    inverse = round(1.0 / k) if k and abs(1.0 / k) < 16.5 else 0
    for candidate in (round(k), 1.0 / inverse if inverse else 0.0):
        if candidate and abs(candidate) <= 16 and math.isclose(k, candidate, rel_tol=1e-6):
            return float(candidate)
    return math.nan


def _fits(a: np.ndarray, t: np.ndarray, tau: np.ndarray, k: float) -> bool:
    """``a = k t`` within the tolerances, scaled with ``k`` (``t``'s errors are multiplied by it)."""
    return bool(np.all(np.abs(a - k * t) <= max(1.0, abs(k)) * tau))


def _constant_factor(evidence: Evidence, m: int | None) -> Finding | None:
    a, t, tau, _ = evidence.samples()
    norm = float(np.dot(t, t))
    if not a.size or norm == 0.0 or _fits(a, t, tau, 0.0):
        return None  # the right gradient is (within tolerance) zero: no factor is measurable
    k = float(np.dot(a, t)) / norm
    label = evidence.label
    fix = _fix(evidence.formula, f"remove the factor from {label}")
    cosine = float(np.dot(a, t)) / (float(np.linalg.norm(a)) * math.sqrt(norm) or 1.0)
    where = f"(cosine {cosine:.6f}, over {a.size} measured values)"
    if m is not None and m > 1 and _fits(a, t, tau, float(m)):
        factor = f"exactly m = {m} times too large"
        return Finding(
            "missing_1_over_m", f"{label} is {factor} {where}: the 1/m is missing. Fix: {fix}.", factor
        )
    if m is not None and m > 1 and _fits(a, t, tau, 1.0 / m):
        factor = f"exactly m = {m} times too small"
        return Finding(
            "extra_1_over_m",
            f"{label} is {factor} {where}: it is divided by m once too often. Fix: {fix}.",
            factor,
        )
    if _fits(a, t, tau, -1.0):
        factor = "exactly -1 times the right gradient"
        return Finding(
            "sign_flipped", f"{label} is {factor} {where}: its sign is flipped. Fix: {fix}.", factor
        )
    if np.count_nonzero(np.abs(t) > tau) < 2 or evidence.analytic.size < 2:  # one value fits any k
        k = _simple(k)
    if math.isfinite(k) and _fits(a, t, tau, k):
        hint = ""
        if m is None:
            hint = (
                f" If you have m = {_factor(k, None)} examples, a 1/m is missing (pass m= or X and Y to "
                "verify_gradients to have it checked)."
                if k > 1
                else ""
            )
        simple = math.isfinite(_simple(k))
        cause = (
            "a stray constant factor"
            if simple
            else "a factor every entry shares; as it is no simple number, look for a wrong step that scales "
            "them all alike (dZ2, or g'(Z1) when there is a single example)"
        )
        factor = f"exactly {_factor(k, m)} times the right gradient"
        return Finding("scaled", f"{label} is {factor} {where}: {cause}.{hint} Fix: {fix}.", factor)
    return None


def _along(x: np.ndarray, theta: np.ndarray, tau: np.ndarray, entries: int) -> float | None:
    """``c`` with ``x = c θ`` within ``τ``, measured on at least two values of at least two entries
    (one fits any c; a block of ``entries = 1`` seen along directions is still one value); or None."""
    norm = float(np.dot(theta, theta))
    if not x.size or norm == 0.0 or entries < 2:
        return None
    c = float(np.dot(x, theta)) / norm
    if np.count_nonzero(np.abs(c * theta) > tau) < 2 or not np.all(np.abs(x - c * theta) <= tau):
        return None
    return c


def _regularization(evidence: Evidence, m: int | None) -> Finding | None:
    a, t, tau, theta = evidence.samples()
    c = _along(a - t, theta, tau, evidence.analytic.size)
    if c is None:
        return None
    label, name = evidence.label, evidence.name
    lam = f" (λ = {abs(c) * m:.4g} with m = {m})" if m is not None else ""
    formula = evidence.formula
    right = formula + f" + (lambd / m) * {name}" if formula else f"add (lambd / m) * θ to d{name}"
    if c < 0:
        what = (
            f"{label} = right − {abs(c):.4g}·{name} exactly: the cost has an L2 term (λ/2m)·‖{name}‖² with "
            f"λ/m = {abs(c):.4g}{lam} that the gradient leaves out (or adds too little of)."
        )
    else:
        what = (
            f"{label} = right + {c:.4g}·{name} exactly: the gradient's L2 term is larger than the cost's "
            f"(e.g. lambd * {name} where the cost's (lambd / 2m)·‖{name}‖² gives (lambd / m) * {name})."
        )
    code = "missing_regularization" if c < 0 else "wrong_regularization"
    return Finding(code, f"{what} Fix: {right}, with the cost's own lambd.")


def _locate(evidence: Evidence) -> str:
    """Where the wrong entries are: whole rows, whole columns, or the first few, and by how much."""
    wrong, a, t, name = evidence.wrong, evidence.analytic, evidence.truth, evidence.name
    count = int(np.count_nonzero(wrong))
    if not count:
        return (
            "no single entry could be singled out: the gradient is wrong along random directions, by an "
            "error too small or too spread out to show entry by entry"
        )
    known = np.isfinite(t)
    parts = [
        f"{count} of {wrong.size} entries are off" if known.all() else f"at least {count} entries are off"
    ]
    if wrong.ndim == 2 and known.all() and wrong.shape[1] > 1 and wrong.shape[0] > 1:
        rows = [int(i) for i in np.flatnonzero(wrong.all(axis=1))]
        cols = [int(j) for j in np.flatnonzero(wrong.all(axis=0))]
        if (
            rows
            and len(rows) < wrong.shape[0]
            and np.array_equal(wrong, np.isin(np.arange(wrong.shape[0]), rows)[:, None] & np.ones_like(wrong))
        ):
            parts.append(f"whole rows {rows} of {name} (units {rows})")
        elif (
            cols
            and len(cols) < wrong.shape[1]
            and np.array_equal(wrong, np.ones_like(wrong) & np.isin(np.arange(wrong.shape[1]), cols)[None, :])
        ):
            parts.append(f"whole columns {cols} of {name}")
    flat = np.flatnonzero(wrong.reshape(-1))
    excess = np.abs(a.reshape(-1) - t.reshape(-1))[flat]
    worst = flat[np.argsort(-np.nan_to_num(excess, nan=np.inf))][:3]
    shown = []
    for i in worst:
        index = list(np.unravel_index(int(i), a.shape)) if a.shape else []
        value, right = float(a.reshape(-1)[i]), float(t.reshape(-1)[i])
        ratio = f", {value / right:.3g}×" if right and math.isfinite(right) else ""
        shown.append(f"{name}{[int(j) for j in index]}: {value:.6g} vs {right:.6g}{ratio}")
    parts.append("largest: " + "; ".join(shown))
    a_s, t_s, _, _ = evidence.samples()
    norms = float(np.linalg.norm(a_s)) * float(np.linalg.norm(t_s))
    if norms:
        parts.append(f"cosine with the right gradient {float(np.dot(a_s, t_s)) / norms:.4f}")
    return "; ".join(parts)


def value_diagnosis(evidence: Evidence, m: int | None) -> Finding:
    """The generic diagnosis of a failed gradient of the right shape (any cost).

    Parameters
    ----------
    evidence : Evidence
        What the check measured on the block.
    m : int or None
        The number of examples (``X.shape[1]``, or the caller's ``m=``), to recognise a missing
        or extra 1/m; None when unknown.

    Returns
    -------
    Finding
        ``non_finite``, ``zero_gradient``, ``transposed``, ``missing_1_over_m``,
        ``extra_1_over_m``, ``sign_flipped``, ``scaled``, ``missing_regularization``,
        ``wrong_regularization`` or ``unknown``.
    """
    analytic, label, name, formula = evidence.analytic, evidence.label, evidence.name, evidence.formula
    if not np.all(np.isfinite(analytic)):
        count = int(np.count_nonzero(~np.isfinite(analytic)))
        first = tuple(int(i) for i in np.argwhere(~np.isfinite(analytic))[0])
        return Finding(
            "non_finite",
            f"{label} holds {count} NaN/inf entries (first at {name}{list(first)}); look for log(0), "
            "0/0 or overflow in the backward pass.",
        )
    _, t, tau, theta = evidence.samples()
    if _along(t, theta, tau, evidence.analytic.size) is not None:
        # the right gradient is the parameter times a constant: the cost's data term is flat here
        # (e.g. every ReLU unit inactive) and an L2 term is all there is; a gradient that is zero
        # or a multiple of the right one is then best explained by that term
        regularization = _regularization(evidence, m)
        if regularization is not None:
            return regularization
    if not np.any(analytic):
        fix = _fix(formula, f"compute the derivative of the cost with respect to {name}")
        verb = "are" if ", " in label else "is"
        return Finding(
            "zero_gradient",
            f"{label} {verb} all zeros but the cost does change with {name}: was it left as "
            f"np.zeros(...), or is a factor it is computed from zero at every entry here (a mask or a "
            f"derivative that no unit passes, e.g. ReLU's where every Z1 < 0)? Fix: {fix}.",
        )
    if evidence.transpose_matches:
        fix = _fix(formula, "swap the operands of the product or transpose it")
        return Finding(
            "transposed",
            f"{label} is the transpose of the right gradient ({name} is square, so the shapes agree). "
            f"Fix: {fix}.",
        )
    diagnosis = _constant_factor(evidence, m) or _regularization(evidence, m)
    if diagnosis is not None:
        return diagnosis
    right = f" The right formula: {formula}." if formula else ""
    return Finding(
        "unknown", f"{label} is wrong in a way no catalogued mistake explains: {_locate(evidence)}.{right}"
    )


def share(
    diagnoses: Mapping[str, Finding], evidence: Mapping[str, Evidence], m: int | None
) -> dict[str, Finding]:
    """Refit weakly explained gradients together with the ones a fit explains.

    One value fits any factor, so a gradient of one entry, or one left ``unknown``, is pooled
    with the gradients explained by a fit (``scaled``, ``missing_regularization``) and with each
    other; a factor or an L2 term they all share, measured on all their values at once, explains
    them all.

    Parameters
    ----------
    diagnoses : mapping
        The generic diagnosis of each failed gradient of the right shape.
    evidence : mapping
        What was measured on each of them.
    m : int or None

    Returns
    -------
    dict of str to Finding
        ``diagnoses``, with the pooled gradients re-diagnosed when the shared fit holds.
    """
    weak = [n for n, d in diagnoses.items() if d.code == "unknown" or evidence[n].analytic.size == 1]
    fitted = [n for n, d in diagnoses.items() if d.code in ("scaled", "missing_regularization")]
    pool = list(dict.fromkeys(fitted + weak))
    out = dict(diagnoses)
    if weak and len(pool) > 1:
        shared = value_diagnosis(Evidence.pool([evidence[n] for n in pool]), m)
        if shared.code != "unknown":
            out.update(dict.fromkeys(pool, shared))
    return out


# -- the catalog -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Match:
    """A catalog variant that reproduces some of the learner's failed gradients."""

    variant: WrongVariant
    explains: tuple[str, ...]


def match_catalog(
    variants: Iterable[WrongVariant],
    point: Mapping[str, np.ndarray],
    analytic: Mapping[str, np.ndarray],
    failed: Sequence[str],
    right: Mapping[str, np.ndarray],
    magnitude: Mapping[str, np.ndarray],
    eps: Mapping[str, float],
    safety: float,
) -> dict[str, Match]:
    """Which catalog variant reproduces each failed gradient, at the learner's point.

    A variant's gradient ``v`` reproduces the learner's ``a`` when
    ``|a − v| ≤ safety · ε (|a| + |v| + M + max|v|)`` entry by entry (``M`` the rounding
    magnitude of the right gradient): two implementations of one formula agree that closely,
    two different formulas do not. A variant is *contradicted* when it changes a gradient the
    learner got right. Each failed gradient gets the uncontradicted variant that reproduces it and
    the most other failed gradients; ties go to the catalog's order.

    Parameters
    ----------
    variants : iterable of WrongVariant
        The recognised reference's catalog, evaluated at the point
        (:meth:`gradcheck.network.interface.Reference.wrong_variants`).
    point : mapping
        The parameters, float64.
    analytic : mapping
        The learner's gradients of the right shape, float64, keyed by parameter name.
    failed : sequence of str
        The parameters whose gradients failed.
    right : mapping
        The right gradients (the reference's).
    magnitude : mapping
        Rounding magnitudes ``M`` of the right gradients.
    eps : mapping
        Machine epsilon of each learner gradient's dtype.
    safety : float

    Returns
    -------
    dict of str to Match
        For the failed gradients a variant explains.
    """

    def agree(name: str, a: np.ndarray, v: np.ndarray) -> bool:
        tau = safety * eps[name] * (np.abs(a) + np.abs(v) + magnitude[name] + np.max(np.abs(v)))
        return bool(np.all(np.abs(a - v) <= tau))

    matches: list[Match] = []
    for variant in variants:
        explains: list[str] = []
        contradicted = False
        for name, v in variant.gradients.items():
            if v.shape != point[name].shape and harmless_shape(point[name].shape, v.shape):
                v = np.reshape(v, point[name].shape)  # judged reshaped, as the learner's would be
            if v.shape != point[name].shape or not np.all(np.isfinite(v)):
                contradicted = contradicted or name not in failed
                continue
            if agree(name, v, right[name]):
                continue  # the variant does not change this gradient
            if name not in failed:
                contradicted = True
            elif name in analytic and agree(name, analytic[name], v):
                explains.append(name)
        if explains and not contradicted:
            matches.append(Match(variant, tuple(explains)))
    best: dict[str, Match] = {}
    for match in sorted(matches, key=lambda item: -len(item.explains)):  # stable: catalog order on ties
        for name in match.explains:
            best.setdefault(name, match)
    return best


def catalog_diagnosis(match: Match, generic: Mapping[str, Finding], labels: Mapping[str, str]) -> Diagnosis:
    """The message for the gradients a catalog variant reproduces: what, where, the fix.

    ``generic`` holds the generic findings on the failed gradients; their measured factors are
    quoted when the variant is a factor mistake too. Every gradient the variant explains gets the
    same message.
    """
    variant = match.variant
    where = ", ".join(labels.get(n, f"d{n}") for n in match.explains)
    # "dW1 is exactly m = 7 times too large" per gradient; one sentence when the factors agree
    factors = {
        labels.get(n, f"d{n}"): generic[n].factor
        for n in match.explains
        if n in generic and generic[n].code in FACTOR_CODES and generic[n].factor
    }
    head = where
    if variant.code in FACTOR_CODES and factors:
        if len(set(factors.values())) == 1 and len(factors) > 1:
            head = f"{', '.join(factors)} are {next(iter(factors.values()))}"
        else:
            head = "; ".join(f"{label} is {factor}" for label, factor in factors.items())
    context = f" {variant.context}" if variant.context else ""
    return Diagnosis(
        variant.code,
        f"{head}: {variant.meaning}. Your code computes `{variant.wrote}`, which reproduces {where} "
        f"exactly.{context} Fix: {variant.fix}.",
    )


# -- the one-line summary ----------------------------------------------------------------------


def summarize(
    diagnoses: Mapping[str, Diagnosis], labels: Mapping[str, str], m: int | None, hints: Hints
) -> Diagnosis | None:
    """The report's one-line summary of the failed gradients' diagnoses.

    Parameters
    ----------
    diagnoses : mapping
        Parameter name -> diagnosis of each failed gradient.
    labels : mapping
        Parameter name -> the gradient's key (``"dW1"``).
    m : int or None
    hints : Hints
        The model's order of the parameters, and what it says of a failed set or of a code every
        gradient shares.

    Returns
    -------
    Diagnosis or None
        The shared code when every failed gradient has the same one (``several`` with the codes
        listed otherwise), and a message that names the gradients and, where the pattern of
        failed gradients points at one step of the backward pass, that step.
    """
    if not diagnoses:
        return None
    order = hints.parameter_names
    names = [n for n in order if n in diagnoses] + [n for n in diagnoses if n not in order]
    codes = {diagnoses[n].code for n in names}
    which = ", ".join(labels.get(n, f"d{n}") for n in names)
    failed = frozenset(names)
    step = hints.step_hint(failed)
    step = f" {step}" if step else ""
    if len(codes) == 1:
        (code,) = codes
        first = diagnoses[names[0]].message
        if len(names) == 1 or all(diagnoses[n].message == first for n in names):
            return Diagnosis(code, first)
        everywhere = hints.everywhere(code, m) if order and failed == set(order) else None
        # one gradient's message stands for itself, not for the others: each says its own fix
        own = f"For {labels.get(names[0], 'd' + names[0])}: {first}"
        message = everywhere or f"{which}: {DIAGNOSIS_CODES[code]}.{step} {own}"
        return Diagnosis(code, message)
    parts = "; ".join(f"{labels.get(n, 'd' + n)}: {diagnoses[n].code}" for n in names)
    return Diagnosis("several", f"Several mistakes: {parts}.{step} See each gradient's diagnosis.")


# -- the stage ---------------------------------------------------------------------------------


def diagnose(
    results: Mapping[str, GradientResult],
    evidence: Mapping[str, Evidence],
    recognised: Recognised | None,
    hints: Hints,
    point: Mapping[str, np.ndarray],
    eps: Mapping[str, float],
    m: int | None,
    safety: float,
) -> tuple[dict[str, GradientResult], Diagnosis | None]:
    """Each failed gradient's diagnosis (catalog first, then generic), kinks on passed ones, and the
    one-line summary.

    Parameters
    ----------
    results : mapping
        Every gradient's result, judged (:mod:`gradcheck.judge`) or failed before judging.
    evidence : mapping
        What was measured on each failed gradient of the right shape.
    recognised : Recognised or None
        The reference model behind the cost: its catalog is matched when given.
    hints : Hints
        The model's formulas and steps (the recognised one's, else the one naming the parameters).
    point : mapping
        The parameters, float64 (the catalog is evaluated there).
    eps : mapping
        Machine epsilon of each gradient's dtype (float64 for missing ones).
    m : int or None
        The number of examples, to recognise a missing or extra 1/m.
    safety : float

    Returns
    -------
    results : dict of str to GradientResult
        With their diagnoses.
    summary : Diagnosis or None
        The report's one line (None when every gradient passed).
    """
    labels = {name: result.label for name, result in results.items()}
    failed = [name for name, result in results.items() if not result.passed]
    matches: dict[str, Match] = {}
    if recognised is not None and evidence:
        matches = match_catalog(
            recognised.reference.wrong_variants(point),
            point,
            {name: e.analytic for name, e in evidence.items()},
            failed,
            recognised.gradient,
            recognised.magnitude,
            eps,
            safety,
        )
    generic = share({name: value_diagnosis(e, m) for name, e in evidence.items()}, evidence, m)
    out: dict[str, GradientResult] = {}
    for name, result in results.items():
        diagnosis = result.diagnosis
        zero = name in generic and generic[name].code == "zero_gradient"
        if name in matches and not zero:  # all zeros: every mistake that zeroes it matches alike
            diagnosis = catalog_diagnosis(matches[name], generic, labels)
        elif name in generic:
            diagnosis = generic[name].diagnosis
        elif result.passed and result.n_kinks:
            diagnosis = _kink_diagnosis(result)
        if name in evidence and diagnosis is not None and result.shape != result.expected_shape:
            diagnosis = _reshaped(diagnosis, result)
        out[name] = dataclasses.replace(result, diagnosis=diagnosis)
    diagnosed = {name: diagnosis for name in failed if (diagnosis := out[name].diagnosis) is not None}
    summary = summarize(diagnosed, labels, m, hints)
    if summary is not None and summary.message == hints.everywhere(summary.code, m):
        # every gradient shares one mistake the model explains as a whole (a cost without its 1/m):
        # each gradient's line says the same, not a fix of its own the summary contradicts
        out.update({n: dataclasses.replace(out[n], diagnosis=summary) for n in diagnosed})
    return out, summary


def _reshaped(diagnosis: Diagnosis, result: GradientResult) -> Diagnosis:
    """A failed gradient of a harmless shape: its value diagnosis, and the shape it was given in."""
    name, label = result.name, result.label
    return Diagnosis(
        diagnosis.code,
        f"{diagnosis.message} ({_called(label, name)} has shape {result.shape} where {name} has shape "
        f"{result.expected_shape}: its values were judged reshaped.)",
    )


def _kink_diagnosis(result: GradientResult) -> Diagnosis:
    many = result.n_kinks > 1
    return Diagnosis(
        "kink",
        f"{result.n_kinks} entr{'ies' if many else 'y'} of {result.label} at a kink (a hidden pre-activation "
        "exactly 0): the cost has no derivative there, and your values lie between the one-sided "
        "derivatives, as any slope convention gives. Not a bug.",
    )

"""The result of a gradient check: one entry per parameter and a verdict, as data.

``report.to_dict()`` is JSON-serialisable. ``str(report)``, the rich view and the notebook view
are drawn by :mod:`gradcheck.render`, imported only when one is asked for.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = ["DIAGNOSIS_CODES", "EXCESS_MAP_SIZE", "Diagnosis", "GradientReport", "GradientResult"]

#: Failed gradients up to this many entries keep their element error map (``GradientResult.excess``).
EXCESS_MAP_SIZE = 4096

#: The diagnosis catalog: code -> what it means. Extend it; never rename a code.
DIAGNOSIS_CODES: dict[str, str] = {
    "missing_1_over_m": "the gradient is m times too large: a 1/m is missing",
    "extra_1_over_m": "the gradient is m times too small: a 1/m too many",
    "sign_flipped": "the gradient has the wrong sign",
    "scaled": "the gradient is off by a constant factor",
    "transposed": "the gradient is the transpose of the right one",
    "shape_mismatch": "the gradient's shape differs from its parameter's (e.g. a missing keepdims=True)",
    "zero_gradient": "the gradient is all zeros but the cost does change with the parameter",
    "wrong_activation_derivative": "an activation's derivative g'(Z) is wrong",
    "preactivation_used": "Z is used where A belongs, or the reverse",
    "missing_regularization": "the cost has a regularisation term the gradient leaves out",
    "wrong_regularization": "the L2 term's gradient is wrong (doubled, without 1/m, on the biases)",
    "wrong_dropout": "backward does not apply dropout's mask and 1/keep_prob as forward did",
    "missing_transpose": "dA_prev = np.dot(W, dZ) lacks W's transpose (it runs only where W is square)",
    "wrong_cache": "a layer's backward pass uses another layer's cache",
    "nondeterministic_cost": "the cost gives different values at the same point",
    "non_finite": "the gradient holds NaN or inf",
    "kink": (
        "not a bug: the point is non-differentiable and the gradient lies between the one-sided derivatives"
    ),
    "missing_gradient": "no gradient was given for this parameter",
    "invalid_gradient": "the gradient is not a numeric array",
    "backward_raised": "the backward pass raised an error (a failed assert) at these shapes",
    "unknown": "the gradient is wrong in a way no catalogued mistake explains",
    "several": "the report's summary only: different gradients have different mistakes (each says its own)",
}


@dataclass(frozen=True)
class Diagnosis:
    """What is likely wrong with one gradient.

    Attributes
    ----------
    code : str
        A key of :data:`DIAGNOSIS_CODES`.
    message : str
        What is wrong, where, and the fix.
    """

    code: str
    message: str

    def __post_init__(self) -> None:
        if self.code not in DIAGNOSIS_CODES:
            raise ValueError(f"unknown diagnosis code {self.code!r}; add it to DIAGNOSIS_CODES first")


def _number(value: float | None) -> float | None:
    """A float for JSON: None for a missing or non-finite value."""
    if value is None or not math.isfinite(value):
        return None
    return float(value)


def _index(index: tuple[int, ...] | None) -> str:
    return "" if index is None else "[" + ", ".join(map(str, index)) + "]"


@dataclass(frozen=True)
class GradientResult:
    """The check of one parameter's gradient.

    Attributes
    ----------
    name : str
        The parameter, e.g. ``"W1"``.
    gradient_key : str or None
        The key the gradient was found under (``"dW1"`` or ``"W1"``); None when missing.
    passed : bool
        Right shape (or a harmless one: see ``note``), finite, and every entry within the
        finite-difference tolerance.
    expected_shape : tuple of int
        The parameter's shape.
    shape : tuple of int or None
        The analytic gradient's shape; None when missing or not an array.
    relative_error : float
        Block relative error ``‖a − n‖ / (‖a‖ + ‖n‖)`` against finite differences (a harmless
        shape's values compared reshaped; NaN for any other wrong shape).
    size : int
        Number of entries of the parameter.
    n_failed : int
        Entries beyond tolerance (all of them when the shape or the values are unusable).
    worst_index : tuple of int or None
        The entry most beyond its tolerance.
    worst_analytic, worst_numeric, worst_relative_error, worst_tolerance : float or None
        The analytic and numeric values there, their relative error and the tolerance used.
    reference_error : float or None
        Block relative error against the exact reference gradient (autograd), when available.
    numeric_reference_error : float or None
        Block relative error of the finite differences against the reference: the two
        independent opinions' agreement.
    diagnosis : Diagnosis or None
        The likely mistake, when it is evident.
    mode : str
        How finite differences covered the block: ``"exhaustive"`` (every entry),
        ``"sampled"`` (some entries) or ``"directional"`` (random directions, wrong entries
        located by group testing); ``"none"`` when the gradient could not be used.
    checked : int
        Entries compared one by one with finite differences.
    directions : int
        Random directions the block was checked along.
    n_kinks : int
        Entries at a kink whose gradient lies between the one-sided derivatives (passed).
    fd_agrees : bool or None
        Whether finite differences accept the block (None: not compared).
    reference_agrees : bool or None
        Whether the exact reference gradient (autograd) accepts it (None: no reference).
    note : str or None
        For a gradient whose shape differs harmlessly from its parameter's (``θ − α·grad`` keeps
        θ's shape, or both have one entry; :func:`gradcheck.diagnose.harmless_shape`), judged on
        its values reshaped: the shapes, and the ``keepdims`` that gives the parameter's. None
        otherwise.
    excess : ndarray or None
        For a failed gradient of the right (or a harmless) shape and at most :data:`EXCESS_MAP_SIZE` entries,
        ``|a − n| / τ`` per entry (above 1: beyond tolerance; NaN: not compared), the
        parameter's shape: the element error map of the notebook view. At an entry a kink
        explains, its distance outside the one-sided derivatives (or the reference's interval)
        over the tolerance there: at most 1, as it passed.
    """

    name: str
    gradient_key: str | None
    passed: bool
    expected_shape: tuple[int, ...]
    shape: tuple[int, ...] | None
    relative_error: float
    size: int
    n_failed: int
    worst_index: tuple[int, ...] | None = None
    worst_analytic: float | None = None
    worst_numeric: float | None = None
    worst_relative_error: float | None = None
    worst_tolerance: float | None = None
    reference_error: float | None = None
    numeric_reference_error: float | None = None
    diagnosis: Diagnosis | None = None
    mode: str = "exhaustive"
    checked: int = 0
    directions: int = 0
    n_kinks: int = 0
    fd_agrees: bool | None = None
    reference_agrees: bool | None = None
    note: str | None = None
    excess: np.ndarray | None = field(default=None, compare=False, repr=False)

    @property
    def coverage(self) -> str:
        """What finite differences looked at, e.g. ``"every entry"`` or ``"12 of 86016 entries"``."""
        if self.mode == "none":
            return "not checked"
        parts = []
        if self.checked >= self.size:
            parts.append("every entry")
        elif self.checked:
            parts.append(f"{self.checked} of {self.size} entries ({100.0 * self.checked / self.size:.2g}%)")
        if self.directions:
            parts.append(f"{self.directions} random direction{'s' * (self.directions > 1)}")
        return " + ".join(parts) or "no entries"

    @property
    def unlocated(self) -> bool:
        """Failed along random directions with no entry found wrong on its own."""
        return not self.passed and self.mode != "none" and self.n_failed == 0

    @property
    def entries_off(self) -> str:
        """How many entries are off, as far as known: ``"3 of 1200 entries beyond tolerance"``
        (``"at least 3 ..."`` when not every entry was looked at), or, for a block wrong along
        random directions where no entry was found wrong on its own, that none was located."""
        if self.unlocated:
            return (
                f"wrong along random directions, no single entry of {self.size} located (the error is too "
                "small or too spread out for any entry to show on its own)"
            )
        some = "" if self.checked >= self.size or self.passed else "at least "
        return f"{some}{self.n_failed} of {self.size} entries beyond tolerance"

    @property
    def opinions(self) -> str:
        """Which opinions accept the analytic gradient, e.g. ``"FD ✓ autograd ✓"``."""
        marks = {True: "✓", False: "✗"}
        parts = []
        if self.fd_agrees is not None:
            parts.append(f"FD {marks[self.fd_agrees]}")
        if self.reference_agrees is not None:
            parts.append(f"autograd {marks[self.reference_agrees]}")
        return " ".join(parts) or "-"

    @property
    def label(self) -> str:
        """The gradient's name as the learner wrote it: ``dW1`` (or ``W1``)."""
        return self.gradient_key or f"d{self.name}"

    def summary(self, *, diagnosis: bool = True) -> str:
        """One paragraph: which gradient, shapes, how many entries off, the worst one, the likely mistake
        (``diagnosis=False``: "as above", for a report whose summary line already says it)."""
        shape = "missing" if self.shape is None else str(self.shape)
        verdict = "ok" if self.passed else "WRONG"
        head = f"{self.label}: {verdict}, shape {shape} (expected {self.expected_shape})"
        parts = [head]
        if self.shape is not None and self.mode != "none":  # judged on its values
            parts.append(f"{self.entries_off} (checked: {self.coverage})")
        if self.n_kinks:
            parts.append(f"{self.n_kinks} entries at a kink, between the one-sided derivatives")
        if self.worst_index is not None and self.worst_numeric is not None and self.n_failed:
            parts.append(
                f"worst {self.name}{_index(self.worst_index)}: analytic {self.worst_analytic:.6g}, "
                f"numeric {self.worst_numeric:.6g}, relative error {self.worst_relative_error:.2g} "
                f"(tolerance {self.worst_tolerance:.2g})"
            )
        if self.diagnosis is not None:
            parts.append(f"likely: {self.diagnosis.message}" if diagnosis else "likely: as above")
        return "; ".join(parts)

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable form (non-finite numbers become None)."""
        return {
            "name": self.name,
            "gradient_key": self.gradient_key,
            "passed": self.passed,
            "expected_shape": list(self.expected_shape),
            "shape": None if self.shape is None else list(self.shape),
            "relative_error": _number(self.relative_error),
            "size": self.size,
            "n_failed": self.n_failed,
            "worst_index": None if self.worst_index is None else list(self.worst_index),
            "worst_analytic": _number(self.worst_analytic),
            "worst_numeric": _number(self.worst_numeric),
            "worst_relative_error": _number(self.worst_relative_error),
            "worst_tolerance": _number(self.worst_tolerance),
            "reference_error": _number(self.reference_error),
            "numeric_reference_error": _number(self.numeric_reference_error),
            "diagnosis": None
            if self.diagnosis is None
            else {"code": self.diagnosis.code, "message": self.diagnosis.message},
            "mode": self.mode,
            "checked": self.checked,
            "directions": self.directions,
            "coverage": self.coverage,
            "n_kinks": self.n_kinks,
            "fd_agrees": self.fd_agrees,
            "reference_agrees": self.reference_agrees,
            "note": self.note,
        }


@dataclass(frozen=True)
class GradientReport:
    """All gradients of one check.

    ``report["W1"]`` and ``report["dW1"]`` both give the :class:`GradientResult` of ``W1``;
    iterating gives the results in parameter order.

    Attributes
    ----------
    results : dict of str to GradientResult
        Keyed by parameter name.
    method : str
        The finite-difference method.
    evaluations : int
        Cost evaluations spent.
    reference : str or None
        What the reference opinion was, e.g. ``"reference network, tanh hidden layer (autograd)"``;
        None when the cost did not match the reference network (or X, Y were not given).
    ignored_keys : tuple of str
        Gradient keys that name no parameter (e.g. ``dZ1``), left unchecked.
    mode : str
        The mode asked for: ``"auto"``, ``"exhaustive"``, ``"sampled"`` or ``"directional"``.
    notes : tuple of str
        What else the user should know (a fallback of the method, a noisy cost).
    diagnosis : Diagnosis or None
        The likely mistake behind the failed gradients, in one line (None when all passed);
        each gradient's own diagnosis is in ``report[name].diagnosis``.
    """

    results: dict[str, GradientResult]
    method: str
    evaluations: int
    reference: str | None = None
    ignored_keys: tuple[str, ...] = field(default=())
    mode: str = "auto"
    notes: tuple[str, ...] = field(default=())
    diagnosis: Diagnosis | None = None

    @property
    def n_kinks(self) -> int:
        """Entries at kinks that passed (between the one-sided derivatives), over all gradients."""
        return sum(result.n_kinks for result in self.results.values())

    @property
    def passed(self) -> bool:
        """True when every gradient passed."""
        return all(result.passed for result in self.results.values())

    @property
    def failed(self) -> list[GradientResult]:
        """The gradients that did not pass, in parameter order."""
        return [result for result in self.results.values() if not result.passed]

    def __getitem__(self, key: str) -> GradientResult:
        if key in self.results:
            return self.results[key]
        if key.startswith("d") and key[1:] in self.results:
            return self.results[key[1:]]
        raise KeyError(f"{key!r}: this report has {', '.join(self.results)} (or d-prefixed: dW1 for W1)")

    def __iter__(self) -> Iterator[GradientResult]:
        return iter(self.results.values())

    def __len__(self) -> int:
        return len(self.results)

    def headline(self) -> str:
        """One line: the verdict and which gradients are wrong."""
        if self.passed:
            kinks = f"; {self.n_kinks} entries at kinks" if self.n_kinks else ""
            return f"All {len(self)} gradients match ({self.method} differences{kinks})."
        wrong = ", ".join(result.label for result in self.failed)
        return f"{len(self.failed)} of {len(self)} gradients are wrong: {wrong}."

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable form: verdict, method, reference, and one object per gradient."""
        return {
            "passed": self.passed,
            "method": self.method,
            "evaluations": self.evaluations,
            "mode": self.mode,
            "n_kinks": self.n_kinks,
            "reference": self.reference,
            "ignored_keys": list(self.ignored_keys),
            "notes": list(self.notes),
            "diagnosis": None
            if self.diagnosis is None
            else {"code": self.diagnosis.code, "message": self.diagnosis.message},
            "gradients": {name: result.to_dict() for name, result in self.results.items()},
        }

    def __rich__(self) -> Any:
        """The terminal view (rich): headline, likely mistake, the table, the failed gradients."""
        from gradcheck.render import terminal_view

        return terminal_view(self)

    def _repr_html_(self) -> str:
        """The notebook view: a coloured table, the likely mistake, and an element error map of
        each failed gradient (rendered from ``templates/notebook.html.j2``)."""
        from gradcheck.render import notebook_view

        return notebook_view(self)

    def footer(self) -> str:
        """One line: the method, the mode, the evaluations spent and the reference used."""
        footer = f"{self.method} differences ({self.mode} mode), {self.evaluations} cost evaluations"
        if self.reference is not None:
            footer += f"; reference: {self.reference}"
        return footer

    def __str__(self) -> str:
        from gradcheck.render import plain_text

        return plain_text(self)

    def __repr__(self) -> str:
        """Short and unambiguous: the verdict and the parameters, e.g.
        ``<GradientReport passed=False gradients=['W1', 'b1', 'W2', 'b2']>``."""
        return f"<GradientReport passed={self.passed} gradients={list(self.results)}>"

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        """IPython's text form (the console, a notebook's text/plain output): ``str(report)``, the
        text table, rather than the short ``repr``.

        Parameters
        ----------
        printer : IPython.lib.pretty.RepresentationPrinter
            Receives the text.
        cycle : bool
            True when the report is met again inside itself (never: it holds no reports); the
            short ``repr`` then.
        """
        printer.text(repr(self) if cycle else str(self).rstrip("\n"))

"""Assertions for test suites: ``assert_gradients`` fails with a message that says what is wrong.

>>> from gradcheck.testing import assert_gradients
>>> assert_gradients(cost_fn, parameters, gradients)  # doctest: +SKIP

The message follows numpy's ``assert_allclose``: a title, the tolerance rule, then per wrong
gradient how many entries are off, the worst entry with both values, and the likely mistake.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from gradcheck.report import GradientReport
from gradcheck.verify import verify_gradients

__all__ = ["assert_gradients", "failure_message"]


def failure_message(report: GradientReport, safety: float = 100.0) -> str:
    """The assertion message for a failed report (numpy ``assert_allclose`` style).

    Parameters
    ----------
    report : GradientReport
        A report with at least one failed gradient.
    safety : float, default 100
        The safety factor the report was computed with, quoted in the tolerance line.

    Returns
    -------
    str
    """
    lines = [
        "Gradients are not equal to finite differences"
        + (" and the exact reference" if report.reference is not None else ""),
        f"Tolerance: |analytic - numeric| <= {safety:g} * (error estimate + eps * (|analytic| + max(G, 1)))",
        f"Wrong gradients: {', '.join(r.label for r in report.failed)} ({len(report.failed)} of "
        f"{len(report)}; {report.method} differences, {report.evaluations} evaluations)",
    ]
    if report.diagnosis is not None:
        lines.append(f"Likely mistake ({report.diagnosis.code}): {report.diagnosis.message}")
    for result in report.failed:
        lines.append(f"{result.label}:")
        if result.shape != result.expected_shape:
            shape = "missing" if result.shape is None else str(result.shape)
            lines.append(f" shape {shape}, expected {result.expected_shape}")
        if result.shape is not None and result.mode != "none":  # judged on its values
            share = 100.0 * result.n_failed / result.size if result.size else 0.0
            some = "" if result.checked >= result.size else "at least "
            mismatched = f"{some}{result.n_failed} / {result.size} ({share:.3g}%)"
            if result.unlocated:
                mismatched = f"none located of {result.size}; wrong along random directions"
            lines.append(f" Mismatched elements: {mismatched}")
        if result.worst_index is not None and result.worst_analytic is not None and result.n_failed:
            index = "[" + ", ".join(map(str, result.worst_index)) + "]"
            difference = abs(result.worst_analytic - (result.worst_numeric or 0.0))
            lines.append(
                f" Worst at {result.name}{index}: analytic {result.worst_analytic:.8g}, numeric "
                f"{result.worst_numeric:.8g}, |difference| {difference:.3g}, "
                f"tolerance {result.worst_tolerance:.3g}"
            )
        if result.diagnosis is not None and result.diagnosis != report.diagnosis:
            lines.append(f" Likely ({result.diagnosis.code}): {result.diagnosis.message}")
    lines += [f"Note: {note}" for note in (*report.notes, *(r.note for r in report if r.note))]
    return "\n".join(lines)


def assert_gradients(
    cost_fn: Callable[[dict[str, np.ndarray]], Any] | None = None,
    parameters: Mapping[str, Any] | None = None,
    gradients: Mapping[str, Any] | None = None,
    **options: Any,
) -> GradientReport:
    """Assert that analytic gradients are right; fail with what is wrong, where, and the likely mistake.

    Takes the arguments of :func:`gradcheck.verify_gradients`, both forms:
    ``assert_gradients(cost_fn, parameters, gradients, X=None, Y=None, **options)`` or
    ``assert_gradients(forward=..., backward=..., parameters=..., X=..., Y=...)``.

    Parameters
    ----------
    cost_fn, parameters, gradients
        As for :func:`gradcheck.verify_gradients`.
    **options
        Any other keyword of :func:`gradcheck.verify_gradients` (``X``, ``Y``, ``method``,
        ``mode``, ``safety``, ``forward``, ``backward``, ...).

    Returns
    -------
    GradientReport
        The passing report, for further assertions.

    Raises
    ------
    AssertionError
        When a gradient is wrong, with the message of :func:`failure_message`.
    GradcheckError
        When the call cannot be checked (see :func:`gradcheck.verify_gradients`).
    """
    __tracebackhide__ = True  # pytest shows the caller's line, not ours
    report = verify_gradients(cost_fn, parameters, gradients, **options)
    if not report.passed:
        raise AssertionError(failure_message(report, float(options.get("safety", 100.0))))
    return report

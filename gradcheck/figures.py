"""Figures of the gradient-error report (matplotlib, drawn off-screen), returned as PNG bytes.

* :func:`step_size_figure`: the relative error of each finite-difference method against the
  exact derivative as the step ``h`` varies: truncation falls with ``h``, rounding grows as
  ``h`` shrinks, and each method's V has its bottom near its default step. The step gradcheck
  takes and its tolerance there (:func:`chosen_steps`) are marked on each V.
* :func:`errors_figure`: the relative error of every gradient, per activation and method.
* :func:`error_map_figure`: ``|a − n| / τ`` per entry of a failed gradient.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import autograd
import autograd.numpy as anp
import matplotlib

matplotlib.use("Agg")  # files only, never a window

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from gradcheck.arguments import Options
from gradcheck.network.problems import Problem
from gradcheck.numerical import FLOAT64_EPS, METHODS, CostProbe, derivative
from gradcheck.setting import measure

__all__ = [
    "StepChoice",
    "chosen_steps",
    "error_map_figure",
    "errors_figure",
    "step_size_curves",
    "step_size_figure",
    "step_size_plot",
]

#: Steps of the step-size curve.
STEPS = np.logspace(-15, -1, 43)


def _png(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    plt.close(figure)
    return buffer.getvalue()


def _complex_safe_cost(problem: Problem) -> Callable[[dict[str, Any]], Any]:
    """The problem's cross-entropy written with operations that accept complex input (tanh hidden
    layer; ``log(1 + e^z)`` for softplus, exact for the moderate ``Z2`` of the curve's problem)."""
    X, Y, m = problem.X, problem.Y, problem.X.shape[1]

    def cost_fn(p: dict[str, Any]) -> Any:
        Z2 = p["W2"] @ anp.tanh(p["W1"] @ X + p["b1"]) + p["b2"]
        return anp.sum(anp.log(1.0 + anp.exp(Z2)) - Y * Z2) / m

    return cost_fn


def step_size_curves(
    problem: Problem, name: str = "W1", index: tuple[int, ...] = (0, 0)
) -> dict[str, list[float]]:
    """Relative error of each method at each step in :data:`STEPS`, for one entry of a tanh problem.

    The exact value is autograd's derivative of the same cost. Returns ``{"h": [...], method: [...]}``.
    """
    cost_fn = _complex_safe_cost(problem)
    exact = float(autograd.grad(cost_fn)({k: v.copy() for k, v in problem.parameters.items()})[name][index])
    probe = CostProbe.at(cost_fn, problem.parameters)
    curves: dict[str, list[float]] = {"h": [float(h) for h in STEPS]}
    for method in METHODS:
        errors = []
        for h in STEPS:
            with np.errstate(all="ignore"):
                value = derivative(probe, name, index, method, float(h))[0]
            errors.append(abs(value - exact) / abs(exact) if np.isfinite(value) else float("nan"))
        curves[method] = errors
    return curves


@dataclass(frozen=True)
class StepChoice:
    """The step gradcheck takes for one entry with one method, and how it judges there.

    Attributes
    ----------
    method : str
        The method used (``"richardson"`` when ``"complex"`` fell back).
    h : float
        The step the engine chose (:func:`gradcheck.setting.measure` with the default options).
    error : float
        That finite difference's relative error against the exact derivative.
    tolerance : float
        The pass rule's ``τ`` at the entry, relative to the exact derivative: an analytic value
        equal to the exact one passes when ``error <= tolerance``.
    """

    method: str
    h: float
    error: float
    tolerance: float


def chosen_steps(
    problem: Problem, methods: Sequence[str], name: str = "W1", index: tuple[int, ...] = (0, 0)
) -> dict[str, StepChoice]:
    """The step the engine takes and the tolerance it judges with, per method, at the entry of
    :func:`step_size_curves`.

    Each method is measured as a check measures it (noise, steps, error estimates, the scale
    ``G``: :func:`gradcheck.setting.measure`), with autograd's gradient as the analytic one.
    """
    cost_fn = _complex_safe_cost(problem)
    exact = autograd.grad(cost_fn)({k: v.copy() for k, v in problem.parameters.items()})
    analytic = {k: np.asarray(v, dtype=np.float64) for k, v in exact.items()}
    value = float(analytic[name][index])
    out = {}
    for method in methods:
        setting = measure(CostProbe.at(cost_fn, problem.parameters), None, Options(method=method), analytic)
        assert setting.fd is not None, "every entry of the curve's small problem is measured"
        numeric, error = setting.fd.gradient[name][index], setting.fd.error[name][index]
        tau = float(setting.tolerance(np.asarray(value), np.asarray(error), FLOAT64_EPS))
        out[method] = StepChoice(
            setting.method,
            float(setting.fd.steps[name][index]),
            abs(float(numeric) - value) / abs(value),
            tau / abs(value),
        )
    return out


def step_size_figure(
    curves: Mapping[str, Sequence[float]],
    methods: Sequence[str] | None = None,
    chosen: Mapping[str, StepChoice] | None = None,
) -> bytes:
    """:func:`step_size_plot` as PNG bytes."""
    return _png(step_size_plot(curves, methods, chosen))


def step_size_plot(
    curves: Mapping[str, Sequence[float]],
    methods: Sequence[str] | None = None,
    chosen: Mapping[str, StepChoice] | None = None,
) -> Figure:
    """The truncation/rounding V of each method (log-log), with the float64 epsilon marked.

    Parameters
    ----------
    curves : mapping
        :func:`step_size_curves`.
    methods : sequence of str, optional
        The methods to draw (those the sweep ran); default every method of ``curves``.
    chosen : mapping of str to StepChoice, optional
        Per method, gradcheck's step (a circle on the V) and its tolerance there (a dash).

    Returns
    -------
    matplotlib.figure.Figure
        Its legend names each method drawn, then the markers.
    """
    shown = [method for method in (methods or METHODS) if method in curves]
    figure, axes = plt.subplots(figsize=(6.4, 4.0))
    for method in shown:
        color = f"C{list(METHODS).index(method)}"  # a method keeps its colour whichever were run
        errors = np.maximum(np.asarray(curves[method], dtype=float), 1e-17)
        axes.loglog(curves["h"], errors, marker=".", color=color, label=method)
        if chosen is not None and method in chosen:
            _mark_choice(axes, chosen[method], color)
    axes.axhline(np.finfo(float).eps, color="grey", linestyle=":", linewidth=1, label="float64 ε")
    axes.set_xlabel("step h")
    axes.set_ylabel("relative error vs autograd")
    axes.set_title("Finite-difference error against the step (tanh network, one entry of W1)")
    handles = axes.get_legend_handles_labels()[0]
    if chosen and any(method in chosen for method in shown):
        handles += [
            Line2D([], [], color="black", marker="o", markerfacecolor="none", linestyle="none"),
            Line2D([], [], color="black", linestyle="--"),
        ]
        handles[-2].set_label("gradcheck's step")
        handles[-1].set_label("tolerance there")
    axes.legend(handles=handles, fontsize=8)
    axes.grid(True, which="major", alpha=0.3)
    return figure


def _mark_choice(axes: Axes, choice: StepChoice, color: str) -> None:
    """A circle at (h, error) and a dash at the tolerance, a decade either side of h."""
    axes.plot(
        choice.h,
        max(choice.error, 1e-17),
        marker="o",
        markersize=11,
        markerfacecolor="none",
        markeredgecolor=color,
        markeredgewidth=2,
        linestyle="none",
    )
    axes.hlines(choice.tolerance, choice.h / 10, choice.h * 10, colors=color, linestyles="--", linewidth=2)


def errors_figure(errors: Mapping[str, Mapping[str, Mapping[str, float]]]) -> bytes:
    """``errors[method][activation][gradient]``: the largest relative error over the sweep, log scale."""
    methods = list(errors)
    figure, axes_list = plt.subplots(
        1, len(methods), figsize=(3.2 * len(methods), 3.4), sharey=True, squeeze=False
    )
    for axes, method in zip(axes_list[0], methods, strict=True):
        for offset, (activation, per_gradient) in enumerate(errors[method].items()):
            names = list(per_gradient)
            x = np.arange(len(names)) + 0.12 * (offset - 2)
            values = np.maximum([per_gradient[n] for n in names], 1e-17)
            axes.semilogy(x, values, "o", label=activation)
            axes.set_xticks(np.arange(len(names)), names)
        axes.set_title(method)
        axes.grid(True, axis="y", alpha=0.3)
    axes_list[0][0].set_ylabel("largest relative error vs FD")
    axes_list[0][-1].legend(fontsize=7)
    return _png(figure)


def error_map_figure(excess: np.ndarray, label: str) -> bytes:
    """``log10(|a − n| / τ)`` per entry of a failed gradient: above 0 beyond the tolerance."""
    figure, axes = plt.subplots(figsize=(5.0, 3.2))
    with np.errstate(divide="ignore", invalid="ignore"):
        shown = np.log10(np.atleast_2d(excess))
    image = axes.imshow(shown, cmap="RdYlGn_r", vmin=-3, vmax=3, aspect="auto", interpolation="nearest")
    figure.colorbar(image, ax=axes, label="log10(|a - n| / tolerance)")
    axes.set_title(f"Element error map: {label}")
    axes.set_xlabel("column")
    axes.set_ylabel("row")
    return _png(figure)

"""Figures of the gradient-error report (matplotlib, drawn off-screen), returned as PNG bytes.

* :func:`step_size_figure`: the relative error of each finite-difference method against the
  exact derivative as the step ``h`` varies: truncation falls with ``h``, rounding grows as
  ``h`` shrinks, and each method's V has its bottom near its default step.
* :func:`errors_figure`: the relative error of every gradient, per activation and method.
* :func:`error_map_figure`: ``|a − n| / τ`` per entry of a failed gradient.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import autograd
import autograd.numpy as anp
import matplotlib

matplotlib.use("Agg")  # files only, never a window

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from gradcheck.network.problems import Problem
from gradcheck.numerical import METHODS, CostProbe, derivative

__all__ = ["error_map_figure", "errors_figure", "step_size_curves", "step_size_figure"]

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


def step_size_figure(curves: Mapping[str, Sequence[float]]) -> bytes:
    """The truncation/rounding V of every method (log-log), with the float64 epsilon marked."""
    figure, axes = plt.subplots(figsize=(6.4, 4.0))
    for method in METHODS:
        errors = np.maximum(np.asarray(curves[method], dtype=float), 1e-17)
        axes.loglog(curves["h"], errors, marker=".", label=method)
    axes.axhline(np.finfo(float).eps, color="grey", linestyle=":", linewidth=1)
    axes.set_xlabel("step h")
    axes.set_ylabel("relative error vs autograd")
    axes.set_title("Finite-difference error against the step (tanh network, one entry of W1)")
    axes.legend()
    axes.grid(True, which="major", alpha=0.3)
    return _png(figure)


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

"""The gradient-error report on the reference models: ``gradcheck report``'s sweep and its files.

:func:`reference_sweep` checks the hand-derived backward pass of :mod:`gradcheck.network.two_layer` for
every hidden activation × shape × seed × finite-difference method, against finite differences
and autograd. :func:`model_sweep` does the same for every model of the registry
(:data:`gradcheck.network.models.MODELS`) over a table of :class:`ModelCase` (:data:`MODEL_CASES`):
logistic regression, the L-layer network at depths 1 to 4 with sigmoid and softmax outputs, L2
and dropout, each model's gradients from its own backward function (:data:`BUILDERS`).
:func:`write_report` writes ``report.json`` (every check's ``GradientReport.to_dict()``),
``report.md`` (tables, figures as PNG files beside it) and ``report.html`` (self-contained: the
figures embedded) into a directory; both documents lead with :func:`sweep_summary` (per network
and method) before every check's row (:func:`sweep_rows`).
"""

from __future__ import annotations

import base64
import json
import math
import re
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import autograd
import jinja2
import numpy as np

from gradcheck import __version__
from gradcheck.compare import block_relative_error
from gradcheck.figures import (
    StepChoice,
    chosen_steps,
    error_map_figure,
    errors_figure,
    step_size_curves,
    step_size_figure,
)
from gradcheck.grading import summary_counts, summary_row
from gradcheck.learner import ModuleCheck
from gradcheck.network.activations import ACTIVATIONS, get_activation
from gradcheck.network.deep import L_model_backward, L_model_forward, Network, initialize_parameters_deep
from gradcheck.network.deep_model import DeepReference
from gradcheck.network.logistic import LOGISTIC, propagate
from gradcheck.network.problems import reference_problem
from gradcheck.notebooks import NOTEBOOKS
from gradcheck.numerical import Method
from gradcheck.report import GradientReport, GradientResult
from gradcheck.verify import verify_gradients

__all__ = [
    "BUILDERS",
    "GRIDS",
    "MODEL_CASES",
    "SCHEMA_PATH",
    "SCHEMA_VERSION",
    "CaseProblem",
    "ModelCase",
    "Sweep",
    "SweepCase",
    "load_schema",
    "model_sweep",
    "reference_sweep",
    "run_sweep",
    "sweep_rows",
    "sweep_summary",
    "write_report",
    "write_submissions_report",
]

#: Version of report.json's layout; raised on any change of its keys.
SCHEMA_VERSION = 5
#: The JSON Schema (draft 2020-12) of report.json, shipped with the package; its ``$defs/check``
#: is the form of :meth:`gradcheck.GradientReport.to_dict`.
SCHEMA_PATH = Path(__file__).parent / "schemas" / "report.schema.json"


def load_schema() -> dict[str, Any]:
    """The JSON Schema of ``report.json`` (see :data:`SCHEMA_PATH`)."""
    schema: dict[str, Any] = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    return schema


#: The sweep's grids: (shapes (n_x, n_h, n_y, m), seeds, methods).
GRIDS: dict[str, tuple[tuple[tuple[int, int, int, int], ...], tuple[int, ...], tuple[Method, ...]]] = {
    "default": (
        ((2, 4, 1, 40), (5, 3, 2, 30), (8, 6, 1, 25), (3, 5, 3, 1)),
        (0, 1),
        ("central", "forward", "richardson"),
    ),
    "thorough": (
        ((2, 4, 1, 40), (5, 3, 2, 30), (8, 6, 1, 25), (3, 5, 3, 1), (20, 10, 1, 100), (6, 12, 3, 64)),
        (0, 1, 2, 3),
        ("central", "forward", "richardson"),
    ),
}


@dataclass(frozen=True)
class ModelCase:
    """One network of the registry to sweep: the model, its options and its shape.

    Attributes
    ----------
    model : str
        Its key in :data:`gradcheck.network.models.MODELS` (and :data:`BUILDERS`).
    dims : tuple of int
        The layer sizes ``(n_x, n_1, ..., n_L)``: ``(n_x, n_h, n_y)`` for the one-hidden-layer
        network, ``(n_x, 1)`` for logistic regression.
    m : int
        Examples.
    hidden : str or None
        The activation of every hidden layer; None without one.
    output : {"sigmoid", "softmax"}
    lambd : float
        L2 strength λ (the course's ``lambd``); 0 for none.
    keep_prob : float
        Dropout's keep probability; 1 for none. The masks are drawn from the seed, and fixed: the
        cost is then a deterministic function of the parameters.
    """

    model: str
    dims: tuple[int, ...]
    m: int
    hidden: str | None = None
    output: str = "sigmoid"
    lambd: float = 0.0
    keep_prob: float = 1.0

    @property
    def shape(self) -> tuple[int, ...]:
        """``(n_x, n_1, ..., n_L, m)``: the two-layer network's ``(n_x, n_h, n_y, m)``."""
        return (*self.dims, self.m)

    @property
    def network(self) -> str:
        """The options in words, e.g. ``"relu hidden, softmax output, lambd=0.7, keep_prob=0.8"``."""
        return network_label(self.hidden, self.output, self.lambd, self.keep_prob)


def network_label(hidden: str | None, output: str, lambd: float = 0.0, keep_prob: float = 1.0) -> str:
    """``"relu hidden, softmax output, lambd=0.7, keep_prob=0.8"`` (the options that are set)."""
    parts = [f"{hidden} hidden"] if hidden else []
    parts.append(f"{output} output")
    if lambd:
        parts.append(f"lambd={lambd:g}")
    if keep_prob < 1:
        parts.append(f"keep_prob={keep_prob:g}")
    return ", ".join(parts)


def _deep(dims: tuple[int, ...], m: int, hidden: str = "relu", **options: Any) -> ModelCase:
    """The L-layer network of these layer sizes (a hidden activation only when there are hidden layers)."""
    return ModelCase("deep", dims, m, hidden if len(dims) > 2 else None, **options)


#: The L-layer network at depths 1 to 4, per output: (n_x, n_1, ..., n_L).
_DEPTHS = {
    "sigmoid": ((3, 1), (3, 4, 1), (3, 4, 3, 1), (3, 4, 3, 3, 1)),
    "softmax": ((3, 3), (3, 4, 3), (3, 4, 3, 3), (3, 4, 3, 3, 3)),
}
_WIDE = {"sigmoid": (12, 10, 8, 5, 1), "softmax": (12, 10, 8, 5, 4)}
_OTHER_HIDDEN = tuple(name for name in ACTIVATIONS if name != "relu")
_L2, _KEEP = 0.7, 0.8

#: The registry's models beyond the one-hidden-layer grid, per grid: logistic regression; the L-layer
#: network with ReLU hidden layers at depths 1 to 4 with either output, the other hidden activations
#: (at depth 3; thorough: depths 2 and 4, either output), L2 (λ = 0.7), dropout (keep_prob = 0.8,
#: fixed masks) and both; the thorough grid adds wider layers, more examples and m = 1.
MODEL_CASES: dict[str, tuple[ModelCase, ...]] = {
    "default": (
        ModelCase("logistic", (4, 1), 20),
        *(_deep(dims, 20, output=output) for output, depths in _DEPTHS.items() for dims in depths),
        *(_deep((3, 4, 3, 1), 20, hidden) for hidden in _OTHER_HIDDEN),
        _deep((3, 4, 3, 1), 20, lambd=_L2),
        _deep((3, 4, 3, 3, 3), 20, output="softmax", lambd=_L2),
        _deep((3, 4, 3, 1), 20, keep_prob=_KEEP),
        _deep((3, 4, 3, 3, 3), 20, output="softmax", keep_prob=_KEEP),
        _deep((3, 4, 3, 3, 1), 20, lambd=_L2, keep_prob=_KEEP),
    ),
    "thorough": (
        ModelCase("logistic", (4, 1), 20),
        ModelCase("logistic", (12, 1), 64),
        ModelCase("logistic", (3, 1), 1),
        *(_deep(dims, 20, output=output) for output, depths in _DEPTHS.items() for dims in depths),
        *(_deep(dims, 64, output=output) for output, dims in _WIDE.items()),
        *(
            _deep(dims, 20, hidden, output=output)
            for hidden in _OTHER_HIDDEN
            for output, depths in _DEPTHS.items()
            for dims in (depths[1], depths[3])
        ),
        *(
            _deep(dims, 20, output=output, lambd=lambd, keep_prob=keep_prob)
            for lambd, keep_prob in ((_L2, 1.0), (0.0, _KEEP), (_L2, _KEEP))
            for output, depths in _DEPTHS.items()
            for dims in depths[1:]
        ),
        *(_deep(dims, 64, output=output, lambd=_L2, keep_prob=_KEEP) for output, dims in _WIDE.items()),
        _deep((3, 5, 4, 3), 1, output="softmax"),
    ),
}


@dataclass(frozen=True)
class CaseProblem:
    """A point at which to check one :class:`ModelCase`: the cost, the model's own gradients, the data.

    Attributes
    ----------
    cost : callable
        The model's exact cost (autograd differentiates it).
    parameters : dict of str to ndarray
    gradients : dict
        The hand-derived gradients from the model's own backward function, keyed ``d<name>``.
    X, Y : ndarray
    recognisable : bool
        Whether the engine can recognise the network behind ``cost`` from ``X`` and ``Y``. Dropout's
        masks cannot be read from a cost: such a case is checked without ``X`` and ``Y``, and the
        sweep compares with autograd's gradient of ``cost`` itself.
    """

    cost: Callable[[dict[str, Any]], Any]
    parameters: dict[str, np.ndarray]
    gradients: dict[str, Any]
    X: np.ndarray
    Y: np.ndarray
    recognisable: bool = True


def _two_layer_problem(case: ModelCase, seed: int, scale: float) -> CaseProblem:
    """:func:`gradcheck.network.problems.reference_problem`, gradients from ``two_layer.backward``."""
    n_x, n_h, n_y = case.dims
    assert case.hidden is not None, "the one-hidden-layer network has a hidden activation"
    problem = reference_problem((n_x, n_h, n_y, case.m), get_activation(case.hidden), seed=seed, scale=scale)
    return CaseProblem(problem.cost, problem.parameters, problem.gradients(), problem.X, problem.Y)


def _data(case: ModelCase, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """``X ~ N(0, 1)`` (n_x, m); ``Y`` one-hot columns (softmax) or Bernoulli(½) entries (n_L, m)."""
    X = rng.standard_normal((case.dims[0], case.m))
    n_L = case.dims[-1]
    if case.output == "softmax":
        return X, np.eye(n_L)[rng.integers(0, n_L, case.m)].T
    return X, (rng.random((n_L, case.m)) < 0.5).astype(np.float64)


def _logistic_problem(case: ModelCase, seed: int, scale: float) -> CaseProblem:
    """``w ~ scale · N(0, 1)``, ``b`` a 0-d array; gradients from ``logistic.propagate``."""
    rng = np.random.default_rng(seed)
    X, Y = _data(case, rng)
    w = scale * rng.standard_normal((case.dims[0], 1))
    parameters = {"w": w, "b": np.array(0.5 * scale * rng.standard_normal())}
    (reference,) = LOGISTIC.references(parameters, X, Y)
    gradients, _ = propagate(parameters["w"], parameters["b"], X, Y)
    return CaseProblem(reference.cost, parameters, gradients, X, Y)


def _deep_problem(case: ModelCase, seed: int, scale: float) -> CaseProblem:
    """``initialize_parameters_deep`` (weights ``scale · N(0, 1)``), biases ``0.5 · scale · N(0, 1)``,
    dropout masks ``D{l} = U(0, 1) < keep_prob``; gradients from ``L_model_backward``."""
    rng = np.random.default_rng(seed)
    X, Y = _data(case, rng)
    parameters = initialize_parameters_deep(case.dims, seed=int(rng.integers(2**32)), scale=scale)
    for name in parameters:
        if name.startswith("b"):
            parameters[name] = 0.5 * scale * rng.standard_normal(parameters[name].shape)
    L = len(case.dims) - 1
    masks = tuple(
        (rng.random((n, case.m)) < case.keep_prob).astype(np.float64)
        for n in case.dims[1:-1]
        if case.keep_prob < 1
    )
    network = Network.of(
        L, case.hidden or "relu", output=case.output, lambd=case.lambd, keep_prob=case.keep_prob, masks=masks
    )
    AL, caches = L_model_forward(X, parameters, network)
    grads = L_model_backward(AL, Y, caches, network)
    reference = DeepReference(X, Y, network)
    gradients = {f"d{name}": grads[f"d{name}"] for name in parameters}
    return CaseProblem(reference.cost, parameters, gradients, X, Y, recognisable=not masks)


#: Model name -> ``builder(case, seed, scale)``: the :class:`CaseProblem` of a :class:`ModelCase`, its
#: gradients from the model's own backward function. One per model of the registry.
BUILDERS: dict[str, Callable[[ModelCase, int, float], CaseProblem]] = {
    "two_layer": _two_layer_problem,
    "logistic": _logistic_problem,
    "deep": _deep_problem,
}


@dataclass(frozen=True)
class SweepCase:
    """One check of a reference model: its configuration and the report.

    ``activation`` is the hidden activation (None without a hidden layer) and ``shape`` the layer
    sizes and ``m``, ``(n_x, n_h, n_y, m)`` for the one-hidden-layer network. ``autograd``: the
    block relative error of each gradient against autograd's, when the sweep compared it itself
    (dropout); otherwise the report's ``reference_error`` is that comparison.
    """

    activation: str | None
    shape: tuple[int, ...]
    seed: int
    report: GradientReport
    method: str = "central"
    model: str = "two_layer"
    output: str = "sigmoid"
    lambd: float = 0.0
    keep_prob: float = 1.0
    autograd: Mapping[str, float] | None = None

    @property
    def network(self) -> str:
        """The options in words (:func:`network_label`)."""
        return network_label(self.activation, self.output, self.lambd, self.keep_prob)

    @property
    def autograd_errors(self) -> dict[str, float | None]:
        """Parameter name -> block relative error against autograd (None: not compared)."""
        if self.autograd is not None:
            return dict(self.autograd)
        return {result.name: result.reference_error for result in self.report}


def model_sweep(
    cases: Sequence[ModelCase],
    *,
    seeds: Sequence[int] = (0, 1),
    methods: Sequence[Method] = ("central",),
    scale: float = 0.5,
    progress: Callable[[], None] | None = None,
) -> list[SweepCase]:
    """Check each case's hand-derived gradients for every seed × method (methods outermost).

    Each problem comes from the case's model's builder (:data:`BUILDERS`) and is checked by
    :func:`gradcheck.verify_gradients` with ``X`` and ``Y``, so the engine recognises the network and
    compares with autograd too; a case with dropout is checked without them (no cost reveals its
    masks) and compared with autograd's gradient of the masked cost here.
    """
    out = []
    for use in methods:
        for case in cases:
            for seed in seeds:
                problem = BUILDERS[case.model](case, seed, scale)
                data = (problem.X, problem.Y) if problem.recognisable else (None, None)
                report = verify_gradients(
                    problem.cost, problem.parameters, problem.gradients, *data, method=use, m=case.m
                )
                own = None
                if not problem.recognisable:
                    exact = autograd.grad(problem.cost)(problem.parameters)
                    own = {
                        name: block_relative_error(problem.gradients[f"d{name}"], exact[name])
                        for name in problem.parameters
                    }
                out.append(
                    SweepCase(
                        case.hidden,
                        case.shape,
                        seed,
                        report,
                        use,
                        case.model,
                        case.output,
                        case.lambd,
                        case.keep_prob,
                        own,
                    )
                )
                if progress is not None:
                    progress()
    return out


def _two_layer_cases(shapes: Sequence[tuple[int, int, int, int]]) -> list[ModelCase]:
    return [ModelCase("two_layer", shape[:3], shape[3], name) for name in ACTIVATIONS for shape in shapes]


def reference_sweep(
    *,
    shapes: Sequence[tuple[int, int, int, int]] = GRIDS["default"][0],
    seeds: Sequence[int] = (0, 1),
    method: Method = "central",
    methods: Sequence[Method] | None = None,
    scale: float = 0.5,
    progress: Callable[[], None] | None = None,
) -> list[SweepCase]:
    """Check the one-hidden-layer network's ``backward`` for every activation × shape × seed × method.

    Each case is :func:`gradcheck.network.problems.reference_problem` (data, weights of standard
    deviation ``scale``), checked by :func:`gradcheck.verify_gradients` with ``X`` and ``Y`` so
    autograd is compared too.

    Parameters
    ----------
    shapes : sequence of (n_x, n_h, n_y, m)
    seeds : sequence of int
    method : {"central", "forward", "richardson", "complex"}
        The method, when ``methods`` is not given.
    methods : sequence of methods, optional
    scale : float
        Standard deviation of the weights.
    progress : callable, optional
        Called after each case.

    Returns
    -------
    list of SweepCase
    """
    return model_sweep(
        _two_layer_cases(shapes), seeds=seeds, methods=methods or (method,), scale=scale, progress=progress
    )


@dataclass(frozen=True)
class Sweep:
    """A finished sweep: the cases, the step-size curves, and how it was run.

    ``steps`` holds, per method run, the step gradcheck takes at the curves' entry and its
    tolerance there (:func:`gradcheck.figures.chosen_steps`); empty: not marked.
    """

    cases: list[SweepCase]
    curves: dict[str, list[float]]
    grid: str
    seconds: float
    settings: dict[str, Any] = field(default_factory=dict)
    steps: dict[str, StepChoice] = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        return all(case.report.passed for case in self.cases)

    def largest_errors(self, key: str = "relative_error") -> dict[str, dict[str, dict[str, float]]]:
        """``[method][activation][gradient]``: the one-hidden-layer network's largest error over
        shapes and seeds."""
        out: dict[str, dict[str, dict[str, float]]] = {}
        for case in self.cases:
            if case.model != "two_layer" or case.activation is None:
                continue
            per = out.setdefault(case.method, {}).setdefault(case.activation, {})
            for result in case.report:
                value = getattr(result, key)
                if value is not None:
                    per[result.label] = max(per.get(result.label, 0.0), float(value))
        return out


def run_sweep(
    grid: str = "default",
    *,
    seeds: Sequence[int] | None = None,
    methods: Sequence[Method] | None = None,
    progress: Callable[[int], Callable[[], None]] | None = None,
) -> Sweep:
    """Run the sweep of ``grid`` (a key of :data:`GRIDS` and :data:`MODEL_CASES`) and the step-size curves.

    The one-hidden-layer network over the grid's activations × shapes, then the grid's
    :data:`MODEL_CASES`, each for every seed × method. ``seeds`` and ``methods`` replace the grid's;
    ``progress(total)`` may return a callback called after each case (a progress bar).
    """
    shapes, grid_seeds, grid_methods = GRIDS[grid]
    seeds = tuple(grid_seeds if seeds is None else seeds)
    methods = tuple(grid_methods if methods is None else methods)
    cases = [*_two_layer_cases(shapes), *MODEL_CASES[grid]]
    total = len(cases) * len(seeds) * len(methods)
    started = time.perf_counter()
    checked = model_sweep(cases, seeds=seeds, methods=methods, progress=progress(total) if progress else None)
    curve_problem = reference_problem((2, 4, 1, 40), get_activation("tanh"), seed=0, scale=0.5)
    curves = step_size_curves(curve_problem)
    steps = chosen_steps(curve_problem, methods)
    settings = {
        "grid": grid,
        "shapes": [list(s) for s in shapes],
        "seeds": list(seeds),
        "methods": list(methods),
        "activations": list(ACTIVATIONS),
        "weight_scale": 0.5,
        "models": list(dict.fromkeys(case.model for case in cases)),
    }
    return Sweep(checked, curves, grid, time.perf_counter() - started, settings, steps)


def _finite(value: float | None) -> float | None:
    return value if value is not None and math.isfinite(value) else None


def _json(sweep: Sweep) -> dict[str, Any]:
    return {
        "schema_version": SCHEMA_VERSION,
        "gradcheck_version": __version__,
        "passed": sweep.passed,
        "seconds": round(sweep.seconds, 3),
        "settings": sweep.settings,
        "step_size": {
            key: [v if math.isfinite(v) else None for v in values] for key, values in sweep.curves.items()
        },
        "cases": [
            {
                "model": case.model,
                "network": case.network,
                "activation": case.activation,
                "output": case.output,
                "lambd": case.lambd,
                "keep_prob": case.keep_prob,
                "shape": list(case.shape),
                "seed": case.seed,
                "method": case.method,
                "autograd_errors": {name: _finite(v) for name, v in case.autograd_errors.items()},
                "report": case.report.to_dict(),
            }
            for case in sweep.cases
        ],
    }


def _worst(values: Mapping[str, float | None]) -> tuple[str, float] | None:
    """The largest finite value and its key, or None."""
    finite = {key: v for key, v in values.items() if v is not None and math.isfinite(v)}
    return max(finite.items(), key=lambda item: item[1]) if finite else None


def _options(case: SweepCase) -> dict[str, Any]:
    """Which network a check is: the model and its options, as the tables show them."""
    return {
        "model": case.model,
        "network": case.network,
        "activation": case.activation or "-",
        "output": case.output,
        "lambd": f"{case.lambd:g}" if case.lambd else "-",
        "keep_prob": f"{case.keep_prob:g}" if case.keep_prob < 1 else "-",
    }


def _worst_entry(report: GradientReport) -> tuple[GradientResult, float, float] | None:
    """The entry closest to failing, or most beyond its tolerance: the largest ``|a − n| / τ``
    (among the failed gradients, if any).

    Returns its gradient, its relative error ``|a − n| / (|a| + |n|)`` and its tolerance on the
    same scale, ``τ / (|a| + |n|)`` (the pass rule ``|a − n| <= τ`` is ``error <= tolerance``);
    None when no gradient has a worst entry with finite values.
    """
    best: tuple[float, GradientResult, float, float] | None = None
    for result in report.failed or list(report):
        a, n, tau = result.worst_analytic, result.worst_numeric, result.worst_tolerance
        if a is None or n is None or tau is None or not all(map(math.isfinite, (a, n, tau))):
            continue
        total = abs(a) + abs(n)
        if total > 0 and tau > 0 and (best is None or abs(a - n) / tau > best[0]):
            best = (abs(a - n) / tau, result, abs(a - n) / total, tau / total)
    return None if best is None else best[1:]


def _index(index: tuple[int, ...] | None) -> str:
    return "" if index is None else "[" + ", ".join(map(str, index)) + "]"


def _entry_columns(report: GradientReport) -> dict[str, Any]:
    """The worst entry (see :func:`_worst_entry`) and the kinks of one check, as the tables show them."""
    entry = _worst_entry(report)
    kinks = {result.label: result.n_kinks for result in report if result.n_kinks}
    columns: dict[str, Any] = {
        "entry": "-",
        "entry_at": "",
        "tolerance": "-",
        "beyond_tolerance": False,
        "kinks": report.n_kinks,
        "kinks_text": f"{report.n_kinks}, bracketed" if report.n_kinks else "-",
        "kinks_by_gradient": kinks,
        "fd_disagrees": [r.label for r in report if r.passed and r.fd_agrees is False],
    }
    if entry is not None:
        result, error, tolerance = entry
        columns.update(
            entry=f"{error:.1e}",
            entry_at=f"{result.label}{_index(result.worst_index)}",
            tolerance=f"{tolerance:.1e}",
            beyond_tolerance=error > tolerance,
        )
    return columns


def sweep_rows(sweep: Sweep) -> list[dict[str, Any]]:
    """One row per check, as the terminal table and the report files show it.

    The network (:func:`_options`); the largest block relative error against finite differences
    (and which gradient); the worst entry (:func:`_worst_entry`), with its relative error, the
    tolerance on that scale, where it is and whether it is beyond; the kinks counted (entries whose
    gradient lies between the one-sided derivatives: they pass), and the gradients that passed on
    autograd's word though finite differences disagree; the largest error against autograd; the
    verdict.
    """
    rows = []
    for case in sweep.cases:
        errors = {result.label: result.relative_error for result in case.report}
        worst = _worst(errors)
        autograd_worst = _worst(case.autograd_errors)
        rows.append(
            {
                "method": case.method,
                **_options(case),
                "shape": ",".join(map(str, case.shape)),
                "seed": case.seed,
                "errors": {label: f"{value:.1e}" for label, value in errors.items()},
                "worst": "-" if worst is None else f"{worst[1]:.1e}",
                "worst_gradient": "-" if worst is None else worst[0],
                **_entry_columns(case.report),
                "autograd": "-" if autograd_worst is None else f"{autograd_worst[1]:.1e}",
                "verdict": "ok" if case.report.passed else "WRONG",
                "passed": case.report.passed,
            }
        )
    return rows


def _summary_cell(cases: Sequence[SweepCase]) -> dict[str, Any]:
    """Checks, passed, the largest block relative error against FD (and which gradient), kinks."""
    largest: dict[str, float] = {}
    for case in cases:
        for result in case.report:
            if math.isfinite(result.relative_error):
                largest[result.label] = max(largest.get(result.label, 0.0), result.relative_error)
    worst = _worst(dict(largest))
    passed = sum(case.report.passed for case in cases)
    return {
        "checks": len(cases),
        "passed": passed,
        "all_passed": passed == len(cases),
        "worst": "-" if worst is None else f"{worst[1]:.1e}",
        "worst_gradient": "-" if worst is None else worst[0],
        "kinks": sum(case.report.n_kinks for case in cases),
    }


def sweep_summary(sweep: Sweep) -> list[dict[str, Any]]:
    """One row per network (the model and its options, :func:`_options`), in the sweep's order.

    Each row's ``passed`` says whether all its checks passed, and its ``methods`` map every method
    run on it to its cell: ``checks``, ``passed``,
    ``all_passed``, ``worst`` (the largest block relative error against finite differences over
    its checks) and ``worst_gradient``, ``kinks`` (entries at kinks, bracketed, summed over its
    checks).
    """
    groups: dict[tuple[str, str], dict[str, list[SweepCase]]] = {}
    for case in sweep.cases:
        groups.setdefault((case.model, case.network), {}).setdefault(case.method, []).append(case)
    rows = []
    for per_method in groups.values():
        first = next(iter(per_method.values()))[0]
        cells = {method: _summary_cell(cases) for method, cases in per_method.items()}
        passed = all(cell["all_passed"] for cell in cells.values())
        rows.append({**_options(first), "methods": cells, "passed": passed})
    return rows


def _figure_key(case: SweepCase, name: str) -> str:
    """``map_<method>_<activation>_<shape>_<seed>_<name>``, the model and options first beyond the
    one-hidden-layer network."""
    shape = "x".join(map(str, case.shape))
    key = f"{case.method}_{case.activation}_{shape}_{case.seed}_{name}"
    if case.model != "two_layer":
        options = re.sub(r"[^A-Za-z0-9.=]+", "-", case.network)
        key = f"{case.model}_{options}_{key}"
    return f"map_{key}"


def _check_name(case: SweepCase) -> str:
    """``central, deep, 4,5,4,3,3,20, seed 0``: a check, short enough for a heading."""
    return f"{case.method}, {case.model}, {','.join(map(str, case.shape))}, seed {case.seed}"


def _step_caption(sweep: Sweep) -> str:
    """The step-size figure's explanation, with the steps gradcheck took."""
    caption = (
        "The relative error of each finite-difference method run against autograd's exact derivative, "
        "for one entry of W1 of the tanh network, as the step h varies: truncation error falls with h, "
        "rounding error grows as h shrinks, and the dotted line is float64's epsilon."
    )
    if sweep.steps:
        taken = ", ".join(f"{method} h = {choice.h:.1e}" for method, choice in sweep.steps.items())
        caption += (
            f" Circles: the step gradcheck takes there ({taken}); dashes: the tolerance it judges that "
            "entry with. A right gradient passes when its circle lies below its dash."
        )
    return caption


#: The caption of the largest-errors figure.
_ERRORS_CAPTION = (
    "The largest block relative error of each gradient of the one-hidden-layer network against finite "
    "differences over shapes and seeds, per activation and method. At ReLU kinks a finite difference "
    "whose step crosses the kink is off; those entries pass when the one-sided derivatives bracket the "
    "gradient (the kinks column), and autograd confirms them."
)


def _figures(sweep: Sweep) -> dict[str, tuple[str, str, bytes]]:
    """Figure key -> (short title, caption, PNG): the step-size V of the methods run, the largest
    errors, and an element error map per failed gradient that has one."""
    methods = list(dict.fromkeys(case.method for case in sweep.cases)) or None
    figures = {
        "step_size": (
            "Step size",
            _step_caption(sweep),
            step_size_figure(sweep.curves, methods, sweep.steps),
        ),
    }
    largest = sweep.largest_errors()
    if largest:
        figures["errors"] = ("Largest errors per gradient", _ERRORS_CAPTION, errors_figure(largest))
    for case in sweep.cases:
        for result in case.report.failed:
            if result.excess is not None:
                figures[_figure_key(case, result.name)] = (
                    f"Element error map of {result.label}",
                    f"{_check_name(case)} ({case.network}): log10(|a − n| / τ) per entry of "
                    f"{result.label}; above 0 is beyond the tolerance.",
                    error_map_figure(result.excess, result.label),
                )
    return figures


def write_report(sweep: Sweep, out: str | Path) -> dict[str, Path]:
    """Write ``report.json``, ``report.md`` (with ``figures/*.png``) and ``report.html`` into ``out``.

    Both documents lead with the verdict and the summary (:func:`sweep_summary`), then the
    figures (a short heading, the explanation below), every check (:func:`sweep_rows`) and each
    failed check's report.

    Returns
    -------
    dict
        ``{"json": path, "md": path, "html": path}``.
    """
    out = Path(out)
    (out / "figures").mkdir(parents=True, exist_ok=True)
    figures = _figures(sweep)
    for key, (_, _, png) in figures.items():
        (out / "figures" / f"{key}.png").write_bytes(png)
    paths = {"json": out / "report.json", "md": out / "report.md", "html": out / "report.html"}
    paths["json"].write_text(json.dumps(_json(sweep), indent=1, allow_nan=False) + "\n", encoding="utf-8")
    context = {
        "sweep": sweep,
        "summary": sweep_summary(sweep),
        "methods": list(dict.fromkeys(case.method for case in sweep.cases)),
        "rows": sweep_rows(sweep),
        "n_passed": sum(case.report.passed for case in sweep.cases),
        "failures": [
            {"name": _check_name(case), "case": case} for case in sweep.cases if not case.report.passed
        ],
        "version": __version__,
    }
    sources = {
        "md": {key: f"figures/{key}.png" for key in figures},
        "html": {
            key: "data:image/png;base64," + base64.b64encode(png).decode("ascii")
            for key, (_, _, png) in figures.items()
        },
    }
    for kind in ("md", "html"):
        shown = [
            {"title": title, "caption": caption, "src": sources[kind][key]}
            for key, (title, caption, _) in figures.items()
        ]
        template = _TEMPLATES[kind].get_template(f"report.{kind}.j2")
        paths[kind].write_text(template.render(**context, figures=shown), encoding="utf-8")
    return paths


def write_submissions_report(results: Sequence[ModuleCheck], out: str | Path) -> dict[str, Path]:
    """Write a grader's ``report.json``, ``report.md`` and ``report.html`` for learners' modules into ``out``.

    Each submission gets its verdict (``right``, ``wrong``, ``unusable``, with the cause), its
    one-line summary (:func:`gradcheck.grading.summary_row`) and, in the JSON, what it printed and
    every configuration's report. The Markdown and HTML name a submission as the summary does
    (:func:`gradcheck.grading.shown_path`: relative to the current directory, else the file name);
    the JSON keeps each ``path`` as given.
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    rows = [summary_row(result) for result in results]
    counts, line = summary_counts(results)
    document = {
        "schema_version": SCHEMA_VERSION,
        "gradcheck_version": __version__,
        "kind": "submissions",
        "counts": counts,
        "submissions": [
            {
                "path": result.path,
                "notebooks": list(result.notebooks),
                "warnings": list(result.warnings),
                "verdict": result.verdict,
                "exit_code": result.exit_code,
                "problem": result.problem,
                "failure": result.failure,
                "seconds": result.seconds,
                "output": result.output,
                "configurations": [
                    {
                        "notebook": c.notebook,
                        "shape": list(c.shape),
                        "seed": c.seed,
                        "error": c.error,
                        "report": None if c.report is None else c.report.to_dict(),
                    }
                    for c in result.configurations
                ],
            }
            for result in results
        ],
    }
    paths = {"json": out / "report.json", "md": out / "report.md", "html": out / "report.html"}
    paths["json"].write_text(json.dumps(document, indent=1, allow_nan=False) + "\n", encoding="utf-8")
    failures = [
        {
            "path": row["submission"],  # as the table names it: no absolute path
            "configuration": result.first_failure,
            "notebook": NOTEBOOKS[result.first_failure.notebook].title,
        }
        for row, result in zip(rows, results, strict=True)
        if result.first_failure is not None
    ]
    context = {"rows": rows, "line": line, "failures": failures, "columns": list(rows[0]) if rows else []}
    for kind in ("md", "html"):
        template = _TEMPLATES[kind].get_template(f"submissions.{kind}.j2")
        paths[kind].write_text(template.render(**context), encoding="utf-8")
    return paths


_TEMPLATES = {
    "html": jinja2.Environment(loader=jinja2.PackageLoader("gradcheck", "templates"), autoescape=True),
    "md": jinja2.Environment(loader=jinja2.PackageLoader("gradcheck", "templates"), autoescape=False),
}

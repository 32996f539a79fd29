"""The gradient-error report on the reference network: ``gradcheck report``'s sweep and its files.

:func:`reference_sweep` checks the hand-derived backward pass of :mod:`gradcheck.network.two_layer` for
every hidden activation × shape × seed × finite-difference method, against finite differences
and autograd. :func:`write_report` writes ``report.json`` (every check's
``GradientReport.to_dict()``), ``report.md`` (tables, figures as PNG files beside it) and
``report.html`` (self-contained: the figures embedded) into a directory.
"""

from __future__ import annotations

import base64
import json
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2

from gradcheck import __version__
from gradcheck.figures import error_map_figure, errors_figure, step_size_curves, step_size_figure
from gradcheck.grading import summary_counts, summary_row
from gradcheck.learner import ModuleCheck
from gradcheck.network.activations import ACTIVATIONS, get_activation
from gradcheck.network.problems import reference_problem
from gradcheck.network.two_layer import PARAMETER_NAMES
from gradcheck.numerical import Method
from gradcheck.report import GradientReport
from gradcheck.verify import verify_gradients

__all__ = [
    "GRIDS",
    "SCHEMA_PATH",
    "SCHEMA_VERSION",
    "Sweep",
    "SweepCase",
    "load_schema",
    "reference_sweep",
    "run_sweep",
    "sweep_rows",
    "write_report",
    "write_submissions_report",
]

#: Version of report.json's layout; raised on any change of its keys.
SCHEMA_VERSION = 2
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
class SweepCase:
    """One check of the reference network: its configuration and the report."""

    activation: str
    shape: tuple[int, int, int, int]
    seed: int
    report: GradientReport
    method: str = "central"


def reference_sweep(
    *,
    shapes: Sequence[tuple[int, int, int, int]] = GRIDS["default"][0],
    seeds: Sequence[int] = (0, 1),
    method: Method = "central",
    methods: Sequence[Method] | None = None,
    scale: float = 0.5,
    progress: Callable[[], None] | None = None,
) -> list[SweepCase]:
    """Check the reference network's ``backward`` for every activation × shape × seed × method.

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
    cases = []
    for use in methods or (method,):
        for name in ACTIVATIONS:
            for shape in shapes:
                for seed in seeds:
                    problem = reference_problem(shape, get_activation(name), seed=seed, scale=scale)
                    report = verify_gradients(
                        problem.cost,
                        problem.parameters,
                        problem.gradients(),
                        problem.X,
                        problem.Y,
                        method=use,
                    )
                    cases.append(SweepCase(name, shape, seed, report, use))
                    if progress is not None:
                        progress()
    return cases


@dataclass(frozen=True)
class Sweep:
    """A finished sweep: the cases, the step-size curves, and how it was run."""

    cases: list[SweepCase]
    curves: dict[str, list[float]]
    grid: str
    seconds: float
    settings: dict[str, Any] = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        return all(case.report.passed for case in self.cases)

    def largest_errors(self, key: str = "relative_error") -> dict[str, dict[str, dict[str, float]]]:
        """``[method][activation][gradient]``: the largest error over shapes and seeds."""
        out: dict[str, dict[str, dict[str, float]]] = {}
        for case in self.cases:
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
    """Run the sweep of ``grid`` (a key of :data:`GRIDS`) and the step-size curves.

    ``seeds`` and ``methods`` replace the grid's; ``progress(total)`` may return a callback called
    after each case (a progress bar).
    """
    shapes, grid_seeds, grid_methods = GRIDS[grid]
    seeds = tuple(grid_seeds if seeds is None else seeds)
    methods = tuple(grid_methods if methods is None else methods)
    total = len(shapes) * len(seeds) * len(methods) * len(ACTIVATIONS)
    started = time.perf_counter()
    cases = reference_sweep(
        shapes=shapes, seeds=seeds, methods=methods, progress=progress(total) if progress else None
    )
    curve_problem = reference_problem((2, 4, 1, 40), get_activation("tanh"), seed=0, scale=0.5)
    curves = step_size_curves(curve_problem)
    settings = {
        "grid": grid,
        "shapes": [list(s) for s in shapes],
        "seeds": list(seeds),
        "methods": list(methods),
        "activations": list(ACTIVATIONS),
        "weight_scale": 0.5,
    }
    return Sweep(cases, curves, grid, time.perf_counter() - started, settings)


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
                "activation": case.activation,
                "shape": list(case.shape),
                "seed": case.seed,
                "method": case.method,
                "report": case.report.to_dict(),
            }
            for case in sweep.cases
        ],
    }


def sweep_rows(sweep: Sweep) -> list[dict[str, Any]]:
    """One row per check, as the terminal table and the report files show it."""
    rows = []
    for case in sweep.cases:
        reference = [r.reference_error for r in case.report if r.reference_error is not None]
        rows.append(
            {
                "method": case.method,
                "activation": case.activation,
                "shape": ",".join(map(str, case.shape)),
                "seed": case.seed,
                "errors": [f"{case.report[n].relative_error:.1e}" for n in PARAMETER_NAMES],
                "autograd": f"{max(reference):.1e}" if reference else "-",
                "verdict": "ok" if case.report.passed else "WRONG",
                "passed": case.report.passed,
            }
        )
    return rows


def write_report(sweep: Sweep, out: str | Path) -> dict[str, Path]:
    """Write ``report.json``, ``report.md`` (with ``figures/*.png``) and ``report.html`` into ``out``.

    Returns
    -------
    dict
        ``{"json": path, "md": path, "html": path}``.
    """
    out = Path(out)
    (out / "figures").mkdir(parents=True, exist_ok=True)
    figures = {
        "step_size": ("Relative error against the step h, per method", step_size_figure(sweep.curves)),
        "errors": (
            "Largest relative error of each gradient against finite differences, per activation and method "
            "(at ReLU kinks a finite difference whose step crosses the kink is off; those entries pass "
            "when the one-sided derivatives bracket the gradient, and autograd confirms them)",
            errors_figure(sweep.largest_errors()),
        ),
    }
    for case in sweep.cases:
        for result in case.report.failed:
            if result.excess is not None:
                shape = "x".join(map(str, case.shape))
                key = f"map_{case.method}_{case.activation}_{shape}_{case.seed}_{result.name}"
                figures[key] = (
                    f"Element error map of {result.label}",
                    error_map_figure(result.excess, result.label),
                )
    for key, (_, png) in figures.items():
        (out / "figures" / f"{key}.png").write_bytes(png)
    paths = {"json": out / "report.json", "md": out / "report.md", "html": out / "report.html"}
    paths["json"].write_text(json.dumps(_json(sweep), indent=1, allow_nan=False) + "\n", encoding="utf-8")
    context = {
        "sweep": sweep,
        "rows": sweep_rows(sweep),
        "names": [f"d{n}" for n in PARAMETER_NAMES],
        "n_passed": sum(case.report.passed for case in sweep.cases),
        "failures": [case for case in sweep.cases if not case.report.passed],
        "version": __version__,
    }
    markdown_figures = [{"title": title, "src": f"figures/{key}.png"} for key, (title, _) in figures.items()]
    html_figures = [
        {"title": title, "src": "data:image/png;base64," + base64.b64encode(png).decode("ascii")}
        for title, png in figures.values()
    ]
    paths["md"].write_text(
        _TEMPLATES["md"].get_template("report.md.j2").render(**context, figures=markdown_figures),
        encoding="utf-8",
    )
    paths["html"].write_text(
        _TEMPLATES["html"].get_template("report.html.j2").render(**context, figures=html_figures),
        encoding="utf-8",
    )
    return paths


def write_submissions_report(results: Sequence[ModuleCheck], out: str | Path) -> dict[str, Path]:
    """Write a grader's ``report.json``, ``report.md`` and ``report.html`` for learners' modules into ``out``.

    Each submission gets its verdict (``right``, ``wrong``, ``unusable``, with the cause), its
    one-line summary (:func:`gradcheck.learner.summary_row`) and, in the JSON, what it printed and
    every configuration's report.
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
                "verdict": result.verdict,
                "exit_code": result.exit_code,
                "problem": result.problem,
                "failure": result.failure,
                "seconds": result.seconds,
                "output": result.output,
                "configurations": [
                    {
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
        {"path": result.path, "configuration": result.first_failure}
        for result in results
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

"""Checking a learner's module: the course's functions, loaded from a file and checked as they are.

A learner's module defines ``forward_propagation(X, parameters) -> (A2, cache)``,
``backward_propagation(parameters, cache, X, Y) -> grads`` and, optionally, ``compute_cost(A2, Y)``
or ``compute_cost(A2, Y, parameters)`` (DESIGN.md). ``initialize_parameters`` is not needed:
gradcheck draws the parameters and data itself, at several shapes and seeds, with weights large
enough that a wrong activation derivative shows.

:func:`check_module` returns a :class:`ModuleCheck`: the verdict (``"right"``, ``"wrong"`` or
``"unusable"``) and a report per configuration. The module runs in this process: a grader who
runs code nobody has read needs the isolation of ``gradcheck check`` (a later issue).
"""

from __future__ import annotations

import functools
import importlib.util
import math
import sys
import traceback
import uuid
from collections.abc import Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Literal

from gradcheck.errors import GradcheckError
from gradcheck.report import GradientReport
from gradcheck.strategies import reference_problem
from gradcheck.verify import verify_gradients
from network.activations import get_activation

__all__ = [
    "SHAPES",
    "Configuration",
    "ModuleCheck",
    "check_module",
    "check_modules",
    "load_module",
    "summary_row",
]

#: (n_x, n_h, n_y, m) checked by default: one output, as the course's code assumes.
SHAPES: tuple[tuple[int, int, int, int], ...] = ((2, 4, 1, 40), (5, 3, 1, 12), (3, 6, 1, 7))

Verdict = Literal["right", "wrong", "unusable"]


@dataclass(frozen=True)
class Configuration:
    """One check of the module: the shape, the seed, and the report (None when it could not run)."""

    shape: tuple[int, int, int, int]
    seed: int
    report: GradientReport | None
    error: str | None = None


@dataclass(frozen=True)
class ModuleCheck:
    """The verdict on a learner's module.

    Attributes
    ----------
    path : str
    verdict : {"right", "wrong", "unusable"}
        ``unusable``: the module does not load, lacks a function, or a function raises or returns
        the wrong thing; ``wrong``: some gradient is wrong in some configuration.
    problem : str or None
        Why the module is unusable.
    configurations : list of Configuration
    """

    path: str
    verdict: Verdict
    problem: str | None = None
    configurations: list[Configuration] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        """0 right, 1 a gradient is wrong, 2 unusable."""
        return {"right": 0, "wrong": 1, "unusable": 2}[self.verdict]

    @property
    def first_failure(self) -> Configuration | None:
        """The first configuration with a wrong gradient."""
        return next((c for c in self.configurations if c.report is not None and not c.report.passed), None)


def load_module(path: str | Path) -> ModuleType:
    """Import the file at ``path`` as a fresh module (not added to ``sys.modules``).

    Raises
    ------
    GradcheckError
        When the file is missing or importing it raises (a syntax error, a failing import, ...),
        with the learner's own line in the message.
    """
    path = Path(path)
    if not path.is_file():
        raise GradcheckError(f"{path}: no such file")
    name = f"gradcheck_learner_{uuid.uuid4().hex}"
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise GradcheckError(f"{path}: not a Python module")
    module = importlib.util.module_from_spec(spec)
    sys.path.insert(0, str(path.parent.resolve()))  # the module's own imports of its neighbours
    try:
        spec.loader.exec_module(module)
    except SyntaxError as error:
        raise GradcheckError(
            f"{path}:{error.lineno}: syntax error: {error.msg}\n    {(error.text or '').rstrip()}"
        ) from error
    except (Exception, SystemExit) as error:  # a sys.exit at import is the learner's doing too
        where = _learner_line(error, path)
        raise GradcheckError(f"{path}{where}: importing it raised {type(error).__name__}: {error}") from error
    finally:
        sys.path.remove(str(path.parent.resolve()))
    return module


def _learner_line(error: BaseException, path: Path) -> str:
    frames = [f for f in traceback.extract_tb(error.__traceback__) if Path(f.filename) == path]
    return f":{frames[-1].lineno}" if frames else ""


def check_module(
    path: str | Path, *, shapes: Sequence[tuple[int, int, int, int]] = SHAPES, seeds: Sequence[int] = (0, 1)
) -> ModuleCheck:
    """Load a learner's module and check its gradients at every shape × seed.

    Parameters
    ----------
    path : str or Path
        The learner's ``.py`` file.
    shapes : sequence of (n_x, n_h, n_y, m)
    seeds : sequence of int
        Data and weights come from :func:`gradcheck.strategies.reference_problem` (weights 0.5 ×
        N(0, 1)); the hidden activation is recognised from the learner's cost.

    Returns
    -------
    ModuleCheck
    """
    try:
        module = load_module(path)
    except GradcheckError as error:
        return ModuleCheck(str(path), "unusable", str(error))
    functions = {}
    for name in ("forward_propagation", "backward_propagation"):
        function = getattr(module, name, None)
        if not callable(function):
            return ModuleCheck(str(path), "unusable", f"{path} defines no function {name}")
        functions[name] = function
    compute_cost = getattr(module, "compute_cost", None)
    configurations = []
    for shape in shapes:
        for seed in seeds:
            problem = reference_problem(shape, get_activation("identity"), seed=seed, scale=0.5)
            try:
                report = verify_gradients(
                    forward=functions["forward_propagation"],
                    backward=functions["backward_propagation"],
                    compute_cost=compute_cost if callable(compute_cost) else None,
                    parameters=problem.parameters,
                    X=problem.X,
                    Y=problem.Y,
                )
            except GradcheckError as error:
                configurations.append(Configuration(shape, seed, None, str(error)))
                return ModuleCheck(str(path), "unusable", str(error), configurations)
            configurations.append(Configuration(shape, seed, report))
    wrong = any(c.report is not None and not c.report.passed for c in configurations)
    return ModuleCheck(str(path), "wrong" if wrong else "right", None, configurations)


def check_modules(
    paths: Sequence[str | Path],
    *,
    executor: Executor | None = None,
    seeds: Sequence[int] = (0, 1),
) -> list[ModuleCheck]:
    """Check many learners' modules: one :class:`ModuleCheck` each, in the order given.

    Parameters
    ----------
    paths : sequence of str or Path
    executor : concurrent.futures.Executor, optional
        Runs the checks (``executor.map``): a ``ProcessPoolExecutor`` for a grader's machine, or any
        ``Executor`` (Dask's and Ray's ``concurrent.futures`` interfaces) for larger runs. Default:
        one after another in this process.
    seeds : sequence of int

    Returns
    -------
    list of ModuleCheck
    """
    check = functools.partial(_check_one, seeds=tuple(seeds))
    if executor is None:
        return [check(str(path)) for path in paths]
    return list(executor.map(check, [str(path) for path in paths]))


def _check_one(path: str, seeds: tuple[int, ...]) -> ModuleCheck:
    return check_module(path, seeds=seeds)


def summary_row(result: ModuleCheck) -> dict[str, str]:
    """A grader's one-line summary of a submission: verdict, wrong gradients, likely mistakes, why."""
    failed = [c.report for c in result.configurations if c.report is not None and not c.report.passed]
    wrong = sorted({r.label for report in failed for r in report.failed})
    codes = sorted({report.diagnosis.code for report in failed if report.diagnosis is not None})
    worst = max(
        (
            r.relative_error
            for c in result.configurations
            if c.report
            for r in c.report
            if r.relative_error == r.relative_error
        ),
        default=float("nan"),
    )
    return {
        "submission": Path(result.path).name,
        "verdict": result.verdict.upper(),
        "wrong gradients": ", ".join(wrong) or "-",
        "likely mistake": ", ".join(codes) or "-",
        "largest relative error": f"{worst:.1e}" if math.isfinite(worst) else "-",
        "problem": result.problem or "",
    }

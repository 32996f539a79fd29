"""Checking a learner's module: the course's functions, loaded from a file and checked as they are.

A learner's module defines ``forward_propagation(X, parameters) -> (A2, cache)``,
``backward_propagation(parameters, cache, X, Y) -> grads`` and, optionally, ``compute_cost(A2, Y)``
or ``compute_cost(A2, Y, parameters)``, as the course writes them. ``initialize_parameters`` is not needed:
gradcheck draws the parameters and data itself, at several shapes and seeds, with weights large
enough that a wrong activation derivative shows.

:func:`check_module` returns a :class:`ModuleCheck`: the verdict (``"right"``, ``"wrong"`` or
``"unusable"``) and a report per configuration. It runs the module in this process, as a learner
checking their own code would. A grader runs code nobody has read: :func:`gradcheck.grading.check_modules`
(and the ``gradcheck`` command) run each module in a child process with time, memory and output
limits (:mod:`gradcheck.isolation`).
"""

from __future__ import annotations

import functools
import importlib.util
import sys
import traceback
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any, Literal

from gradcheck.errors import GradcheckError
from gradcheck.network.activations import get_activation
from gradcheck.network.problems import reference_problem
from gradcheck.report import GradientReport
from gradcheck.verify import verify_gradients

__all__ = [
    "SHAPES",
    "Configuration",
    "ModuleCheck",
    "check_module",
    "load_module",
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
    failure : str or None
        Why it is unusable, as a key of :data:`gradcheck.isolation.FAILURES`: ``"timeout"``,
        ``"crash"``, ``"exit"``, ``"memory"``, ``"output"`` or ``"error"`` (set by
        :func:`gradcheck.isolation.check_isolated`; ``"error"`` in this process).
    output : str
        What the module printed (isolated checks only; the start of it).
    seconds : float or None
        Wall-clock time of an isolated check.
    """

    path: str
    verdict: Verdict
    problem: str | None = None
    configurations: list[Configuration] = field(default_factory=list)
    failure: str | None = None
    output: str = ""
    seconds: float | None = None

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
    except SystemExit as error:  # the learner's doing too, and must not end the grader
        where = _learner_line(error, path)
        raise GradcheckError(f"{path}{where}: called sys.exit({error.code!r}) while importing it") from error
    except Exception as error:
        where = _learner_line(error, path)
        raise GradcheckError(f"{path}{where}: importing it raised {type(error).__name__}: {error}") from error
    finally:
        sys.path.remove(str(path.parent.resolve()))
    return module


def _learner_line(error: BaseException, path: Path) -> str:
    frames = [f for f in traceback.extract_tb(error.__traceback__) if Path(f.filename) == path]
    return f":{frames[-1].lineno}" if frames else ""


def check_module(
    path: str | Path,
    *,
    shapes: Sequence[tuple[int, int, int, int]] = SHAPES,
    seeds: Sequence[int] = (0, 1),
    trace: Callable[[str | None], None] | None = None,
) -> ModuleCheck:
    """Load a learner's module and check its gradients at every shape × seed.

    Parameters
    ----------
    path : str or Path
        The learner's ``.py`` file.
    shapes : sequence of (n_x, n_h, n_y, m)
    seeds : sequence of int
        Data and weights come from :func:`gradcheck.network.problems.reference_problem` (weights 0.5 ×
        N(0, 1)); the hidden activation is recognised from the learner's cost.
    trace : callable, optional
        Told where the module's code is running: ``trace("import")``, ``trace(name)`` when one of
        its functions is called and ``trace(None)`` when it returns (the isolated check reports
        through it where a module hung or crashed).

    Returns
    -------
    ModuleCheck
    """
    follow = trace or (lambda phase: None)
    follow("import")
    try:
        module = load_module(path)
    except GradcheckError as error:
        return ModuleCheck(str(path), "unusable", str(error), failure="error")
    finally:
        follow(None)
    functions = {}
    for name in ("forward_propagation", "backward_propagation", "compute_cost"):
        function = getattr(module, name, None)
        if name != "compute_cost" and not callable(function):
            return ModuleCheck(str(path), "unusable", f"{path} defines no function {name}", failure="error")
        functions[name] = _traced(function, name, trace) if trace and callable(function) else function
    compute_cost = functions["compute_cost"]
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
                return ModuleCheck(str(path), "unusable", str(error), configurations, failure="error")
            configurations.append(Configuration(shape, seed, report))
    wrong = any(c.report is not None and not c.report.passed for c in configurations)
    return ModuleCheck(str(path), "wrong" if wrong else "right", None, configurations)


def _traced(
    function: Callable[..., Any], name: str, trace: Callable[[str | None], None]
) -> Callable[..., Any]:
    @functools.wraps(function)
    def traced(*args: Any) -> Any:
        trace(name)
        try:
            return function(*args)
        finally:
            trace(None)

    return traced

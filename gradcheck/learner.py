"""Checking a learner's module: the course's functions, loaded from a file and checked as they are.

A learner's module defines one or more notebooks' sets of functions, as the course writes them:
``propagate`` (Week 2); ``forward_propagation``, ``backward_propagation`` and ``compute_cost``
(Week 3); ``L_model_forward``, ``L_model_backward`` and ``compute_cost`` (Week 4); Course 2's
``forward_propagation_n`` and ``backward_propagation_n``, its L2 and its dropout functions
(:data:`gradcheck.notebooks.NOTEBOOKS`). Each set found is checked. ``initialize_parameters`` is
not needed: gradcheck draws the parameters and data itself, at the module's ``layers_dims`` or at
several small shapes, and several seeds, with weights large enough that a wrong activation
derivative shows.

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
from gradcheck.notebooks import NOTEBOOKS, draw, find, learner_functions, near_misses, shapes_for
from gradcheck.report import GradientReport
from gradcheck.verify import verify_gradients

__all__ = [
    "SHAPES",
    "Configuration",
    "ModuleCheck",
    "check_module",
    "load_module",
]

#: (n_x, n_h, n_y, m) checked by default for Week 3's functions: one output, as the course's code
#: assumes, and a hidden layer of width 1.
SHAPES: tuple[tuple[int, ...], ...] = NOTEBOOKS["week3"].shapes

Verdict = Literal["right", "wrong", "unusable"]


@dataclass(frozen=True)
class Configuration:
    """One check of the module: the notebook's functions (a key of :data:`gradcheck.notebooks.NOTEBOOKS`),
    the shape ``(*layer_dims, m)``, the seed, and the report (None when it could not run)."""

    shape: tuple[int, ...]
    seed: int
    report: GradientReport | None
    error: str | None = None
    notebook: str = "week3"


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
    notebooks : tuple of str
        The notebooks' sets of functions found and checked, e.g. ``"Course 1 Week 4, L layers
        (L_model_forward, L_model_backward, compute_cost)"``.
    warnings : tuple of str
        The module's functions named almost like a course function it lacks, which were not
        checked (:func:`gradcheck.notebooks.near_misses`), e.g. ``"defines compute_cots but no
        compute_cost: did you mean compute_cost? ..."``. When no set is found, ``problem`` says
        them too.
    """

    path: str
    verdict: Verdict
    problem: str | None = None
    configurations: list[Configuration] = field(default_factory=list)
    failure: str | None = None
    output: str = ""
    seconds: float | None = None
    notebooks: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()

    @property
    def exit_code(self) -> int:
        """0 right, 1 a gradient is wrong, 2 unusable."""
        return {"right": 0, "wrong": 1, "unusable": 2}[self.verdict]

    @property
    def further_warnings(self) -> tuple[str, ...]:
        """The ``warnings`` that ``problem`` does not already say (what a summary adds to it)."""
        return tuple(warning for warning in self.warnings if warning not in (self.problem or ""))

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
    folder = str(path.parent.resolve())
    sys.path.insert(0, folder)  # the module's own imports of its neighbours
    before = set(sys.modules)
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
        sys.path.remove(folder)
        _forget_neighbours(before, folder)
    return module


def _forget_neighbours(before: set[str], folder: str) -> None:
    """Drop from ``sys.modules`` the modules that importing a learner's file loaded from its folder
    (``dnn_utils``, say): the next module checked in this process imports its own."""
    for name in set(sys.modules) - before:
        origin = getattr(sys.modules[name], "__file__", None)
        if origin is not None and str(Path(origin).resolve().parent) == folder:
            del sys.modules[name]


def _learner_line(error: BaseException, path: Path) -> str:
    frames = [f for f in traceback.extract_tb(error.__traceback__) if Path(f.filename) == path]
    return f":{frames[-1].lineno}" if frames else ""


def check_module(
    path: str | Path,
    *,
    shapes: Sequence[tuple[int, ...]] | None = None,
    seeds: Sequence[int] = (0, 1),
    trace: Callable[[str | None], None] | None = None,
) -> ModuleCheck:
    """Load a learner's module and check the gradients of each notebook's functions it defines.

    Parameters
    ----------
    path : str or Path
        The learner's ``.py`` file.
    shapes : sequence of (*layer_dims, m), optional
        Where to check, for the notebooks of that depth (e.g. ``(n_x, n_h, n_y, m)`` for Week 3).
        Default: the module's ``layers_dims`` when it has the notebook's depth, else the
        notebook's own small shapes (:data:`gradcheck.notebooks.NOTEBOOKS`).
    seeds : sequence of int
        Data and weights are drawn from each seed (:func:`gradcheck.notebooks.draw`); the hidden
        activation is recognised from the learner's cost.
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
    found, misfits = find(module)
    warnings = tuple(_misspelling(name, expected) for name, expected in near_misses(module))
    if not found:
        problem = _none_found(path, misfits, warnings)
        return ModuleCheck(str(path), "unusable", problem, failure="error", warnings=warnings)
    configurations = []
    for each in found:
        functions: dict[str, Any] = {
            keyword: _traced(function, _name(function), trace) if trace else function
            for keyword, function in learner_functions(each).items()
        }
        for shape in shapes_for(each.notebook, module, shapes):
            for seed in seeds:
                parameters, X, Y = draw(each.notebook, shape, seed)
                try:
                    report = verify_gradients(
                        **functions,
                        lambd=each.notebook.options.get("lambd"),
                        keep_prob=each.notebook.options.get("keep_prob"),
                        parameters=parameters,
                        X=X,
                        Y=Y,
                    )
                except GradcheckError as error:
                    configurations.append(Configuration(shape, seed, None, str(error), each.notebook.key))
                    return ModuleCheck(
                        str(path),
                        "unusable",
                        f"{each.notebook.title}: {error}",
                        configurations,
                        failure="error",
                        notebooks=tuple(f.description for f in found),
                        warnings=warnings,
                    )
                configurations.append(Configuration(shape, seed, report, None, each.notebook.key))
    wrong = any(c.report is not None and not c.report.passed for c in configurations)
    return ModuleCheck(
        str(path),
        "wrong" if wrong else "right",
        None,
        configurations,
        notebooks=tuple(f.description for f in found),
        warnings=warnings,
    )


def _name(function: Callable[..., Any]) -> str:
    return str(getattr(function, "__name__", "a function"))


def _none_found(path: str | Path, misfits: list[str], warnings: Sequence[str]) -> str:
    """Why no set was found: a likely misspelling first, the sets looked for, a set that did not fit."""
    sets = "; ".join(
        f"{' and '.join(n.functions[k] for k in n.required)} ({n.title})" for n in NOTEBOOKS.values()
    )
    why = f" The names are there but: {' '.join(misfits)}" if misfits else ""
    hints = "".join(f" It {warning}." for warning in warnings)
    return f"{path} defines none of the course's sets of functions.{hints} The sets: {sets}.{why}"


def _misspelling(name: str, expected: str) -> str:
    """The warning about a near miss (:func:`gradcheck.notebooks.near_misses`)."""
    return (
        f"defines {name} but no {expected}: did you mean {expected}? gradcheck finds the course's "
        f"functions by their names, so {name} was not checked"
    )


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

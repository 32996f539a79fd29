"""Grading many learners' modules: each checked in isolation, then counted and summed up per row.

:func:`check_modules` runs :func:`gradcheck.isolation.check_isolated` (or, for trusted code,
:func:`gradcheck.learner.check_module` in this process) over many files, on any
``concurrent.futures.Executor`` (on a Dask cluster or Ray: :mod:`gradcheck.remote`);
:func:`summary_row` and :func:`summary_counts` are what a grader reads of the results (the
``gradcheck report LEARNER.py ...`` table and its summary line).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Sequence
from concurrent.futures import Executor, as_completed
from dataclasses import replace
from pathlib import Path
from typing import Any

from gradcheck.isolation import FAILURES, Limits, check_isolated, kill_running
from gradcheck.journal import Journal, fingerprint
from gradcheck.learner import ModuleCheck, check_module
from gradcheck.notebooks import NOTEBOOKS
from gradcheck.report import GradientReport

__all__ = ["check_modules", "shown_path", "summary_counts", "summary_row"]


def check_modules(
    paths: Sequence[str | Path],
    *,
    executor: Executor | None = None,
    seeds: Sequence[int] = (0, 1),
    limits: Limits | None = None,
    isolate: bool = True,
    journal: Journal | None = None,
    progress: Callable[[ModuleCheck], None] | None = None,
) -> list[ModuleCheck]:
    """Check many learners' modules, each in a child process with limits: one :class:`ModuleCheck` each.

    Parameters
    ----------
    paths : sequence of str or Path
    executor : concurrent.futures.Executor, optional
        Runs the checks (``executor.submit(check, path)``): a ``ThreadPoolExecutor(N)`` checks N
        modules at once (each in its own child process); :class:`gradcheck.remote.DaskExecutor`
        and :class:`~gradcheck.remote.RayExecutor` spread a batch over a Dask cluster or Ray,
        each submission sent as its source, a worker's death costing only its own verdict. Any
        other ``Executor`` runs ``check(path)`` where it runs: its workers must see the files at
        the same paths (Dask's ``client.get_executor(pure=False)``: without ``pure=False`` a file
        changed at the same path gets its earlier verdict). Default: one after another.
    seeds : sequence of int
    limits : gradcheck.isolation.Limits, optional
        Time, memory and output per module (default ``Limits()``: 60 s, 1024 MB, 1 MB).
    isolate : bool, default True
        False runs the modules in this process (no limits: only for code you trust).
    journal : gradcheck.journal.Journal, optional
        Where each verdict is appended as it is decided; a submission it already holds a verdict
        for (same file content, same settings) is not checked again. A file given twice is
        checked once.
    progress : callable, optional
        Called with each verdict as it is decided (those taken from the journal are not).

    Returns
    -------
    list of ModuleCheck
        In the order given; an isolated check never raises for what a module does.

    Raises
    ------
    Exception
        What an ``executor``'s future raises, such as :class:`gradcheck.remote.EngineError` when a
        Dask scheduler or Ray is lost; what was not started yet is cancelled, and the verdicts
        decided until then are in the ``journal``. ``KeyboardInterrupt`` (Ctrl-C) also kills the
        isolated checks running in this process (:func:`gradcheck.isolation.kill_running`); their
        verdicts are not kept.
    """
    limits = limits or Limits()
    settings = {"seeds": [int(s) for s in seeds], "isolate": isolate}
    if isolate:
        settings["limits"] = [limits.timeout, limits.memory_mb, limits.output_bytes]
        check = functools.partial(_check_isolated, seeds=tuple(seeds), limits=limits)
    else:
        check = functools.partial(_check_here, seeds=tuple(seeds))
    keys = [fingerprint(path, settings) for path in paths]
    decided = journal.load() if journal is not None else {}
    todo = {key: str(path) for key, path in zip(keys, paths, strict=True) if key not in decided}

    def record(key: str, result: ModuleCheck) -> None:
        decided[key] = result
        if journal is not None:
            journal.record(key, result)
        if progress is not None:
            progress(result)

    if executor is None:
        for key, path in todo.items():
            record(key, check(path))
    else:
        futures = {executor.submit(check, path): key for key, path in todo.items()}
        try:
            for future in as_completed(futures):
                record(futures[future], future.result())
        except KeyboardInterrupt:  # the checks running here end now, not at their timeouts
            for future in futures:
                future.cancel()
            if isolate:
                kill_running()
            raise
        finally:  # an executor's error (an engine lost) ends the batch: nothing more is started
            for future in futures:
                future.cancel()
    return [replace(decided[key], path=str(path)) for key, path in zip(keys, paths, strict=True)]


def _check_here(path: str, seeds: tuple[int, ...]) -> ModuleCheck:
    return check_module(path, seeds=seeds)


def _check_isolated(path: str, seeds: tuple[int, ...], limits: Limits) -> ModuleCheck:
    return check_isolated(path, seeds=seeds, limits=limits)


def summary_row(result: ModuleCheck) -> dict[str, str]:
    """A grader's one-line summary of a submission: whose functions it defines (the notebooks), the
    verdict, wrong gradients, likely mistakes, the largest relative error, why it is unusable and
    the warnings about functions that were not checked (``ModuleCheck.warnings``).

    The submission is named by :func:`shown_path`, in the problem too.

    The largest relative error (``‖a − n‖/(‖a‖ + ‖n‖)`` of a block against finite differences) is
    the one that explains the verdict: for a wrong module, the largest among the blocks that
    failed, in every configuration ("n/a" when none of them has one: a wrong shape such as a lost
    ``keepdims``, a missing or non-numeric gradient, NaN or inf); for a right module, the largest
    of all blocks (how far below the tolerance it stays); "-" for an unusable one.
    """
    reports = [c.report for c in result.configurations if c.report is not None]
    failed = [report for report in reports if not report.passed]
    wrong = sorted({r.label for report in failed for r in report.failed})
    codes = sorted({report.diagnosis.code for report in failed if report.diagnosis is not None})
    notebooks = dict.fromkeys(NOTEBOOKS[c.notebook].short for c in result.configurations)
    shown = shown_path(result.path)
    return {
        "submission": shown,
        "functions": ", ".join(notebooks) or "-",
        "verdict": result.verdict.upper(),
        "wrong gradients": ", ".join(wrong) or "-",
        "likely mistake": ", ".join(codes) or "-",
        "largest relative error": _largest_error(result, reports),
        "problem": _problem(result, shown),
    }


def shown_path(path: str | Path) -> str:
    """How a report names a submission: its path relative to the current directory when it lies
    below it (``submissions/alice/week3.py``), else its file name: a report handed on does not
    carry the grader's absolute paths.
    """
    given = Path(path)
    try:
        return str(given.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:  # not below the current directory
        return given.name


def _problem(result: ModuleCheck, shown: str) -> str:
    """Why it is unusable, naming the module as ``shown``, then the warnings it does not say."""
    problem = result.problem or ""
    if result.path:
        problem = problem.replace(result.path, shown)
    return " ".join([problem, *(f"Warning: {w}." for w in result.further_warnings)]).strip()


def _largest_error(result: ModuleCheck, reports: Sequence[GradientReport]) -> str:
    """The "largest relative error" of :func:`summary_row`."""
    if result.verdict == "unusable":
        return "-"
    blocks = [r for report in reports for r in (report.failed if result.verdict == "wrong" else report)]
    errors = [r.relative_error for r in blocks if math.isfinite(r.relative_error)]
    if errors:
        return f"{max(errors):.1e}"
    return "n/a" if result.verdict == "wrong" else "-"


def summary_counts(results: Sequence[ModuleCheck]) -> tuple[dict[str, Any], str]:
    """Verdicts counted, unusable ones by cause, and the one-line summary a grader reads.

    Returns
    -------
    counts : dict
        ``{"right": n, "wrong": n, "unusable": n, "unusable_because": {cause: n}}``, the causes
        being the keys of :data:`gradcheck.isolation.FAILURES`.
    line : str
        E.g. ``"150 right, 30 wrong, 20 unusable (8 timed out, 4 crashed, 8 raised or broke a
        contract)."``
    """
    counts: dict[str, Any] = {v: sum(r.verdict == v for r in results) for v in ("right", "wrong", "unusable")}
    because = {
        kind: sum(r.verdict == "unusable" and (r.failure or "error") == kind for r in results)
        for kind in FAILURES
    }
    counts["unusable_because"] = because
    why = ", ".join(f"{n} {FAILURES[kind]}" for kind, n in because.items() if n)
    line = f"{counts['right']} right, {counts['wrong']} wrong, {counts['unusable']} unusable" + (
        f" ({why})." if why else "."
    )
    return counts, line

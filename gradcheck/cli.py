"""The ``gradcheck`` command: ``gradcheck report`` and ``gradcheck check``.

``gradcheck report`` checks the built-in reference models' hand-derived gradients
(:mod:`gradcheck.sweep`); ``gradcheck report LEARNER.py ...`` grades learners' modules
(:mod:`gradcheck.grading`); ``gradcheck check LEARNER.py`` checks one (:mod:`gradcheck.learner`).
What each does, examples and the exit status are in the help texts below (``gradcheck --help``,
``gradcheck report --help``, ``gradcheck check --help``), which are the command's documentation.

Grading and checking run every module in a child process (:mod:`gradcheck.isolation`) within
``--timeout`` seconds (default 60), ``--memory-limit`` megabytes (default 1024) and
``--output-limit`` bytes of output (default 1,000,000): a module that hangs, crashes, exits or
floods is a verdict, not the end of the run. A wrong command line is argparse's usage error of
the command concerned (exit 2).
"""

from __future__ import annotations

import argparse
import functools
import importlib.util
import math
import sys
from collections.abc import Callable, Sequence
from concurrent.futures import Executor, ThreadPoolExecutor
from contextlib import AbstractContextManager
from typing import Any

from rich import box
from rich.console import Console
from rich.progress import Progress
from rich.table import Table
from rich.text import Text

from gradcheck import __version__
from gradcheck.errors import GradcheckError
from gradcheck.grading import check_modules, summary_counts, summary_row
from gradcheck.isolation import Limits, check_isolated
from gradcheck.journal import Journal
from gradcheck.learner import ModuleCheck
from gradcheck.notebooks import NOTEBOOKS
from gradcheck.numerical import METHODS
from gradcheck.render import WIDE, console_width
from gradcheck.sweep import (
    SweepCase,
    reference_sweep,
    run_sweep,
    sweep_rows,
    write_report,
    write_submissions_report,
)

__all__ = ["ENGINE_LOST", "INTERRUPTED", "SweepCase", "main", "reference_sweep"]

#: The exit status of a batch whose Dask scheduler or Ray cannot be reached, or is lost.
ENGINE_LOST = 3
#: The exit status of a batch stopped by Ctrl-C (SIGINT), as a shell reports a command it ended.
INTERRUPTED = 130


def _report(args: argparse.Namespace, console: Console) -> int:
    seeds = None if args.seeds is None else range(args.seeds)
    methods = None if args.method is None else (args.method,)
    if console.is_terminal:
        with Progress(console=console, transient=True) as bar:
            task = bar.add_task("checking the reference models", total=None)

            def progress(total: int) -> Callable[[], None]:
                bar.update(task, total=total)
                return lambda: bar.advance(task)

            sweep = run_sweep(args.grid, seeds=seeds, methods=methods, progress=progress)
    else:
        sweep = run_sweep(args.grid, seeds=seeds, methods=methods)
    console.print(_sweep_table(sweep_rows(sweep), console.width))
    paths = write_report(sweep, args.out)
    wrong = [case for case in sweep.cases if not case.report.passed]
    console.print(
        f"{len(sweep.cases) - len(wrong)} of {len(sweep.cases)} checks passed in {sweep.seconds:.1f} s "
        "(vs FD: the largest block relative error ‖a − n‖/(‖a‖ + ‖n‖) of a gradient against finite "
        "differences, and which; autograd: the largest against autograd's exact gradient)."
    )
    console.print("Wrote " + ", ".join(str(path) for path in paths.values()), markup=False, highlight=False)
    for case in wrong:
        console.print(
            f"{case.method} {case.model} ({case.network}) {case.shape} seed {case.seed}:\n{case.report}",
            markup=False,
            highlight=False,
        )
    return 0 if not wrong else 1


def _sweep_table(rows: list[dict[str, Any]], width: int) -> Table:
    """One row per check. Below :data:`gradcheck.render.WIDE` columns the model and its options
    share one column, one above the other, and the seed goes under the shape, so that every
    number fits 80 columns."""
    table = Table(
        title="Reference models: hand-derived gradients vs finite differences (and autograd)",
        box=box.SIMPLE_HEAD,
        padding=(0, 1, 0, 0) if width < WIDE else (0, 1),
    )
    narrow = width < WIDE
    columns = ("network", "n_x,…,n_L,m") if narrow else ("model", "hidden", "output", "lambd", "keep_prob")
    for column in ("method", *columns, *(() if narrow else ("n_x,…,n_L,m", "seed"))):
        table.add_column(column, no_wrap=column in ("method", "seed"), overflow="fold")
    table.add_column("vs FD", justify="right", no_wrap=True, min_width=11)
    table.add_column("autograd", justify="right", no_wrap=True, min_width=8)
    table.add_column("verdict", no_wrap=True, min_width=5)
    for row in rows:
        if narrow:
            settings = [_network_cell(row), f"{row['shape']}\nseed {row['seed']}"]
        else:
            options = ("model", "activation", "output", "lambd", "keep_prob", "shape")
            settings = [*(row[key] for key in options), str(row["seed"])]
        table.add_row(
            row["method"],
            *settings,
            f"{row['worst']} {row['worst_gradient']:<3}",
            row["autograd"],
            _verdict_text(row["verdict"]),
        )
    return table


def _network_cell(row: dict[str, Any]) -> str:
    """The model and its options, one above the other, e.g. ``deep``, ``relu/sigmoid``,
    ``λ=0.7 keep 0.8``."""
    options = " ".join(
        [
            *([f"λ={row['lambd']}"] if row["lambd"] != "-" else []),
            *([f"keep {row['keep_prob']}"] if row["keep_prob"] != "-" else []),
        ]
    )
    return "\n".join(filter(None, [row["model"], f"{row['activation']}/{row['output']}", options]))


def _verdict_text(verdict: str) -> Text:
    """A verdict coloured on a terminal that has colour: green when right, bold red when not."""
    good = verdict.lower().startswith(("ok", "right"))
    return Text(verdict, style="green" if good else "bold red")


def _grade(args: argparse.Namespace, console: Console) -> int:
    """``gradcheck report LEARNER.py ...``: every submission checked, a summary table, three files."""
    journal = Journal.in_folder(args.out, fresh=args.fresh)
    graded: list[ModuleCheck] = []
    grade = functools.partial(
        check_modules, args.modules, seeds=range(args.seeds or 2), limits=_limits(args), journal=journal
    )
    try:
        results = _graded(args, console, grade, graded)
    except (GradcheckError, KeyboardInterrupt) as error:  # an engine lost (EngineError), or Ctrl-C
        stopped = isinstance(error, KeyboardInterrupt)
        said = "Interrupted." if stopped else f"gradcheck: {error}"
        console.print(said, markup=False, highlight=False)
        if graded:
            console.print(
                f"The verdicts decided before it ({len(graded)} in this run) are kept in "
                f"{journal.path}: the same command grades the rest.",
                markup=False,
                highlight=False,
            )
        return INTERRUPTED if stopped else ENGINE_LOST
    if len(graded) < len(results):
        console.print(
            f"{len(results) - len(graded)} verdicts taken from {journal.path}, {len(graded)} graded now "
            "(--fresh grades every module again).",
            markup=False,
            highlight=False,
        )
    console.print(_submissions_table([summary_row(result) for result in results], console.width))
    paths = write_submissions_report(results, args.out)
    console.print(summary_counts(results)[1], soft_wrap=True)
    console.print("Wrote " + ", ".join(str(path) for path in paths.values()), markup=False, highlight=False)
    return max((result.exit_code for result in results), default=0)


#: From this many columns the batch table has a column per field; narrower, the submission, its
#: verdict and one column of the other fields, which wraps at words.
BATCH_WIDE = 160


def _submissions_table(rows: list[dict[str, str]], width: int) -> Table:
    """One row per submission (:func:`gradcheck.grading.summary_row`). From :data:`BATCH_WIDE`
    columns, a column per field, the problem taking what is left; narrower, the submission, its
    verdict, and the other fields that say something, named, in one column that wraps at words."""
    table = Table(box=box.SIMPLE_HEAD, title=f"{len(rows)} submissions", expand=True)
    if width >= BATCH_WIDE:
        for column in rows[0]:
            whole = column in ("verdict", "largest relative error")
            table.add_column(
                column,
                no_wrap=whole,
                overflow="fold",
                ratio=3 if column == "problem" else None,
                min_width=7 if whole else None,
            )
        for row in rows:
            table.add_row(*(_verdict_text(v) if k == "verdict" else v for k, v in row.items()))
        return table
    table.add_column("submission", overflow="fold", ratio=1)
    table.add_column("verdict", no_wrap=True)
    table.add_column("details", ratio=2)
    for row in rows:
        details = "; ".join(
            value if key == "functions" else f"{key}: {value}"
            for key, value in row.items()
            if key not in ("submission", "verdict") and value not in ("-", "")
        )
        table.add_row(row["submission"], _verdict_text(row["verdict"]), details)
    return table


def _graded(
    args: argparse.Namespace,
    console: Console,
    grade: Callable[..., list[ModuleCheck]],
    graded: list[ModuleCheck],
) -> list[ModuleCheck]:
    """The batch graded on the engine chosen, a progress bar on a terminal; each new verdict is
    appended to ``graded`` as it is decided."""
    with _executor(args) as pool:
        if console.is_terminal:
            with Progress(console=console, transient=True) as bar:
                task = bar.add_task("grading submissions", total=len(args.modules))

                def advance(result: ModuleCheck) -> None:
                    graded.append(result)
                    bar.advance(task)

                results = grade(executor=pool, progress=advance)
        else:
            results = grade(executor=pool, progress=graded.append)
    return results


def _executor(args: argparse.Namespace) -> AbstractContextManager[Executor]:
    """Where the checks run: ``--workers`` threads here, each waiting for its module's child
    process; or a Dask cluster (``--dask``) or Ray (``--ray``), each submission sent as its source
    (:mod:`gradcheck.remote`)."""
    if args.dask is not None:
        from gradcheck.remote import dask_executor

        return dask_executor(args.dask, args.workers)
    if args.ray is not None:
        from gradcheck.remote import ray_executor

        return ray_executor(args.ray, args.workers)
    return ThreadPoolExecutor(args.workers)


#: ``gradcheck report``'s options for the reference models only, and for grading FILE.py only,
#: by their destination in the parsed arguments.
_REFERENCE_ONLY = {"grid": "--thorough", "method": "--method"}
_GRADING_ONLY = {
    "workers": "--workers",
    "dask": "--dask",
    "ray": "--ray",
    "fresh": "--fresh",
    "timeout": "--timeout",
    "memory_limit": "--memory-limit",
    "output_limit": "--output-limit",
}


def _misplaced(args: argparse.Namespace) -> str | None:
    """An option of ``gradcheck report`` given where it does nothing, as a usage error, or None:
    ``--thorough`` or ``--method`` with FILE.py, a grading option without."""
    if args.command != "report":
        return None
    options = _REFERENCE_ONLY if args.modules else _GRADING_ONLY
    given = [option for key, option in options.items() if getattr(args, key) != args.default_of(key)]
    if not given:
        return None
    several = len(given) > 1
    if args.modules:
        return (
            f"{' and '.join(given)} {'choose' if several else 'chooses'} how gradcheck's own "
            "reference models are checked "
            "(gradcheck report without FILE.py); a grading run takes --seeds N for more seeds"
        )
    return (
        f"{', '.join(given)} {'apply' if several else 'applies'} to grading learners' modules: give them "
        "(gradcheck report FILE.py ...); without them the reference models are checked"
    )


def _missing_engine(args: argparse.Namespace) -> str | None:
    """What ``--dask`` or ``--ray`` needs and is not installed, as a usage error, or None."""
    for option, module, extra in (("dask", "distributed", "dask"), ("ray", "ray", "ray")):
        if getattr(args, option, None) is not None and importlib.util.find_spec(module) is None:
            return f"--{option} needs {module}, which is not installed: pip install 'gradcheck[{extra}]'"
    return None


def _check(args: argparse.Namespace, console: Console) -> int:
    result = check_isolated(args.module, seeds=range(args.seeds), limits=_limits(args))
    _print_check(result, console)
    return result.exit_code


def _limits(args: argparse.Namespace) -> Limits:
    return Limits(timeout=args.timeout, memory_mb=args.memory_limit or None, output_bytes=args.output_limit)


def _print_check(result: ModuleCheck, console: Console) -> None:
    """What ``gradcheck check`` prints: the sets found, the verdict, then the near misses, last so
    that a RIGHT does not hide a function that was not checked."""
    _print_verdict(result, console)
    for warning in result.further_warnings:
        console.print(f"WARNING: {result.path} {warning}.", markup=False, highlight=False)


def _print_verdict(result: ModuleCheck, console: Console) -> None:
    for found in result.notebooks:
        console.print(f"Found {found}", markup=False, highlight=False)
    if result.verdict == "unusable":
        console.print(f"UNUSABLE {result.path}: {result.problem}", markup=False, highlight=False)
        return
    table = Table(
        box=box.SIMPLE_HEAD, title=f"{result.path}: gradients at {len(result.configurations)} points"
    )
    several = len({c.notebook for c in result.configurations}) > 1  # else the "Found" line says it
    for column in ("functions", "n_x,…,n_L,m", "seed", "wrong gradients", "likely mistake", "verdict"):
        if column != "functions" or several:
            table.add_column(column, no_wrap=column in ("seed", "verdict"), overflow="fold")
    for configuration in result.configurations:
        report = configuration.report
        assert report is not None
        wrong = ", ".join(r.label for r in report.failed) or "-"
        likely = report.diagnosis.code if report.diagnosis is not None else "-"
        table.add_row(
            *([NOTEBOOKS[configuration.notebook].short] if several else []),
            ",".join(map(str, configuration.shape)),
            str(configuration.seed),
            wrong,
            likely,
            _verdict_text("ok" if report.passed else "WRONG"),
        )
    console.print(table)
    failure = result.first_failure
    if failure is None:
        console.print(f"RIGHT: every gradient of {result.path} matches at every point.")
        return
    assert failure.report is not None
    where = f"{NOTEBOOKS[failure.notebook].short}, (n_x, …, n_L, m) = {failure.shape}, seed {failure.seed}"
    console.print(f"WRONG: first failure in {where}:", markup=False, highlight=False)
    console.print(failure.report, highlight=False)


# ---- the command line ------------------------------------------------------------------------

_DESCRIPTION = """\
Check hand-written gradients of the course's neural networks against finite
differences and autograd's exact gradient.

  gradcheck report             check gradcheck's own reference models (every
                               model, hidden activation and option): a table
                               and report.html, report.md, report.json
  gradcheck report FILE.py ... grade learners' modules: a row per submission
                               (verdict, wrong gradients, likely mistake) and
                               the same three files
  gradcheck check FILE.py      check one learner's module and print the first
                               failing report in full"""

_EXAMPLES = """\
examples:
  gradcheck report
  gradcheck report submissions/*.py --workers 4 --out grading
  gradcheck check my_code.py"""

_EXIT_STATUS = """\
exit status:
  0  right: every gradient is right (every check passed)
  1  a gradient is wrong
  2  a module is unusable: it does not load, lacks the course's functions,
     raises, returns the wrong thing, hangs or crashes; or the command line
     is wrong (its usage is printed)
  3  the Dask scheduler or Ray cluster a batch runs on cannot be reached or
     is lost (the verdicts so far are kept: run the same command again)
  130 a batch stopped by Ctrl-C (the verdicts so far are kept, likewise)"""

_REPORT_DESCRIPTION = """\
Without FILE.py: check gradcheck's own reference models against finite
differences and autograd: the one-hidden-layer network for every hidden
activation and a grid of shapes, logistic regression, the L-layer network at
depths 1 to 4 (sigmoid and softmax outputs, L2, dropout), each at several
seeds and finite-difference methods. Prints the relative errors, one row per
network and its options, and writes report.html (figures embedded), report.md
and report.json into --out.

With FILE.py ...: grade learners' modules (each a course notebook saved as a
.py file), each in a child process of its own within --timeout,
--memory-limit and --output-limit: a row per submission (the notebooks'
functions found, verdict, wrong gradients, likely mistake, the failing
blocks' largest relative error, problem and warnings) and the same three
files."""

_REPORT_EPILOG = """\
examples:
  gradcheck report                 the reference models, into gradcheck-report/
  gradcheck report --thorough      a bigger grid (under a minute)
  gradcheck report submissions/*.py --workers 4 --out grading
  gradcheck report submissions/*.py --dask tcp://10.0.0.5:8786

exit status:
  without FILE.py: 0 every check passed, 1 one failed
  with FILE.py:    the worst submission's: 0 all right, 1 a gradient is
                   wrong, 2 a module is unusable (does not load, lacks the
                   course's functions, raises, hangs or crashes)
  2 also for a wrong command line (its usage is printed)
  3 the Dask scheduler or Ray cluster cannot be reached, or is lost during
    the batch (the verdicts so far are kept: run the same command again)
  130 stopped by Ctrl-C (the verdicts so far are kept, likewise)"""

_CHECK_DESCRIPTION = """\
Check one learner's module (a course notebook saved as a .py file): find which
notebooks' functions it defines (propagate; forward_propagation and
backward_propagation; L_model_forward and L_model_backward; Course 2's
forward_propagation_n, L2 and dropout functions; ...), check each set at
several shapes and seeds in a child process of its own, and print what it
found, a row per point, the verdict, the likely mistake and the first failing
report in full. A function whose name is close to one of the course's
(compute_cots for compute_cost) is not checked: gradcheck warns about it."""

_CHECK_EPILOG = """\
examples:
  gradcheck check my_code.py
  gradcheck check my_code.py --seeds 4 --timeout 120

exit status:
  0  every gradient is right
  1  a gradient is wrong
  2  the module is unusable: it does not load, lacks the course's functions,
     raises, returns the wrong thing, hangs or crashes; or the command line
     is wrong (its usage is printed)"""


def _parser() -> argparse.ArgumentParser:
    """The ``gradcheck`` command line: ``report`` and ``check``, each with its own usage."""
    parser = argparse.ArgumentParser(
        prog="gradcheck",
        description=_DESCRIPTION,
        epilog=f"{_EXAMPLES}\n\n{_EXIT_STATUS}\n\nRun 'gradcheck COMMAND --help' for a command's options.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"gradcheck {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, title="commands")
    _add_report(commands)
    _add_check(commands)
    return parser


def _add_report(commands: Any) -> None:
    report = commands.add_parser(
        "report",
        help="check the reference models' gradients, or grade learners' modules (FILE.py ...)",
        description=_REPORT_DESCRIPTION,
        epilog=_REPORT_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    # its own usage before a problem; its defaults, to tell an option given from one left out
    report.set_defaults(usage_error=report.error, default_of=report.get_default)
    report.add_argument(
        "modules",
        nargs="*",
        metavar="FILE.py",
        help="learners' modules to grade instead of the reference models",
    )
    report.add_argument(
        "--out",
        default="gradcheck-report",
        metavar="DIR",
        help="directory for report.html, report.md, report.json (default ./gradcheck-report)",
    )
    report.add_argument(
        "--seeds",
        type=_whole(1, "seeds"),
        default=None,
        metavar="N",
        help="seeds per shape (default: the grid's for the reference models, 2 for FILE.py)",
    )
    reference = report.add_argument_group("the reference models (without FILE.py)")
    reference.add_argument(
        "--thorough",
        action="store_const",
        const="thorough",
        default="default",
        dest="grid",
        help="a bigger grid: more shapes, seeds and model cases (under a minute)",
    )
    reference.add_argument(
        "--method", choices=METHODS, default=None, help="only this finite-difference method"
    )
    grading = report.add_argument_group("grading learners' modules (with FILE.py)")
    grading.add_argument(
        "--workers",
        type=_whole(1, "processes"),
        default=1,
        metavar="N",
        help="modules checked at once, each in its own process (default 1); with --dask local or "
        "--ray local, the worker processes",
    )
    engines = grading.add_mutually_exclusive_group()
    engines.add_argument(
        "--dask",
        metavar="ADDRESS",
        help="grade on a Dask cluster: its scheduler's address (tcp://HOST:8786), or 'local' for "
        "--workers processes here; each submission is sent as its source, with the modules it "
        "imports from its folder (pip install 'gradcheck[dask]')",
    )
    engines.add_argument(
        "--ray",
        metavar="ADDRESS",
        help="grade with Ray: a cluster's address (ray://HOST:10001, auto), or 'local'; as "
        "--dask (pip install 'gradcheck[ray]')",
    )
    grading.add_argument(
        "--fresh",
        action="store_true",
        help="grade every module again: forget the verdicts that --out's verdicts.jsonl holds "
        "(by default a batch started again resumes: only modules without a verdict, or changed "
        "since, are graded)",
    )
    _add_limits(grading)


def _add_check(commands: Any) -> None:
    check = commands.add_parser(
        "check",
        help="check one learner's module: the functions of each course notebook it defines",
        description=_CHECK_DESCRIPTION,
        epilog=_CHECK_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    check.set_defaults(usage_error=check.error)
    check.add_argument("module", metavar="FILE.py", help="the learner's module: a notebook saved as .py")
    check.add_argument(
        "--seeds", type=_whole(1, "seeds"), default=2, metavar="N", help="seeds per shape (default 2)"
    )
    _add_limits(check.add_argument_group("limits"))


def _add_limits(group: Any) -> None:
    """``--timeout``, ``--memory-limit``, ``--output-limit`` in ``group`` (an argument group)."""
    group.add_argument(
        "--timeout", type=_seconds, default=60.0, metavar="S", help="seconds each module may run (default 60)"
    )
    group.add_argument(
        "--memory-limit",
        type=_whole(0, "megabytes (0: no limit)"),
        default=1024,
        metavar="MB",
        help="megabytes each module may allocate beyond gradcheck's own (default 1024; 0: no limit)",
    )
    group.add_argument(
        "--output-limit",
        type=_whole(1, "bytes"),
        default=1_000_000,
        metavar="BYTES",
        help="bytes each module may print before it is stopped (default 1000000)",
    )


def _whole(minimum: int, unit: str) -> Callable[[str], int]:
    """An argparse ``type``: a whole number of ``unit`` at least ``minimum``; anything else is a
    usage error of the command it belongs to (its usage, then what was wrong)."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            value = None
        if value is None or value < minimum:
            raise argparse.ArgumentTypeError(
                f"expected a whole number of {unit}, {minimum} or more; got {text!r}"
            )
        return value

    return parse


def _seconds(text: str) -> float:
    """An argparse ``type``: a positive, finite number of seconds."""
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(
            f"expected a positive number of seconds, e.g. 60 or 2.5; got {text!r}"
        )
    return value


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``gradcheck`` console script; returns the exit status.

    A wrong command line ends with argparse's usage of the command concerned and exit status 2,
    ``--help`` and ``--version`` with status 0 (``SystemExit``).
    """
    args = _parser().parse_args(argv)
    problem = _misplaced(args) or _missing_engine(args)
    if problem is not None:
        args.usage_error(problem)
    # a terminal's own width; piped, $COLUMNS or the terminal's that stderr or stdin is (or 100)
    console = Console() if sys.stdout.isatty() else Console(width=console_width())
    if args.command == "check":
        return _check(args, console)
    if args.modules:
        return _grade(args, console)
    return _report(args, console)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

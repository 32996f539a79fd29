"""The ``gradcheck`` command.

``gradcheck report [--out DIR] [--thorough]`` checks the built-in reference models' hand-derived
gradients against finite differences and autograd: the one-hidden-layer network for every hidden
activation × a grid of shapes, then every model of the registry over a table of cases (logistic
regression; the L-layer network at depths 1 to 4, sigmoid and softmax outputs, L2, dropout), each
× seeds × finite-difference methods. It prints the relative errors as a table, one row per network
and its options, and writes ``report.html`` (figures embedded), ``report.md`` and ``report.json``
into ``DIR`` (see :mod:`gradcheck.sweep`). Exit status 0 when every check passes, 1 otherwise.

``gradcheck report LEARNER.py [LEARNER.py ...] [--workers N]`` grades learners' modules instead:
a summary table (verdict, wrong gradients, likely mistakes) and the same three files. Exit status
the worst submission's (0 right, 1 wrong, 2 unusable).

``gradcheck check LEARNER.py`` checks a learner's module (the functions of each course notebook it
defines, see :mod:`gradcheck.notebooks`) at several shapes and seeds and prints which notebooks'
functions it found, the verdict, the likely mistake and the first failing report. Exit status 0
right, 1 a gradient is wrong, 2 unusable input.

Both run every module in a child process (:mod:`gradcheck.isolation`) within ``--timeout``
seconds (default 60), ``--memory-limit`` megabytes (default 1024) and ``--output-limit`` bytes of
output (default 1,000,000): a module that hangs, crashes, exits or floods is a verdict, not the
end of the run.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from typing import Any

from rich import box
from rich.console import Console
from rich.progress import Progress
from rich.table import Table
from rich.text import Text

from gradcheck.grading import summary_counts, summary_row
from gradcheck.isolation import Limits, check_isolated
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

__all__ = ["SweepCase", "main", "reference_sweep"]


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
    seeds = range(args.seeds or 2)
    limits = _limits(args)
    # each module runs in its own child process: threads only wait for them
    with ThreadPoolExecutor(args.workers) as pool:
        futures = [pool.submit(check_isolated, path, seeds=seeds, limits=limits) for path in args.modules]
        if console.is_terminal:
            with Progress(console=console, transient=True) as bar:
                task = bar.add_task("grading submissions", total=len(futures))
                for _ in as_completed(futures):
                    bar.advance(task)
        results = [future.result() for future in futures]
    table = Table(box=box.SIMPLE_HEAD, title=f"{len(results)} submissions")
    rows = [summary_row(result) for result in results]
    for column in rows[0]:
        whole = column in ("verdict", "largest relative error")
        table.add_column(column, no_wrap=whole, overflow="fold", min_width=7 if whole else None)
    for row in rows:
        table.add_row(*(_verdict_text(v) if k == "verdict" else v for k, v in row.items()))
    console.print(table)
    paths = write_submissions_report(results, args.out)
    console.print(summary_counts(results)[1], soft_wrap=True)
    console.print("Wrote " + ", ".join(str(path) for path in paths.values()), markup=False, highlight=False)
    return max((result.exit_code for result in results), default=0)


def _check(args: argparse.Namespace, console: Console) -> int:
    result = check_isolated(args.module, seeds=range(args.seeds), limits=_limits(args))
    _print_check(result, console)
    return result.exit_code


def _limits(args: argparse.Namespace) -> Limits:
    return Limits(timeout=args.timeout, memory_mb=args.memory_limit or None, output_bytes=args.output_limit)


def _add_limits(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--timeout", type=float, default=60.0, help="seconds each module may run (default 60)"
    )
    parser.add_argument(
        "--memory-limit",
        type=int,
        default=1024,
        metavar="MB",
        help="megabytes each module may allocate beyond gradcheck's own (default 1024; 0: no limit)",
    )
    parser.add_argument(
        "--output-limit",
        type=int,
        default=1_000_000,
        metavar="BYTES",
        help="bytes each module may print before it is stopped (default 1000000)",
    )


def _print_check(result: ModuleCheck, console: Console) -> None:
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


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``gradcheck`` console script; returns the exit status."""
    parser = argparse.ArgumentParser(
        prog="gradcheck", description=__doc__.splitlines()[0] if __doc__ else None
    )
    commands = parser.add_subparsers(dest="command", required=True)
    report = commands.add_parser(
        "report",
        help="check the reference models' gradients (every model, activation, option) and print the errors",
    )
    report.add_argument(
        "--out",
        default="gradcheck-report",
        help="directory for report.html, report.md, report.json (default ./gradcheck-report)",
    )
    report.add_argument(
        "--thorough",
        action="store_const",
        const="thorough",
        default="default",
        dest="grid",
        help="a bigger grid: more shapes, seeds and model cases (under a minute)",
    )
    report.add_argument(
        "--seeds", type=int, default=None, help="seeds per activation and shape (default: the grid's)"
    )
    report.add_argument("--method", choices=METHODS, default=None, help="only this finite-difference method")
    report.add_argument(
        "modules",
        nargs="*",
        metavar="LEARNER.py",
        help="learners' modules to grade instead of the reference network",
    )
    report.add_argument(
        "--workers", type=int, default=1, help="processes grading submissions at once (default 1)"
    )
    check = commands.add_parser(
        "check",
        help="check a learner's module: the functions of each course notebook it defines (propagate; "
        "forward_propagation, backward_propagation; L_model_forward, L_model_backward; ...)",
    )
    check.add_argument("module", help="the learner's .py file")
    check.add_argument("--seeds", type=int, default=2, help="seeds per shape (default 2)")
    _add_limits(report)
    _add_limits(check)
    args = parser.parse_args(argv)
    if args.seeds is not None and args.seeds < 1:
        parser.error("--seeds must be at least 1")
    if not args.timeout > 0:
        parser.error("--timeout must be a positive number of seconds")
    if args.memory_limit < 0 or args.output_limit < 1:
        parser.error("--memory-limit must be at least 0 (no limit) and --output-limit at least 1")
    # a terminal's own width; piped, $COLUMNS or the terminal's that stderr or stdin is (or 100)
    console = Console() if sys.stdout.isatty() else Console(width=console_width())
    if args.command == "check":
        return _check(args, console)
    if args.workers < 1:
        parser.error("--workers must be at least 1")
    if args.modules:
        return _grade(args, console)
    return _report(args, console)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

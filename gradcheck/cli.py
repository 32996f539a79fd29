"""The ``gradcheck`` command.

``gradcheck report`` checks the built-in reference network's hand-derived gradients against
finite differences and autograd, for every hidden activation over a grid of shapes and seeds,
and prints the relative errors as a table. Exit status 0 when every check passes, 1 otherwise.

``gradcheck check LEARNER.py`` checks a learner's module (the course's functions, see
:mod:`gradcheck.learner`) at several shapes and seeds and prints the verdict, the likely mistake
and the first failing report. Exit status 0 right, 1 a gradient is wrong, 2 unusable input.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from dataclasses import dataclass

from rich import box
from rich.console import Console
from rich.table import Table

from gradcheck.learner import ModuleCheck, check_module
from gradcheck.numerical import Method
from gradcheck.report import GradientReport
from gradcheck.strategies import reference_problem
from gradcheck.verify import verify_gradients
from network.activations import ACTIVATIONS, get_activation
from network.two_layer import PARAMETER_NAMES

__all__ = ["SweepCase", "main", "reference_sweep"]

#: Default grid of (n_x, n_h, n_y, m): the course's planar shape, two and three outputs, one example.
SHAPES: tuple[tuple[int, int, int, int], ...] = ((2, 4, 1, 40), (5, 3, 2, 30), (8, 6, 1, 25), (3, 5, 3, 1))


@dataclass(frozen=True)
class SweepCase:
    """One check of the reference network: its configuration and the report."""

    activation: str
    shape: tuple[int, int, int, int]
    seed: int
    report: GradientReport


def reference_sweep(
    *,
    shapes: Sequence[tuple[int, int, int, int]] = SHAPES,
    seeds: Sequence[int] = (0, 1),
    method: Method = "central",
    scale: float = 0.5,
) -> list[SweepCase]:
    """Check the reference network's ``backward`` for every activation × shape × seed.

    Each case is :func:`gradcheck.strategies.reference_problem` (data, weights of standard
    deviation ``scale``), checked by :func:`gradcheck.verify_gradients` with ``X`` and ``Y`` so
    autograd is compared too.

    Parameters
    ----------
    shapes : sequence of (n_x, n_h, n_y, m)
    seeds : sequence of int
    method : {"central", "forward"}
    scale : float
        Standard deviation of the weights.

    Returns
    -------
    list of SweepCase
    """
    cases = []
    for name in ACTIVATIONS:
        for shape in shapes:
            for seed in seeds:
                problem = reference_problem(shape, get_activation(name), seed=seed, scale=scale)
                report = verify_gradients(
                    problem.cost, problem.parameters, problem.gradients(), problem.X, problem.Y, method=method
                )
                cases.append(SweepCase(name, shape, seed, report))
    return cases


def _error(value: float | None) -> str:
    return "-" if value is None else f"{value:.1e}"


def _report(args: argparse.Namespace, console: Console) -> int:
    cases = reference_sweep(seeds=range(args.seeds), method=args.method)
    table = Table(
        title="Reference network: hand-derived gradients vs finite differences (and autograd)",
        box=box.SIMPLE_HEAD,
    )
    for column in ("activation", "n_x,n_h,n_y,m", "seed"):
        table.add_column(column, no_wrap=True)
    for name in PARAMETER_NAMES:
        table.add_column(f"d{name}", justify="right", no_wrap=True)
    table.add_column("max vs autograd", justify="right", no_wrap=True)
    table.add_column("verdict", no_wrap=True)
    for case in cases:
        reference = [r.reference_error for r in case.report if r.reference_error is not None]
        table.add_row(
            case.activation,
            ",".join(map(str, case.shape)),
            str(case.seed),
            *(_error(case.report[name].relative_error) for name in PARAMETER_NAMES),
            _error(max(reference)) if reference else "-",
            "ok" if case.report.passed else "WRONG",
        )
    console.print(table)
    wrong = [case for case in cases if not case.report.passed]
    console.print(
        f"{len(cases) - len(wrong)} of {len(cases)} checks passed ({args.method} differences; "
        "columns: block relative error ‖a − n‖/(‖a‖ + ‖n‖) against finite differences)."
    )
    for case in wrong:
        console.print(f"{case.activation} {case.shape} seed {case.seed}:\n{case.report}")
    return 0 if not wrong else 1


def _check(args: argparse.Namespace, console: Console) -> int:
    result = check_module(args.module, seeds=range(args.seeds))
    _print_check(result, console)
    return result.exit_code


def _print_check(result: ModuleCheck, console: Console) -> None:
    if result.verdict == "unusable":
        console.print(f"UNUSABLE {result.path}: {result.problem}", markup=False, highlight=False)
        return
    table = Table(
        box=box.SIMPLE_HEAD, title=f"{result.path}: gradients at {len(result.configurations)} points"
    )
    for column in ("n_x,n_h,n_y,m", "seed", "wrong gradients", "likely mistake", "verdict"):
        table.add_column(column, no_wrap=column != "likely mistake")
    for configuration in result.configurations:
        report = configuration.report
        assert report is not None
        wrong = ", ".join(r.label for r in report.failed) or "-"
        likely = report.diagnosis.code if report.diagnosis is not None else "-"
        table.add_row(
            ",".join(map(str, configuration.shape)),
            str(configuration.seed),
            wrong,
            likely,
            "ok" if report.passed else "WRONG",
        )
    console.print(table)
    failure = result.first_failure
    if failure is None:
        console.print(f"RIGHT: every gradient of {result.path} matches at every point.")
        return
    assert failure.report is not None
    console.print(f"WRONG: first failure at (n_x, n_h, n_y, m) = {failure.shape}, seed {failure.seed}:")
    console.print(str(failure.report).rstrip(), markup=False, highlight=False)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``gradcheck`` console script; returns the exit status."""
    parser = argparse.ArgumentParser(
        prog="gradcheck", description=__doc__.splitlines()[0] if __doc__ else None
    )
    commands = parser.add_subparsers(dest="command", required=True)
    report = commands.add_parser(
        "report", help="check the reference network's gradients for every activation and print the errors"
    )
    report.add_argument("--seeds", type=int, default=2, help="seeds per activation and shape (default 2)")
    report.add_argument("--method", choices=("central", "forward"), default="central")
    check = commands.add_parser(
        "check", help="check a learner's module (forward_propagation, backward_propagation, compute_cost)"
    )
    check.add_argument("module", help="the learner's .py file")
    check.add_argument("--seeds", type=int, default=2, help="seeds per shape (default 2)")
    args = parser.parse_args(argv)
    if args.seeds < 1:
        parser.error("--seeds must be at least 1")
    console = Console() if sys.stdout.isatty() else Console(width=130)
    if args.command == "check":
        return _check(args, console)
    return _report(args, console)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

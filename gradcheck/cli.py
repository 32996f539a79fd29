"""The ``gradcheck`` command.

``gradcheck report`` checks the built-in reference network's hand-derived gradients against
finite differences and autograd, for every hidden activation over a grid of shapes and seeds,
and prints the relative errors as a table. Exit status 0 when every check passes, 1 otherwise.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from rich import box
from rich.console import Console
from rich.table import Table

from gradcheck.numerical import Method
from gradcheck.report import GradientReport
from gradcheck.verify import verify_gradients
from network.activations import ACTIVATIONS
from network.two_layer import PARAMETER_NAMES, backward, cost_from_logits, forward, initialize_parameters

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

    Each case draws ``X ~ N(0, 1)`` (n_x, m), labels ``Y ∈ {0, 1}`` (n_y, m), weights
    ``scale · N(0, 1)`` and biases ``0.1 · N(0, 1)`` from ``numpy.random.default_rng(seed)``, then
    runs :func:`gradcheck.verify_gradients` with ``X`` and ``Y`` so autograd is compared too.

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
            n_x, n_h, n_y, m = shape
            for seed in seeds:
                rng = np.random.default_rng(seed)
                X = rng.standard_normal((n_x, m))
                Y = (rng.random((n_y, m)) < 0.5).astype(np.float64)
                parameters = initialize_parameters(n_x, n_h, n_y, seed=seed, scale=scale)
                parameters["b1"] = 0.1 * rng.standard_normal((n_h, 1))
                parameters["b2"] = 0.1 * rng.standard_normal((n_y, 1))
                _, cache = forward(X, parameters, name)
                gradients = backward(parameters, cache, X, Y, name)

                def cost_fn(
                    p: dict[str, np.ndarray], X: np.ndarray = X, Y: np.ndarray = Y, g: str = name
                ) -> float:
                    return float(cost_from_logits(forward(X, p, g)[1]["Z2"], Y))

                report = verify_gradients(cost_fn, parameters, gradients, X, Y, method=method)
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
    args = parser.parse_args(argv)
    if args.seeds < 1:
        parser.error("--seeds must be at least 1")
    console = Console() if sys.stdout.isatty() else Console(width=130)
    return _report(args, console)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

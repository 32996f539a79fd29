"""How close correct gradients come to the pass rule's tolerance.

For generated reference-network problems (every activation, shapes up to (6, 5, 3, 12), weight
scales 0.05 to 2, hypothesis-drawn seeds), the hand-derived gradients are checked with
``safety=1`` and the largest ``|a_i - n_i| / τ_i`` is recorded. The default ``safety=100``
then leaves a margin of 100 / max. Also records the block relative errors seen against finite
differences and against autograd.

Usage: python bench/tolerance_margin.py [EXAMPLES]   (default 1500)
"""

import sys

import numpy as np
from hypothesis import HealthCheck, given, settings

from gradcheck import verify_gradients
from gradcheck.strategies import problems

ratios: list[float] = []
fd_errors: list[float] = []
autograd_errors: list[float] = []
worst: list[str] = []


def main(examples: int) -> None:
    @settings(max_examples=examples, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(problems())
    def measure(problem):  # type: ignore[no-untyped-def]
        report = verify_gradients(
            problem.cost,
            problem.parameters,
            problem.gradients(),
            problem.X,
            problem.Y,
            activation=problem.activation,
            safety=1.0,
        )
        ratio = max(abs(r.worst_analytic - r.worst_numeric) / max(r.worst_tolerance, 1e-300) for r in report)
        if not ratios or ratio > max(ratios):
            worst.clear()
            worst.append(
                f"{problem.activation} seed={problem.seed} scale={problem.scale} shape={problem.shape}"
            )
            worst.append(str(report))
        ratios.append(ratio)
        fd_errors.extend(r.relative_error for r in report)
        autograd_errors.extend(r.reference_error for r in report if r.reference_error is not None)

    measure()
    q = [50, 99, 100]
    print(f"examples: {len(ratios)}")
    print("max |a-n|/tau at safety=1, percentiles 50/99/100:", np.percentile(ratios, q))
    print(f"margin of the default safety=100: {100 / max(ratios):.1f}x")
    print("closest case:", *worst, sep="\n")
    print("block relative error vs finite differences, percentiles 50/99/100:", np.percentile(fd_errors, q))
    print("block relative error vs autograd, percentiles 50/99/100:", np.percentile(autograd_errors, q))


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1500)

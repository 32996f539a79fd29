"""How close correct gradients come to each pass rule's tolerance.

For generated reference-network problems (every activation, shapes up to (6, 5, 3, 12), weight
scales 0.05 to 2, hypothesis-drawn seeds, ReLU points kept 1e-4 off their kinks), the
hand-derived gradients are judged with ``safety=1`` by each opinion gradcheck uses, and the
largest ``|a − n| / τ`` is recorded per problem:

* entry by entry against central differences (``mode="exhaustive"``);
* along two random directions through every block (``gradcheck.directional.check_direction``);
* entry by entry against the exact reference (autograd), ``τ = ε (|a| + M) + ε (|a| + max(G, 1))``.

The default ``safety=100`` leaves a margin of 100 / max for each. Also records the block
relative errors seen against finite differences and against autograd.

Usage: python bench/tolerance_margin.py [EXAMPLES]   (default 1500)
"""

import sys

import numpy as np
from hypothesis import HealthCheck, given, settings

from gradcheck import verify_gradients
from gradcheck.compare import tolerance
from gradcheck.directional import check_direction
from gradcheck.numerical import CostProbe
from gradcheck.recognise import recognise
from gradcheck.strategies import problems

ratios: dict[str, list[float]] = {"finite differences": [], "directions": [], "reference": []}
fd_errors: list[float] = []
autograd_errors: list[float] = []
worst: dict[str, str] = {}


def record(kind: str, ratio: float, label: str) -> None:
    if not ratios[kind] or ratio > max(ratios[kind]):
        worst[kind] = label
    ratios[kind].append(ratio)


def main(examples: int) -> None:
    @settings(max_examples=examples, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(problems())
    def measure(problem):  # type: ignore[no-untyped-def]
        label = f"{problem.activation.name} seed={problem.seed} scale={problem.scale} shape={problem.shape}"
        grads = problem.gradients()
        report = verify_gradients(problem.cost, problem.parameters, grads, mode="exhaustive", safety=1.0)
        record(
            "finite differences",
            max(abs(r.worst_analytic - r.worst_numeric) / max(r.worst_tolerance, 1e-300) for r in report),
            label,
        )
        fd_errors.extend(r.relative_error for r in report)
        analytic = {name: grads[f"d{name}"] for name in problem.parameters}
        probe = CostProbe.at(problem.cost, problem.parameters)
        scale = max(float(np.max(np.abs(a))) for a in analytic.values())
        eps = {name: float(np.finfo(np.float64).eps) for name in analytic}
        rng = np.random.default_rng(problem.seed % 2**32)
        joint = [
            check_direction(probe, analytic, rng, analytic_eps=eps, scale=scale, safety=1.0) for _ in range(2)
        ]
        record("directions", max(abs(j.mismatch) / j.tolerance for j in joint), label)
        match = recognise(problem.cost, probe.point, problem.X, problem.Y, activation=problem.activation)
        assert match is not None, label
        excess = 0.0
        for name, a in analytic.items():
            exact = match.gradient[name]
            tau = tolerance(
                a, eps[name] * match.magnitude[name], analytic_eps=eps[name], scale=scale, safety=1.0
            )
            excess = max(excess, float(np.max(np.abs(a - exact) / tau)))
            autograd_errors.append(
                float(np.linalg.norm(a - exact) / max(np.linalg.norm(a) + np.linalg.norm(exact), 1e-300))
            )
        record("reference", excess, label)

    measure()
    q = [50, 99, 100]
    print(f"examples: {len(ratios['reference'])}")
    for kind, values in ratios.items():
        print(f"{kind}: max |a-n|/tau at safety=1, percentiles 50/99/100: {np.percentile(values, q)}")
        print(f"  margin of the default safety=100: {100 / max(values):.1f}x; closest: {worst[kind]}")
    print("block relative error vs finite differences, percentiles 50/99/100:", np.percentile(fd_errors, q))
    print("block relative error vs autograd, percentiles 50/99/100:", np.percentile(autograd_errors, q))


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1500)

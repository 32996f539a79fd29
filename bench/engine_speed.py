"""The engine's own speed, for comparing two checkouts of gradcheck in one run.

Times ``verify_gradients`` on the cat-sized network (12288, 7, 1, 209) in the default mode, right
and with one wrong entry, and on the medium network (64, 32, 1, 256) exhaustively and sampled;
prints one JSON line of median seconds, evaluations and the engine's own seconds (the total less
the time spent inside the cost, which dominates at cat size and varies most with the machine's
load). Run it with two interpreters, alternating,
so that the machine's noise falls on both alike::

    python bench/engine_speed.py --compare OTHER_PYTHON --rounds 5

``OTHER_PYTHON`` is the interpreter of another checkout's environment (e.g. the one before a
refactor); the table gives each case's median time under both and their ratio.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

import numpy as np

SIZES = {"cat": (12288, 7, 209), "medium": (64, 32, 256)}


def problem(n_x: int, n_h: int, m: int) -> tuple[object, dict[str, np.ndarray], dict[str, np.ndarray]]:
    """The tanh network of bench/checkers.py, cost written on logits; its hand-derived gradients."""
    rng = np.random.default_rng(0)
    X = rng.standard_normal((n_x, m)) / np.sqrt(n_x)
    Y = (rng.random((1, m)) < 0.5).astype(float)
    p = {
        "W1": rng.standard_normal((n_h, n_x)) * 0.5,
        "b1": rng.standard_normal((n_h, 1)) * 0.1,
        "W2": rng.standard_normal((1, n_h)) * 0.5,
        "b2": rng.standard_normal((1, 1)) * 0.1,
    }

    def cost(q: dict[str, np.ndarray]) -> float:
        Z2 = q["W2"] @ np.tanh(q["W1"] @ X + q["b1"]) + q["b2"]
        return float(np.mean(np.logaddexp(0.0, Z2) - Y * Z2))

    A1 = np.tanh(p["W1"] @ X + p["b1"])
    dZ2 = 1.0 / (1.0 + np.exp(-(p["W2"] @ A1 + p["b2"]))) - Y
    dZ1 = (p["W2"].T @ dZ2) * (1.0 - A1**2)
    grads = {
        "dW1": dZ1 @ X.T / m,
        "db1": dZ1.sum(axis=1, keepdims=True) / m,
        "dW2": dZ2 @ A1.T / m,
        "db2": dZ2.sum(axis=1, keepdims=True) / m,
    }
    return cost, p, grads


def measure(reps: int) -> dict[str, tuple[float, int]]:
    """Median seconds and evaluations per case, in this interpreter."""
    from gradcheck import verify_gradients

    cases = {}
    cat = problem(*SIZES["cat"])
    medium = problem(*SIZES["medium"])
    wrong = dict(cat[2])
    wrong["dW1"] = cat[2]["dW1"].copy()
    wrong["dW1"][3, 1000] += 0.05 * float(np.max(np.abs(wrong["dW1"])))
    cases["cat default, right"] = (cat[0], cat[1], cat[2], {})
    cases["cat default, one wrong entry"] = (cat[0], cat[1], wrong, {})
    cases["medium exhaustive"] = (medium[0], medium[1], medium[2], {"mode": "exhaustive"})
    cases["medium sampled"] = (medium[0], medium[1], medium[2], {"mode": "sampled"})
    out = {}
    for name, (cost, p, grads, options) in cases.items():
        times, engine, evaluations = [], [], 0
        for _ in range(reps):
            timed = Timed(cost)
            start = time.perf_counter()
            report = verify_gradients(timed, p, grads, **options)
            times.append(time.perf_counter() - start)
            engine.append(times[-1] - timed.seconds)
            evaluations = report.evaluations
        out[name] = (statistics.median(times), evaluations, statistics.median(engine))
    return out


class Timed:
    """The cost, adding up the seconds spent inside it."""

    def __init__(self, cost: object) -> None:
        self.cost, self.seconds = cost, 0.0

    def __call__(self, q: dict[str, np.ndarray]) -> float:
        start = time.perf_counter()
        try:
            return float(self.cost(q))  # type: ignore[operator]
        finally:
            self.seconds += time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--reps", type=int, default=3, help="runs per case in one measurement")
    parser.add_argument("--rounds", type=int, default=5, help="alternations between the interpreters")
    parser.add_argument("--compare", help="the other checkout's python")
    parser.add_argument("--measure", action="store_true", help="print this interpreter's JSON line")
    options = parser.parse_args()
    if options.measure or not options.compare:
        print(json.dumps(measure(options.reps)))
        return
    runs: dict[str, list[dict[str, list[float]]]] = {"this": [], "other": []}
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}  # no contention between them
    for _ in range(options.rounds):
        for label, python in (("this", sys.executable), ("other", options.compare)):
            out = subprocess.run(
                [python, __file__, "--measure", "--reps", str(options.reps)],
                check=True,
                capture_output=True,
                text=True,
                env=env,
            )
            runs[label].append(json.loads(out.stdout.strip().splitlines()[-1]))
    print("| case | evaluations (this, other) | total s this / other | engine s this / other | ratio |")
    print("|---|---|---:|---:|---:|")
    for case in runs["this"][0]:
        total = [statistics.median(r[case][0] for r in runs[side]) for side in ("this", "other")]
        engine = [statistics.median(r[case][2] for r in runs[side]) for side in ("this", "other")]
        counts = f"{runs['this'][0][case][1]}, {runs['other'][0][case][1]}"
        print(
            f"| {case} | {counts} | {total[0]:.4f} / {total[1]:.4f} | {engine[0]:.4f} / {engine[1]:.4f} "
            f"| {engine[0] / engine[1]:.2f} |"
        )


if __name__ == "__main__":
    main()

"""The engine's own speed, for comparing two checkouts of gradcheck in one run.

Times ``verify_gradients`` on the cat-sized network (12288, 7, 1, 209) in the default mode, right
and with one wrong entry, and on the medium network (64, 32, 1, 256) exhaustively and sampled;
prints one JSON line of median seconds and evaluations. Run it with two interpreters, alternating,
so that the machine's noise falls on both alike::

    python bench/engine_speed.py --compare OTHER_PYTHON --rounds 5

``OTHER_PYTHON`` is the interpreter of another checkout's environment (e.g. the one before a
refactor); the table gives each case's median time under both and their ratio.
"""

from __future__ import annotations

import argparse
import json
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
        times, evaluations = [], 0
        for _ in range(reps):
            start = time.perf_counter()
            report = verify_gradients(cost, p, grads, **options)
            times.append(time.perf_counter() - start)
            evaluations = report.evaluations
        out[name] = (statistics.median(times), evaluations)
    return out


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
    for _ in range(options.rounds):
        for label, python in (("this", sys.executable), ("other", options.compare)):
            out = subprocess.run(
                [python, __file__, "--measure", "--reps", str(options.reps)],
                check=True,
                capture_output=True,
                text=True,
            )
            runs[label].append(json.loads(out.stdout.strip().splitlines()[-1]))
    print("| case | this checkout s | other checkout s | this / other | evaluations (this, other) |")
    print("|---|---:|---:|---:|---|")
    for case in runs["this"][0]:
        mine = statistics.median(r[case][0] for r in runs["this"])
        theirs = statistics.median(r[case][0] for r in runs["other"])
        counts = f"{runs['this'][0][case][1]}, {runs['other'][0][case][1]}"
        print(f"| {case} | {mine:.4f} | {theirs:.4f} | {mine / theirs:.2f} | {counts} |")


if __name__ == "__main__":
    main()

"""How often a check catches one wrong entry: directional mode against the exhaustive one and the course's.

The problem is issue 17's: a Week 3 network (n_x = 100, n_h = 12, m = 20: 1,225 parameters, so the
default mode checks along directions), tanh hidden layer, the course's initialisation
(``randn * 0.01``, zero biases), ``X ~ randn``, random labels, the course's cost on ``A2``, one
seed per problem. The gradients come from the course's hand-derived backward pass
(tests/fixtures/my_course_code.py); then one entry of one gradient is multiplied by ``1 + δ``.

**A one-entry error of δ**: the entry is drawn uniformly among its block's *typical* entries, those
within 10 times of the block's median magnitude, whose error ``δ |a_i|`` is at least
:data:`VISIBLE` (1e-8: about twice what the entry-by-entry check resolves on this cost, whose
tolerance is ``100 (σ/h + h² G) ≈ 4e-9``; smaller errors are below finite differences' reach
whatever the mode). Blocks without such an entry are skipped for that seed, and counted.

Each planted error is judged three ways, with the same gradients:

* ``auto``: ``verify_gradients(cost, parameters, grads)``, directional here (seed = the problem's);
* ``exhaustive``: ``mode="exhaustive"``, every entry by central differences;
* the course's check: central differences of every entry at ε = 1e-7, wrong when
  ``‖g − g_approx‖ / (‖g‖ + ‖g_approx‖) > 2e-7`` (the course's threshold).

Correct gradients are judged by all three as well: false alarms per mode.

Usage: python bench/directional_sensitivity.py [--seeds N] [--write docs/benchmarks.md]
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "fixtures"))

from course_network import COURSE_THRESHOLD, TYPICAL, VISIBLE, course_difference  # noqa: E402  (bench/, beside this script)
from markdown_block import replace_block  # noqa: E402  (bench/, beside this script)

from gradcheck import verify_gradients  # noqa: E402
from tests.cases import course_week3  # noqa: E402  (the tests' own course problem)

SHAPE = (100, 12, 20)
DELTAS = (1e-3, 1e-4)
BLOCKS = ("dW1", "db1", "dW2", "db2")


def problem(seed: int) -> tuple[object, dict[str, np.ndarray], dict[str, np.ndarray]]:
    """The cost, the parameters (the course's initialisation) and the hand-derived gradients."""
    return course_week3(np.random.default_rng(seed), *SHAPE)


def planted_entry(gradient: np.ndarray, delta: float, rng: np.random.Generator) -> int | None:
    """A typical entry whose error ``delta |a_i|`` is at least :data:`VISIBLE`, or None."""
    size = np.abs(gradient).reshape(-1)
    median = float(np.median(size))
    typical = (size >= median / TYPICAL) & (size <= median * TYPICAL) & (delta * size >= VISIBLE)
    candidates = np.flatnonzero(typical)
    return int(rng.choice(candidates)) if candidates.size else None


def course_check(cost: object, parameters: dict[str, np.ndarray], grads: dict[str, np.ndarray]) -> bool:
    """The course's gradient check: True when it calls the gradients right."""
    return course_difference(cost, parameters, grads) <= COURSE_THRESHOLD  # type: ignore[arg-type]


def judge(
    cost: object,
    parameters: dict[str, np.ndarray],
    grads: dict[str, np.ndarray],
    block: str | None,
    seed: int,
) -> dict[str, tuple[bool, int]]:
    """Per way of judging: (caught, evaluations); ``block`` None: any gradient called wrong."""
    out = {}
    for mode in ("auto", "exhaustive"):
        report = verify_gradients(cost, parameters, grads, mode=mode, seed=seed)  # type: ignore[arg-type]
        wrong = not report.passed if block is None else not report[block[1:]].passed
        out[mode] = (wrong, report.evaluations)
    total = sum(p.size for p in parameters.values())
    out["course"] = (not course_check(cost, parameters, grads), 2 * total)
    return out


def run(seeds: int) -> str:
    """The result table as Markdown."""
    rows = []
    for delta in DELTAS:
        for block in BLOCKS:
            caught: dict[str, list[bool]] = {"auto": [], "exhaustive": [], "course": []}
            evaluations: list[int] = []
            skipped = 0
            for seed in range(seeds):
                cost, parameters, grads = problem(seed)
                index = planted_entry(grads[block], delta, np.random.default_rng(10_000 + seed))
                if index is None:
                    skipped += 1
                    continue
                wrong = {k: v.copy() for k, v in grads.items()}
                wrong[block].reshape(-1)[index] *= 1.0 + delta
                for mode, (hit, spent) in judge(cost, parameters, wrong, block, seed).items():
                    caught[mode].append(hit)
                    if mode == "auto":
                        evaluations.append(spent)
            n = len(caught["auto"])
            rate = {mode: 100.0 * sum(hits) / n if n else float("nan") for mode, hits in caught.items()}
            rows.append(
                f"| {delta:g} | {block} | {n} ({skipped} skipped) | {rate['auto']:.1f}% | "
                f"{statistics.median(evaluations) if evaluations else 0:.0f} | {rate['exhaustive']:.1f}% | "
                f"{rate['course']:.1f}% |"
            )
        print(rows[-4:], flush=True)
    alarms = {"auto": 0, "exhaustive": 0, "course": 0}
    spent = []
    for seed in range(seeds):
        cost, parameters, grads = problem(seed)
        for mode, (hit, count) in judge(cost, parameters, grads, None, seed).items():
            alarms[mode] += hit
            if mode == "auto":
                spent.append(count)
    rows.append(
        f"| correct | all | {seeds} | false alarms: {alarms['auto']} | {statistics.median(spent):.0f} | "
        f"false alarms: {alarms['exhaustive']} | false alarms: {alarms['course']} |"
    )
    head = (
        f"Week 3 network {SHAPE} (n_x, n_h, m), course initialisation, {seeds} seeds; "
        "`python bench/directional_sensitivity.py --seeds "
        f"{seeds}`.\n\n"
        "| δ | gradient | problems | caught: auto (directional) | evaluations (median) | "
        "caught: exhaustive (2,460 evaluations) | caught: course's check (2,450) |\n"
        "|---|---|---:|---:|---:|---:|---:|"
    )
    return head + "\n" + "\n".join(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=200)
    parser.add_argument("--write", type=Path, help="a Markdown page with a directional-sensitivity block")
    args = parser.parse_args()
    table = run(args.seeds)
    print(table)
    if args.write:
        replace_block(args.write, "directional-sensitivity", table)


if __name__ == "__main__":
    main()

"""The diagnosis confusion table: every catalog mistake x activation x generated configurations.

For each mistake of ``network/mistakes.py`` and each activation it applies to, configurations are
drawn (shapes n_x ≤ 6, n_h ≤ 5, n_y ≤ 3, m ≤ 12; weights 0.3 to 1.5 × N(0, 1); seeded), the mistake's
gradients are checked, and the code each changed gradient gets is counted:

* **with X, Y** — the learner's situation (``verify_gradients`` with X and Y, so the catalog is
  matched at the learner's point);
* **any cost** — no X, Y (only ``m=``): the generic diagnosis alone.

Which gradients a mistake changes is decided by autograd on the learner's cost, independently
of gradcheck: a gradient is *changed* when it differs from autograd's by more than 1e-6 of the
gradient's scale, or has a wrong shape (a harmless one, ``θ − α·grad`` keeping ``θ``'s shape or one
entry for one, is compared reshaped: ``db2`` of shape ``(1,)`` when ``n_y = 1``). Configurations
where the mistake changes nothing visible are counted as ``invisible`` and left out of the rate. A
configuration counts as **named** when every changed gradient fails with the mistake's own code, or
with a code the catalog documents as an alias at that shape (``Mistake.alias``), and no unchanged
gradient fails.

Usage::

    python bench/diagnosis_confusion.py                       # 200 configurations per pair
    python bench/diagnosis_confusion.py --configs 200 --write docs/diagnosis.md
    python bench/diagnosis_confusion.py --write docs/diagnosis.md --examples-only
"""

from __future__ import annotations

import argparse
import collections
import functools
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import autograd
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from gradcheck import verify_gradients
from gradcheck.network.activations import ACTIVATIONS, get_activation
from gradcheck.network.mistakes import CATALOG, Mistake, get_mistake
from gradcheck.network.problems import reference_problem
from gradcheck.network.two_layer import PARAMETER_NAMES, cost, forward

CORRECT = "correct code"
VISIBLE = 1e-6


def configuration(seed: int) -> tuple[tuple[int, int, int, int], float]:
    rng = np.random.default_rng(seed)
    shape = (
        int(rng.integers(1, 7)),
        int(rng.integers(1, 6)),
        int(rng.integers(1, 4)),
        int(rng.integers(1, 13)),
    )
    return shape, float(rng.uniform(0.3, 1.5))


def one(name: str, activation: str, seed: int) -> tuple[str, str, str, str]:
    """``(mistake, activation, outcome with X, Y, outcome for any cost)``; outcome is ``named``,
    ``alias``, ``invisible``, ``skipped`` or the codes given instead."""
    seed += 1_000_000 * list(ACTIVATIONS).index(activation)
    shape, scale = configuration(seed)
    mistake = get_mistake(name) if name != CORRECT else None
    if mistake is not None and not mistake.runs(shape):
        return name, activation, "skipped", "skipped"
    problem = reference_problem(shape, get_activation(activation), seed=seed, scale=scale)
    if mistake is None:
        cost_fn, grads = problem.cost, problem.gradients()
        changed: dict[str, bool] = dict.fromkeys(PARAMETER_NAMES, False)
    else:
        cost_fn = mistake.cost_fn(problem.X, problem.Y, activation)
        grads = mistake.at(problem.parameters, problem.X, problem.Y, activation)
        exact = autograd.grad(cost_fn)({k: v.copy() for k, v in problem.parameters.items()})
        top = max(float(np.max(np.abs(g))) for g in exact.values())
        judged = {n: as_judged(grads[f"d{n}"], problem.parameters[n]) for n in PARAMETER_NAMES}
        changed = {
            n: judged[n].shape != exact[n].shape
            or float(np.max(np.abs(judged[n] - exact[n]))) > VISIBLE * top
            for n in PARAMETER_NAMES
        }
        if not any(changed.values()) and mistake.code is not None:
            return name, activation, "invisible", "invisible"
    codes, _ = ((), "") if mistake is None else mistake.alias(shape)
    own = None if mistake is None else mistake.code
    outcomes = []
    for data in (True, False):
        xy = (problem.X, problem.Y) if data else (None, None)
        report = verify_gradients(cost_fn, problem.parameters, grads, *xy, m=shape[3])
        given = {
            n: (r.diagnosis.code if r.diagnosis is not None else None) if not r.passed else "pass"
            for n, r in report.results.items()
        }
        wrong_unchanged = [given[n] for n in PARAMETER_NAMES if not changed[n] and given[n] != "pass"]
        on_changed = {given[n] for n in PARAMETER_NAMES if changed[n]}
        if mistake is None or not any(changed.values()):
            spurious = [r.diagnosis.code for r in report if r.diagnosis and r.diagnosis.code != "kink"]
            outcomes.append("+".join(sorted(spurious)) if spurious else "named")
        elif not wrong_unchanged and on_changed == {own}:
            outcomes.append("named")
        elif not wrong_unchanged and on_changed <= {own, *codes} and "pass" not in on_changed:
            outcomes.append("alias")
        else:
            outcomes.append("+".join(sorted(str(c) for c in on_changed | set(wrong_unchanged))))
    return name, activation, outcomes[0], outcomes[1]


def as_judged(gradient: object, theta: np.ndarray) -> np.ndarray:
    """In ``θ``'s shape when ``θ − α·grad`` keeps it with ``θ``'s entries, or both have one entry."""
    g = np.asarray(gradient)
    if g.shape == theta.shape or g.size != theta.size:
        return g
    try:
        keeps = g.size == 1 or np.shape(theta - 0.01 * g) == theta.shape
    except ValueError:  # the update does not even broadcast (a transpose)
        keeps = False
    return g.reshape(theta.shape) if keeps else g


def table(results: list[tuple[str, str, str, str]], column: int) -> str:
    rows = collections.defaultdict(collections.Counter)
    for result in results:
        rows[result[0]][result[column]] += 1
    order = [m.name for m in CATALOG] + [CORRECT]
    lines = [
        "| mistake | code | configurations | named | alias | invisible | given instead |",
        "|---|---|---:|---:|---:|---:|---|",
    ]
    for name in order:
        counts = rows.get(name)
        if not counts:
            continue
        code = CORRECT if name == CORRECT else (get_mistake(name).code or "none (alias)")
        counts = counts.copy()
        counts.pop("skipped", None)
        invisible = counts.pop("invisible", 0)
        named, alias = counts.pop("named", 0), counts.pop("alias", 0)
        judged = named + alias + sum(counts.values())
        rate = f"{100.0 * named / judged:.1f}%" if judged else "-"
        alias_rate = f"{100.0 * alias / judged:.1f}%" if judged else "-"
        other = ", ".join(f"{c} ({n})" for c, n in counts.most_common()) or "-"
        label = "`none`" if name == CORRECT else f"`{code}`"
        lines.append(f"| `{name}` | {label} | {judged} | {rate} | {alias_rate} | {invisible} | {other} |")
    return "\n".join(lines)


def example_activation(mistake: Mistake) -> str:
    """The hidden activation a mistake's example report is made under."""
    return next(a for a in ("tanh", "leaky_relu", "sigmoid", "relu", "identity") if a in mistake.activations)


def example_shape(mistake: Mistake) -> tuple[int, int, int, int]:
    """(3, 4, 1, 7), or n_y = 2 for a mistake that is correct code at n_y = 1 (``no_keepdims_db2``)."""
    return (3, 4, 1, 7) if None not in mistake.alias((3, 4, 1, 7))[0] else (3, 4, 2, 7)


def example(mistake: Mistake) -> str:
    """The report a learner sees for this mistake, in the learner form of ``verify_gradients``."""
    activation = example_activation(mistake)
    problem = reference_problem(example_shape(mistake), get_activation(activation), seed=3, scale=0.7)
    m = 7

    def compute_cost(A2, Y, parameters):  # type: ignore[no-untyped-def]
        if mistake.name.startswith("l2"):
            penalty = np.sum(parameters["W1"] ** 2) + np.sum(parameters["W2"] ** 2)
            return cost(A2, Y) + 0.7 / (2 * m) * penalty
        if mistake.name == "sum_cost_mean_gradients":
            return m * cost(A2, Y)
        return cost(A2, Y)

    report = verify_gradients(
        forward=functools.partial(_forward, activation=activation),
        backward=functools.partial(_backward, mistake=mistake.name, activation=activation),
        compute_cost=compute_cost,
        parameters=problem.parameters,
        X=problem.X,
        Y=problem.Y,
    )
    return str(report)


def _forward(X, parameters, activation):  # type: ignore[no-untyped-def]
    return forward(X, parameters, activation)


def _backward(parameters, cache, X, Y, mistake, activation):  # type: ignore[no-untyped-def]
    return get_mistake(mistake).backward(parameters, cache, X, Y, activation)


def examples() -> str:
    parts = []
    for mistake in CATALOG:
        if mistake.code is None:
            continue
        wrote, _ = mistake.describe(example_activation(mistake))[1:]  # the line of the report below
        head = f"#### `{mistake.name}` → `{mistake.code}`\n\nThe learner wrote `{wrote}`."
        parts.append(f"{head}\n\n```text\n{example(mistake).rstrip()}\n```\n")
    return "\n".join(parts)


def replace_between(text: str, marker: str, content: str) -> str:
    start, end = f"<!-- {marker} -->", f"<!-- /{marker} -->"
    head, rest = text.split(start, 1)
    _, tail = rest.split(end, 1)
    return f"{head}{start}\n{content}\n{end}{tail}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--configs", type=int, default=200, help="configurations per mistake and activation")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--write", type=Path, help="update the tables and examples in this Markdown file")
    parser.add_argument("--examples-only", action="store_true", help="with --write: only the example reports")
    args = parser.parse_args()
    if args.examples_only and args.write:
        args.write.write_text(replace_between(args.write.read_text(encoding="utf-8"), "examples", examples()))
        return
    jobs = [
        (mistake.name, activation, seed)
        for mistake in CATALOG
        for activation in mistake.activations
        for seed in range(args.configs)
    ] + [(CORRECT, activation, seed) for activation in CATALOG[0].activations for seed in range(args.configs)]
    started = time.perf_counter()
    with ProcessPoolExecutor(args.workers) as pool:
        results = list(pool.map(one, *zip(*jobs, strict=True), chunksize=16))
    elapsed = time.perf_counter() - started
    with_data, any_cost = table(results, 2), table(results, 3)
    command = f"python bench/diagnosis_confusion.py --configs {args.configs}"
    summary = f"{len(jobs)} configurations x 2 routes in {elapsed:.0f} s (`{command}`)."
    print(
        "With X, Y (the learner's situation):\n\n"
        + with_data
        + "\n\nAny cost (no X, Y; m given):\n\n"
        + any_cost
    )
    print("\n" + summary)
    if args.write:
        text = args.write.read_text(encoding="utf-8")
        text = replace_between(text, "confusion-data", with_data + "\n\n" + summary)
        text = replace_between(text, "confusion-generic", any_cost)
        text = replace_between(text, "examples", examples())
        args.write.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()

"""The diagnosis confusion tables: every catalog mistake x its configurations, for every model.

**The one-hidden-layer network** (``--models two_layer``): for each mistake of
``network/mistakes.py`` and each activation it applies to, configurations are drawn (shapes
n_x ≤ 6, n_h ≤ 5, n_y ≤ 3, m ≤ 12; weights 0.3 to 1.5 × N(0, 1); seeded), the mistake's gradients
are checked, and the code each changed gradient gets is counted:

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

**The L-layer network and logistic regression** (``--models deep``): configurations are drawn per
depth L = 1 to 4, hidden activation (relu, tanh, sigmoid, leaky_relu with α 0.01 or 0.2, the same
in every hidden layer), output (sigmoid, n_L ≤ 3; softmax, 2 ≤ n_L ≤ 3 with one-hot Y) and option
(none; L2 with λ = 0.7 in half the configurations, 0.05, 0.3, 1.5 or 4 in the others; dropout
with keep_prob 0.8 and masks drawn once, then fixed): layer sizes 1 to 5, each a copy of the one
before with probability 0.4 (square W, where ``dA{l}_without_transpose`` and ``cache_of_layer_*``
run), m ≤ 12, weights 0.3 to 1.5 × N(0, 1), biases half that; seeded. Every mistake of
``catalog(network, dims)`` (``network/deep_mistakes.py``), and correct code, is checked through
the general form ``verify_gradients(cost_fn, parameters, gradients, X, Y)`` with the network's
cost from the logits. Logistic regression (``w``, a scalar ``b``; n_x ≤ 6, m ≤ 12) runs its own
``CATALOG`` the same way, with and without L2.

There a gradient is *changed* beyond 1e-6 of the largest gradient (or in shape), the *same*
within 1e-12 of it, and *borderline* in between (it may pass or fail, and if it fails it must get
the mistake's code too): a deep layer's gradient can be small beside the others. Left out of the
rates, and counted apart: ``invisible`` (nothing changed), and ``twin`` (another catalog mistake,
with another code, gives the very same gradients at this configuration, decided on the catalog's
own gradients; the tables name it). The columns:

* **none**, **L2**: the learner's situation. At L = 2 with a sigmoid output and no option the
  one-hidden-layer model is recognised first, with its catalog and then this one: its own column;
* **dropout, masks known**: what a caller holding the masks gets, ``DeepReference(X, Y,
  Network(..., keep_prob=, masks=))`` on the model seam (registered for the check);
* **dropout, cost only**: the general form, whose masks cannot be read from the cost: nothing is
  recognised and the check runs on finite differences alone. *flagged*: the failed gradients are
  exactly the changed ones; *named*: the generic diagnosis gives the mistake's code.

The median time of one check (``verify_gradients``) is reported per depth.

Usage::

    python bench/diagnosis_confusion.py                       # both, about 10 minutes (2 workers)
    python bench/diagnosis_confusion.py --models deep --deep-configs 10 --logistic-configs 200
    python bench/diagnosis_confusion.py --configs 200 --deep-configs 10 --write docs/diagnosis.md
    python bench/diagnosis_confusion.py --write docs/diagnosis.md --examples-only
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import dataclasses
import functools
import os
import statistics
import sys
import textwrap
import time
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import autograd
import autograd.numpy as anp
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from gradcheck import verify_gradients
from gradcheck.network.activations import ACTIVATIONS, get_activation
from gradcheck.network.deep import OUTPUTS, L_model_forward, Network, Steps, backward_steps, exact_cost
from gradcheck.network.deep_mistakes import catalog
from gradcheck.network.deep_model import DeepReference
from gradcheck.network.logistic import CATALOG as LOGISTIC_CATALOG
from gradcheck.network.mistakes import CATALOG, Mistake, get_mistake
from gradcheck.network.models import MODELS
from gradcheck.network.problems import reference_problem
from gradcheck.network.two_layer import PARAMETER_NAMES, cost, forward
from tests.cases import as_judged  # the shape rule, restated from the update, not from gradcheck

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
        parts.append(f"{head}\n\n```text\n{fit_to_page(example(mistake).rstrip())}\n```\n")
    return "\n".join(parts)


#: The characters a code block of the documentation site shows at 1280 px (docs/ruff.toml).
PAGE_WIDTH = 80


def fit_to_page(report: str) -> str:
    """The report with its prose lines wrapped at the page's width, as a narrow terminal shows
    them; the gradients' table (its rule line, the header above it and the rows of the rule's
    width below) is kept as it is, so its columns stay aligned."""
    lines = report.split("\n")
    rule = next((i for i, line in enumerate(lines) if line and set(line) == {"─"}), None)
    table = set()
    if rule is not None:
        table = {rule - 1, rule}
        for i in range(rule + 1, len(lines)):
            if len(lines[i]) != len(lines[rule]):
                break
            table.add(i)
    wrapped = []
    for i, line in enumerate(lines):
        if i in table or len(line) <= PAGE_WIDTH:
            wrapped.append(line)
        else:
            wrapped += textwrap.wrap(line, PAGE_WIDTH, break_long_words=False, break_on_hyphens=False)
    return "\n".join(wrapped)


# -- the L-layer network and logistic regression -------------------------------------------------

DEPTHS = (1, 2, 3, 4)
HIDDEN = ("relu", "tanh", "sigmoid", "leaky_relu")
OPTIONS = ("none", "l2", "dropout")
#: λ of the L2 configurations: the course's 0.7 in half of them, one of the others in the rest.
LAMBDS = (0.05, 0.3, 1.5, 4.0)
KEEP_PROB = 0.8
#: Default configurations per depth, hidden activation, output and option.
DEEP_CONFIGS = 3

#: The columns of the deep tables: the learner's situation per option, and dropout's two routes.
NONE, TWO_LAYER_NONE, L2 = "none", "none, n_y ≥ 1 sigmoid (two-layer model)", "L2"
MASKS, COST_ONLY = "dropout, masks known", "dropout, cost only"
COLUMNS = (NONE, TWO_LAYER_NONE, L2, MASKS, COST_ONLY)

#: ``(model, depth, column, mistake, code, outcome, flagged, seconds, detail)``: see :func:`outcome`.
Record = tuple[str, int, str, str, str, str, bool, float, str]


@dataclasses.dataclass(frozen=True)
class Case:
    """One drawn configuration of the L-layer network: data, point and options."""

    X: np.ndarray
    Y: np.ndarray
    parameters: dict[str, np.ndarray]
    network: Network
    dims: tuple[int, ...]

    @property
    def m(self) -> int:
        return int(self.X.shape[1])

    def cost(self, parameters: dict[str, Any]) -> Any:
        """The learner's cost: the network's cross-entropy (from the logits), L2 and masks included."""
        return exact_cost(self.X, self.Y, parameters, self.network)


def deep_case(L: int, hidden: str, output: str, option: str, seed: int) -> Case:
    """Layer sizes 1 to 5 (n_L ≤ 3, ≥ 2 for softmax), each a copy of the one before with
    probability 0.4 (square W), m ≤ 12, weights 0.3 to 1.5 × N(0, 1), biases half that; λ, the
    leaky ReLU's α (0.01 or 0.2) and the dropout masks (keep_prob 0.8) drawn too."""
    rng = np.random.default_rng(seed)
    dims = [int(rng.integers(1, 6))]
    for layer in range(1, L + 1):
        low, high = (2 if output == "softmax" else 1, 3) if layer == L else (1, 5)
        same = low <= dims[-1] <= high and rng.random() < 0.4
        dims.append(dims[-1] if same else int(rng.integers(low, high + 1)))
    m = int(rng.integers(1, 13))
    scale = float(rng.uniform(0.3, 1.5))
    X = rng.standard_normal((dims[0], m))
    if output == "softmax":
        Y = np.eye(dims[-1])[rng.integers(0, dims[-1], m)].T
    else:
        Y = (rng.random((dims[-1], m)) < 0.5).astype(np.float64)
    parameters: dict[str, np.ndarray] = {}
    for k in range(1, L + 1):
        parameters[f"W{k}"] = scale * rng.standard_normal((dims[k], dims[k - 1]))
        parameters[f"b{k}"] = 0.5 * scale * rng.standard_normal((dims[k], 1))
    alpha = 0.01 if rng.random() < 0.5 else 0.2
    g = get_activation(hidden, alpha=alpha) if hidden == "leaky_relu" else get_activation(hidden)
    lambd = (0.7 if rng.random() < 0.5 else float(rng.choice(LAMBDS))) if option == "l2" else 0.0
    masks = (
        tuple((rng.random((dims[k], m)) < KEEP_PROB).astype(np.float64) for k in range(1, L))
        if option == "dropout"
        else ()
    )
    network = Network((g,) * (L - 1), output, lambd, KEEP_PROB if masks else 1.0, masks)
    return Case(X, Y, parameters, network, tuple(dims))


class _Holder:
    """A model that holds one configuration's masks: what a caller who knows them gets
    (``DeepReference(X, Y, Network(..., keep_prob=, masks=))`` on the model seam)."""

    name = "bench_masks_known"

    def __init__(self, reference: DeepReference) -> None:
        self.reference = reference

    def hints(self, names: Any) -> None:
        return None

    def references(
        self, parameters: Any, X: np.ndarray, Y: np.ndarray, *, activation: Any = None, dropout: Any = None
    ) -> list[Any]:
        return (
            [self.reference]
            if X.shape == self.reference.X.shape and np.array_equal(X, self.reference.X)
            else []
        )

    def example(self, seed: int) -> Any:
        raise NotImplementedError


@contextlib.contextmanager
def masks_known(case: Case) -> Iterator[None]:
    """Put the configuration's masked reference first in the registry for the length of a check."""
    holder = _Holder(DeepReference(case.X, case.Y, case.network))
    before = dict(MODELS)
    MODELS.clear()
    MODELS.update({holder.name: holder, **before})
    try:
        yield
    finally:
        MODELS.clear()
        MODELS.update(before)


#: How a mistake's gradient compares with autograd's: visibly changed (beyond ``VISIBLE`` of the
#: largest gradient, or another shape), the same (within ``IDENTICAL``), or in between.
CHANGED, BORDERLINE, SAME = "changed", "borderline", "same"
IDENTICAL = 1e-12


def kinds(learner: dict[str, Any], exact: dict[str, np.ndarray]) -> dict[str, str]:
    """Each gradient's kind, decided by autograd on the learner's cost (not by gradcheck). A
    borderline gradient (changed by 1e-12 to 1e-6 of the largest) may pass or fail."""
    top = max(float(np.max(np.abs(g))) for g in exact.values())
    out = {}
    for n, right in exact.items():
        mine = as_judged(learner[f"d{n}"], np.asarray(right))  # a harmless shape is its values
        if mine.shape != np.shape(right):
            out[n] = CHANGED
            continue
        gap = float(np.max(np.abs(mine - right)))
        out[n] = CHANGED if gap > VISIBLE * top else SAME if gap <= IDENTICAL * top else BORDERLINE
    return out


def twins(
    name: str, code: str, gradients: dict[str, dict[str, Any]], codes: dict[str, str], top: float
) -> dict[str, list[str]]:
    """The catalog's other mistakes, with another code, whose gradients are this one's at the point
    (within ``IDENTICAL`` of the largest gradient): no checker can tell them apart there."""
    mine = gradients[name]
    out: dict[str, list[str]] = {}
    for other, theirs in gradients.items():
        if other == name or codes.get(other) in (None, code):
            continue
        if all(
            np.shape(mine[k]) == np.shape(theirs[k])
            and float(np.max(np.abs(np.asarray(mine[k]) - np.asarray(theirs[k])), initial=0.0))
            <= IDENTICAL * top
            for k in mine
        ):
            out.setdefault(codes[other], []).append(other)
    return out


def outcome(
    report: Any,
    kind: dict[str, str],
    own: str | None,
    same_as: dict[str, list[str]] | None = None,
) -> tuple[str, bool, str]:
    """``(outcome, flagged, detail)`` of one check. The outcome is ``named`` (every changed gradient
    fails with the mistake's own code, a borderline one passes or gets it too, the others pass),
    ``twin`` (the code of another
    catalog mistake with the very same gradients here, named in ``detail``) or the codes given
    instead. For correct code: ``named`` when nothing failed and nothing but a kink was diagnosed.
    ``flagged``: the failed gradients are the changed ones (borderline ones either way)."""
    given = {
        name: (r.diagnosis.code if r.diagnosis is not None else "no diagnosis") if not r.passed else "pass"
        for name, r in report.results.items()
    }
    failed = {name for name, code in given.items() if code != "pass"}
    flagged = {n for n in failed if kind[n] != BORDERLINE} == {n for n, k in kind.items() if k == CHANGED}
    if own is None:
        spurious = sorted(
            {given[n] for n in failed}
            | {
                r.diagnosis.code
                for r in report.results.values()
                if r.diagnosis and r.diagnosis.code != "kink"
            }
        )
        return ("+".join(spurious) if spurious else "named"), flagged, ""
    wrong_same = {given[n] for n in given if kind[n] == SAME and given[n] != "pass"}
    on_changed = {given[n] for n in given if kind[n] == CHANGED}
    codes = on_changed | {given[n] for n in failed if kind[n] == BORDERLINE}
    if not wrong_same and "pass" not in on_changed:
        if codes == {own}:
            return "named", flagged, ""
        if same_as and codes <= {own, *same_as}:
            return "twin", flagged, ", ".join(n for c in sorted(codes - {own}) for n in same_as[c])
    return "+".join(sorted(str(c) for c in codes | wrong_same)), flagged, ""


def deep_one(L: int, hidden: str, output: str, option: str, seed: int) -> list[Record]:
    """Every mistake of the configuration's catalog, and correct code, checked as the learner would
    (general form with X, Y; with dropout also with the masks known)."""
    case = deep_case(L, hidden, output, option, seed)
    network = case.network
    if option == "dropout":
        columns = [(MASKS, True), (COST_ONLY, False)]
    elif option == "l2":
        columns = [(L2, False)]
    else:
        columns = [(TWO_LAYER_NONE if L == 2 and output == "sigmoid" else NONE, False)]
    exact = autograd.grad(case.cost)({k: v.copy() for k, v in case.parameters.items()})
    top = max(float(np.max(np.abs(g))) for g in exact.values())
    AL, caches = L_model_forward(case.X, case.parameters, network)
    mistakes = {mistake.name: mistake for mistake in catalog(network, case.dims)}
    gradients: dict[str, dict[str, Any]] = {}
    for name, steps in [(CORRECT, Steps()), *((n, mistake.steps) for n, mistake in mistakes.items())]:
        try:
            with np.errstate(all="ignore"):
                grads = backward_steps(AL, case.Y, caches, network, steps)
        except (ValueError, IndexError):  # the learner's code does not run at these shapes
            continue
        gradients[name] = {f"d{n}": np.asarray(grads[f"d{n}"]) for n in case.parameters}
    codes = {name: mistake.code for name, mistake in mistakes.items()}
    records: list[Record] = []
    for name in [CORRECT, *mistakes]:
        mistake = mistakes.get(name)
        own = None if mistake is None else mistake.code
        base = ("deep", L)
        if name not in gradients:
            records += [(*base, column, name, str(own), "skipped", False, 0.0, "") for column, _ in columns]
            continue
        kind = kinds(gradients[name], exact)
        if mistake is not None and CHANGED not in kind.values():
            records += [(*base, column, name, str(own), "invisible", False, 0.0, "") for column, _ in columns]
            continue
        same_as = None if mistake is None else twins(name, mistake.code, gradients, codes, top)
        for column, known in columns:
            started = time.perf_counter()
            with masks_known(case) if known else contextlib.nullcontext():
                report = verify_gradients(case.cost, case.parameters, gradients[name], case.X, case.Y)
            seconds = time.perf_counter() - started
            result, flagged, detail = outcome(report, kind, own, same_as)
            records.append((*base, column, name, str(own), result, flagged, seconds, detail))
    return records


def logistic_one(option: str, seed: int) -> list[Record]:
    """Every mistake of logistic regression's catalog, and correct code: n_x ≤ 6, m ≤ 12, ``w``
    0.3 to 1.5 × N(0, 1), a scalar ``b``; λ as for the L-layer network. With L2, ``transposed_dw``
    is left out as the L-layer catalog leaves its transposes out: ``np.dot(A - Y, X.T) / m +
    (lambd / m) * w`` broadcasts to (n_x, n_x), no longer a transpose."""
    rng = np.random.default_rng(seed)
    n_x, m = int(rng.integers(1, 7)), int(rng.integers(1, 13))
    scale = float(rng.uniform(0.3, 1.5))
    X = rng.standard_normal((n_x, m))
    Y = (rng.random((1, m)) < 0.5).astype(np.float64)
    parameters = {
        "w": scale * rng.standard_normal((n_x, 1)),
        "b": np.array(0.5 * scale * rng.standard_normal()),
    }
    lambd = (0.7 if rng.random() < 0.5 else float(rng.choice(LAMBDS))) if option == "l2" else 0.0
    network = Network((), "sigmoid", lambd)

    def cost(p: dict[str, Any]) -> Any:
        return exact_cost(X, Y, {"W1": anp.transpose(p["w"]), "b1": anp.reshape(p["b"], (1, 1))}, network)

    exact = autograd.grad(cost)({k: v.copy() for k, v in parameters.items()})
    top = max(float(np.max(np.abs(g))) for g in exact.values())
    w, b = parameters["w"], parameters["b"]
    Z = w.T @ X + b
    A = 1.0 / (1.0 + np.exp(-Z))
    column = L2 if option == "l2" else NONE
    right: list[Any] = [
        (CORRECT, None, lambda A, Y, Z: A - Y, lambda X, dz, m: (X @ dz.T / m, np.sum(dz) / m))
    ]
    entries = [e for e in [*right, *LOGISTIC_CATALOG] if not (lambd and e[1] == "transposed")]
    gradients: dict[str, dict[str, Any]] = {}
    for name, _, dz_of, grads_of, *_ in entries:
        dw, db = grads_of(X, dz_of(A, Y, Z), m)
        gradients[name] = {"dw": np.asarray(dw + lambd / m * w if np.shape(dw) == w.shape else dw), "db": db}
    codes = {entry[0]: entry[1] for entry in entries}
    records: list[Record] = []
    for name, own, *_ in entries:
        kind = kinds(gradients[name], exact)
        if own is not None and CHANGED not in kind.values():
            records.append(("logistic", 1, column, name, own, "invisible", False, 0.0, ""))
            continue
        same_as = None if own is None else twins(name, own, gradients, codes, top)
        started = time.perf_counter()
        report = verify_gradients(cost, parameters, gradients[name], X, Y)
        seconds = time.perf_counter() - started
        result, flagged, detail = outcome(report, kind, own, same_as)
        records.append(("logistic", 1, column, name, str(own), result, flagged, seconds, detail))
    return records


def deep_jobs(configs: int) -> list[tuple[int, str, str, str, int]]:
    """``configs`` seeds per depth, hidden activation, output and option (no dropout at L = 1)."""
    jobs = []
    for L in DEPTHS:
        for h, hidden in enumerate(HIDDEN if L > 1 else ("sigmoid",)):
            for o, output in enumerate(OUTPUTS):
                for k, option in enumerate(OPTIONS):
                    if option == "dropout" and L == 1:
                        continue
                    base = 10_000_000 * L + 1_000_000 * h + 100_000 * o + 10_000 * k
                    jobs += [(L, hidden, output, option, base + seed) for seed in range(configs)]
    return jobs


def _row_order(model: str, L: int) -> list[str]:
    """The catalog's names at this depth in the catalog's order (every activation, output, option)."""
    if model == "logistic":
        return [entry[0] for entry in LOGISTIC_CATALOG] + [CORRECT]
    names: dict[str, None] = {}
    masks = tuple(np.ones((3, 1)) for _ in range(L - 1))
    for hidden in HIDDEN if L > 1 else ("sigmoid",):
        for alpha in (0.01, 0.2) if hidden == "leaky_relu" else (None,):
            g = get_activation(hidden, alpha=alpha)
            for output in OUTPUTS:
                network = Network((g,) * (L - 1), output, 0.7, KEEP_PROB, masks)
                names.update(dict.fromkeys(mistake.name for mistake in catalog(network, (3,) * (L + 1))))
    return [*names, CORRECT]


#: Outcomes left out of a rate: the learner's code does not run, the mistake equals correct code
#: at the point, or it equals another catalog mistake (with another code) there.
LEFT_OUT = ("skipped", "invisible", "twin")


def _cell(counts: collections.Counter[str], flags: int, route_only: bool) -> str:
    judged = sum(n for k, n in counts.items() if k not in LEFT_OUT)
    if not judged:
        return "-"
    named = counts["named"]
    if route_only:
        return f"{100.0 * flags / judged:.0f}% / {100.0 * named / judged:.0f}% ({judged})"
    return f"{100.0 * named / judged:.1f}% ({judged})"


def deep_table(records: list[Record], model: str, L: int) -> str:
    """One table per depth: a row per mistake, a column per option (named %, configurations)."""
    mine = [r for r in records if r[0] == model and r[1] == L]
    columns = [c for c in COLUMNS if any(r[2] == c for r in mine)]
    cells: dict[tuple[str, str], collections.Counter[str]] = collections.defaultdict(collections.Counter)
    flags: collections.Counter[tuple[str, str]] = collections.Counter()
    twin: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)
    codes: dict[str, str] = {}
    for _, _, column, name, code, result, flagged, _, detail in mine:
        cells[name, column][result] += 1
        flags[name, column] += flagged and result not in LEFT_OUT
        codes[name] = code
        if result == "twin":
            twin[name][detail] += 1
    order = [n for n in _row_order(model, L) if n in codes] + sorted(set(codes) - set(_row_order(model, L)))
    head = [f"{c} (flagged / named)" if c == COST_ONLY else c for c in columns]
    lines = [
        "| mistake | code | " + " | ".join(head) + " | invisible | same as another | given instead |",
        "|---|---|" + "---:|" * len(columns) + "---:|---|---|",
    ]
    for name in order:
        row = [_cell(cells[name, c], flags[name, c], c == COST_ONLY) for c in columns]
        invisible = sum(cells[name, c]["invisible"] for c in columns)
        same = ", ".join(f"`{n}` ({k})" for n, k in twin[name].most_common()) or "-"
        other: collections.Counter[str] = collections.Counter()
        for c in columns:
            if c != COST_ONLY:
                other.update({k: v for k, v in cells[name, c].items() if k not in ("named", *LEFT_OUT)})
        given = ", ".join(f"{c} ({n})" for c, n in other.most_common()) or "-"
        code = "`none`" if name == CORRECT else f"`{codes[name]}`"
        lines.append(f"| `{name}` | {code} | " + " | ".join(row) + f" | {invisible} | {same} | {given} |")
    return "\n".join(lines)


def deep_summary(records: list[Record], model: str, L: int) -> str:
    """The rates over every mistake of a depth, spurious diagnoses and the median check."""
    mine = [r for r in records if r[0] == model and r[1] == L]
    data = [r for r in mine if r[3] != CORRECT and r[2] != COST_ONLY and r[5] not in LEFT_OUT]
    good = sum(r[5] == "named" for r in data)
    same = sum(r[5] == "twin" for r in mine if r[2] != COST_ONLY)
    correct = [r for r in mine if r[3] == CORRECT]
    spurious = sum(r[5] != "named" for r in correct)
    configurations = sum(r[2] != COST_ONLY for r in correct)
    parts = [
        f"{configurations} configurations",
        f"with X, Y: **{100.0 * good / max(1, len(data)):.1f}%** of {len(data)} mistake checks named"
        + (f", {same} left out as the same gradients as another catalog mistake" if same else ""),
        f"correct code: **{spurious} spurious** of {len(correct)} checks",
    ]
    alone = [r for r in mine if r[3] != CORRECT and r[2] == COST_ONLY and r[5] not in LEFT_OUT]
    if alone:
        flagged = sum(r[6] for r in alone)
        named = sum(r[5] == "named" for r in alone)
        parts.append(
            f"dropout, cost only: {100.0 * flagged / len(alone):.1f}% flagged on exactly the changed "
            f"gradients, {100.0 * named / len(alone):.1f}% named (generic diagnosis) of {len(alone)}"
        )
    for label, route in (("median check", lambda c: c != COST_ONLY), ("cost only", lambda c: c == COST_ONLY)):
        seconds = [r[7] for r in mine if r[7] > 0 and route(r[2])]
        if seconds:
            parts.append(f"{label} {1000 * statistics.median(seconds):.0f} ms")
    return "; ".join(parts) + "."


def misses(records: list[Record], model: str, target: float = 95.0) -> str:
    """The mistake x depth x option cells (with X, Y) below ``target`` % named, or that none is."""
    cells: dict[tuple[int, str, str], collections.Counter[str]] = collections.defaultdict(collections.Counter)
    for r in records:
        if r[0] == model and r[2] != COST_ONLY and r[3] != CORRECT and r[5] not in LEFT_OUT:
            cells[r[1], r[2], r[3]][r[5] == "named"] += 1
    low = [
        f"`{name}` at L = {L}, {column}: {100.0 * c[True] / c.total():.1f}% of {c.total()}"
        for (L, column, name), c in sorted(cells.items())
        if 100.0 * c[True] < target * c.total()
    ]
    head = f"{len(cells)} mistake x depth x option cells with X, Y"
    return (
        f"{head}: every one ≥ {target:g}% named."
        if not low
        else f"{head}; below {target:g}%: " + "; ".join(low) + "."
    )


def replace_between(text: str, marker: str, content: str) -> str:
    start, end = f"<!-- {marker} -->", f"<!-- /{marker} -->"
    head, rest = text.split(start, 1)
    _, tail = rest.split(end, 1)
    return f"{head}{start}\n{content}\n{end}{tail}"


def two_layer_section(configs: int, workers: int) -> tuple[str, str, str]:
    """The one-hidden-layer catalog's two tables (with X, Y; any cost) and their summary line."""
    jobs = [
        (mistake.name, activation, seed)
        for mistake in CATALOG
        for activation in mistake.activations
        for seed in range(configs)
    ] + [(CORRECT, activation, seed) for activation in CATALOG[0].activations for seed in range(configs)]
    started = time.perf_counter()
    with ProcessPoolExecutor(workers) as pool:
        results = list(pool.map(one, *zip(*jobs, strict=True), chunksize=16))
    elapsed = time.perf_counter() - started
    command = f"python bench/diagnosis_confusion.py --models two_layer --configs {configs}"
    summary = f"{len(jobs)} configurations x 2 routes in {elapsed:.0f} s (`{command}`)."
    return table(results, 2), table(results, 3), summary


def deep_section(configs: int, logistic_configs: int, workers: int) -> tuple[str, str]:
    """The L-layer network's tables, one per depth, and logistic regression's, each with its summary."""
    jobs = deep_jobs(configs)
    started = time.perf_counter()
    with ProcessPoolExecutor(workers) as pool:
        records = [r for batch in pool.map(deep_one, *zip(*jobs, strict=True)) for r in batch]
        logistic_jobs = [
            (option, 50_000_000 + 1_000_000 * k + seed)
            for k, option in enumerate(("none", "l2"))
            for seed in range(logistic_configs)
        ]
        records += [
            r
            for batch in pool.map(logistic_one, *zip(*logistic_jobs, strict=True), chunksize=8)
            for r in batch
        ]
    elapsed = time.perf_counter() - started
    parts = []
    for L in DEPTHS:
        parts.append(f"**L = {L}** — {deep_summary(records, 'deep', L)}\n\n{deep_table(records, 'deep', L)}")
    command = (
        f"python bench/diagnosis_confusion.py --models deep --deep-configs {configs} "
        f"--logistic-configs {logistic_configs}"
    )
    deep = (
        misses(records, "deep")
        + "\n\n"
        + "\n\n".join(parts)
        + (
            f"\n\n{len(jobs)} configurations of the L-layer network and {len(logistic_jobs)} of logistic "
            f"regression in {elapsed:.0f} s (`{command}`)."
        )
    )
    logistic = (
        f"{misses(records, 'logistic')} {deep_summary(records, 'logistic', 1)}\n\n"
        f"{deep_table(records, 'logistic', 1)}"
    )
    return deep, logistic


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--models",
        nargs="+",
        choices=("two_layer", "deep"),
        default=["two_layer", "deep"],
        help="the catalogs to measure (deep: the L-layer network and logistic regression)",
    )
    parser.add_argument(
        "--configs", type=int, default=200, help="two-layer: configurations per mistake and activation"
    )
    parser.add_argument(
        "--deep-configs",
        type=int,
        default=DEEP_CONFIGS,
        help="L-layer: configurations per depth, hidden activation, output and option",
    )
    parser.add_argument("--logistic-configs", type=int, default=200, help="logistic regression: per option")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--write", type=Path, help="update the tables and examples in this Markdown file")
    parser.add_argument("--examples-only", action="store_true", help="with --write: only the example reports")
    args = parser.parse_args()
    if args.examples_only and args.write:
        args.write.write_text(replace_between(args.write.read_text(encoding="utf-8"), "examples", examples()))
        return
    text = args.write.read_text(encoding="utf-8") if args.write else ""
    if "two_layer" in args.models:
        with_data, any_cost, summary = two_layer_section(args.configs, args.workers)
        print(
            "With X, Y (the learner's situation):\n\n"
            + with_data
            + "\n\nAny cost (no X, Y; m given):\n\n"
            + any_cost
        )
        print("\n" + summary)
        if args.write:
            text = replace_between(text, "confusion-data", with_data + "\n\n" + summary)
            text = replace_between(text, "confusion-generic", any_cost)
            text = replace_between(text, "examples", examples())
    if "deep" in args.models:
        deep, logistic = deep_section(args.deep_configs, args.logistic_configs, args.workers)
        print("\nThe L-layer network:\n\n" + deep + "\n\nLogistic regression:\n\n" + logistic)
        if args.write:
            text = replace_between(text, "confusion-deep", deep)
            text = replace_between(text, "confusion-logistic", logistic)
    if args.write:
        args.write.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()

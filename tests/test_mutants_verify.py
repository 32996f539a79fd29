"""Tests that kill mutants of the verdict code in ``gradcheck/verify.py`` (docs/mutation.md).

The verdict methods of ``_Check`` (``_element``, ``_central``, ``_moved``, ``_kink``, ``_block``)
and ``_diagnose`` are reached through :func:`verify_gradients`; each test sets up a case where one
of their decisions shows in the report. Expected values come from autograd, from a central
difference or a tolerance worked out here by its documented formula, or from the planted change,
never from the code under test.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import autograd
import numpy as np
import pytest

from gradcheck import verify_gradients
from gradcheck.network.activations import get_activation
from gradcheck.numerical import Method
from gradcheck.strategies import Problem, reference_problem

SAFETY = 100.0  # verify_gradients' default
EPS = float(np.finfo(np.float64).eps)
Cost = Callable[[dict[str, np.ndarray]], Any]


def tanh_problem(seed: int = 3) -> Problem:
    return reference_problem((3, 4, 1, 5), get_activation("tanh"), seed=seed, scale=0.8)


def exact(problem: Problem) -> dict[str, np.ndarray]:
    """The exact gradient, by autograd."""
    gradient: dict[str, np.ndarray] = autograd.grad(problem.cost)(
        {k: v.copy() for k, v in problem.parameters.items()}
    )
    return gradient


def exact_keys(problem: Problem) -> dict[str, np.ndarray]:
    return {f"d{k}": v for k, v in exact(problem).items()}


def central(cost_fn, parameters: dict[str, np.ndarray], name: str, index: tuple[int, ...], h: float) -> float:  # type: ignore[no-untyped-def]
    """``(J(θ + h e_i) − J(θ − h e_i)) / 2h``, with the representable step ``(θ + h) − θ``."""
    theta = float(parameters[name][index])
    h = (theta + h) - theta
    plus = {k: v.copy() for k, v in parameters.items()}
    minus = {k: v.copy() for k, v in parameters.items()}
    plus[name][index] += h
    minus[name][index] -= h
    return (float(cost_fn(plus)) - float(cost_fn(minus))) / (2.0 * h)


# -- _element: finite differences confirm, one entry at a time, what the reference rejects -------


def test_an_error_below_fd_resolution_is_left_to_the_reference_and_fd_agrees() -> None:
    """The "blind" rule: 1e-9 off is far beyond the reference's rounding (~1e-14) but well within
    what finite differences resolve (~1e-8); FD, asked about the entry, accepts it."""
    problem = tanh_problem()
    grads = exact_keys(problem)
    dW1 = grads["dW1"].copy()
    dW1[1, 2] += 1e-9
    report = verify_gradients(
        problem.cost, problem.parameters, {**grads, "dW1": dW1}, X=problem.X, Y=problem.Y, mode="directional"
    )
    w1 = report["W1"]
    assert report.reference is not None
    assert not w1.passed and w1.n_failed == 1 and w1.worst_index == (1, 2)
    assert w1.fd_agrees is True and w1.reference_agrees is False
    assert w1.worst_numeric == pytest.approx(exact(problem)["W1"][1, 2], rel=1e-12)
    r = exact(problem)["W1"][1, 2]
    worst = abs(dW1[1, 2] - r) / max(abs(r), abs(dW1[1, 2]))
    assert (
        f"dW1: 1 entries differ from the exact reference gradient by less than finite differences can "
        f"resolve (up to {worst:.2g} relative); the reference (autograd, exact to rounding) decides them"
    ) in report.notes
    assert all(r.passed for r in report if r.name != "W1")


def test_fd_confirms_a_reference_rejection_with_the_callers_step_and_its_tolerance() -> None:
    """With ``step=0.1`` the entry's FD value is the central difference at 0.1 (visibly off the
    exact derivative), and its tolerance is ``safety·(σ/h + h²G + ε(|a| + max(G, 1)))``, where
    the h²G term dominates."""
    problem = tanh_problem()
    truth = exact(problem)
    grads = exact_keys(problem)
    dW1 = grads["dW1"].copy()
    dW1[2, 0] += 1.0
    h = 0.1
    report = verify_gradients(
        problem.cost,
        problem.parameters,
        {**grads, "dW1": dW1},
        X=problem.X,
        Y=problem.Y,
        mode="directional",
        step=h,
    )
    w1 = report["W1"]
    assert not w1.passed and w1.n_failed == 1 and w1.worst_index == (2, 0)
    expected = central(problem.cost, problem.parameters, "W1", (2, 0), h)
    assert abs(expected - truth["W1"][2, 0]) > 1e-6  # the step shows: a default step would not give it
    assert w1.worst_numeric == pytest.approx(expected, rel=1e-9)
    G = max(float(np.max(np.abs(g))) for g in truth.values())
    a = float(dW1[2, 0])
    tau = SAFETY * (h * h * G + EPS * (abs(a) + max(G, 1.0)))  # σ/h is ~1e-15 here
    assert w1.worst_tolerance == pytest.approx(tau, rel=1e-6)
    assert w1.fd_agrees is False and w1.reference_agrees is False


def test_a_wrong_entry_located_by_directions_is_confirmed_with_the_complex_step() -> None:
    """No reference: directions fail, group testing finds the entry, and ``_element`` takes its
    derivative with the asked method (the complex step, whose error needs the value and ε)."""
    rng = np.random.default_rng(0)
    w = rng.uniform(0.5, 1.5, size=(6, 5))

    def cost_fn(p):  # type: ignore[no-untyped-def]
        return np.sum(p["w"] ** 3) / 3.0  # complex-safe; gradient w²

    g = w**2
    g[3, 1] += 0.5
    report = verify_gradients(cost_fn, {"w": w}, {"dw": g}, mode="directional", method="complex")
    result = report["w"]
    assert report.method == "complex"
    assert not result.passed and result.n_failed == 1 and result.worst_index == (3, 1)
    assert result.worst_numeric == pytest.approx(w[3, 1] ** 2, rel=1e-12)
    # the complex step's error estimate 4ε(|n| + max(G, 1)) sits inside the tolerance
    G = float(np.max(np.abs(g)))
    floor = SAFETY * (4 * EPS * (w[3, 1] ** 2 + max(G, 1.0)) + EPS * (abs(g[3, 1]) + max(G, 1.0)))
    assert result.worst_tolerance == pytest.approx(floor, rel=1e-6)


# -- _kink: what investigating a failing entry costs, step by step (its docstring) ----------------


def smooth_case() -> tuple[Cost, np.ndarray, np.ndarray]:
    """``J = Σ exp(w)``: ``|J″| = |J′| ≤ G``, so a central difference's one-sided gap (about
    ``h|J″|``) stays below the gate ``2(4σ/h + hG)``: no sign of a kink at the point."""
    w = np.random.default_rng(1).uniform(-1, 1, size=(3, 4))
    return (lambda p: np.sum(np.exp(p["w"]))), w, np.exp(w)


@pytest.mark.parametrize(
    ("method", "extra"),
    [
        # the gap shows no kink: one central difference at h/16 (2 evaluations); it does not move
        ("central", 2),
        # no gap without central differences: one-sided pairs at h/256, h/16, h (4 evaluations each),
        # none shows a kink, then central differences at h/16 and h/256 (2 each)
        ("forward", 3 * 4 + 2 * 2),
        ("richardson", 3 * 4 + 2 * 2),
    ],
)
def test_a_wrong_entry_off_kinks_costs_what_the_kink_investigation_documents(
    method: Method, extra: int
) -> None:
    cost_fn, w, g = smooth_case()
    right = verify_gradients(cost_fn, {"w": w}, {"dw": g}, method=method)
    bad = g.copy()
    bad[1, 2] += 0.1
    wrong = verify_gradients(cost_fn, {"w": w}, {"dw": bad}, method=method)
    assert right.passed and not wrong.passed
    assert wrong["w"].n_failed == 1 and wrong["w"].worst_index == (1, 2) and wrong["w"].n_kinks == 0
    assert wrong.evaluations - right.evaluations == extra


def relu_case() -> tuple[Cost, np.ndarray]:
    """``J = Σ max(w, 0)`` with ``w[0, 1] = 0``: a kink there, one-sided derivatives 0 and 1."""
    w = np.random.default_rng(2).uniform(0.5, 1.0, size=(3, 4))
    w[0, 1] = 0.0
    return (lambda p: np.sum(np.maximum(p["w"], 0.0))), w


@pytest.mark.parametrize(
    ("value", "passes"), [(0.0, True), (1.0, True), (0.25, True), (2.0, False), (-0.5, False)]
)
def test_on_a_kink_the_one_sided_derivatives_at_h_over_256_decide_in_four_evaluations(
    value: float, passes: bool
) -> None:
    """The central difference is 0.5 (the sides' mean); any other value fails FD and is
    investigated: its gap |1 − 0| is beyond the gate, and the first one-sided pair shows the kink."""
    cost_fn, w = relu_case()
    g = (w > 0).astype(float)
    g[0, 1] = 0.5
    fd_accepts = verify_gradients(cost_fn, {"w": w}, {"dw": g})
    assert fd_accepts.passed and fd_accepts["w"].n_kinks == 0
    g[0, 1] = value
    report = verify_gradients(cost_fn, {"w": w}, {"dw": g})
    assert report.passed is passes
    assert report["w"].n_kinks == (1 if passes else 0)
    assert report["w"].n_failed == (0 if passes else 1)
    assert report.evaluations - fd_accepts.evaluations == 4
    if passes:
        assert report["w"].diagnosis is not None and report["w"].diagnosis.code == "kink"
        assert report["w"].diagnosis.message == kink_message("1 entry of dw")


def kink_message(entries: str) -> str:
    return (
        f"{entries} at a kink (a hidden pre-activation exactly 0): the cost has no derivative there, "
        "and your values lie between the one-sided derivatives, as any slope convention gives. Not a bug."
    )


class Recorder:
    """The cost, recording the offset of each evaluation that moves entry ``index`` alone."""

    def __init__(self, cost_fn, w: np.ndarray, index: tuple[int, int]) -> None:  # type: ignore[no-untyped-def]
        self.cost_fn, self.w, self.index = cost_fn, w, index
        self.offsets: list[float] = []

    def __call__(self, p):  # type: ignore[no-untyped-def]
        moved = np.argwhere(p["w"] != self.w)
        if len(moved) == 1 and tuple(int(i) for i in moved[0]) == self.index:
            self.offsets.append(float(p["w"][self.index] - self.w[self.index]))
        return self.cost_fn(p)


def investigation(cost_fn, w: np.ndarray, right: np.ndarray, wrong: np.ndarray, index, **options):  # type: ignore[no-untyped-def]
    """The offsets the wrong entry's investigation adds to those of a check of the right gradient."""
    before, after = Recorder(cost_fn, w, index), Recorder(cost_fn, w, index)
    verify_gradients(before, {"w": w}, {"dw": right}, **options)
    verify_gradients(after, {"w": w}, {"dw": wrong}, **options)
    extra = list(after.offsets)
    for offset in before.offsets:
        extra.remove(offset)
    return sorted(extra), before.offsets


def pairs(*steps: float) -> list[float]:
    return sorted([s for s in steps] + [-s for s in steps])


@pytest.mark.parametrize(("flip", "step"), [(False, None), (True, None), (False, 1e-2)])
def test_central_differences_off_kinks_look_again_only_at_h_over_16(flip: bool, step: float | None) -> None:
    """The gap shows no kink, so the one check is a central difference at h/16 (h the entry's step).
    A sign flip (a ≈ −n) is no closer to the difference than +0.1. With ``step=1e-2`` the two
    differences are 1e-5 apart (truncation h²J‴/6), within the larger one's own error estimate
    (h²G ≈ 3e-4): the difference has not moved."""
    cost_fn, w, g = smooth_case()
    bad = g.copy()
    bad[1, 2] = -g[1, 2] if flip else g[1, 2] + 0.1
    extra, first = investigation(cost_fn, w, g, bad, (1, 2), step=step)
    h = max(first)
    assert sorted(first) == pairs(h)  # the exhaustive pass: θ ± h
    assert extra == pytest.approx(pairs(h / 16), rel=1e-6)


def test_without_a_gap_the_investigation_takes_one_sided_pairs_at_three_steps_then_two_centrals() -> None:
    """Forward differences give no gap: one-sided derivatives from s and s/2 for s = h/256, h/16, h
    (h the central step), none shows a kink, then central differences at h/16 and h/256."""
    cost_fn, w, g = smooth_case()
    bad = g.copy()
    bad[1, 2] += 0.1
    extra, _ = investigation(cost_fn, w, g, bad, (1, 2), method="forward")
    h = max(extra)
    one_sided = pairs(*(s for d in (256, 16, 1) for s in (h / d, h / d / 2)))
    assert extra == pytest.approx(sorted(one_sided + pairs(h / 16, h / 256)), rel=1e-6)


@pytest.mark.parametrize("step", [None, 1e-3])
def test_on_a_kink_the_first_one_sided_pair_is_taken_at_h_over_256(step: float | None) -> None:
    """h is the entry's step: the default, or the caller's ``step``."""
    cost_fn, w = relu_case()
    g = (w > 0).astype(float)
    g[0, 1] = 0.5
    bad = g.copy()
    bad[0, 1] = 2.0
    extra, first = investigation(cost_fn, w, g, bad, (0, 1), step=step)
    h = max(first)
    assert sorted(first) == pairs(h)
    if step is not None:
        assert h == step
    assert extra == pytest.approx(pairs(h / 256, h / 512), rel=1e-6)


@pytest.mark.parametrize(("value", "passes"), [(1.0, True), (2.0, False)])
def test_a_kink_just_inside_the_step_moves_the_difference_and_a_smaller_step_decides(
    value: float, passes: bool
) -> None:
    """``J = Σ max(w, 0)``, ``w[0, 1] = 0.999e-3``, ``step=1e-3``: θ − h crosses the kink by 1e-6,
    so the central difference is 1 − 5e-4 (beyond its tolerance 100·h²G = 1e-4) and the one-sided
    gap only 1e-3 (below the gate 2hG). At h/16 the difference is 1 (it moved), which the right
    value 1 matches: a pass at a kink. The wrong value 2 is first caught by the gate's check at
    h/16 (it moved), then the one-sided pairs show no kink at the point, and the centrals at h/16
    (already taken) and h/256 do not match it."""
    cost_fn, w = relu_case()
    w[0, 1] = 0.999e-3
    h = 1e-3
    g = np.ones_like(w)
    n = central(cost_fn, {"w": w}, "w", (0, 1), h)
    assert n == pytest.approx(1 - 5e-4, rel=1e-9)
    g_fd = g.copy()
    g_fd[0, 1] = n
    bad = g.copy()
    bad[0, 1] = value
    extra, first = investigation(cost_fn, w, g_fd, bad, (0, 1), step=h)
    assert sorted(first) == pytest.approx(pairs(h), rel=1e-12)  # (θ ± h) − θ, to rounding
    report = verify_gradients(cost_fn, {"w": w}, {"dw": bad}, step=h)
    assert report.passed is passes
    assert report["w"].n_kinks == (1 if passes else 0)
    one_sided = pairs(*(s for d in (256, 16, 1) for s in (h / d, h / d / 2)))
    if passes:  # the gate lets it through; one-sided pairs, then the central at h/16 agrees
        expected = one_sided + pairs(h / 16)
    else:  # the gate's central at h/16, the one-sided pairs, then only h/256 is new
        expected = pairs(h / 16) + one_sided + pairs(h / 256)
    assert extra == pytest.approx(sorted(expected), rel=1e-6)


# -- _block with the reference at kinks: its exact interval decides ------------------------------


def relu_on_kinks() -> tuple[Problem, np.ndarray, np.ndarray]:
    """A ReLU network with ``b1 = 0`` and example 0 all zeros: ``Z1[:, 0] = 0``, every hidden unit
    on its kink there. Only ``b1`` feels it (``W1``'s entries multiply ``X[:, 0] = 0``; ``W2`` and
    ``b2`` see ``A1``, continuous): unit j's one-sided derivatives differ by
    ``jump_j = Σ_{examples on the kink} (W2ᵀ (A2 − Y))_j / m``, worked out here by hand."""
    problem = reference_problem((3, 4, 1, 6), get_activation("relu"), seed=11, scale=1.0)
    X = problem.X.copy()
    X[:, 0] = 0.0
    parameters = {k: v.copy() for k, v in problem.parameters.items()}
    parameters["b1"][:] = 0.0
    problem = Problem(X, problem.Y, parameters, problem.activation, problem.seed, problem.scale)
    Z1 = parameters["W1"] @ X + parameters["b1"]
    A1 = np.maximum(Z1, 0.0)
    A2 = 1.0 / (1.0 + np.exp(-(parameters["W2"] @ A1 + parameters["b2"])))
    C = parameters["W2"].T @ (A2 - problem.Y)
    jump = np.sum(np.where(Z1 == 0, C, 0.0), axis=1, keepdims=True) / X.shape[1]
    assert np.all(np.abs(jump) > 1e-3)  # every unit's kink shows
    end = problem.gradients()["db1"]  # the course's g'(0) = 0: one end of each unit's interval
    return problem, jump, end


def test_with_the_reference_only_entries_on_a_kink_count_as_kinks() -> None:
    problem, _, _ = relu_on_kinks()
    report = verify_gradients(problem.cost, problem.parameters, problem.gradients(), X=problem.X, Y=problem.Y)
    assert report.passed and report.reference is not None
    assert {r.name: r.n_kinks for r in report} == {"W1": 0, "b1": 4, "W2": 0, "b2": 0}
    assert report["b1"].diagnosis is not None and report["b1"].diagnosis.code == "kink"
    assert report["b1"].diagnosis.message == kink_message("4 entries of db1")
    assert all(r.diagnosis is None for r in report if r.name != "b1")


@pytest.mark.parametrize("outside", [False, True])
def test_with_the_reference_a_value_past_the_other_side_of_a_kink_fails(outside: bool) -> None:
    """``db1[j]`` moved by ``jump_j`` takes the other one-sided derivative (any convention passes);
    moved by ``2 jump_j`` it lies outside both and fails, whatever FD says."""
    problem, jump, db1 = relu_on_kinks()
    j = 2
    db1 = db1.copy()
    db1[j, 0] += (2.0 if outside else 1.0) * jump[j, 0]
    report = verify_gradients(
        problem.cost, problem.parameters, {**problem.gradients(), "db1": db1}, X=problem.X, Y=problem.Y
    )
    b1 = report["b1"]
    assert b1.passed is not outside
    if outside:
        assert b1.n_failed == 1 and b1.worst_index == (j, 0) and b1.reference_agrees is False
        assert b1.n_kinks == 3
    else:
        assert b1.n_kinks == 4 and b1.reference_agrees is True
        assert b1.diagnosis is not None and b1.diagnosis.message == kink_message("4 entries of db1")


def test_fd_confirms_only_the_32_worst_reference_rejections_and_the_reference_decides_the_rest() -> None:
    """Directional mode with the reference: 40 entries of dW1 are off (1e-4 to 0.1). FD looks at
    the 32 (``MAX_INVESTIGATED``) the reference rejects most, one entry at a time; the other 8 are
    failed on the reference's word, against its value and its (rounding-sized) tolerance."""
    problem = reference_problem((6, 8, 1, 10), get_activation("tanh"), seed=5, scale=0.8)
    truth = exact(problem)
    grads = {f"d{k}": v for k, v in truth.items()}
    dW1 = grads["dW1"].copy()
    dW1.reshape(-1)[:40] += 1e-4 * 1.2 ** np.arange(40)
    moved: list[tuple[str, tuple[int, ...]]] = []

    def cost_fn(p):  # type: ignore[no-untyped-def]
        changed = [(k, np.argwhere(p[k] != problem.parameters[k])) for k in p]
        changed = [(k, where) for k, where in changed if len(where)]
        if len(changed) == 1 and len(changed[0][1]) == 1:
            moved.append((changed[0][0], tuple(int(i) for i in changed[0][1][0])))
        return problem.cost(p)

    options: dict[str, Any] = {"X": problem.X, "Y": problem.Y, "mode": "directional"}
    assert verify_gradients(cost_fn, problem.parameters, grads, **options).passed
    before = set(moved)
    report = verify_gradients(cost_fn, problem.parameters, {**grads, "dW1": dW1}, **options)
    w1 = report["W1"]
    assert not w1.passed and w1.n_failed == 40 and w1.checked == 40  # all 40 judged, 32 by FD
    assert all(r.passed for r in report if r.name != "W1")
    # (b2, one entry, is moved alone by its own direction check after the joint one failed)
    confirmed = {(name, index) for name, index in set(moved) - before if name == "W1"}
    # the largest excesses |a − r| / τ_ref: the offsets grow 1.2-fold from one entry to the next,
    # far more than the reference's tolerance (ε-sized, ε(|a| + M + max(G, 1))) varies between them
    assert {int(np.ravel_multi_index(index, dW1.shape)) for _, index in confirmed} == set(range(8, 40))
    # the worst entry is judged against the reference: its exact value, a tolerance of rounding size
    assert w1.worst_index is not None and ("W1", w1.worst_index) not in confirmed
    assert w1.worst_numeric == truth["W1"][w1.worst_index]
    assert w1.worst_tolerance is not None and w1.worst_tolerance < 1e-11
    assert w1.fd_agrees is False and w1.reference_agrees is False


def test_near_a_kink_the_smaller_central_difference_is_judged_with_its_own_truncation_error() -> None:
    """``J = Σ max(w, 0) + w³/3`` (w in [0.1, 0.2], so G ≈ 1.04), ``w[0, 1] = 0.015``, ``step=0.04``:
    θ − h crosses the kink, so the central difference is 0.6875 + θ² + h²/3, 0.31 below the true
    1 + θ², beyond its tolerance 100·h²G ≈ 0.17. No one-sided pair shows a kink at the point; the
    central difference at h/16 does not cross it and gives 1 + θ² + (h/16)²/3: off by 2e-6, which
    its error estimate's h²G term (6.5e-6 before the safety factor) covers. A pass, at a kink."""
    w = np.random.default_rng(4).uniform(0.1, 0.2, size=(2, 3))
    w[0, 1] = 0.015

    def cost_fn(p):  # type: ignore[no-untyped-def]
        return np.sum(np.maximum(p["w"], 0.0) + p["w"] ** 3 / 3.0)

    h = 0.04
    right = 1.0 + w**2
    assert central(cost_fn, {"w": w}, "w", (0, 1), h) == pytest.approx(
        0.6875 + w[0, 1] ** 2 + h**2 / 3, rel=1e-9
    )
    report = verify_gradients(cost_fn, {"w": w}, {"dw": right}, step=h)
    assert report.passed, str(report)
    assert report["w"].n_kinks == 1


def test_entries_below_fd_resolution_beyond_the_32_fd_looks_at_still_fail_on_the_reference() -> None:
    """40 entries of dW1 off by 1e-10 to 1e-9: the reference rejects them all, FD (asked about the
    32 worst) accepts them, not resolving the difference. FD vouching for them is no reason to let
    the other 8 pass: they are smaller still, and the reference decides all 40."""
    problem = reference_problem((6, 8, 1, 10), get_activation("tanh"), seed=5, scale=0.8)
    grads = exact_keys(problem)
    dW1 = grads["dW1"].copy()
    dW1.reshape(-1)[:40] += np.linspace(1e-10, 1e-9, 40)
    report = verify_gradients(
        problem.cost, problem.parameters, {**grads, "dW1": dW1}, X=problem.X, Y=problem.Y, mode="directional"
    )
    w1 = report["W1"]
    assert not w1.passed and w1.n_failed == 40
    assert w1.reference_agrees is False  # (the 8 FD never looked at count as FD-rejected too)
    assert any(
        note.startswith("dW1: 32 entries differ from the exact reference gradient") for note in report.notes
    )


def test_a_miss_as_large_as_the_gap_is_investigated_in_full() -> None:
    """Central differences average the sides, so a miss |a − n| up to the one-sided gap
    ``|D₊ − D₋|`` (plus τ) may be a kink's doing: a = n + gap, worked out here from the cost at θ
    and θ ± h, is investigated in full (no shortcut at h/16), and still fails."""
    cost_fn, w, g = smooth_case()
    index = (1, 2)
    first = Recorder(cost_fn, w, index)
    verify_gradients(first, {"w": w}, {"dw": g})
    h = max(first.offsets)
    plus, minus = w.copy(), w.copy()
    plus[index] += h
    minus[index] -= h
    J, J_plus, J_minus = (float(cost_fn({"w": x})) for x in (w, plus, minus))
    n = (J_plus - J_minus) / (2.0 * h)
    gap = abs((J_plus - J) - (J - J_minus)) / h
    bad = g.copy()
    bad[index] = n + gap
    extra, _ = investigation(cost_fn, w, g, bad, index)
    one_sided = pairs(*(s for d in (256, 16, 1) for s in (h / d, h / d / 2)))
    assert extra == pytest.approx(sorted(one_sided + pairs(h / 16, h / 256)), rel=1e-6)
    assert not verify_gradients(cost_fn, {"w": w}, {"dw": bad}).passed


def test_with_the_reference_an_entry_both_opinions_reject_is_not_investigated_for_a_kink() -> None:
    """The reference's exact interval already decides at kinks: FD's step-by-step investigation is
    only for entries FD rejects and the reference does not. An entry both reject costs nothing
    beyond the exhaustive pass (θ ± h)."""
    problem = tanh_problem()
    grads = exact_keys(problem)
    dW1 = grads["dW1"].copy()
    dW1[0, 1] += 0.1
    moved: list[float] = []

    def cost_fn(p):  # type: ignore[no-untyped-def]
        if all(np.array_equal(p[k], problem.parameters[k]) for k in p if k != "W1"):
            differs = np.argwhere(p["W1"] != problem.parameters["W1"])
            if len(differs) == 1 and tuple(int(i) for i in differs[0]) == (0, 1):
                moved.append(float(p["W1"][0, 1] - problem.parameters["W1"][0, 1]))
        return problem.cost(p)

    report = verify_gradients(cost_fn, problem.parameters, {**grads, "dW1": dW1}, X=problem.X, Y=problem.Y)
    w1 = report["W1"]
    assert not w1.passed and w1.n_failed == 1 and w1.worst_index == (0, 1)
    assert w1.fd_agrees is False and w1.reference_agrees is False
    h = max(moved)
    assert sorted(moved) == pairs(h)


@pytest.mark.parametrize(("wrong", "extra"), [(32, 32 * 2), (33, 0)])
def test_up_to_32_failing_entries_are_investigated_for_kinks_and_no_more(wrong: int, extra: int) -> None:
    """``MAX_INVESTIGATED`` = 32: each of up to 32 failing entries costs its check at h/16 (off
    kinks, 2 evaluations); a block wrong in 33 places is not searched for kinks at all."""
    w = np.random.default_rng(6).uniform(-1, 1, size=(6, 8))

    def cost_fn(p):  # type: ignore[no-untyped-def]
        return np.sum(np.exp(p["w"]))

    g = np.exp(w)
    bad = g.copy()
    bad.reshape(-1)[:wrong] += 0.1
    right = verify_gradients(cost_fn, {"w": w}, {"dw": g})
    report = verify_gradients(cost_fn, {"w": w}, {"dw": bad})
    assert right.passed and report["w"].n_failed == wrong
    assert report.evaluations - right.evaluations == extra


# -- _block without the reference, along directions: group testing, then FD entry by entry --------


def cubic_block() -> tuple[Cost, np.ndarray, np.ndarray]:
    """``J = Σ w³/3`` on a 6×8 block (gradient w²) with 5 entries off by 0.5."""
    w = np.random.default_rng(0).uniform(0.5, 1.5, size=(6, 8))
    bad = w**2
    bad.reshape(-1)[[3, 10, 17, 30, 41]] += 0.5
    return (lambda p: np.sum(p["w"] ** 3) / 3.0), w, bad


def test_group_testing_finds_the_wrong_entries_and_fd_checks_just_those() -> None:
    cost_fn, w, bad = cubic_block()
    report = verify_gradients(cost_fn, {"w": w}, {"dw": bad}, mode="directional")
    result = report["w"]
    assert not result.passed and result.n_failed == 5 and result.checked == 5


def test_beyond_max_wrong_group_testing_gives_up_and_checks_a_sample() -> None:
    """Five wrong entries, ``max_wrong=3``: the search stops and ``samples`` entries are checked one
    by one; with ``samples`` the block's size, every entry is, once."""
    cost_fn, w, bad = cubic_block()
    report = verify_gradients(cost_fn, {"w": w}, {"dw": bad}, mode="directional", max_wrong=3)
    assert not report.passed and report["w"].checked >= 16
    every = verify_gradients(cost_fn, {"w": w}, {"dw": bad}, mode="directional", max_wrong=3, samples=48)
    result = every["w"]
    assert result.checked == 48 and result.n_failed == 5
    assert result.worst_numeric is not None


def test_a_block_with_a_nan_entry_is_not_checked_along_directions() -> None:
    w = np.random.default_rng(0).uniform(0.5, 1.5, size=(6, 8))

    def cost_fn(p):  # type: ignore[no-untyped-def]
        return np.sum(p["w"] ** 3) / 3.0 + np.sum(p["v"] ** 3) / 3.0

    nan = w**2
    nan[0, 0] = np.nan
    report = verify_gradients(cost_fn, {"w": w, "v": w.copy()}, {"dw": nan, "dv": w**2}, mode="directional")
    assert not report["w"].passed and report["w"].n_failed == 1
    assert report["w"].directions == 0 and report["w"].checked == 0
    assert report["v"].passed and report["v"].directions == 2


def test_a_diffuse_error_no_entry_shows_alone_fails_on_a_fresh_direction() -> None:
    """Every entry 8.4e-8 too large (relative): the block's own direction fails, group testing
    locates no entry (each half stays within its tolerance), and one fresh direction decides
    between a fluke and a diffuse error: it fails too, so the block fails with no entry named,
    after 2 joint + 1 own + 1 fresh directions."""
    w = np.random.default_rng(0).uniform(0.5, 1.5, size=(6, 8))

    def cost_fn(p):  # type: ignore[no-untyped-def]
        return np.sum(p["w"] ** 3) / 3.0

    report = verify_gradients(cost_fn, {"w": w}, {"dw": w**2 * (1 + 8.4e-8)}, mode="directional")
    result = report["w"]
    assert not result.passed and result.n_failed == 0 and result.checked == 0
    assert result.directions == 4


def test_after_a_joint_direction_fails_each_block_is_measured_alone_along_that_same_direction() -> None:
    """Blocks w (wrong) and v (right) are first moved together; when that direction fails, w is
    moved alone along its part of the same direction, so that the joint miss is split, not
    re-drawn."""
    w = np.random.default_rng(0).uniform(0.5, 1.5, size=(6, 8))
    v = np.random.default_rng(1).uniform(0.5, 1.5, size=(5, 7))
    deltas: list[dict[str, np.ndarray]] = []

    def cost_fn(p):  # type: ignore[no-untyped-def]
        deltas.append({"w": p["w"] - w, "v": p["v"] - v})
        return np.sum(p["w"] ** 3) / 3.0 + np.sum(p["v"] ** 3) / 3.0

    bad = 2 * w**2
    report = verify_gradients(cost_fn, {"w": w, "v": v}, {"dw": bad, "dv": v**2}, mode="directional")
    assert not report["w"].passed and report["v"].passed
    joint = next(d["w"] for d in deltas if np.any(d["w"]) and np.any(d["v"]))
    alone = next(d["w"] for d in deltas if np.count_nonzero(d["w"]) > 1 and not np.any(d["v"]))
    cosine = float(np.sum(joint * alone) / (np.linalg.norm(joint) * np.linalg.norm(alone)))
    assert abs(cosine) == pytest.approx(1.0, abs=1e-9)


# -- _diagnose -------------------------------------------------------------------------------------


def test_two_entries_at_kinks_are_named_in_the_plural() -> None:
    cost_fn, w = relu_case()
    w[2, 3] = 0.0
    g = (w > 0).astype(float)  # g'(0) = 0 at both kinks: the left derivative
    report = verify_gradients(cost_fn, {"w": w}, {"dw": g})
    assert report.passed and report["w"].n_kinks == 2
    assert report["w"].diagnosis is not None and report["w"].diagnosis.message == kink_message(
        "2 entries of dw"
    )


def test_with_x_and_y_but_no_reference_network_a_failure_gets_the_generic_diagnosis() -> None:
    """X and Y are given, but the cost is not the reference network: no catalog to match, only
    the generic diagnosis (here: the gradient is twice the right one on every entry)."""
    w = np.random.default_rng(0).uniform(0.5, 1.5, size=(3, 4))

    def cost_fn(p):  # type: ignore[no-untyped-def]
        return np.sum(p["w"] ** 3) / 3.0

    X, Y = np.ones((2, 5)), np.zeros((1, 5))
    report = verify_gradients(cost_fn, {"w": w}, {"dw": 2 * w**2}, X=X, Y=Y)
    assert report.reference is None
    assert not report.passed and report["w"].n_failed == 12
    assert report["w"].diagnosis is not None and report["w"].diagnosis.code == "scaled"
    assert report.diagnosis is not None and report.diagnosis.code == "scaled"


def test_sign_flipped_entries_beyond_the_32_fd_looks_at_fail_on_the_reference() -> None:
    """40 entries of dW1 with the wrong sign (a = −r): |a − r| = 2|r|, far beyond any tolerance."""
    problem = reference_problem((6, 8, 1, 10), get_activation("tanh"), seed=5, scale=0.8)
    grads = exact_keys(problem)
    dW1 = grads["dW1"].copy()
    assert np.all(np.abs(dW1.reshape(-1)[:40]) > 1e-6)
    dW1.reshape(-1)[:40] *= -1.0
    report = verify_gradients(
        problem.cost, problem.parameters, {**grads, "dW1": dW1}, X=problem.X, Y=problem.Y, mode="directional"
    )
    assert not report["W1"].passed and report["W1"].n_failed == 40


def test_with_the_reference_a_value_halfway_between_the_sides_of_a_kink_is_a_kink() -> None:
    """db1 halfway between each unit's one-sided derivatives: inside every interval, so a pass,
    with the 4 entries counted as kinks."""
    problem, jump, db1 = relu_on_kinks()
    report = verify_gradients(
        problem.cost,
        problem.parameters,
        {**problem.gradients(), "db1": db1 + jump / 2.0},
        X=problem.X,
        Y=problem.Y,
    )
    assert report.passed and report["b1"].n_kinks == 4


def test_a_block_checked_along_directions_reports_their_relative_error() -> None:
    """No reference and no entry checked alone: the relative error comes from the directions, so
    it is that of finite differences, small but not 0."""
    cost_fn, w, _ = cubic_block()
    report = verify_gradients(cost_fn, {"w": w}, {"dw": w**2}, mode="directional")
    assert report.passed and report["w"].checked == 0
    assert 0.0 < report["w"].relative_error < 1e-7


# -- _diagnose: m reaches the pooled diagnosis and the summary line ----------------------------


def test_every_gradient_m_times_too_large_is_named_with_m_in_every_block_and_in_the_summary() -> None:
    """m = 37 > 16: a 1-entry block (db2) alone fits any factor, so only pooled with the other
    blocks, with m known, is its factor named a missing 1/m; the summary line quotes m itself."""
    m = 37
    problem = reference_problem((3, 4, 1, m), get_activation("tanh"), seed=1, scale=0.8)
    wrong = {k: v * m for k, v in exact_keys(problem).items()}  # the planted change: x m everywhere
    report = verify_gradients(problem.cost, problem.parameters, wrong, m=m)
    assert {r.name: r.diagnosis.code for r in report if r.diagnosis} == dict.fromkeys(
        ("W1", "b1", "W2", "b2"), "missing_1_over_m"
    ), str(report)
    assert report.diagnosis is not None and report.diagnosis.code == "missing_1_over_m"
    assert f"Every gradient is exactly m = {m} times the right one" in report.diagnosis.message

"""The kink investigation: where it evaluates the cost, what it costs, and what it decides.

An entry that misses its finite difference is looked at again before it is called wrong: a kink at
the point explains a miss when the value lies between the one-sided derivatives, a kink within the
step when a smaller step that does not cross it agrees (gradcheck.kinks' module docs give the
steps). A recording cost shows where the
investigation evaluates; the expected offsets and counts come from ``tests/budgets.py``, derived
from the documented divisors, so these tests pin the order and the logic of the steps, not their
sizes. Verdicts are held to values worked out here from the cost.
"""

from __future__ import annotations

import math
from typing import Any

import autograd
import autograd.numpy as anp
import numpy as np
import pytest

from gradcheck import verify_gradients
from gradcheck.kinks import KINK_GATE, ONE_SIDED_DIVISORS, RESTEP
from gradcheck.numerical import Method
from tests.budgets import (
    BEYOND_INVESTIGATED,
    MAX_INVESTIGATED,
    TRUNCATION_FORWARD,
    central_step,
    kink_investigation,
    late_noise,
    off_kink_look,
    pairs,
    truncation_offsets,
    whole_climb,
)
from tests.cases import EPS, Cost, Recorder, central, kink_message

#: The smallest step the investigation takes is ``h / SMALLEST``.
SMALLEST = max(RESTEP, *ONE_SIDED_DIVISORS)


def smooth_case() -> tuple[Cost, np.ndarray, np.ndarray]:
    """``J = Σ exp(w)``: ``|J″| = |J′| ≤ G``, so a central difference's one-sided gap (about
    ``h|J″|``) stays below the gate ``KINK_GATE·(4σ/h + hG)``: no sign of a kink at the point."""
    w = np.random.default_rng(1).uniform(-1, 1, size=(3, 4))
    return (lambda p: np.sum(np.exp(p["w"]))), w, np.exp(w)


def relu_case() -> tuple[Cost, np.ndarray]:
    """``J = Σ max(w, 0)`` with ``w[0, 1] = 0``: a kink there, one-sided derivatives 0 and 1."""
    w = np.random.default_rng(2).uniform(0.5, 1.0, size=(3, 4))
    w[0, 1] = 0.0
    return (lambda p: np.sum(np.maximum(p["w"], 0.0))), w


def investigation(
    cost_fn: Cost, w: np.ndarray, right: np.ndarray, wrong: np.ndarray, index: tuple[int, int], **options: Any
) -> tuple[list[float], list[float]]:
    """The offsets the wrong entry's investigation adds to those of a check of the right gradient,
    and the offsets of that check (the entry's own difference)."""
    before, after = Recorder(cost_fn, {"w": w}, "w", index), Recorder(cost_fn, {"w": w}, "w", index)
    verify_gradients(before, {"w": w}, {"dw": right}, **options)
    verify_gradients(after, {"w": w}, {"dw": wrong}, **options)
    extra = list(after.offsets)
    for offset in before.offsets:
        extra.remove(offset)
    return sorted(extra), before.offsets


# -- what an investigation costs -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "extra"),
    [
        # the gap shows no kink: one central difference at the gate's smaller step; it does not move
        ("central", len(off_kink_look(1.0))),
        # no gap without central differences: every one-sided pair, each agreeing with the one below;
        # none shows a kink, and the difference's truncation is measured (it is small)
        ("forward", len(whole_climb(1.0, gate=False)) + TRUNCATION_FORWARD),
        ("richardson", len(whole_climb(1.0, gate=False))),
    ],
)
def test_a_wrong_entry_off_kinks_costs_what_the_investigation_documents(method: Method, extra: int) -> None:
    cost_fn, w, g = smooth_case()
    right = verify_gradients(cost_fn, {"w": w}, {"dw": g}, method=method)
    bad = g.copy()
    bad[1, 2] += 0.1
    wrong = verify_gradients(cost_fn, {"w": w}, {"dw": bad}, method=method)
    assert right.passed and not wrong.passed
    assert wrong["w"].n_failed == 1 and wrong["w"].worst_index == (1, 2) and wrong["w"].n_kinks == 0
    assert wrong.evaluations - right.evaluations == late_noise(w.size) + extra


@pytest.mark.parametrize(
    ("value", "passes"), [(0.0, True), (1.0, True), (0.25, True), (2.0, False), (-0.5, False)]
)
def test_on_a_kink_the_whole_climb_decides_at_the_cost_of_its_pairs(value: float, passes: bool) -> None:
    """The central difference is 0.5 (the sides' mean); any other value fails it and is
    investigated: its gap |1 − 0| is beyond the gate, and every one-sided pair shows the same kink."""
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
    assert report.evaluations - fd_accepts.evaluations == late_noise(w.size) + len(
        whole_climb(1.0, gate=False)
    )
    if passes:
        assert report["w"].diagnosis is not None and report["w"].diagnosis.code == "kink"
        assert report["w"].diagnosis.message == kink_message("1 entry of dw")


@pytest.mark.parametrize(
    ("wrong", "investigated"), [(MAX_INVESTIGATED, MAX_INVESTIGATED), (MAX_INVESTIGATED + 1, 0)]
)
def test_no_more_failing_entries_than_the_budget_are_investigated_for_kinks(
    wrong: int, investigated: int
) -> None:
    """Each of up to ``MAX_INVESTIGATED`` failing entries off kinks costs the gate's central
    difference; a block wrong in one place more is not searched for kinks at all."""
    columns = max(8, math.ceil((MAX_INVESTIGATED + 1) / 6))
    w = np.random.default_rng(6).uniform(-1, 1, size=(6, columns))

    def cost_fn(p):  # type: ignore[no-untyped-def]
        return np.sum(np.exp(p["w"]))

    g = np.exp(w)
    bad = g.copy()
    bad.reshape(-1)[:wrong] += 0.1
    right = verify_gradients(cost_fn, {"w": w}, {"dw": g})
    report = verify_gradients(cost_fn, {"w": w}, {"dw": bad})
    assert right.passed and report["w"].n_failed == wrong
    assert report.evaluations - right.evaluations == late_noise(w.size) + investigated * len(
        off_kink_look(1.0)
    )


def test_every_entry_on_a_kink_is_investigated_however_many_and_passes_between_the_sides() -> None:
    """``J = Σ max(w, 0)`` at ``w = 0``: every entry on its kink, one-sided derivatives 0 and 1, more
    entries than ``MAX_INVESTIGATED``. Each entry's gap shows the kink, so each is investigated
    (its whole climb) and 0.25 passes everywhere, counted."""
    w = np.zeros((6, math.ceil(BEYOND_INVESTIGATED / 6)))

    def cost_fn(p):  # type: ignore[no-untyped-def]
        return np.sum(np.maximum(p["w"], 0.0))

    half = verify_gradients(cost_fn, {"w": w}, {"dw": np.full(w.shape, 0.5)})  # the central differences
    report = verify_gradients(cost_fn, {"w": w}, {"dw": np.full(w.shape, 0.25)})
    assert half.passed and half["w"].n_kinks == 0
    assert report.passed and report["w"].n_kinks == w.size
    assert report.evaluations - half.evaluations == late_noise(w.size) + w.size * len(
        whole_climb(1.0, gate=False)
    )


def test_on_many_kinks_the_search_stops_once_the_budget_is_left_unexplained() -> None:
    """The same block with 2 everywhere, past every upper side: ``MAX_INVESTIGATED`` entries are
    investigated (each its whole climb) and left unexplained; the rest are not looked at."""
    w = np.zeros((6, math.ceil(BEYOND_INVESTIGATED / 6)))

    def cost_fn(p):  # type: ignore[no-untyped-def]
        return np.sum(np.maximum(p["w"], 0.0))

    half = verify_gradients(cost_fn, {"w": w}, {"dw": np.full(w.shape, 0.5)})
    report = verify_gradients(cost_fn, {"w": w}, {"dw": np.full(w.shape, 2.0)})
    assert not report.passed and report["w"].n_failed == w.size and report["w"].n_kinks == 0
    assert report.evaluations - half.evaluations == late_noise(w.size) + MAX_INVESTIGATED * len(
        whole_climb(1.0, gate=False)
    )


# -- where it evaluates ----------------------------------------------------------------------------


@pytest.mark.parametrize(("flip", "step"), [(False, None), (True, None), (False, 1e-2)])
def test_off_kinks_central_differences_look_again_only_at_the_gates_smaller_step(
    flip: bool, step: float | None
) -> None:
    """The gap shows no kink, so the one check is a central difference at ``h / RESTEP`` (h the
    entry's step). A sign flip (a ≈ −n) is no closer to the difference than +0.1. With
    ``step=1e-2`` the two differences are ``(1 − 1/RESTEP²) h² J‴/6`` apart, within the larger
    one's own error estimate ``h²G`` (``J‴ = J′ ≤ G``): the difference has not moved."""
    cost_fn, w, g = smooth_case()
    bad = g.copy()
    bad[1, 2] = -g[1, 2] if flip else g[1, 2] + 0.1
    extra, first = investigation(cost_fn, w, g, bad, (1, 2), step=step)
    h = max(first)
    assert sorted(first) == pairs(h)  # the exhaustive pass: θ ± h
    if step is not None:
        assert h == pytest.approx(step, rel=1e-12)  # (θ + step) − θ
    assert extra == pytest.approx(off_kink_look(h), rel=1e-6)


def test_without_a_gap_every_one_sided_pair_is_taken() -> None:
    """Forward differences give no gap: the one-sided pairs at every divisor (h the central step),
    each agreeing with the one below, none showing a kink; then the forward difference's truncation
    at half and a quarter of its own step."""
    cost_fn, w, g = smooth_case()
    bad = g.copy()
    bad[1, 2] += 0.1
    extra, first = investigation(cost_fn, w, g, bad, (1, 2), method="forward")
    h = central_step(extra)
    expected = sorted(whole_climb(h, gate=False) + truncation_offsets(max(first), central=False))
    assert extra == pytest.approx(expected, rel=1e-6)


@pytest.mark.parametrize("step", [None, 1e-3])
def test_on_a_kink_every_one_sided_pair_is_taken(step: float | None) -> None:
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
    assert extra == pytest.approx(whole_climb(h, gate=False), rel=1e-6)


def test_with_a_step_so_small_that_rounding_shows_the_gate_weighs_the_gap_against_the_noise() -> None:
    """``step=1e-8``: the one-sided gap of ``Σ exp(w)`` is rounding (about ε|J|/h), worked out here
    from the cost: beyond its smooth size ``KINK_GATE·hG``, but within the gate's noise term
    ``KINK_GATE·4σ/h`` (σ = ε·max(|J|, 1), the dtype's rounding: with a step given, the noise is
    not measured). No kink shows, and the one check is the gate's smaller step."""
    cost_fn, w, g = smooth_case()
    index = (1, 2)
    h = (w[index] + 1e-8) - w[index]
    plus, minus = w.copy(), w.copy()
    plus[index] += h
    minus[index] -= h
    J, J_plus, J_minus = (float(cost_fn({"w": x})) for x in (w, plus, minus))
    gap = abs((J_plus - J) - (J - J_minus)) / h
    G, sigma = float(np.max(g)), EPS * max(abs(J), 1.0)
    assert KINK_GATE * h * G < gap < KINK_GATE * (4.0 * sigma / h + h * G)
    bad = g.copy()
    bad[index] += 0.1
    extra, first = investigation(cost_fn, w, g, bad, index, step=1e-8)
    assert sorted(first) == pairs(h)
    assert extra == pytest.approx(off_kink_look(h), rel=1e-6)


def test_a_miss_as_large_as_the_gap_is_investigated_in_full() -> None:
    """Central differences average the sides, so a miss |a − n| up to the one-sided gap
    ``|D₊ − D₋|`` (plus τ) may be a kink's doing: a = n + gap, worked out here from the cost at θ
    and θ ± h, is investigated in full (no shortcut through the gate's smaller step), and still
    fails."""
    cost_fn, w, g = smooth_case()
    index = (1, 2)
    first = Recorder(cost_fn, {"w": w}, "w", index)
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
    expected = sorted(whole_climb(h, gate=False) + truncation_offsets(h))  # no kink: truncation measured
    assert extra == pytest.approx(expected, rel=1e-6)
    assert not verify_gradients(cost_fn, {"w": w}, {"dw": bad}).passed


# -- what it decides near a kink -------------------------------------------------------------------


@pytest.mark.parametrize(("value", "passes"), [(1.0, True), (2.0, False)])
def test_a_kink_just_inside_the_step_moves_the_difference_and_a_smaller_step_decides(
    value: float, passes: bool
) -> None:
    """``J = Σ max(w, 0)``, ``w[0, 1] = 0.999e-3``, ``step=1e-3``: θ − h crosses the kink by 1e-6,
    so the central difference is 1 − 5e-4 (beyond its tolerance 100·h²G = 1e-4) and the one-sided
    gap only 1e-3 (below the gate ``KINK_GATE·hG``). The right value's miss (5e-4) is within the
    gap, so the climb starts at once; the wrong value's is not, and the gate's smaller step, which
    does not cross the kink, gives 1 first: it moved. Every one-sided pair agrees with the one below
    (the largest one's left side crosses the kink at ``h`` but not at ``h/2``, and its error
    estimate says so) and none shows a kink; the right side gives 1 most precisely, which the
    right value matches (a pass at a kink) and the wrong value 2 does not. The wrong value's
    difference is then measured for truncation at h/2 and h/4: they do not cross the kink, give 1
    both, and a difference that stops shrinking is no truncation (it still fails)."""
    cost_fn, w = relu_case()
    w[0, 1] = 0.999e-3
    h = 1e-3
    assert w[0, 1] > h / SMALLEST  # the smaller steps stay off the kink
    g = np.ones_like(w)
    n = central(cost_fn, {"w": w}, "w", (0, 1), h)
    assert n == pytest.approx(1 - 5e-4, rel=1e-9)
    plus, minus = w.copy(), w.copy()
    plus[0, 1] += h
    minus[0, 1] -= h
    J, J_plus, J_minus = (float(cost_fn({"w": x})) for x in (w, plus, minus))
    assert abs((J_plus - J) - (J - J_minus)) / h < KINK_GATE * h  # G = 1: the gate stays closed
    g_fd = g.copy()
    g_fd[0, 1] = n
    bad = g.copy()
    bad[0, 1] = value
    extra, first = investigation(cost_fn, w, g_fd, bad, (0, 1), step=h)
    assert sorted(first) == pytest.approx(pairs(h), rel=1e-12)  # (θ ± h) − θ, to rounding
    report = verify_gradients(cost_fn, {"w": w}, {"dw": bad}, step=h)
    assert report.passed is passes
    assert report["w"].n_kinks == (1 if passes else 0)
    truncation = [] if passes else truncation_offsets(h)
    assert extra == pytest.approx(sorted(whole_climb(h, gate=not passes) + truncation), rel=1e-6)


def cubic_relu_case(theta: float) -> tuple[Cost, np.ndarray]:
    """``J = Σ max(w, 0) + w³/3`` (w in [0.1, 0.2], so G ≈ 1.04) with ``w[0, 1] = theta``: a kink
    at ``w[0, 1] = 0``, and a derivative ``1 + θ²`` on its right."""
    w = np.random.default_rng(4).uniform(0.1, 0.2, size=(2, 3))
    w[0, 1] = theta

    def cost_fn(p):  # type: ignore[no-untyped-def]
        return np.sum(np.maximum(p["w"], 0.0) + p["w"] ** 3 / 3.0)

    return cost_fn, w


def test_near_a_kink_the_smaller_steps_are_judged_with_their_own_truncation_error() -> None:
    """``w[0, 1] = 0.015``, ``step=0.04``: θ − h crosses the kink, so the central difference is
    0.6875 + θ² + h²/3, 0.31 below the true 1 + θ², beyond its tolerance 100·h²G ≈ 0.17. The pairs at
    ``h/d`` for the larger divisors do not cross it; the one at ``h`` does, at ``h`` and ``h/2``,
    and disagrees with them. Those below it say 1 + θ² to within their truncation error, which their
    error estimates cover: a pass, at a kink, after every pair."""
    cost_fn, w = cubic_relu_case(0.015)
    h = 0.04
    assert h / 2 > w[0, 1] > h / min(d for d in ONE_SIDED_DIVISORS if d > 1)  # only the pair at h crosses
    right = 1.0 + w**2
    assert central(cost_fn, {"w": w}, "w", (0, 1), h) == pytest.approx(
        0.6875 + w[0, 1] ** 2 + h**2 / 3, rel=1e-9
    )
    report = verify_gradients(cost_fn, {"w": w}, {"dw": right}, step=h)
    assert report.passed, str(report)
    assert report["w"].n_kinks == 1


@pytest.mark.parametrize(("error", "passes"), [(0.0, True), (0.01, False)])
def test_the_climb_stops_at_the_first_pair_that_straddles_a_kink_off_the_point(
    error: float, passes: bool
) -> None:
    """``w[0, 1] = 5e-4``, ``step=0.04``: the pairs at ``h/4096`` and ``h/256`` stay off the kink, the
    one at ``h/16`` crosses it at both its steps and disagrees with them: the climb stops there, and
    the pair at ``h`` is not taken. The smaller pairs give 1 + θ²; off by 0.01 fails."""
    cost_fn, w = cubic_relu_case(5e-4)
    h = 0.04
    divisors = sorted(ONE_SIDED_DIVISORS, reverse=True)
    assert h / divisors[1] < w[0, 1] < h / divisors[2] / 2  # the third pair crosses at s and s/2
    right = 1.0 + w**2
    bad = right.copy()
    bad[0, 1] += error
    g_fd = right.copy()
    g_fd[0, 1] = central(cost_fn, {"w": w}, "w", (0, 1), h)  # what finite differences accept
    extra, _ = investigation(cost_fn, w, g_fd, bad, (0, 1), step=h)
    report = verify_gradients(cost_fn, {"w": w}, {"dw": bad}, step=h)
    assert report.passed is passes, str(report)
    assert report["w"].n_kinks == (1 if passes else 0)
    assert extra == pytest.approx(kink_investigation(h, gate=False, pairs=3), rel=1e-6)


def test_a_value_past_a_small_kinks_right_derivative_fails() -> None:
    """Found by hypothesis (tests/test_engine.py, ``problems_on_kinks``): two examples with X = 0 put
    Z1 exactly on ReLU's kink; db1 is moved past the right-hand derivative by the jump (9e-6). At the
    smallest step the one-sided derivatives' slack (about 1e-5) is larger than the jump; the pair
    with the smallest error decides, and there it is not (issue 17)."""
    X = np.array(
        [
            [0.0, 0.0, 0.64042265, 0.10490012, -0.53566937],
            [0.0, 0.0, 0.94708096, -0.70373524, -1.26542147],
            [0.0, 0.0, -2.32503077, -0.21879166, -1.24591095],
        ]
    )
    Y = np.array([[1.0, 0.0, 0.0, 1.0, 1.0]])
    parameters = {
        "W1": np.array([[-0.11791495, -0.0432273, -0.03990845]]),
        "b1": np.array([[0.0]]),
        "W2": np.array([[-0.00453829]]),
        "b2": np.array([[-0.02078733]]),
    }
    m = X.shape[1]

    def cost(p: dict[str, np.ndarray]) -> np.ndarray:
        Z = anp.dot(p["W1"], X) + p["b1"]
        Z2 = anp.dot(p["W2"], anp.where(Z > 0, Z, 0.0)) + p["b2"]  # slope 0 at the kink: D-
        return anp.mean(anp.logaddexp(0.0, Z2) - Y * Z2)

    Z1 = parameters["W1"] @ X + parameters["b1"]
    A2 = 1 / (1 + np.exp(-(parameters["W2"] @ np.maximum(Z1, 0) + parameters["b2"])))
    C = parameters["W2"].T @ (A2 - Y)
    jump = float(np.sum(np.where(Z1 == 0, C, 0.0)) / m)  # D+ - D- along b1
    right = {f"d{k}": v for k, v in autograd.grad(cost)(dict(parameters)).items()}  # takes D-
    right["db1"] = right["db1"] + 2 * jump  # past D+
    report = verify_gradients(cost, parameters, right)
    assert not report["db1"].passed, str(report)


# -- how the kinks found are reported --------------------------------------------------------------


def test_two_entries_at_kinks_are_named_in_the_plural() -> None:
    cost_fn, w = relu_case()
    w[2, 3] = 0.0
    g = (w > 0).astype(float)  # g'(0) = 0 at both kinks: the left derivative
    report = verify_gradients(cost_fn, {"w": w}, {"dw": g})
    assert report.passed and report["w"].n_kinks == 2
    assert report["w"].diagnosis is not None and report["w"].diagnosis.message == kink_message(
        "2 entries of dw"
    )

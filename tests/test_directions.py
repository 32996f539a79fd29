"""Blocks checked along random directions: first all together, then, when a joint direction fails,
each block alone along its own part of that direction.

A direction tests a whole block at the cost of one difference; a NaN entry keeps its block out of
the joint directions (it fails anyway). Expected values come from the cost's own calls (the
offsets it was evaluated at) or from the planted change.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given, note
from hypothesis import strategies as st

from gradcheck import verify_gradients
from gradcheck.numerical import KINK_RETRIES, CostProbe, directional_difference, relative_step, sign_direction
from gradcheck.setting import EXHAUSTIVE_UP_TO
from gradcheck.strategies import Problem, problems, problems_on_kinks
from tests.budgets import SENSITIVE, directions_taken
from tests.cases import Cost, course_relu, course_week3


def cubes(seed: int, shape: tuple[int, int]) -> np.ndarray:
    """A point of ``J = Σ w³/3`` (gradient w²) away from 0."""
    return np.random.default_rng(seed).uniform(0.5, 1.5, size=shape)


def test_after_a_joint_direction_fails_each_block_is_measured_alone_along_that_same_direction() -> None:
    """Blocks w (wrong) and v (right) are first moved together; when that direction fails, w is
    moved alone along its part of the same direction, so that the joint miss is split, not
    re-drawn."""
    w, v = cubes(0, (6, 8)), cubes(1, (5, 7))
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


def test_a_block_with_a_nan_entry_is_not_checked_along_directions() -> None:
    w = cubes(0, (6, 8))

    def cost_fn(p):  # type: ignore[no-untyped-def]
        return np.sum(p["w"] ** 3) / 3.0 + np.sum(p["v"] ** 3) / 3.0

    nan = w**2
    nan[0, 0] = np.nan
    report = verify_gradients(cost_fn, {"w": w, "v": w.copy()}, {"dw": nan, "dv": w**2}, mode="directional")
    assert not report["w"].passed and report["w"].n_failed == 1
    assert report["w"].directions == 0 and report["w"].checked == 0
    assert report["v"].passed and report["v"].directions == directions_taken()


def test_a_block_checked_along_directions_reports_their_relative_error() -> None:
    """No reference and no entry checked alone: the relative error comes from the directions, so
    it is that of finite differences, small but not 0."""
    w = cubes(0, (6, 8))
    report = verify_gradients(lambda p: np.sum(p["w"] ** 3) / 3.0, {"w": w}, {"dw": w**2}, mode="directional")
    assert report.passed and report["w"].checked == 0
    assert 0.0 < report["w"].relative_error < 1e-7


# -- what directions are sensitive to ---------------------------------------------------------------

#: The smallest one-entry error the properties below plant (absolute): about twice what the
#: entry-by-entry check resolves on a float64 cost of order one (100 (σ/h + h² G) ≈ 4e-9).
VISIBLE = 1e-8


@st.composite
def course_networks(draw: st.DrawFn) -> tuple[Cost, dict[str, np.ndarray], dict[str, np.ndarray]]:
    """A Week 3 network at the course's initialisation (``randn * 0.01``, zero biases), tanh hidden
    layer, the course's cost on ``A2``, and its gradients from the course's hand-derived backward
    pass (tests/fixtures/my_course_code.py): independent of gradcheck."""
    n_x, n_h, m = draw(st.integers(10, 100)), draw(st.integers(2, 12)), draw(st.integers(2, 30))
    note(f"n_x, n_h, m = {n_x}, {n_h}, {m}")
    return course_week3(np.random.default_rng(draw(st.integers(0, 2**32 - 1))), n_x, n_h, m)


@given(st.one_of(problems(), problems_on_kinks(zero_weights=False)))
def test_correct_code_is_never_wrong_along_directions(problem: Problem) -> None:
    """Every activation, kinks at the point included (one per coordinate: W1 = 0 is the reference's
    to judge, see docs/judging.md): the Gaussian and the sensitive directions never reject the
    hand-derived gradients."""
    report = verify_gradients(problem.cost, problem.parameters, problem.gradients(), mode="directional")
    assert report.passed, str(report)


@given(course_networks(), st.data())
def test_correct_course_code_is_never_wrong_along_directions(network, data: st.DataObject) -> None:  # type: ignore[no-untyped-def]
    cost, parameters, grads = network
    report = verify_gradients(cost, parameters, grads, mode="directional", seed=data.draw(st.integers(0, 99)))
    assert report.passed, str(report)


@given(course_networks(), st.sampled_from(["dW1", "db1", "dW2", "db2"]), st.data())
def test_one_typical_entry_off_by_a_thousandth_is_always_wrong_along_directions(  # type: ignore[no-untyped-def]
    network, key: str, data: st.DataObject
) -> None:
    """Issue 17: one entry × (1 + 1e-3), among the block's typical entries (within 10 times of its
    median magnitude) and large enough for finite differences to see (``1e-3 |a_i| ≥ VISIBLE``),
    is caught however many entries hide it, wherever it sits."""
    cost, parameters, grads = network
    size = np.abs(grads[key]).reshape(-1)
    median = float(np.median(size))
    typical = np.flatnonzero((size >= median / 10) & (size <= median * 10) & (1e-3 * size >= VISIBLE))
    assume(typical.size > 0)
    index = int(typical[data.draw(st.integers(0, typical.size - 1), label="typical entry")])
    wrong = {name: value.copy() for name, value in grads.items()}
    wrong[key].reshape(-1)[index] *= 1.0 + 1e-3
    report = verify_gradients(cost, parameters, wrong, mode="directional", seed=data.draw(st.integers(0, 99)))
    assert not report[key[1:]].passed, str(report)
    assert [result.label for result in report.failed] == [key], str(report)


# -- when kinks blunt the directions ---------------------------------------------------------------


def relu_network(seed: int) -> tuple[Cost, dict[str, np.ndarray], dict[str, np.ndarray]]:
    """1,081 parameters (above ``EXHAUSTIVE_UP_TO``), ReLU units near 0 at the course's initialisation."""
    return course_relu(np.random.default_rng(seed), 25, 40, 30)


def test_directions_blunted_by_kinks_hand_a_block_to_its_entries_in_the_default_mode() -> None:
    """Richardson's steps cross kinks and must shrink until rounding makes the sensitive direction
    resolve a one-entry error far more coarsely than the entry's own difference: the default mode
    takes every entry too, says so, and finds a typical entry off by 1e-4 of itself."""
    cost, p, g = relu_network(0)
    assert sum(v.size for v in p.values()) > EXHAUSTIVE_UP_TO
    right = verify_gradients(cost, p, g)
    assert right.passed and right["W1"].checked == p["W1"].size
    said = [n for n in right.notes if "checked entry by entry too: kinks" in n]
    assert len(said) == 1 and said[0].startswith("dW1, db1")
    size = np.abs(g["dW1"]).ravel()
    typical = int(np.argmin(np.abs(size - np.median(size[size > 0]))))
    bad = {**g, "dW1": g["dW1"].copy()}
    bad["dW1"].flat[typical] *= 1 + 1e-4
    wrong = verify_gradients(cost, p, bad)
    assert not wrong.passed and wrong["W1"].n_failed == 1
    assert wrong["W1"].worst_index == np.unravel_index(typical, p["W1"].shape)


def test_an_explicit_directional_mode_or_a_smooth_cost_keeps_to_the_directions() -> None:
    cost, p, g = relu_network(0)
    directional_only = verify_gradients(cost, p, g, mode="directional")
    assert directional_only.passed and directional_only["W1"].checked == 0
    smooth_cost, q, h = course_week3(np.random.default_rng(0), 25, 40, 30)
    smooth = verify_gradients(smooth_cost, q, h)
    assert smooth.passed and smooth["W1"].checked == 0 and smooth.notes == ()


def test_a_sensitive_direction_across_kinks_is_taken_again_at_smaller_steps() -> None:
    """Across kinks the Richardson difference's error is mostly the kink term: taken again at
    steps ``KINK_SHRINK`` times smaller (6 evaluations each, up to ``KINK_RETRIES`` times), its
    error estimate drops; on a smooth cost it is taken once."""
    cost, p, _ = relu_network(0)
    probe = CostProbe.at(cost, p)
    direction = {name: sign_direction(value, np.random.default_rng(1)) for name, value in p.items()}
    before = probe.evaluations
    taken = directional_difference(probe, direction, "richardson")
    spent = probe.evaluations - before
    assert SENSITIVE < spent <= SENSITIVE * (1 + KINK_RETRIES)
    first = relative_step("richardson", probe.noise, probe.cost)
    assert taken.step < first
    smooth_cost, q, _ = course_week3(np.random.default_rng(0), 25, 40, 30)
    smooth = CostProbe.at(smooth_cost, q)
    before = smooth.evaluations
    directional_difference(
        smooth, {n: sign_direction(v, np.random.default_rng(1)) for n, v in q.items()}, "richardson"
    )
    assert smooth.evaluations - before == SENSITIVE

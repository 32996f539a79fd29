"""What a block's result records: how it was covered, its worst entry, its relative errors and
opinions, the element error map, and the record of a gradient of the wrong shape.

Each field is held to a value known without the checker: the planted change and where it was
planted, autograd's gradient, or a relative error worked out here by its documented formula
(``‖a − n‖ / (‖a‖ + ‖n‖)`` for blocks, ``|a − n| / (|a| + |n|)`` for an entry).
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np
import pytest

from gradcheck import verify_gradients
from gradcheck.report import EXCESS_MAP_SIZE
from tests.budgets import directions_taken
from tests.cases import exact, exact_keys, tanh_problem


def exp_cost(p: dict[str, np.ndarray]) -> Any:
    """``J = Σ exp(w)``: gradient exp(w)."""
    return np.sum(np.exp(p["w"]))


def cube_cost(p: dict[str, np.ndarray]) -> Any:
    """``J = Σ w³/3``: gradient w²."""
    return np.sum(p["w"] ** 3) / 3.0


def block_relative_error(a: np.ndarray, n: np.ndarray) -> float:
    return float(np.linalg.norm(a - n) / (np.linalg.norm(a) + np.linalg.norm(n)))


def w_point(shape: tuple[int, ...] = (3, 4), seed: int = 1) -> np.ndarray:
    return np.random.default_rng(seed).uniform(-1, 1, size=shape)


# -- a passing block ------------------------------------------------------------------------------


@pytest.mark.parametrize("key", ["dw", "w"])
def test_a_passing_blocks_worst_entry_is_the_one_nearest_its_tolerance(key: str) -> None:
    """3e-8 planted on one entry: within the tolerance, but far beyond the finite differences' own
    error elsewhere (about 2e-10), so that entry is the worst one reported."""
    w = w_point()
    right = np.exp(w)
    a = right.copy()
    a[1, 2] += 3e-8
    result = verify_gradients(exp_cost, {"w": w}, {key: a})["w"]
    assert result.passed and result.n_failed == 0 and result.gradient_key == key
    assert result.mode == "exhaustive" and result.checked == w.size and result.directions == 0
    assert result.fd_agrees is True and result.reference_agrees is None
    assert result.excess is None  # a map only for failed blocks
    assert result.worst_index == (1, 2)
    assert result.worst_analytic == a[1, 2]
    assert result.worst_numeric == pytest.approx(right[1, 2], rel=1e-9)
    assert result.worst_relative_error == pytest.approx(3e-8 / (a[1, 2] + right[1, 2]), rel=0.1)
    assert result.worst_tolerance is not None and result.worst_tolerance > 3e-8
    assert result.relative_error == pytest.approx(block_relative_error(a, right), rel=0.1)


def test_a_passing_sampled_blocks_worst_entry_is_one_that_was_compared() -> None:
    """7 of 8 entries sampled: the one not compared has no difference, and cannot be the worst."""
    w = w_point((8,))
    result = verify_gradients(exp_cost, {"w": w}, {"dw": np.exp(w)}, mode="sampled", samples=7)["w"]
    assert result.passed and result.checked == 7
    assert result.worst_numeric is not None and math.isfinite(result.worst_numeric)
    assert result.worst_index is not None
    assert result.worst_numeric == pytest.approx(np.exp(w[result.worst_index]), rel=1e-8)


def test_a_block_the_cost_ignores_with_a_zero_gradient_passes_with_relative_error_zero() -> None:
    """Along directions both the analytic and the numeric projections are 0: the block relative
    error of two zero blocks is 0 by definition."""
    w = w_point((6, 8))
    result = verify_gradients(lambda p: 1.0, {"w": w}, {"dw": np.zeros_like(w)}, mode="directional")["w"]
    assert result.passed and result.mode == "directional" and result.directions == directions_taken()
    assert result.relative_error == 0.0


# -- relative errors ----------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["sampled", "directional"])
def test_a_block_twice_the_right_one_has_relative_error_one_third(mode: str) -> None:
    """``‖2g − g‖ / (‖2g‖ + ‖g‖) = 1/3``, over the sampled entries or along any direction."""
    w = w_point((6, 8)) + 2.0  # entries of one sign, away from 0
    result = verify_gradients(cube_cost, {"w": w}, {"dw": 2 * w**2}, mode=mode)["w"]
    assert not result.passed and result.mode == mode
    assert result.relative_error == pytest.approx(1.0 / 3.0, rel=1e-6)


def test_with_the_reference_both_opinions_are_measured_against_it() -> None:
    """``reference_error``: the analytic gradient against autograd's, by the formula; the finite
    differences' own agreement with it is small and, for a block checked along directions only,
    not measured."""
    problem = tanh_problem()
    truth = exact(problem)
    grads = exact_keys(problem)
    dW1 = grads["dW1"].copy()
    dW1[0, 0] += 1e-3
    options: dict[str, Any] = {"X": problem.X, "Y": problem.Y}
    report = verify_gradients(problem.cost, problem.parameters, {**grads, "dW1": dW1}, **options)
    assert report["W1"].reference_error == pytest.approx(block_relative_error(dW1, truth["W1"]), rel=1e-12)
    for result in report:
        assert result.numeric_reference_error is not None and 0.0 < result.numeric_reference_error < 1e-6
    sampled = verify_gradients(problem.cost, problem.parameters, grads, mode="sampled", samples=5, **options)
    for result in sampled:
        assert result.numeric_reference_error is not None and 0.0 <= result.numeric_reference_error < 1e-6
    directional = verify_gradients(problem.cost, problem.parameters, grads, mode="directional", **options)
    assert all(result.numeric_reference_error is None for result in directional)


# -- a failed block's worst entry and error map ---------------------------------------------------------


def test_a_failed_blocks_error_map_is_above_one_exactly_where_it_is_wrong() -> None:
    """``|a − n| / τ`` per entry, in the parameter's shape: above 1 on the two planted entries,
    infinite on a NaN entry, below 1 elsewhere; no floating-point warning on the way."""
    w = w_point()
    a = np.exp(w)
    a[0, 3] += 0.1
    a[2, 1] -= 0.2
    a[1, 1] = np.nan
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = verify_gradients(exp_cost, {"w": w}, {"dw": a})["w"]
    assert not result.passed and result.n_failed == 3
    assert result.worst_index == (1, 1)  # a NaN entry is the worst there is
    excess = result.excess
    assert excess is not None and excess.shape == w.shape
    wrong = np.zeros(w.shape, dtype=bool)
    wrong[[0, 2, 1], [3, 1, 1]] = True
    assert np.all(excess[wrong] > 1.0) and np.all(excess[~wrong] < 1.0)
    assert excess[1, 1] == np.inf


def test_the_worst_entry_of_a_failed_block_is_a_wrong_one_not_a_kink() -> None:
    """``J = Σ max(w, 0)`` with a kink at ``w[0, 1] = 0``: the value 1 there passes as a kink,
    though far from the central difference 0.5; the worst entry reported is the wrong one, 1e-3 off."""
    w = np.random.default_rng(2).uniform(0.5, 1.0, size=(3, 4))
    w[0, 1] = 0.0
    a = (w > 0).astype(float)
    a[0, 1] = 1.0
    a[2, 3] += 1e-3
    result = verify_gradients(lambda p: np.sum(np.maximum(p["w"], 0.0)), {"w": w}, {"dw": a})["w"]
    assert not result.passed and result.n_failed == 1 and result.n_kinks == 1
    assert result.worst_index == (2, 3)
    assert result.worst_analytic == a[2, 3]


@pytest.mark.parametrize(("size", "mapped"), [(EXCESS_MAP_SIZE, True), (EXCESS_MAP_SIZE + 1, False)])
def test_failed_blocks_keep_their_error_map_up_to_its_size_limit(size: int, mapped: bool) -> None:
    """Along directions, group testing locates the one wrong entry: its excess is above 1, and the
    entries never compared one by one are NaN."""
    w = np.random.default_rng(0).uniform(0.5, 1.5, size=size)
    a = w**2
    a[17] += 0.5
    result = verify_gradients(cube_cost, {"w": w}, {"dw": a}, mode="directional")["w"]
    assert not result.passed and result.n_failed == 1 and result.worst_index == (17,)
    if mapped:
        assert result.excess is not None and result.excess.shape == (size,)
        assert result.excess[17] > 1.0 and np.isnan(np.delete(result.excess, 17)).all()
    else:
        assert result.excess is None


def test_without_a_reference_fd_agrees_is_the_finite_differences_verdict() -> None:
    w = w_point()
    right = verify_gradients(exp_cost, {"w": w}, {"dw": np.exp(w)})["w"]
    wrong = verify_gradients(exp_cost, {"w": w}, {"dw": 2 * np.exp(w)})["w"]
    assert (right.fd_agrees, right.reference_agrees) == (True, None)
    assert (wrong.fd_agrees, wrong.reference_agrees) == (False, None)


def test_float32_gradients_checked_along_directions_are_judged_at_float32_precision() -> None:
    """The joint directions judge float32 rounding (6e-8 relative) with float32's ε: they pass,
    and no block is measured alone."""
    w = np.random.default_rng(0).uniform(0.5, 1.5, size=(6, 8))
    report = verify_gradients(
        cube_cost, {"w": w}, {"dw": (w**2).astype(np.float32)}, mode="directional", directions=2
    )
    assert report.passed and report["w"].directions == directions_taken(2)


# -- a gradient of the wrong shape ----------------------------------------------------------------------


def transposed_report(dW1: np.ndarray, **options: Any) -> Any:
    problem = tanh_problem()
    return verify_gradients(problem.cost, problem.parameters, {**exact_keys(problem), "dW1": dW1}, **options)


@pytest.mark.parametrize(
    ("dtype", "with_data", "mode"),
    [
        (np.float64, True, "auto"),  # the reference decides
        (np.float32, True, "auto"),  # at float32's precision
        (np.float64, False, "auto"),  # finite differences of every entry
        (np.float64, False, "directional"),  # one direction
    ],
)
def test_a_transposed_gradient_is_recorded_as_unchecked_and_its_transpose_recognised(
    dtype: type, with_data: bool, mode: str
) -> None:
    problem = tanh_problem()
    data = {"X": problem.X, "Y": problem.Y} if with_data else {}
    report = transposed_report(exact(problem)["W1"].T.astype(dtype), mode=mode, **data)
    result = report["W1"]
    assert result.passed is False and result.mode == "none" and result.gradient_key == "dW1"
    assert result.shape == (3, 4) and result.expected_shape == (4, 3)
    assert result.n_failed == result.size == 12 and math.isnan(result.relative_error)
    assert result.diagnosis is not None and result.diagnosis.code == "transposed"
    assert result.diagnosis.message.startswith(
        "dW1 has shape (3, 4) but W1 has shape (4, 3): it is transposed."
    )
    assert "Its transpose matches the right gradient" in result.diagnosis.message
    assert all(r.passed for r in report if r.name != "W1")


def test_a_transposed_gradient_with_a_nan_entry_does_not_match_along_a_direction() -> None:
    problem = tanh_problem()
    dW1 = exact(problem)["W1"].T.copy()
    dW1[1, 2] = np.nan
    result = transposed_report(dW1, mode="directional")["W1"]
    assert result.diagnosis is not None and result.diagnosis.code == "transposed"
    assert "Its transpose does not match the right gradient either" in result.diagnosis.message


def test_a_gradient_that_only_lacks_its_second_axis_is_right_once_reshaped() -> None:
    problem = tanh_problem()
    grads = exact_keys(problem)
    result = verify_gradients(
        problem.cost, problem.parameters, {**grads, "db1": grads["db1"].reshape(-1)}, X=problem.X, Y=problem.Y
    )["b1"]
    assert result.mode == "none" and result.gradient_key == "db1" and result.shape == (4,)
    assert result.diagnosis is not None and result.diagnosis.code == "shape_mismatch"
    assert result.diagnosis.message.startswith(
        "db1 has shape (4,) but b1 has shape (4, 1): did you forget keepdims=True?"
    )
    assert "Its values are right once reshaped" in result.diagnosis.message


def test_a_gradient_keyed_like_its_parameter_is_called_the_gradient_for_it() -> None:
    """Keyed ``b1``, not ``db1``: "b1 has shape (4,) but b1 has shape (4, 1)" would name b1 twice."""
    problem = tanh_problem()
    grads = exact(problem)
    keyed_b1 = {**grads, "b1": grads["b1"].reshape(-1)}
    result = verify_gradients(problem.cost, problem.parameters, keyed_b1)["b1"]
    assert result.gradient_key == "b1"
    assert result.diagnosis is not None and result.diagnosis.message.startswith(
        "the gradient for b1 has shape (4,) but b1 has shape (4, 1): did you forget keepdims=True?"
    )


def test_a_gradient_of_the_same_size_in_another_2d_shape_is_compared_reshaped_not_transposed() -> None:
    problem = tanh_problem()
    grads = exact_keys(problem)
    result = verify_gradients(
        problem.cost,
        problem.parameters,
        {**grads, "dW1": grads["dW1"].reshape(2, 6)},
        X=problem.X,
        Y=problem.Y,
    )["W1"]
    assert result.mode == "none" and result.shape == (2, 6)
    assert result.diagnosis is not None and result.diagnosis.code == "shape_mismatch"
    assert "Its values are right once reshaped" in result.diagnosis.message

"""Finite differences and the comparison helpers, against functions with known derivatives."""

import copy

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from gradcheck import GradcheckError, numerical_gradient
from gradcheck.compare import block_relative_error, compare, element_relative_errors
from gradcheck.numerical import estimate_noise, finite_differences
from tests.budgets import CENTRAL, NOISE, START

small = st.floats(-3, 3, allow_nan=False)


@given(arrays(np.float64, st.tuples(st.integers(1, 4), st.integers(1, 4)), elements=small))
def test_central_differences_of_a_cubic(w: np.ndarray) -> None:
    # J = Σ w³ + 2 Σ w: dJ/dw = 3 w² + 2, and central differences are off by exactly h² (J‴/6 = 1)
    fd = finite_differences(lambda p: float(np.sum(p["w"] ** 3) + 2 * np.sum(p["w"])), {"w": w})
    exact = 3 * w**2 + 2
    np.testing.assert_allclose(fd.gradient["w"], exact + fd.steps["w"] ** 2, rtol=1e-8, atol=1e-8)
    assert fd.evaluations == START + NOISE + CENTRAL * w.size


@given(arrays(np.float64, st.integers(1, 6), elements=small))
def test_forward_differences_of_sin(w: np.ndarray) -> None:
    grad = numerical_gradient(lambda p: float(np.sum(np.sin(p["w"]))), {"w": w}, method="forward")
    np.testing.assert_allclose(grad["w"], np.cos(w), atol=1e-6)


def test_float32_parameters_are_evaluated_in_float64_and_left_alone() -> None:
    w = np.array([[0.5, -1.25]], dtype=np.float32)
    before = w.copy()
    seen = []

    def cost(p):  # type: ignore[no-untyped-def]
        seen.append(p["w"].dtype)
        return float(np.sum(np.exp(p["w"])))

    grad = numerical_gradient(cost, {"w": w})
    assert set(seen) == {np.dtype(np.float64)}
    assert grad["w"].dtype == np.float64
    np.testing.assert_allclose(grad["w"], np.exp(w.astype(np.float64)), rtol=1e-9)
    assert w.dtype == np.float32 and np.array_equal(w, before)


def test_a_float32_cost_gets_a_larger_step_and_its_noise() -> None:
    def cost(p):  # type: ignore[no-untyped-def]
        return np.sum(np.exp(p["w"].astype(np.float32)))

    fd = finite_differences(cost, {"w": np.array([0.3, -0.7])})
    assert fd.eps == np.finfo(np.float32).eps
    assert fd.steps["w"][0] > 1e-3  # ε32^(1/3) ≈ 4.9e-3, not the float64 6e-6
    np.testing.assert_allclose(fd.gradient["w"], np.exp([0.3, -0.7]), rtol=1e-3)


def test_explicit_step_is_used_for_every_entry() -> None:
    fd = finite_differences(lambda p: float(np.sum(p["w"] ** 2)), {"w": np.array([1.0, 100.0])}, step=1e-4)
    np.testing.assert_allclose(fd.steps["w"], 1e-4, rtol=1e-9)
    with pytest.raises(GradcheckError, match="step must be a positive"):
        finite_differences(lambda p: 1.0, {"w": np.ones(1)}, step=-1.0)


def test_noise_estimate_sees_added_noise() -> None:
    rng = np.random.default_rng(0)
    quiet, _ = estimate_noise(lambda p: float(np.sum(p["w"] ** 2)), {"w": np.ones(3)}, 3.0, 2.2e-16)
    noisy, _ = estimate_noise(
        lambda p: float(np.sum(p["w"] ** 2) + 1e-9 * rng.standard_normal()), {"w": np.ones(3)}, 3.0, 2.2e-16
    )
    assert quiet < 1e-14
    assert 3e-10 < noisy < 3e-9


def test_errors_name_the_perturbed_entry() -> None:
    def cost(p):  # type: ignore[no-untyped-def]
        if p["W1"][1, 0] > 0.5 + 1e-6:  # beyond the noise estimate's points (1e-8 apart), within the step
            raise ValueError("boom")
        return float(np.sum(p["W1"]))

    with pytest.raises(
        GradcheckError, match=r"raised ValueError: boom \(called with W1\[1, 0\] perturbed by \+"
    ):
        numerical_gradient(cost, {"W1": np.array([[0.0], [0.5]])})


def test_caller_dict_is_not_changed() -> None:
    parameters = {"a": np.arange(3.0), "b": np.ones((2, 2))}
    before = copy.deepcopy(parameters)
    numerical_gradient(lambda p: float(np.sum(p["a"]) * np.sum(p["b"])), parameters)
    assert parameters.keys() == before.keys()
    for key in before:
        np.testing.assert_array_equal(parameters[key], before[key])


def test_block_relative_error_values() -> None:
    assert block_relative_error(np.zeros(3), np.zeros(3)) == 0.0
    assert block_relative_error(np.ones(3), np.zeros(3)) == 1.0
    assert block_relative_error(np.ones(3), -np.ones(3)) == 1.0
    assert block_relative_error(np.array([3.0, 4.0]), np.array([3.0, 4.0])) == 0.0
    # ‖(2,0)‖ / (‖(3,4)‖ + ‖(1,4)‖) = 2 / (5 + √17)
    assert block_relative_error(np.array([3.0, 4.0]), np.array([1.0, 4.0])) == pytest.approx(
        2 / (5 + 17**0.5)
    )


def test_element_errors_and_worst_entry() -> None:
    a = np.array([[1.0, 0.0], [2.0, 5.0]])
    n = np.array([[1.0, 0.0], [2.5, 5.0]])
    np.testing.assert_allclose(element_relative_errors(a, n), [[0, 0], [0.5 / 4.5, 0]])
    result = compare(a, n, np.full(a.shape, 0.1))
    assert result.n_failed == 1 and result.worst_index == (1, 0)
    assert (result.worst_analytic, result.worst_other, result.worst_tolerance) == (2.0, 2.5, 0.1)
    assert compare(a, a, 0.0).n_failed == 0

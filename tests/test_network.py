"""The reference network: hand-derived gradients against autograd, FD, and properties of the math."""

import autograd
import numpy as np
import pytest
from hypothesis import assume, given, note
from hypothesis import strategies as st

from gradcheck import verify_gradients
from gradcheck.compare import block_relative_error
from gradcheck.network.activations import get_activation
from gradcheck.network.two_layer import (
    PARAMETER_NAMES,
    backward,
    cost,
    cost_from_logits,
    forward,
    initialize_parameters,
    logits,
)
from gradcheck.strategies import Problem, activations, network_shapes, problems


@given(problems())
def test_hand_derived_gradients_equal_autograd(problem: Problem) -> None:
    note(f"seed={problem.seed} shape={problem.shape} activation={problem.activation} scale={problem.scale}")
    # dZ2 = A2 - Y cancels where an output is within 1e-4 of its label: the formula then carries a
    # relative rounding of ε / |A2 - Y|, above 1e-12 (that regime is measured in bench/tolerance_margin.py)
    A2, _ = forward(problem.X, problem.parameters, problem.activation)
    assume(np.min(np.abs(A2 - problem.Y)) > 1e-4)
    exact = autograd.grad(problem.cost)(problem.parameters)
    grads = problem.gradients()
    scale = rounding_scale(problem)
    for name in PARAMETER_NAMES:
        a, r = grads[f"d{name}"], exact[name]
        assert a.shape == problem.parameters[name].shape
        # relative to the gradient, or to its terms where they cancel (a sum over the examples of
        # dZ1 entries of both signs can be 1e-5 of its terms: rounding of ε · terms, not a bug)
        assert np.all(np.abs(a - r) <= 1e-12 * (np.abs(r) + scale[name])), (name, block_relative_error(a, r))


def rounding_scale(problem: Problem) -> dict[str, np.ndarray]:
    """The backward pass with every term taken in absolute value: the size of what is summed.

    Written here from the chain rule (dZ2 = A2 − Y, dZ1 = W2ᵀ dZ2 ⊙ g′(Z1)), with g′ from autograd,
    independent of ``gradcheck.network.two_layer.backward``."""
    p, X, Y = problem.parameters, problem.X, problem.Y
    m = X.shape[1]
    Z1 = p["W1"] @ X + p["b1"]
    A1 = problem.activation.forward(Z1)
    A2 = 1.0 / (1.0 + np.exp(-(p["W2"] @ A1 + p["b2"])))
    S2 = np.abs(A2) + np.abs(Y)
    S1 = (np.abs(p["W2"]).T @ S2) * np.abs(autograd.elementwise_grad(problem.activation.forward)(Z1))
    return {
        "W1": S1 @ np.abs(X).T / m,
        "b1": np.sum(S1, axis=1, keepdims=True) / m,
        "W2": S2 @ np.abs(A1).T / m,
        "b2": np.sum(S2, axis=1, keepdims=True) / m,
    }


@given(problems(scales=st.floats(0.05, 1.0)))
def test_autograd_of_the_course_cost_agrees_away_from_saturation(problem: Problem) -> None:
    A2, _ = forward(problem.X, problem.parameters, problem.activation)
    assume(np.min(np.minimum(A2, 1 - A2)) > 1e-4 and np.min(np.abs(A2 - problem.Y)) > 1e-4)
    exact = autograd.grad(lambda p: cost(forward(problem.X, p, problem.activation)[0], problem.Y))(
        problem.parameters
    )
    for name, value in problem.gradients().items():
        assert block_relative_error(value, exact[name[1:]]) <= 1e-9, name


@given(problems())
def test_hand_derived_gradients_agree_with_finite_differences(problem: Problem) -> None:
    report = verify_gradients(problem.cost, problem.parameters, problem.gradients())
    assert report.passed, str(report)


@given(problems(scales=st.floats(0.05, 1.0)))
def test_cost_and_cost_from_logits_are_the_same_function(problem: Problem) -> None:
    A2, cache = forward(problem.X, problem.parameters, problem.activation)
    assume(np.all((A2 > 0.0) & (A2 < 1.0)))  # A2 rounded to 0 or 1: no digits left
    exact = cost_from_logits(cache["Z2"], problem.Y)
    # rounding of A2 (relative ε) moves log(1 − A2) by ε A2 / (1 − A2) and log(A2) by ε (1 − A2) / A2:
    # near saturation the cost on probabilities loses digits that no formula on A2 can keep
    m, eps = problem.X.shape[1], np.finfo(np.float64).eps
    conditioning = np.sum(1.0 + A2 / (1.0 - A2) + (1.0 - A2) / A2) / m
    assert abs(cost(A2, problem.Y) - exact) <= 8.0 * eps * (abs(exact) + conditioning)


@given(problems())
def test_logits_are_the_forward_pass_before_its_sigmoid(problem: Problem) -> None:
    _, cache = forward(problem.X, problem.parameters, problem.activation)
    Z2 = logits(problem.X, problem.parameters, problem.activation)
    assert np.array_equal(Z2, cache["Z2"])
    assert cost_from_logits(Z2, problem.Y) == cost_from_logits(cache["Z2"], problem.Y)


def test_logits_by_hand_on_a_small_example() -> None:
    X = np.array([[1.0, -2.0], [0.5, 0.0]])
    p = {
        "W1": np.array([[0.3, -0.1]]),
        "b1": np.array([[0.2]]),
        "W2": np.array([[2.0]]),
        "b2": np.array([[-1.0]]),
    }
    expected = [[2.0 * np.tanh(0.3 - 0.05 + 0.2) - 1.0, 2.0 * np.tanh(-0.6 + 0.2) - 1.0]]
    np.testing.assert_allclose(logits(X, p, "tanh"), expected, rtol=1e-15)


def test_cost_by_hand_on_a_small_example() -> None:
    A2 = np.array([[0.9, 0.2, 0.5]])
    Y = np.array([[1.0, 0.0, 1.0]])
    expected = -(np.log(0.9) + np.log(0.8) + np.log(0.5)) / 3
    assert cost(A2, Y) == pytest.approx(expected, rel=1e-15)
    assert cost(A2, Y[0]) == pytest.approx(expected, rel=1e-15)  # Y as (m,)
    two_outputs = np.array([[0.9, 0.2], [0.3, 0.6]])
    assert cost(two_outputs, np.array([[1.0, 0.0], [0.0, 1.0]])) == pytest.approx(
        -(np.log(0.9) + np.log(0.8) + np.log(0.7) + np.log(0.6)) / 2, rel=1e-15
    )


def test_cost_is_finite_for_saturated_outputs() -> None:
    A2 = np.array([[1.0, 0.0, 1.0, 0.0]])
    right = cost(A2, np.array([[1.0, 0.0, 1.0, 0.0]]))
    wrong = cost(A2, np.array([[0.0, 1.0, 1.0, 0.0]]))
    assert right == 0.0
    assert np.isfinite(wrong) and wrong > 300


@given(problems(activation=activations(("identity",))))
def test_identity_activation_is_logistic_regression(problem: Problem) -> None:
    p, X, Y = problem.parameters, problem.X, problem.Y
    W = p["W2"] @ p["W1"]
    b = p["W2"] @ p["b1"] + p["b2"]
    A2, _ = forward(X, p, "identity")
    np.testing.assert_allclose(A2, 1 / (1 + np.exp(-(W @ X + b))), rtol=1e-10)
    # chain rule: with dZ = A2 - Y, dW = (1/m) dZ Xᵀ; dW1 = W2ᵀ dW and dW2 = dW (W1 X + b1)ᵀ-part
    m = X.shape[1]
    dZ = A2 - Y
    dW = dZ @ X.T / m
    db = dZ.sum(axis=1, keepdims=True) / m
    grads = problem.gradients()
    np.testing.assert_allclose(grads["dW1"], p["W2"].T @ dW, rtol=1e-9, atol=1e-14)
    np.testing.assert_allclose(grads["db1"], p["W2"].T @ db, rtol=1e-9, atol=1e-14)
    np.testing.assert_allclose(grads["dW2"], dZ @ (p["W1"] @ X + p["b1"]).T / m, rtol=1e-9, atol=1e-14)


@given(network_shapes(), activations(), st.sampled_from(["zeros", "constant"]), st.integers(0, 100))
def test_symmetric_initialisation_never_breaks_symmetry(shape, activation, init, seed) -> None:  # type: ignore[no-untyped-def]
    n_x, n_h, n_y, m = shape
    rng = np.random.default_rng(seed)
    X, Y = rng.standard_normal((n_x, m)), (rng.random((n_y, m)) < 0.5).astype(float)
    p = initialize_parameters(n_x, n_h, n_y, seed=seed, init=init, scale=0.3)
    _, cache = forward(X, p, activation)
    grads = backward(p, cache, X, Y, activation)
    # Identical in exact arithmetic; in floating point BLAS may add each row's terms in another
    # order. The standard bound for a computed product chain: ε · (length of all the sums) ·
    # the same products taken in absolute values. (Forward sums over n_x, backward over n_y, m.)
    rounding = 2 * (n_x + n_h + n_y + m) * np.finfo(float).eps
    g_prime = np.abs(get_activation(activation).derivative(cache["Z1"]))
    abs_dZ2 = np.abs(cache["A2"] - Y)
    abs_Z1 = np.abs(p["W1"]) @ np.abs(X) + np.abs(p["b1"])
    abs_dW1 = (np.abs(p["W2"]).T @ abs_dZ2 * g_prime) @ np.abs(X).T / m
    abs_dW2 = abs_dZ2 @ (np.abs(cache["A1"]) + g_prime * abs_Z1).T / m
    assert np.all(np.abs(grads["dW1"] - grads["dW1"][:1]) <= rounding * abs_dW1)
    assert np.all(np.abs(grads["dW2"] - grads["dW2"][:, :1]) <= rounding * abs_dW2)


@given(problems(), st.randoms(use_true_random=False))
def test_permuting_hidden_units_permutes_the_gradients(problem: Problem, random) -> None:  # type: ignore[no-untyped-def]
    p = problem.parameters
    order = list(range(p["W1"].shape[0]))
    random.shuffle(order)
    permuted = {"W1": p["W1"][order], "b1": p["b1"][order], "W2": p["W2"][:, order], "b2": p["b2"]}
    g, gp = (
        problem.gradients(),
        Problem(problem.X, problem.Y, permuted, problem.activation, 0, 1.0).gradients(),
    )
    np.testing.assert_allclose(gp["dW1"], g["dW1"][order], rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(gp["db1"], g["db1"][order], rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(gp["dW2"], g["dW2"][:, order], rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(gp["db2"], g["db2"], rtol=1e-12, atol=1e-15)


@given(problems())
def test_cost_and_gradient_are_means_over_examples(problem: Problem) -> None:
    X, Y, p, g = problem.X, problem.Y, problem.parameters, problem.activation
    m = X.shape[1]
    singles = [(X[:, [i]], Y[:, [i]]) for i in range(m)]
    A2, _ = forward(X, p, g)
    per_example_costs = [cost(forward(x, p, g)[0], y) for x, y in singles]
    assert cost(A2, Y) == pytest.approx(np.mean(per_example_costs), rel=1e-10, abs=1e-300)
    full = problem.gradients()
    per_example = [backward(p, forward(x, p, g)[1], x, y, g) for x, y in singles]
    for key, value in full.items():
        np.testing.assert_allclose(
            value, np.mean([e[key] for e in per_example], axis=0), rtol=1e-10, atol=1e-15
        )


def test_initialize_parameters_shapes_scale_and_dtype() -> None:
    p = initialize_parameters(3, 4, 2, seed=0)
    assert {k: v.shape for k, v in p.items()} == {"W1": (4, 3), "b1": (4, 1), "W2": (2, 4), "b2": (2, 1)}
    assert not p["b1"].any() and not p["b2"].any()
    assert 0.001 < np.std(np.concatenate([p["W1"].ravel(), p["W2"].ravel()])) < 0.03
    assert initialize_parameters(3, 4, 2, seed=0, dtype=np.float32)["W1"].dtype == np.float32
    np.testing.assert_array_equal(
        initialize_parameters(3, 4, 2, seed=5)["W1"], initialize_parameters(3, 4, 2, seed=5)["W1"]
    )
    assert (initialize_parameters(3, 4, 2, seed=0, init="constant", scale=0.5)["W2"] == 0.5).all()
    with pytest.raises(ValueError, match="n_h must be a positive integer"):
        initialize_parameters(3, 0, 1, seed=0)
    with pytest.raises(ValueError, match="init must be"):
        initialize_parameters(3, 2, 1, seed=0, init="xavier")  # type: ignore[arg-type]

"""The course's L-layer network and logistic regression, checked the way learners check them.

Learner code here is written as the course's notebooks write it (``linear_backward``,
``relu_backward``, ``sigmoid_backward``, ``L_model_backward``, ``propagate``), independently of
``gradcheck.network``; expected gradients come from autograd on costs written here.
"""

from __future__ import annotations

from typing import Any

import autograd
import autograd.numpy as anp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gradcheck import verify_gradients
from gradcheck.network import deep, two_layer
from gradcheck.network.activations import get_activation
from gradcheck.network.deep import Network, exact_cost
from gradcheck.network.logistic import propagate

# -- the course's functions, as learners write them ----------------------------------------------


def sigmoid(Z: Any) -> Any:
    return 1 / (1 + anp.exp(-Z))


def relu(Z: Any) -> Any:
    return anp.maximum(0, Z)


def forward(X: np.ndarray, p: dict[str, Any], L: int, hidden: str = "relu", lambd: float = 0.0) -> Any:
    """``L_model_forward`` with ``compute_cost`` (and the L2 term), on autograd.numpy."""
    A, caches = X, []
    for l in range(1, L + 1):
        Z = anp.dot(p[f"W{l}"], A) + p[f"b{l}"]
        caches.append(((A, p[f"W{l}"], p[f"b{l}"]), Z))
        A = sigmoid(Z) if l == L else relu(Z) if hidden == "relu" else anp.tanh(Z)
    return A, caches


def cost(X: np.ndarray, Y: np.ndarray, L: int, hidden: str = "relu", lambd: float = 0.0) -> Any:
    def cost_fn(p: dict[str, Any]) -> Any:
        AL, _ = forward(X, p, L, hidden)
        m = X.shape[1]
        J = -anp.sum(Y * anp.log(AL) + (1 - Y) * anp.log(1 - AL)) / m
        return J + lambd / (2 * m) * sum(anp.sum(p[f"W{l}"] ** 2) for l in range(1, L + 1))

    return cost_fn


def linear_backward(dZ: np.ndarray, cache: Any, transpose: bool = True) -> Any:
    A_prev, W, _ = cache
    m = A_prev.shape[1]
    dW = np.dot(dZ, A_prev.T) / m
    db = np.sum(dZ, axis=1, keepdims=True) / m
    dA_prev = np.dot(W.T, dZ) if transpose else np.dot(W, dZ)
    return dA_prev, dW, db


def relu_backward(dA: np.ndarray, Z: np.ndarray, mistake: str = "") -> np.ndarray:
    dZ = np.array(dA, copy=True)
    if mistake == "no_mask":
        return dZ
    if mistake == "A >= 0":  # the mask computed on A = relu(Z): 1 everywhere
        return dZ * (relu(Z) >= 0)
    dZ[Z <= 0] = 0
    return dZ


def sigmoid_backward(dA: np.ndarray, Z: np.ndarray, mistake: str = "") -> np.ndarray:
    s = 1 / (1 + np.exp(-Z))
    return dA * s if mistake == "dA * s" else dA * s * (1 - s)


def L_model_backward(
    AL: np.ndarray,
    Y: np.ndarray,
    caches: list[Any],
    mistake: str = "",
    hidden: str = "relu",
    lambd: float = 0.0,
) -> dict[str, np.ndarray]:
    """The course's ``L_model_backward`` with one mistake switched on (``""``: none)."""
    grads = {}
    L = len(caches)
    m = AL.shape[1]
    dAL = -(np.divide(Y, AL) - np.divide(1 - Y, 1 - AL))
    linear_cache, Z = caches[L - 1]
    dZ = sigmoid_backward(dAL, Z, "dA * s" if mistake == "dA * s" else "")
    dA_prev, grads[f"dW{L}"], grads[f"db{L}"] = linear_backward(dZ, linear_cache)
    for l in reversed(range(1, L)):
        linear_cache, Z = caches[l - 1]
        if mistake == "sigmoid_backward for the hidden layers":
            dZ = sigmoid_backward(dA_prev, Z)
        elif hidden == "tanh":
            A = np.tanh(Z)
            dZ = dA_prev * (A * (1 - A) if mistake == "sigmoid's formula" else 1 - A**2)
        else:
            one_layer = (
                mistake == "no_mask in layer 2 only" and l == 2
            )  # per-layer code, as backward_propagation_n
            dZ = relu_backward(dA_prev, Z, "no_mask" if one_layer else mistake)
        dA_prev, grads[f"dW{l}"], grads[f"db{l}"] = linear_backward(dZ, linear_cache)
    for l in range(1, L + 1):
        grads[f"dW{l}"] = grads[f"dW{l}"] + lambd / m * caches[l - 1][0][1]
    return grads


def point(
    dims: tuple[int, ...], seed: int, m: int = 6
) -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((dims[0], m))
    Y = (rng.random((dims[-1], m)) < 0.5).astype(np.float64)
    p = {}
    for l in range(1, len(dims)):
        p[f"W{l}"] = rng.standard_normal((dims[l], dims[l - 1])) * 0.8
        p[f"b{l}"] = rng.standard_normal((dims[l], 1)) * 0.3
    return p, X, Y


def check(
    dims: tuple[int, ...], seed: int, mistake: str = "", hidden: str = "relu", lambd: float = 0.0
) -> Any:
    p, X, Y = point(dims, seed)
    L = len(dims) - 1
    AL, caches = forward(X, p, L, hidden)
    grads = L_model_backward(AL, Y, caches, mistake, hidden, lambd)
    return verify_gradients(cost(X, Y, L, hidden, lambd), p, grads, X=X, Y=Y), p, X, Y


# -- the hand-derived backward pass against autograd -----------------------------------------------


@settings(max_examples=30, deadline=None)
@given(
    dims=st.lists(st.integers(1, 4), min_size=2, max_size=5),
    hidden=st.sampled_from(["relu", "tanh", "sigmoid", "leaky_relu"]),
    output=st.sampled_from(["sigmoid", "softmax"]),
    lambd=st.sampled_from([0.0, 0.7]),
    keep_prob=st.sampled_from([1.0, 0.8]),
    seed=st.integers(0, 2**16),
)
def test_the_backward_pass_is_autograds_with_every_option(
    dims: list[int], hidden: str, output: str, lambd: float, keep_prob: float, seed: int
) -> None:
    if output == "softmax":
        dims[-1] = max(dims[-1], 2)
    rng = np.random.default_rng(seed)
    m = 5
    X = rng.standard_normal((dims[0], m))
    Y = (
        np.eye(dims[-1])[rng.integers(0, dims[-1], m)].T
        if output == "softmax"
        else (rng.random((dims[-1], m)) < 0.5).astype(np.float64)
    )
    p = {}
    for l in range(1, len(dims)):
        p[f"W{l}"], p[f"b{l}"] = (
            rng.standard_normal((dims[l], dims[l - 1])),
            rng.standard_normal((dims[l], 1)),
        )
    L = len(dims) - 1
    masks = (
        tuple((rng.random((n, m)) < keep_prob).astype(np.float64) for n in dims[1:-1])
        if keep_prob < 1
        else ()
    )
    network = Network.of(L, hidden, output=output, lambd=lambd, keep_prob=keep_prob, masks=masks)
    AL, caches = deep.L_model_forward(X, p, network)
    grads = deep.L_model_backward(AL, Y, caches, network)
    exact = autograd.grad(lambda q: exact_cost(X, Y, q, network))(p)
    for name, value in exact.items():
        np.testing.assert_allclose(grads[f"d{name}"], value, rtol=1e-9, atol=1e-12, err_msg=name)


@settings(max_examples=20, deadline=None)
@given(n_x=st.integers(1, 4), n_h=st.integers(1, 4), n_y=st.integers(1, 3), seed=st.integers(0, 2**16))
def test_two_layers_are_the_one_hidden_layer_network(n_x: int, n_h: int, n_y: int, seed: int) -> None:
    p, X, Y = point((n_x, n_h, n_y), seed)
    for hidden in ("relu", "tanh", "sigmoid"):
        network = Network.of(2, hidden)
        AL, caches = deep.L_model_forward(X, p, network)
        gradients = deep.L_model_backward(AL, Y, caches, network)
        _, cache = two_layer.forward(X, p, hidden)
        seed_network = two_layer.backward(p, cache, X, Y, hidden)
        for key, value in seed_network.items():
            np.testing.assert_allclose(gradients[key], value, rtol=1e-13, atol=1e-15)


def test_propagate_is_autograds_and_its_b_is_a_scalar() -> None:
    p, X, Y = point((4, 1), 0)
    w, b = p["W1"].T.copy(), 0.3
    grads, J = propagate(w, b, X, Y)

    def course_cost(q: dict[str, Any]) -> Any:
        A = sigmoid(anp.dot(q["w"].T, X) + q["b"])
        return -anp.mean(Y * anp.log(A) + (1 - Y) * anp.log(1 - A))

    exact = autograd.grad(course_cost)({"w": w, "b": b})
    np.testing.assert_allclose(grads["dw"], exact["w"], rtol=1e-12)
    assert np.ndim(grads["db"]) == 0 and grads["db"] == pytest.approx(exact["b"], rel=1e-12)
    assert J == pytest.approx(float(course_cost({"w": w, "b": b})), rel=1e-12)


# -- recognition and the exact opinion -------------------------------------------------------------


@pytest.mark.parametrize("dims", [(3, 1), (3, 4, 1), (3, 4, 3, 1), (5, 4, 3, 2, 1)])
@pytest.mark.parametrize("lambd", [0.0, 0.7])
def test_correct_course_code_passes_with_the_exact_opinion_at_every_depth(
    dims: tuple[int, ...], lambd: float
) -> None:
    report, *_ = check(dims, 0, lambd=lambd)
    assert report.passed and report.diagnosis is None, str(report)
    assert report.reference is not None and all(result.reference_agrees for result in report)
    if lambd:
        assert "L2 lambd=0.7" in report.reference


def test_logistic_regression_is_recognised_with_a_scalar_b() -> None:
    p, X, Y = point((4, 1), 1)
    w, b = p["W1"].T.copy(), np.float64(0.3)

    def cost_fn(q: dict[str, Any]) -> Any:
        return propagate(q["w"], q["b"], X, Y)[1]

    grads, _ = propagate(w, b, X, Y)
    report = verify_gradients(cost_fn, {"w": w, "b": b}, grads, X=X, Y=Y)
    assert report.passed, str(report)
    assert report.reference == "reference logistic regression (autograd)"
    wrong = {"dw": grads["dw"] * X.shape[1], "db": grads["db"]}
    report = verify_gradients(cost_fn, {"w": w, "b": b}, wrong, X=X, Y=Y)
    assert [r.label for r in report.failed] == ["dw"]
    assert report["dw"].diagnosis is not None and report["dw"].diagnosis.code == "missing_1_over_m"
    assert "dw = np.dot(X, (A - Y).T) / m" in report["dw"].diagnosis.message


# -- the learner mistakes, named per layer ---------------------------------------------------


@pytest.mark.parametrize(
    ("mistake", "layers", "says"),
    [
        ("sigmoid_backward for the hidden layers", {1, 2}, "sigmoid_backward"),
        ("no_mask", {1, 2}, "relu_backward does not mask (every hidden layer)"),
        ("A >= 0", {1, 2}, "relu_backward does not mask (every hidden layer)"),
        ("no_mask in layer 2 only", {1, 2}, "relu_backward does not mask (layer 2)"),
        ("dA * s", {1, 2, 3}, "sigmoid_backward lacks its (1 - s)"),
    ],
)
def test_a_deep_mistake_is_flagged_on_its_layers_and_named(mistake: str, layers: set[int], says: str) -> None:
    report, *_ = check((4, 5, 3, 1), 2, mistake)
    assert {r.label for r in report.failed} == {f"d{k}{l}" for l in layers for k in "Wb"}, str(report)
    assert report.diagnosis is not None and report.diagnosis.code == "wrong_activation_derivative", str(
        report
    )
    assert says in report.diagnosis.message


def test_a_mistake_below_the_top_layers_points_at_the_hidden_layer() -> None:
    report, p, X, Y = check((4, 5, 3, 1), 3)
    L = 3
    AL, caches = forward(X, p, L)
    grads = L_model_backward(AL, Y, caches)
    grads["dW2"] = grads["dW2"] + 0.01  # an unknown mistake in layers 1 and 2
    grads["dW1"] = grads["dW1"] * 1.7
    report = verify_gradients(cost(X, Y, L), p, grads, X=X, Y=Y)
    assert {r.label for r in report.failed} == {"dW1", "dW2"}
    wrong_layers = {**grads, "db1": grads["db1"] * 3, "db2": grads["db2"] + 0.2}
    report = verify_gradients(cost(X, Y, L), p, wrong_layers, X=X, Y=Y)
    assert report.diagnosis is not None
    assert "backward pass through hidden layer 2" in report.diagnosis.message


def test_dA_prev_without_transpose_is_named_where_it_runs() -> None:
    p, X, Y = point((3, 3, 3, 3), 4)
    AL, caches = forward(X, p, 3)
    grads: dict[str, np.ndarray] = {}
    dZ = AL - Y
    for l in (3, 2, 1):
        linear_cache, _ = caches[l - 1]
        dA_prev, grads[f"dW{l}"], grads[f"db{l}"] = linear_backward(dZ, linear_cache, transpose=False)
        if l > 1:
            dZ = relu_backward(dA_prev, caches[l - 2][1])
    report = verify_gradients(cost(X, Y, 3), p, grads, X=X, Y=Y)
    assert {r.label for r in report.failed} == {"dW1", "db1", "dW2", "db2"}, str(report)
    assert report.diagnosis is not None and report.diagnosis.code == "missing_transpose", str(report)


def test_a_tanh_network_with_the_sigmoids_derivative_is_named() -> None:
    report, *_ = check((3, 4, 1), 5, "sigmoid's formula", hidden="tanh")
    assert {r.label for r in report.failed} == {"dW1", "db1"}
    assert report.diagnosis is not None and report.diagnosis.code == "wrong_activation_derivative", str(
        report
    )
    assert "A1 * (1 - A1)" in report.diagnosis.message


@pytest.mark.parametrize("dims", [(3, 4, 1), (3, 4, 4, 1)])
def test_a_leaky_relus_alpha_is_recognised_and_the_default_slope_in_backward_named(
    dims: tuple[int, ...],
) -> None:
    p, X, Y = point(dims, 6)
    L = len(dims) - 1
    hidden = tuple(get_activation("leaky_relu", alpha=0.2) for _ in range(L - 1))
    network = Network(hidden)
    AL, caches = deep.L_model_forward(X, p, network)
    right = deep.L_model_backward(AL, Y, caches, network)
    cost_fn = lambda q: exact_cost(X, Y, q, network)  # noqa: E731
    grads = {f"d{name}": right[f"d{name}"] for name in p}
    report = verify_gradients(cost_fn, p, grads, X=X, Y=Y)
    assert report.passed and report.reference is not None and "alpha=0.2" in report.reference, str(report)
    slope = Network.of(L, "leaky_relu")  # alpha 0.01 in backward only
    wrong = deep.L_model_backward(AL, Y, caches, slope)
    report = verify_gradients(cost_fn, p, {f"d{name}": wrong[f"d{name}"] for name in p}, X=X, Y=Y)
    assert not report.passed and report.diagnosis is not None
    assert report.diagnosis.code == "wrong_activation_derivative", str(report)
    assert "0.01" in report.diagnosis.message


def test_correct_code_at_a_relu_kink_passes_with_either_slope() -> None:
    p, X, Y = point((3, 4, 4, 1), 7)
    p["W2"][1] = 0.0
    p["b2"][1] = 0.0  # Z2[1] == 0 exactly: a kink in every example
    L = 3
    AL, caches = forward(X, p, L)
    for convention in ("Z > 0", "Z >= 0"):
        grads: dict[str, np.ndarray] = {}
        dZ = AL - Y
        for l in (3, 2, 1):
            linear_cache, _ = caches[l - 1]
            dA_prev, grads[f"dW{l}"], grads[f"db{l}"] = linear_backward(dZ, linear_cache)
            if l > 1:
                Z_prev = caches[l - 2][1]
                dZ = dA_prev * ((Z_prev > 0) if convention == "Z > 0" else (Z_prev >= 0))
        report = verify_gradients(cost(X, Y, L), p, grads, X=X, Y=Y)
        assert report.passed, (convention, str(report))
        assert report.reference is not None


def test_a_cost_no_reference_matches_says_why_it_is_checked_by_finite_differences_alone() -> None:
    p, X, Y = point((3, 4, 4, 1), 8)
    masks = tuple((np.random.default_rng(0).random((4, X.shape[1])) < 0.8).astype(float) for _ in range(2))
    network = Network.of(3, "relu", keep_prob=0.8, masks=masks)
    AL, caches = deep.L_model_forward(X, p, network)
    grads = deep.L_model_backward(AL, Y, caches, network)
    report = verify_gradients(
        lambda q: exact_cost(X, Y, q, network), p, {f"d{n}": grads[f"d{n}"] for n in p}, X=X, Y=Y
    )
    assert report.passed and report.reference is None
    assert any("dropout cannot be matched" in note for note in report.notes), report.notes


def test_the_courses_b_equal_to_0_is_a_parameter() -> None:
    """``initialize_with_zeros`` returns ``b = 0``, a Python int: it is checked as 0.0."""
    _, X, Y = point((4, 1), 9)
    w = np.zeros((4, 1))
    grads, _ = propagate(w, 0, X, Y)
    parameters = {"w": w, "b": 0}
    report = verify_gradients(lambda q: propagate(q["w"], q["b"], X, Y)[1], parameters, grads, X=X, Y=Y)
    assert report.passed and report.reference == "reference logistic regression (autograd)", str(report)
    assert parameters["b"] == 0 and type(parameters["b"]) is int

"""The L-layer network's mistakes named through the general form, where bench/diagnosis_confusion.py
found them missed.

The networks here are written out in ``autograd.numpy`` (forward pass and cost) and their backward
passes in plain numpy, independently of ``gradcheck.network``: the right gradients are autograd's,
a mistake's are the hand-written backward pass with one line changed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import autograd
import autograd.numpy as anp
import numpy as np
import pytest

from gradcheck import verify_gradients

Array = Any


def leaky(alpha: float) -> tuple[Callable[[Array], Array], Callable[[Array], Array]]:
    """A leaky ReLU and its derivative (α where ``z ≤ 0``)."""
    return (lambda Z: anp.where(Z > 0, Z, alpha * Z)), (lambda Z: np.where(Z > 0, 1.0, alpha))


def relu() -> tuple[Callable[[Array], Array], Callable[[Array], Array]]:
    return (lambda Z: anp.where(Z > 0, Z, 0.0)), (lambda Z: np.where(Z > 0, 1.0, 0.0))


def draw(dims: tuple[int, ...], m: int, seed: int, scale: float = 0.8) -> tuple[dict[str, Any], Any, Any]:
    """Parameters ``scale · N(0, 1)`` (biases half that), ``X ~ N(0, 1)``, Bernoulli labels."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((dims[0], m))
    Y = (rng.random((dims[-1], m)) < 0.5).astype(np.float64)
    parameters = {}
    for k in range(1, len(dims)):
        parameters[f"W{k}"] = scale * rng.standard_normal((dims[k], dims[k - 1]))
        parameters[f"b{k}"] = 0.5 * scale * rng.standard_normal((dims[k], 1))
    return parameters, X, Y


def logits(p: dict[str, Any], X: Any, g: Callable[[Array], Array]) -> Any:
    """``ZL`` of the network with hidden activation ``g``."""
    L = len(p) // 2
    A = X
    for k in range(1, L):
        A = g(anp.dot(p[f"W{k}"], A) + p[f"b{k}"])
    return anp.dot(p[f"W{L}"], A) + p[f"b{L}"]


def network_cost(
    X: Any, Y: Any, g: Callable[[Array], Array], lambd: float
) -> Callable[[dict[str, Any]], Any]:
    """The sigmoid-output network's cross-entropy from the logits, plus ``(λ / 2m) Σ ‖W‖²``."""

    def cost(p: dict[str, Any]) -> Any:
        L = len(p) // 2
        Z = logits(p, X, g)
        m = X.shape[1]
        penalty = sum(anp.sum(p[f"W{k}"] ** 2) for k in range(1, L + 1))
        return anp.sum(anp.logaddexp(0.0, Z) - Y * Z) / m + lambd / (2.0 * m) * penalty

    return cost


def backward(
    p: dict[str, Any],
    X: Any,
    Y: Any,
    g: Callable[[Array], Array],
    g_prime: Callable[[Array], Array],
    lambd: float,
    at: int,
) -> dict[str, Any]:
    """The course's backward pass in numpy, with ``g_prime`` as hidden layer ``at``'s derivative."""
    L = len(p) // 2
    m = X.shape[1]
    As, Zs = [X], []
    for k in range(1, L + 1):
        Zs.append(p[f"W{k}"] @ As[-1] + p[f"b{k}"])
        As.append(np.asarray(g(Zs[-1])) if k < L else 1.0 / (1.0 + np.exp(-Zs[-1])))
    grads = {}
    dZ = As[L] - Y
    for k in range(L, 0, -1):
        grads[f"dW{k}"] = dZ @ As[k - 1].T / m + lambd / m * p[f"W{k}"]
        grads[f"db{k}"] = np.sum(dZ, axis=1, keepdims=True) / m
        if k > 1:
            slope = g_prime if k - 1 == at else lambda Z: np.asarray(autograd.elementwise_grad(g)(Z))
            dZ = (p[f"W{k}"].T @ dZ) * slope(Zs[k - 2])
    return grads


@pytest.mark.parametrize(
    ("dims", "alpha", "seed"),
    [
        ((4, 5, 2), 0.01, 6),
        ((4, 5, 3, 1), 0.2, 9),
        ((3, 4, 4, 2), 0.01, 9),
        ((3, 4, 4, 2), 0.2, 3),
        # outputs near 0 or 1: the cost from the probabilities is too noisy to solve α on
        ((4, 5, 3, 1), 0.01, 8),
        ((4, 5, 3, 1), 0.2, 8),
        ((3, 4, 4, 2), 0.2, 4),
    ],
)
def test_a_leaky_relu_network_with_l2_is_recognised_when_alpha_is_a_common_value(
    dims: tuple[int, ...], alpha: float, seed: int
) -> None:
    """α = 0.01 (the default) and 0.2 are where the fit's search for α starts: it landed on them
    and, with λ solved from the same cost, gave up in the rounding noise instead of stopping, so
    the network went unrecognised and a wrong derivative was left ``unknown``. Where some outputs
    are near 0 or 1, α was also solved on the cost from the probabilities, whose rounding there
    exceeds the fit's tolerance, while this cost is computed from the logits."""
    parameters, X, Y = draw(dims, 6, seed)
    forward, _ = leaky(alpha)
    cost = network_cost(X, Y, forward, 0.7)
    right = {f"d{k}": v for k, v in autograd.grad(cost)(dict(parameters)).items()}

    report = verify_gradients(cost, parameters, right, X=X, Y=Y)
    assert report.passed and report.diagnosis is None
    assert report.reference is not None
    assert f"leaky_relu (alpha={alpha:g})" in report.reference and "L2 lambd=0.7" in report.reference

    relu_mask = backward(parameters, X, Y, forward, relu()[1], 0.7, at=1)  # (Z1 > 0) for the leaky slope
    report = verify_gradients(cost, parameters, relu_mask, X=X, Y=Y)
    assert report.diagnosis is not None and report.diagnosis.code == "wrong_activation_derivative"
    assert {r.name for r in report if not r.passed} == {"W1", "b1"}
    assert "layer 1 is leaky_relu" in report.diagnosis.message


def test_l2_is_fitted_on_the_cost_from_the_logits_where_outputs_saturate() -> None:
    """λ was solved on the cost as learners write it (from the probabilities), which loses digits
    where an output rounds near 1; a cost computed from the logits then matched no λ and the
    network went unrecognised."""
    parameters, X, Y = draw((3, 4, 4, 1), 8, seed=5, scale=0.9)
    parameters["b3"] = np.array([[24.0]])  # outputs within 1e-10 of 1: log(1 - A) keeps few digits
    Y[0, :3] = 0.0
    forward, _ = relu()
    cost = network_cost(X, Y, forward, 0.3)
    A = 1.0 / (1.0 + np.exp(-logits(parameters, X, forward)))
    written = -np.mean(Y * np.log(A) + (1 - Y) * np.log(1 - A))  # the form learners write
    data = float(network_cost(X, Y, forward, 0.0)(parameters))
    assert abs(written - data) > 1e-11 * abs(data)  # the two forms differ beyond the fit's tolerance
    right = {f"d{k}": v for k, v in autograd.grad(cost)(dict(parameters)).items()}

    report = verify_gradients(cost, parameters, right, X=X, Y=Y)
    assert report.passed and report.diagnosis is None
    assert report.reference is not None and "L2 lambd=0.3" in report.reference

    no_mask = backward(parameters, X, Y, forward, lambda Z: np.ones_like(Z), 0.3, at=2)
    report = verify_gradients(cost, parameters, no_mask, X=X, Y=Y)
    assert report.diagnosis is not None and report.diagnosis.code == "wrong_activation_derivative"


# -- L = 2 with a sigmoid output: the one-hidden-layer model is recognised first -------------------


def week4_two_layer(
    dims: tuple[int, int, int], seed: int, g: Callable[[Array], Array]
) -> tuple[dict[str, Any], Any, Any, Callable[[dict[str, Any]], Any], dict[str, Any]]:
    """Week 4's ``two_layer_model`` (LINEAR -> g -> LINEAR -> SIGMOID): the point, data, cost and the
    forward pass's ``Z1, A1, Z2, A2``."""
    parameters, X, Y = draw(dims, 7, seed)
    cost = network_cost(X, Y, g, 0.0)
    Z1 = parameters["W1"] @ X + parameters["b1"]
    A1 = np.asarray(g(Z1))
    Z2 = parameters["W2"] @ A1 + parameters["b2"]
    return parameters, X, Y, cost, {"Z1": Z1, "A1": A1, "Z2": Z2, "A2": 1.0 / (1.0 + np.exp(-Z2))}


def layer_grads(dZ: Any, A_prev: Any, m: int) -> tuple[Any, Any]:
    return dZ @ A_prev.T / m, np.sum(dZ, axis=1, keepdims=True) / m


def test_week4_linear_backward_without_the_transpose_is_named_at_l_2() -> None:
    """``dA_prev = np.dot(W, dZ)`` runs when W2 is square (n_y = n_h) and changes layer 1 only; the
    one-hidden-layer catalog, recognised first at L = 2, had no such mistake: ``unknown``."""
    forward, _ = relu()
    parameters, X, Y, cost, c = week4_two_layer((3, 2, 2), 4, forward)
    dZ2 = c["A2"] - Y
    dZ1 = (parameters["W2"] @ dZ2) * (c["Z1"] > 0)  # W2, not W2.T
    dW2, db2 = layer_grads(dZ2, c["A1"], 7)
    dW1, db1 = layer_grads(dZ1, X, 7)
    report = verify_gradients(cost, parameters, {"dW1": dW1, "db1": db1, "dW2": dW2, "db2": db2}, X=X, Y=Y)
    assert {r.name for r in report if not r.passed} == {"W1", "b1"}
    assert report.diagnosis is not None and report.diagnosis.code == "missing_transpose"
    assert "lacks W2's transpose" in report.diagnosis.message


def test_week4_backward_with_the_next_layers_cache_is_named_at_l_2() -> None:
    """Layer 1's ``linear_activation_backward`` given ``caches[1]`` (layer 2's ``A1, W2, b2, Z2``):
    ``dZ1 = dA1 * g'(Z2)``, ``dW1 = dZ1 A1ᵀ / m``; it runs when every layer has the same width."""
    forward, _ = relu()
    parameters, X, Y, cost, c = week4_two_layer((2, 2, 2), 1, forward)
    dZ2 = c["A2"] - Y
    dZ1 = (parameters["W2"].T @ dZ2) * (c["Z2"] > 0)
    dW2, db2 = layer_grads(dZ2, c["A1"], 7)
    dW1, db1 = layer_grads(dZ1, c["A1"], 7)
    report = verify_gradients(cost, parameters, {"dW1": dW1, "db1": db1, "dW2": dW2, "db2": db2}, X=X, Y=Y)
    assert {r.name for r in report if not r.passed} == {"W1", "b1"}
    assert report.diagnosis is not None and report.diagnosis.code == "wrong_cache"
    assert "layer 1's backward uses layer 2's cache" in report.diagnosis.message


def test_a_leaky_relu_backward_with_the_default_alpha_is_named_at_l_2() -> None:
    """The forward pass uses α = 0.2, the backward ``np.where(Z1 > 0, 1, 0.01)``."""
    forward, _ = leaky(0.2)
    parameters, X, Y, cost, c = week4_two_layer((3, 4, 1), 2, forward)
    dZ2 = c["A2"] - Y
    dZ1 = (parameters["W2"].T @ dZ2) * np.where(c["Z1"] > 0, 1.0, 0.01)
    dW2, db2 = layer_grads(dZ2, c["A1"], 7)
    dW1, db1 = layer_grads(dZ1, X, 7)
    report = verify_gradients(cost, parameters, {"dW1": dW1, "db1": db1, "dW2": dW2, "db2": db2}, X=X, Y=Y)
    assert {r.name for r in report if not r.passed} == {"W1", "b1"}
    assert report.diagnosis is not None and report.diagnosis.code == "wrong_activation_derivative"
    assert "leaky_relu's derivative" in report.diagnosis.message

"""``gradcheck.strategies.networks``: consistent points of an L-layer network, with values that shrink.

Shapes are checked against each other (each layer's input width is the previous layer's output),
the kink margin against a ReLU forward pass written here, and the gradients of the course's L-layer
network at drawn points through ``verify_gradients`` (finite differences and autograd).
"""

from __future__ import annotations

import re

import autograd
import numpy as np
import pytest
from hypothesis import Phase, find, given, settings
from hypothesis import strategies as st

from gradcheck import verify_gradients
from gradcheck.network.activations import get_activation
from gradcheck.network.deep import L_model_backward, L_model_forward, Network
from gradcheck.strategies import NetworkPoint, activations, datasets, networks, parameters


def layer_count(point: NetworkPoint) -> int:
    return len(point.parameters) // 2


def relu_pre_activations(point: NetworkPoint) -> list[np.ndarray]:
    """``Z1 .. ZL`` of a ReLU network, by a forward pass written here."""
    A, Zs = point.X, []
    for layer in range(1, layer_count(point) + 1):
        Z = point.parameters[f"W{layer}"] @ A + point.parameters[f"b{layer}"]
        Zs.append(Z)
        A = np.maximum(Z, 0.0)
    return Zs


# -- shapes and values -----------------------------------------------------------------------------


@settings(max_examples=50)
@given(networks(max_layers=4))
def test_every_draw_chains_its_shapes(point: NetworkPoint) -> None:
    X, Y, p = point.X, point.Y, point.parameters
    L = layer_count(point)
    assert set(p) == {f"{kind}{layer}" for layer in range(1, L + 1) for kind in "Wb"}
    assert 2 <= L <= 4 and len(point.network.hidden) == L - 1
    widths = [X.shape[0]]  # each layer's input width is the previous layer's output width
    for layer in range(1, L + 1):
        n_out = p[f"W{layer}"].shape[0]
        assert p[f"W{layer}"].shape == (n_out, widths[-1]) and p[f"b{layer}"].shape == (n_out, 1)
        widths.append(n_out)
    assert Y.shape == (widths[-1], X.shape[1]) and point.m == X.shape[1] >= 1
    assert point.layer_dims == tuple(widths)
    assert set(np.unique(Y)) <= {0.0, 1.0}
    for array in (X, *p.values()):
        assert array.dtype == np.float64 and np.all(np.abs(array) <= 2.0)


@settings(max_examples=30)
@given(networks((3, 5, 2, 1), ["relu", "tanh"], m=4, weight_bound=0.5, data_bound=1.0))
def test_given_dims_activations_and_bounds_are_kept(point: NetworkPoint) -> None:
    assert point.layer_dims == (3, 5, 2, 1) and point.X.shape == (3, 4) and point.Y.shape == (1, 4)
    assert [activation.name for activation in point.network.hidden] == ["relu", "tanh"]
    assert np.all(np.abs(point.X) <= 1.0)
    assert all(np.all(np.abs(value) <= 0.5) for value in point.parameters.values())


@settings(max_examples=50)
@given(networks(hidden="relu", max_layers=4))
def test_relu_pre_activations_keep_off_the_kink(point: NetworkPoint) -> None:
    for Z in relu_pre_activations(point)[:-1]:  # the output layer is a sigmoid: no kink
        assert np.min(np.abs(Z)) > 1e-4


def test_without_a_margin_a_draw_may_sit_on_the_kink() -> None:
    on_the_kink = find(  # raises NoSuchExample if no draw has Z1 exactly 0 somewhere
        networks(hidden="relu", kink_margin=None),
        lambda point: bool(np.any(relu_pre_activations(point)[0] == 0.0)),
    )
    assert on_the_kink.network.hidden[0].name == "relu"


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"layer_dims": (3,)}, "at least two positive integers"),
        ({"layer_dims": (3, 0, 1)}, "at least two positive integers"),
        ({"layer_dims": (3, 4, 1), "hidden": ["relu", "tanh"]}, "2 hidden activations for 1 hidden"),
        ({"hidden": "softplus"}, "unknown activation"),
        ({"max_m": 0}, "max_m must be a positive integer"),
        ({"min_layers": 3, "max_layers": 2}, "min_layers = 3 is more than max_layers = 2"),
        ({"weight_bound": float("inf")}, "weight_bound must be a positive finite number"),
        ({"kink_margin": -1.0}, "kink_margin"),
    ],
)
def test_unusable_options_are_refused_at_the_call(options: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        networks(**options)


# -- shrinking and printing ------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["X", "W2"])
def test_values_shrink_to_the_simplest_point(name: str) -> None:
    def arrays(point: NetworkPoint) -> dict[str, np.ndarray]:
        return {"X": point.X, **point.parameters}

    point = find(networks(hidden="tanh"), lambda point: bool(np.max(np.abs(arrays(point)[name])) >= 1))
    assert point.layer_dims == (1, 1, 1) and point.m == 1 and point.Y.tolist() == [[0.0]]
    for key, value in arrays(point).items():
        assert value.tolist() == ([[1.0]] if key == name else [[0.0]]), key


def test_a_point_prints_on_one_line_with_the_activations_by_name() -> None:
    leaky = get_activation("leaky_relu", alpha=0.2)
    W1, b1, W2, b2 = np.array([[2.0]]), np.zeros((1, 1)), np.array([[-1.5]]), np.array([[0.25]])
    point = NetworkPoint(
        np.array([[0.5, -1.0]]),
        np.array([[1.0, 0.0]]),
        {"W1": W1, "b1": b1, "W2": W2, "b2": b2},
        Network((leaky,)),
    )
    assert repr(point) == (
        "NetworkPoint(hidden=('leaky_relu(alpha=0.2)',), X=[[0.5, -1.0]], Y=[[1.0, 0.0]], "
        "W1=[[2.0]], b1=[[0.0]], W2=[[-1.5]], b2=[[0.25]])"
    )

    @settings(phases=[Phase.generate])  # the first example is printed as it is (no shrinking)
    @given(networks(hidden="tanh", max_layers=2))
    def test_that_fails(point: NetworkPoint) -> None:
        raise AssertionError("every point fails")

    with pytest.raises(AssertionError) as failure:
        test_that_fails()
    (line,) = [line for line in failure.value.__notes__[0].splitlines() if "NetworkPoint" in line]
    assert re.fullmatch(r"    point=NetworkPoint\(hidden=\('tanh',\), X=\[\[.*\]\], b2=\[\[.*\]\]\),.*", line)


# -- a user's network, checked at drawn points -------------------------------------------------------


@settings(max_examples=30)
@given(networks(hidden=activations(("relu", "leaky_relu", "tanh", "sigmoid"))))
def test_the_deep_networks_gradients_pass_at_every_draw(point: NetworkPoint) -> None:
    AL, caches = L_model_forward(point.X, point.parameters, point.network)
    grads = L_model_backward(AL, point.Y, caches, point.network)
    report = verify_gradients(point.cost, point.parameters, grads, X=point.X, Y=point.Y)
    assert report.passed, report


def relu_backward_without_its_mask(point: NetworkPoint) -> dict[str, np.ndarray]:
    """A two-layer ReLU network's backward pass with the mistake: ``dZ1 = W2ᵀ dZ2``."""
    p, X, m = point.parameters, point.X, point.m
    A1 = np.maximum(p["W1"] @ X + p["b1"], 0.0)
    dZ2 = 1 / (1 + np.exp(-(p["W2"] @ A1 + p["b2"]))) - point.Y
    dZ1 = p["W2"].T @ dZ2
    return {
        "W1": dZ1 @ X.T / m,
        "b1": dZ1.sum(axis=1, keepdims=True) / m,
        "W2": dZ2 @ A1.T / m,
        "b2": dZ2.sum(axis=1, keepdims=True) / m,
    }


@settings(max_examples=30)
@given(networks(hidden="relu", max_layers=2, m=3))
def test_the_mistake_is_caught_wherever_it_changes_the_gradient(point: NetworkPoint) -> None:
    exact = autograd.grad(point.cost)(point.parameters)
    mine = relu_backward_without_its_mask(point)
    report = verify_gradients(point.cost, point.parameters, mine, X=point.X, Y=point.Y)
    error = max(np.max(np.abs(mine[name] - exact[name])) for name in exact)
    if error > 1e-6:
        assert not report.passed, report
    if error < 1e-12:  # every unit on, or W2 = 0: the mask changes nothing
        assert report.passed, report


# -- the seeded strategies, which draw on their own ---------------------------------------------


@settings(max_examples=20)
@given(parameters(st.just((3, 4, 1, 5))), datasets(st.just((3, 4, 1, 5))))
def test_parameters_and_datasets_fit_when_given_one_shape(
    p: dict[str, np.ndarray], data: tuple[np.ndarray, np.ndarray]
) -> None:
    X, Y = data
    assert (p["W1"].shape, p["b1"].shape, p["W2"].shape, p["b2"].shape) == ((4, 3), (4, 1), (1, 4), (1, 1))
    assert X.shape == (3, 5) and Y.shape == (1, 5) and set(np.unique(Y)) <= {0.0, 1.0}

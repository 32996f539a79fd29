"""The activation registry: each derivative against autograd, kinks, and the facts of the derivation."""

import autograd
import numpy as np
import pytest
from hypothesis import given, note
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from gradcheck.network.activations import ACTIVATIONS, Activation, get_activation, sigmoid

finite = st.floats(-30, 30, allow_nan=False, allow_infinity=False)


@pytest.mark.parametrize("name", list(ACTIVATIONS))
@given(z=arrays(np.float64, st.integers(1, 20), elements=finite))
def test_derivative_is_autograds_derivative_of_forward(name: str, z: np.ndarray) -> None:
    g = get_activation(name)
    z = z[np.abs(z) > 1e-9] if g.kinks else z  # off the kink; at it, see the next test
    expected = autograd.elementwise_grad(g.forward)(z)
    np.testing.assert_allclose(g.derivative(z), expected, rtol=1e-12, atol=1e-300)


@given(alpha=st.floats(0.001, 0.9), z=arrays(np.float64, st.integers(1, 20), elements=finite))
def test_leaky_relu_derivative_for_any_alpha(alpha: float, z: np.ndarray) -> None:
    g = get_activation("leaky_relu", alpha=alpha)
    np.testing.assert_array_equal(g.derivative(z), np.where(z > 0, 1.0, alpha))
    np.testing.assert_array_equal(g.forward(z), np.maximum(z, alpha * z))


def test_kink_uses_the_left_derivative_like_autograd() -> None:
    zero = np.zeros(3)
    for name, left in (("relu", 0.0), ("leaky_relu", 0.01)):
        g = get_activation(name)
        assert g.kinks == (0.0,)
        np.testing.assert_array_equal(g.derivative(zero), left)
        np.testing.assert_array_equal(autograd.elementwise_grad(g.forward)(zero), left)


@given(z=arrays(np.float64, st.integers(1, 20), elements=finite))
def test_tanh_is_a_shifted_rescaled_sigmoid(z: np.ndarray) -> None:
    np.testing.assert_allclose(np.tanh(z), 2 * sigmoid(2 * z) - 1, atol=1e-15)


@given(z=arrays(np.float64, st.integers(1, 20), elements=st.floats(-700, 700)))
def test_sigmoid_is_stable_and_accurate(z: np.ndarray) -> None:
    note(f"z={z}")
    s = sigmoid(z)
    assert np.all((s >= 0) & (s <= 1))
    # independent route: 1/(1+e^-z) in extended precision where it does not overflow
    exact = 1 / (1 + np.exp(-z.astype(np.longdouble)))
    np.testing.assert_allclose(s, exact.astype(np.float64), rtol=1e-14, atol=0)


def test_sigmoid_keeps_float32() -> None:
    assert sigmoid(np.ones(2, dtype=np.float32)).dtype == np.float32


def test_registry_entries_build_activations() -> None:
    for name, build in ACTIVATIONS.items():
        g = build()
        assert isinstance(g, Activation) and g.name == name
    assert get_activation("leaky_relu").alpha == 0.01
    g = get_activation("tanh")
    assert get_activation(g) is g


def test_bad_activation_requests_say_what_to_do() -> None:
    with pytest.raises(ValueError, match="unknown activation 'softmax'; choose one of"):
        get_activation("softmax")
    with pytest.raises(ValueError, match="'tanh' takes no alpha"):
        get_activation("tanh", alpha=0.1)

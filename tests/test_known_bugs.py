"""Known bugs of the engine, each pinned by a strict xfail: the test turns red when the code is
fixed, and the mark comes off with the fix.

Kept out of the mutation run's test selection (docs/mutation.md): a mutant that happened to make a
pinned bug go away would count as killed.
"""

from __future__ import annotations

import autograd
import autograd.numpy as anp
import numpy as np
import pytest

from gradcheck import verify_gradients


@pytest.mark.xfail(
    strict=True,
    raises=AssertionError,
    reason="the noise estimate steps 1e-8 relative, below float32's resolution: a cost that casts its "
    "parameters to float32 returns the same value at all 8 points, its noise is taken for float64 "
    "rounding, and the steps and tolerances are float64's",
)
@pytest.mark.parametrize("shape", [(2, 2), (3, 4)])  # the noise measured on disagreement, or up front
def test_a_cost_computed_in_float32_and_returned_as_a_python_float_passes_with_the_right_gradient(
    shape: tuple[int, int],
) -> None:
    """``float(np.sum(...))`` as the course writes it, on parameters cast to float32: the cost is
    as noisy as float32 (its inputs are rounded to 6e-8 relative), though it returns a Python float."""
    w = np.random.default_rng(1).uniform(-1, 1, size=shape)

    def cost(p: dict[str, np.ndarray]) -> float:
        return float(np.sum(np.exp(p["w"].astype(np.float32)), dtype=np.float32))

    report = verify_gradients(cost, {"w": w}, {"dw": np.exp(w)})
    assert report.passed, str(report)


@pytest.mark.xfail(
    strict=True,
    raises=AssertionError,
    reason="recognition takes the first reference whose cost matches to 1e-9: with every hidden "
    "pre-activation near 0, a tanh network's cost is a ReLU network's to 3e-10, tanh comes first in "
    "the registry, and its gradient, 1e-5 off the ReLU network's, rejects the right db2",
)
def test_a_relu_network_in_its_linear_regime_passes_with_the_right_gradient() -> None:
    """Found by hypothesis (tests/test_diagnosis.py, ``multiply_for_dot`` with n_y = 1, which is
    correct code there): one example, one hidden unit, weights about 0.015."""
    X, Y = np.array([[0.12573022]]), np.array([[1.0]])
    parameters = {
        "W1": np.array([[0.01308086]]),
        "b1": np.array([[0.00327813]]),
        "W2": np.array([[-0.01656966]]),
        "b2": np.array([[-0.01673967]]),
    }

    def cost(p: dict[str, np.ndarray]) -> np.ndarray:
        A1 = anp.maximum(anp.dot(p["W1"], X) + p["b1"], 0.0)
        Z2 = anp.dot(p["W2"], A1) + p["b2"]
        return anp.mean(anp.logaddexp(0.0, Z2) - Y * Z2)

    right = {f"d{k}": v for k, v in autograd.grad(cost)(dict(parameters)).items()}
    report = verify_gradients(cost, parameters, right, X=X, Y=Y)
    assert report.passed, str(report)

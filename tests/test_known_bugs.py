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
    reason="the kink rule decides at the smallest one-sided step, h/256, where the error estimate "
    "gives a slack (about 1e-5) larger than the jump between the one-sided derivatives (9e-6): a "
    "value past the right-hand derivative is taken for a kink (issue 17)",
)
def test_a_value_past_a_small_kinks_right_derivative_fails() -> None:
    """Found by hypothesis (tests/test_engine.py, ``problems_on_kinks``): two examples with X = 0 put
    Z1 exactly on ReLU's kink; db1 is moved past the right-hand derivative by the jump."""
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

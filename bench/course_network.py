"""The correct code under test of ``bench/false_alarms.py``: the course's one-hidden-layer network.

Written by hand as Course 1, Week 3 writes it (``tests/fixtures/my_course_code.py``, whose sigmoid
and ``compute_cost`` are used as they are), for any hidden activation of
:mod:`gradcheck.network.activations`, with each derivative written the way learners write it::

    Z1 = np.dot(W1, X) + b1        A1 = g(Z1)          Z2 = np.dot(W2, A1) + b2     A2 = sigmoid(Z2)
    dZ2 = A2 - Y                   dW2 = (1/m) dZ2 A1ᵀ   db2 = (1/m) Σ dZ2
    dZ1 = (W2ᵀ dZ2) * g'(Z1)       dW1 = (1/m) dZ1 Xᵀ    db1 = (1/m) Σ dZ1

    g             g(Z1)                            g'(Z1), from A1 or Z1
    sigmoid       sigmoid(Z1)                      A1 * (1 - A1)
    tanh          np.tanh(Z1)                      1 - np.power(A1, 2)
    relu          np.maximum(0, Z1)                Z1 > 0
    leaky_relu    np.where(Z1 > 0, Z1, α Z1)       np.where(Z1 > 0, 1, α)
    identity      Z1                               1

Shapes: ``X`` (n_x, m), ``Y`` (1, m), ``W1`` (n_h, n_x), ``b1`` (n_h, 1), ``W2`` (1, n_h),
``b2`` (1, 1). With ``activation="tanh"`` the forward and backward passes are
``my_course_code``'s, operation for operation (``tests/test_false_alarms_bench.py`` holds them to it).

Also the course's own check, :func:`gradient_check_n` (Course 2, Week 1, written as
``tests/fixtures/course/c2_gradient_checking.py`` writes it, for these four parameters): a 2P
loop of central differences at ``epsilon = 1e-7``, and "there is a mistake" when
``‖grad − gradapprox‖ / (‖grad‖ + ‖gradapprox‖) > 2e-7``.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
for folder in (ROOT / "tests" / "fixtures", ROOT / "tests" / "fixtures" / "course"):
    if str(folder) not in sys.path:
        sys.path.append(str(folder))

import my_course_code  # noqa: E402  (a fixture module, found through the path set above)
import week4_two_layer  # noqa: E402

__all__ = [
    "ACTIVATION_NAMES",
    "COURSE_COSTS",
    "COURSE_THRESHOLD",
    "KEYS",
    "TYPICAL",
    "VISIBLE",
    "CourseNetwork",
    "course_difference",
]

#: The hidden activations the network is written for (the registry's, gradcheck.network.activations).
ACTIVATION_NAMES: tuple[str, ...] = ("sigmoid", "tanh", "relu", "leaky_relu", "identity")
#: The course's verdict: "there is a mistake" above this relative difference.
COURSE_THRESHOLD = 2e-7
#: The network's parameters, in the course's order.
KEYS: tuple[str, ...] = ("W1", "b1", "W2", "b2")
#: A planted one-entry error counts when the entry is *typical*, within this factor of its block's
#: median magnitude (one far below is out of every check's reach, one far above the easy case) ...
TYPICAL = 10.0
#: ... and its error ``δ |a_i|`` at least this (absolute): about twice what the entry-by-entry
#: check resolves on a float64 cost of order one (``100 (σ/h + h² G) ≈ 4e-9``).
VISIBLE = 1e-8

Array = Any


class CourseNetwork:
    """The course's network with hidden activation ``activation`` (leaky ReLU's slope ``alpha``).

    Its methods have the notebook's names and signatures, so they go to ``verify_gradients``'s
    learner form as they are.
    """

    def __init__(self, activation: str, alpha: float = 0.01) -> None:
        if activation not in ACTIVATION_NAMES:
            raise ValueError(
                f"unknown activation {activation!r}; choose one of {', '.join(ACTIVATION_NAMES)}"
            )
        self.activation = activation
        self.alpha = alpha

    def hidden(self, Z1: Array) -> Array:
        """``A1 = g(Z1)`` as learners write it."""
        if self.activation == "sigmoid":
            return my_course_code.sigmoid(Z1)
        if self.activation == "tanh":
            return np.tanh(Z1)
        if self.activation == "relu":
            return np.maximum(0, Z1)
        if self.activation == "leaky_relu":
            return np.where(Z1 > 0, Z1, self.alpha * Z1)
        return Z1

    def hidden_derivative(self, Z1: Array, A1: Array) -> Array:
        """``g'(Z1)`` as learners write it, from ``A1`` where the course does."""
        if self.activation == "sigmoid":
            return A1 * (1 - A1)
        if self.activation == "tanh":
            return 1 - np.power(A1, 2)
        if self.activation == "relu":
            return Z1 > 0
        if self.activation == "leaky_relu":
            return np.where(Z1 > 0, 1, self.alpha)
        return 1

    def forward_propagation(self, X: Array, parameters: dict[str, Array]) -> tuple[Array, dict[str, Array]]:
        """``(A2, cache)``: ``A2`` (1, m), ``cache`` with ``Z1, A1`` (n_h, m) and ``Z2, A2`` (1, m)."""
        W1 = parameters["W1"]
        b1 = parameters["b1"]
        W2 = parameters["W2"]
        b2 = parameters["b2"]
        Z1 = np.dot(W1, X) + b1
        A1 = self.hidden(Z1)
        Z2 = np.dot(W2, A1) + b2
        A2 = my_course_code.sigmoid(Z2)
        cache = {"Z1": Z1, "A1": A1, "Z2": Z2, "A2": A2}
        return A2, cache

    def backward_propagation(
        self, parameters: dict[str, Array], cache: dict[str, Array], X: Array, Y: Array
    ) -> dict[str, Array]:
        """``dW1, db1, dW2, db2``, each in its parameter's shape."""
        m = X.shape[1]
        W2 = parameters["W2"]
        Z1 = cache["Z1"]
        A1 = cache["A1"]
        A2 = cache["A2"]
        dZ2 = A2 - Y
        dW2 = (1 / m) * np.dot(dZ2, A1.T)
        db2 = (1 / m) * np.sum(dZ2, axis=1, keepdims=True)
        dZ1 = np.dot(W2.T, dZ2) * self.hidden_derivative(Z1, A1)
        dW1 = (1 / m) * np.dot(dZ1, X.T)
        db1 = (1 / m) * np.sum(dZ1, axis=1, keepdims=True)
        grads = {"dW1": dW1, "db1": db1, "dW2": dW2, "db2": db2}
        return grads

    def forward_propagation_n(
        self, X: Array, Y: Array, parameters: dict[str, Array]
    ) -> tuple[float, dict[str, Array]]:
        """Course 2's form for gradient checking: ``(cost, cache)``, the course's cost on ``A2``."""
        A2, cache = self.forward_propagation(X, parameters)
        return my_course_code.compute_cost(A2, Y), cache

    def gradient_check_n(
        self,
        parameters: dict[str, Array],
        gradients: dict[str, Array],
        X: Array,
        Y: Array,
        epsilon: float = 1e-7,
        print_msg: bool = False,
    ) -> float:
        """The course's gradient check of this network (:func:`course_difference` of its cost)."""
        difference = course_difference(
            lambda p: self.forward_propagation_n(X, Y, p)[0], parameters, gradients, epsilon
        )
        if print_msg:
            if difference > COURSE_THRESHOLD:
                print("There is a mistake in the backward propagation! difference = " + str(difference))
            else:
                print("Your backward propagation works perfectly fine! difference = " + str(difference))
        return difference


def course_difference(
    cost: Callable[[dict[str, Array]], Any],
    parameters: dict[str, Array],
    gradients: dict[str, Array],
    epsilon: float = 1e-7,
) -> float:
    """The course's gradient check (Course 2's ``gradient_check_n``) of any cost.

    ``gradapprox[i] = (J(θ + ε e_i) − J(θ − ε e_i)) / 2ε`` for each of the P entries of the
    parameters rolled into one vector in their order (2P cost evaluations), and ``difference =
    ‖grad − gradapprox‖ / (‖grad‖ + ‖gradapprox‖)``, ``grad`` the gradients ``d<name>`` rolled
    alike; the course says "there is a mistake" when it exceeds :data:`COURSE_THRESHOLD` (2e-7).
    """
    names = list(parameters)
    parameters_values = np.concatenate([np.reshape(parameters[n], -1) for n in names])
    grad = np.concatenate([np.reshape(gradients["d" + n], -1) for n in names])
    cuts = np.cumsum([np.size(parameters[n]) for n in names])[:-1]

    def unrolled(theta: np.ndarray) -> dict[str, Array]:
        parts = np.split(theta, cuts)
        return {n: part.reshape(np.shape(parameters[n])) for n, part in zip(names, parts, strict=True)}

    gradapprox = np.zeros(parameters_values.size)
    for i in range(parameters_values.size):
        theta_plus = np.copy(parameters_values)
        theta_plus[i] = theta_plus[i] + epsilon
        theta_minus = np.copy(parameters_values)
        theta_minus[i] = theta_minus[i] - epsilon
        gradapprox[i] = (cost(unrolled(theta_plus)) - cost(unrolled(theta_minus))) / (2 * epsilon)
    numerator = np.linalg.norm(grad - gradapprox)
    denominator = np.linalg.norm(grad) + np.linalg.norm(gradapprox)
    return float(numerator / denominator)


#: The course's costs on ``A2``: Week 3's (a Python float) and Week 4's (``np.squeeze``: the dtype kept).
COURSE_COSTS: dict[str, Callable[[Array, Array], Any]] = {
    "course": my_course_code.compute_cost,
    "course_dtype": week4_two_layer.compute_cost,
}

"""Costs, problems and recorders shared by the behaviour tests of the verdict code.

Every expected value they give is independent of the checker: autograd's gradient, a central
difference taken here from the cost itself, or the offsets the cost was called with.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import autograd
import numpy as np

from gradcheck.network.activations import get_activation
from gradcheck.strategies import Problem, reference_problem

#: verify_gradients' default safety factor.
SAFETY = 100.0
EPS = float(np.finfo(np.float64).eps)
Cost = Callable[[dict[str, np.ndarray]], Any]


def course_start(
    rng: np.random.Generator, n_x: int, n_h: int, m: int
) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]]:
    """``X ~ N(0, 1)`` of shape (n_x, m), 0/1 labels, and the course's initialisation (``randn *
    0.01``, zero biases) of a one-hidden-layer network."""
    X = rng.standard_normal((n_x, m))
    Y = (rng.random((1, m)) < 0.5).astype(float)
    parameters = {
        "W1": rng.standard_normal((n_h, n_x)) * 0.01,
        "b1": np.zeros((n_h, 1)),
        "W2": rng.standard_normal((1, n_h)) * 0.01,
        "b2": np.zeros((1, 1)),
    }
    return X, Y, parameters


def course_week3(
    rng: np.random.Generator, n_x: int, n_h: int, m: int
) -> tuple[Cost, dict[str, np.ndarray], dict[str, np.ndarray]]:
    """A Week 3 network at the course's initialisation (``randn * 0.01``, zero biases), tanh hidden
    layer, ``X ~ N(0, 1)`` of shape (n_x, m), 0/1 labels: the course's cost on ``A2`` and its
    gradients from the course's hand-derived backward pass (tests/fixtures/my_course_code.py),
    independent of gradcheck."""
    import my_course_code as course  # tests/fixtures, on the path (conftest, or the bench)

    X, Y, parameters = course_start(rng, n_x, n_h, m)

    def cost(p: dict[str, np.ndarray]) -> float:
        A2, _ = course.forward_propagation(X, p)
        return float(course.compute_cost(A2, Y))

    _, cache = course.forward_propagation(X, parameters)
    return cost, parameters, course.backward_propagation(parameters, cache, X, Y)


def course_relu(
    rng: np.random.Generator, n_x: int, n_h: int, m: int
) -> tuple[Cost, dict[str, np.ndarray], dict[str, np.ndarray]]:
    """:func:`course_week3` with a ReLU hidden layer, its forward and backward passes written here
    as a learner writes them (``np.maximum(Z1, 0)``, ``Z1 > 0``): at the course's initialisation
    many units sit near their kink."""
    X, Y, parameters = course_start(rng, n_x, n_h, m)

    def forward(p: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        Z1 = np.dot(p["W1"], X) + p["b1"]
        A1 = np.maximum(Z1, 0)
        A2 = 1 / (1 + np.exp(-(np.dot(p["W2"], A1) + p["b2"])))
        return Z1, A1, A2

    def cost(p: dict[str, np.ndarray]) -> float:
        A2 = forward(p)[2]
        return float(-np.sum(Y * np.log(A2) + (1 - Y) * np.log(1 - A2)) / m)

    Z1, A1, A2 = forward(parameters)
    dZ2 = A2 - Y
    dZ1 = np.dot(parameters["W2"].T, dZ2) * (Z1 > 0)
    gradients = {
        "dW1": np.dot(dZ1, X.T) / m,
        "db1": np.sum(dZ1, axis=1, keepdims=True) / m,
        "dW2": np.dot(dZ2, A1.T) / m,
        "db2": np.sum(dZ2, axis=1, keepdims=True) / m,
    }
    return cost, parameters, gradients


def tanh_problem(seed: int = 3) -> Problem:
    return reference_problem((3, 4, 1, 5), get_activation("tanh"), seed=seed, scale=0.8)


def as_judged(gradient: Any, theta: Any) -> np.ndarray:
    """The gradient as the shape rule of docs/diagnosis.md says it is judged, stated from the update:
    in ``θ``'s shape when it has ``θ``'s entries and ``θ − α·grad`` keeps ``θ``'s shape, or when both
    have one entry; otherwise as it is (and failed for its shape)."""
    g, theta = np.asarray(gradient), np.asarray(theta)
    if g.shape == theta.shape or g.size != theta.size:
        return g
    try:
        keeps = g.size == 1 or np.shape(theta - 0.01 * g) == theta.shape
    except ValueError:  # the update does not even broadcast (a transpose)
        keeps = False
    return g.reshape(theta.shape) if keeps else g


def exact(problem: Problem) -> dict[str, np.ndarray]:
    """The exact gradient, by autograd."""
    gradient: dict[str, np.ndarray] = autograd.grad(problem.cost)(
        {k: v.copy() for k, v in problem.parameters.items()}
    )
    return gradient


def exact_keys(problem: Problem) -> dict[str, np.ndarray]:
    """:func:`exact`, keyed as gradients are passed (``dW1``)."""
    return {f"d{k}": v for k, v in exact(problem).items()}


def central(
    cost_fn: Cost, parameters: dict[str, np.ndarray], name: str, index: tuple[int, ...], h: float
) -> float:
    """``(J(θ + h e_i) − J(θ − h e_i)) / 2h``, with the representable step ``(θ + h) − θ``."""
    theta = float(parameters[name][index])
    h = (theta + h) - theta
    plus = {k: v.copy() for k, v in parameters.items()}
    minus = {k: v.copy() for k, v in parameters.items()}
    plus[name][index] += h
    minus[name][index] -= h
    return (float(cost_fn(plus)) - float(cost_fn(minus))) / (2.0 * h)


class Recorder:
    """The cost, recording the offset of each evaluation that moves ``parameters[name][index]`` alone
    (every other entry of every block at the point)."""

    def __init__(
        self, cost_fn: Cost, parameters: dict[str, np.ndarray], name: str, index: tuple[int, ...]
    ) -> None:
        self.cost_fn, self.parameters, self.name, self.index = cost_fn, parameters, name, index
        self.offsets: list[float] = []

    def __call__(self, p: dict[str, np.ndarray]) -> Any:
        moved = {k: np.argwhere(p[k] != self.parameters[k]) for k in p}
        alone = all(not len(where) for k, where in moved.items() if k != self.name)
        here = moved[self.name]
        if alone and len(here) == 1 and tuple(int(i) for i in here[0]) == self.index:
            self.offsets.append(float(p[self.name][self.index] - self.parameters[self.name][self.index]))
        return self.cost_fn(p)


def kink_message(entries: str) -> str:
    """The diagnosis of entries a kink explains, pinned word for word."""
    return (
        f"{entries} at a kink (a hidden pre-activation exactly 0): the cost has no derivative there, "
        "and your values lie between the one-sided derivatives, as any slope convention gives. Not a bug."
    )

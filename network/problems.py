"""Points at which to check the reference network: data, labels and parameters drawn from a seed.

numpy only: ``gradcheck check`` and ``gradcheck report`` draw their problems here, and
:mod:`gradcheck.strategies` wraps the same draw in hypothesis strategies.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .activations import Activation
from .two_layer import backward, cost_from_logits, forward, initialize_parameters

__all__ = ["Problem", "reference_problem"]


@dataclass(frozen=True)
class Problem:
    """A point at which to check the reference network's gradients.

    Attributes
    ----------
    X : ndarray, shape (n_x, m)
    Y : ndarray, shape (n_y, m), entries 0.0 or 1.0
    parameters : dict
        ``W1`` (n_h, n_x), ``b1`` (n_h, 1), ``W2`` (n_y, n_h), ``b2`` (n_y, 1), float64.
    activation : Activation
    seed : int
        Seed of the generator that drew the arrays.
    scale : float
        Standard deviation of the weights.
    """

    X: np.ndarray
    Y: np.ndarray
    parameters: dict[str, np.ndarray]
    activation: Activation
    seed: int
    scale: float

    @property
    def shape(self) -> tuple[int, int, int, int]:
        """``(n_x, n_h, n_y, m)``."""
        n_h, n_x = self.parameters["W1"].shape
        return n_x, n_h, self.Y.shape[0], self.X.shape[1]

    def cost(self, parameters: dict[str, Any]) -> Any:
        """The exact cross-entropy at ``parameters`` (:func:`.two_layer.cost_from_logits`)."""
        return cost_from_logits(forward(self.X, parameters, self.activation)[1]["Z2"], self.Y)

    def gradients(self) -> dict[str, np.ndarray]:
        """The hand-derived gradients ``dW1, db1, dW2, db2`` at :attr:`parameters`."""
        _, cache = forward(self.X, self.parameters, self.activation)
        return backward(self.parameters, cache, self.X, self.Y, self.activation)


def reference_problem(
    shape: tuple[int, int, int, int], activation: Activation, *, seed: int, scale: float
) -> Problem:
    """Draw a reference-network problem from ``numpy.random.default_rng(seed)``.

    ``X ~ N(0, 1)`` (n_x, m), ``Y`` Bernoulli(½) (n_y, m), weights ``scale · N(0, 1)``, biases
    ``0.5 · scale · N(0, 1)``. The weights get a seed of their own drawn from the generator:
    reusing ``seed`` would make ``W1`` a copy of ``X``'s first entries.

    Parameters
    ----------
    shape : (n_x, n_h, n_y, m)
    activation : Activation
    seed : int
    scale : float
        Standard deviation of the weights.

    Returns
    -------
    Problem
    """
    n_x, n_h, n_y, m = shape
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n_x, m))
    Y = (rng.random((n_y, m)) < 0.5).astype(np.float64)
    parameters = initialize_parameters(n_x, n_h, n_y, seed=int(rng.integers(2**32)), scale=scale)
    parameters["b1"] = 0.5 * scale * rng.standard_normal((n_h, 1))
    parameters["b2"] = 0.5 * scale * rng.standard_normal((n_y, 1))
    return Problem(X, Y, parameters, activation, seed, scale)

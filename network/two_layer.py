"""The reference one-hidden-layer network and its hand-derived gradients.

Shapes (``m`` examples): ``X`` (n_x, m), ``Y`` (n_y, m), ``W1`` (n_h, n_x), ``b1`` (n_h, 1),
``W2`` (n_y, n_h), ``b2`` (n_y, 1).

Forward::

    Z1 = W1 X + b1,   A1 = g(Z1),   Z2 = W2 A1 + b2,   A2 = σ(Z2)

Cost (binary cross-entropy, mean over the examples, summed over the outputs)::

    J = -(1/m) Σ_examples Σ_outputs [ Y log A2 + (1 - Y) log(1 - A2) ]

Backward (``*`` is the element-wise, Hadamard, product)::

    dZ2 = A2 - Y
    dW2 = (1/m) dZ2 A1ᵀ           db2 = (1/m) Σ_examples dZ2
    dZ1 = (W2ᵀ dZ2) * g'(Z1)
    dW1 = (1/m) dZ1 Xᵀ            db1 = (1/m) Σ_examples dZ1

Everything is written on ``autograd.numpy``, so ``autograd.grad`` of
``cost(forward(X, p, g)[0], Y)`` with respect to ``p`` is an independent route to the
same gradients; the tests hold :func:`backward` to it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

import autograd.numpy as anp
import numpy as np

from .activations import Activation, get_activation, sigmoid

__all__ = [
    "PARAMETER_NAMES",
    "backward",
    "backward_steps",
    "cost",
    "cost_from_logits",
    "forward",
    "initialize_parameters",
    "logits",
]

Array = Any  # a numpy array, or an autograd box around one while autograd traces
Parameters = dict[str, Any]

#: The parameter names of the network, in the order the course lists them.
PARAMETER_NAMES: tuple[str, ...] = ("W1", "b1", "W2", "b2")


def initialize_parameters(
    n_x: int,
    n_h: int,
    n_y: int,
    *,
    seed: int,
    scale: float = 0.01,
    init: Literal["random", "zeros", "constant"] = "random",
    dtype: type[np.floating[Any]] | np.dtype[Any] = np.float64,
) -> dict[str, np.ndarray]:
    """Draw the parameters of an (n_x, n_h, n_y) network.

    Parameters
    ----------
    n_x, n_h, n_y : int
        Input features, hidden units, output units (each ≥ 1).
    seed : int
        Seed of the ``numpy.random.default_rng`` that draws the weights.
    scale : float, default 0.01
        ``"random"``: weights are ``scale * N(0, 1)`` (the course's ``randn * 0.01``).
        ``"constant"``: every weight equals ``scale``.
    init : {"random", "zeros", "constant"}, default "random"
        ``"zeros"`` and ``"constant"`` make every hidden unit identical, which shows the
        symmetry problem: every row of ``dW1`` is then the same, so training never makes the
        units differ.
    dtype : numpy float dtype, default float64

    Returns
    -------
    dict
        ``W1`` (n_h, n_x), ``b1`` (n_h, 1), ``W2`` (n_y, n_h), ``b2`` (n_y, 1); biases are zeros.
    """
    for name, n in (("n_x", n_x), ("n_h", n_h), ("n_y", n_y)):
        if not isinstance(n, int | np.integer) or isinstance(n, bool) or n < 1:
            raise ValueError(f"{name} must be a positive integer, got {n!r}")
    shapes = {"W1": (n_h, n_x), "b1": (n_h, 1), "W2": (n_y, n_h), "b2": (n_y, 1)}
    if init == "random":
        rng = np.random.default_rng(seed)
        weights = {k: rng.standard_normal(shapes[k]) * scale for k in ("W1", "W2")}
    elif init == "zeros":
        weights = {k: np.zeros(shapes[k]) for k in ("W1", "W2")}
    elif init == "constant":
        weights = {k: np.full(shapes[k], float(scale)) for k in ("W1", "W2")}
    else:
        raise ValueError(f"init must be 'random', 'zeros' or 'constant', got {init!r}")
    parameters = {**weights, "b1": np.zeros(shapes["b1"]), "b2": np.zeros(shapes["b2"])}
    return {k: parameters[k].astype(dtype) for k in PARAMETER_NAMES}


def forward(
    X: Array, parameters: Parameters, activation: str | Activation = "tanh"
) -> tuple[Array, dict[str, Array]]:
    """Forward pass: ``Z1 = W1 X + b1, A1 = g(Z1), Z2 = W2 A1 + b2, A2 = σ(Z2)``.

    Parameters
    ----------
    X : ndarray, shape (n_x, m)
    parameters : dict
        ``W1`` (n_h, n_x), ``b1`` (n_h, 1), ``W2`` (n_y, n_h), ``b2`` (n_y, 1).
    activation : str or Activation, default "tanh"
        The hidden activation ``g`` (see :mod:`.activations`).

    Returns
    -------
    A2 : ndarray, shape (n_y, m)
        Output probabilities.
    cache : dict
        ``Z1``, ``A1`` (n_h, m) and ``Z2``, ``A2`` (n_y, m).
    """
    Z1, A1, Z2 = _layers(X, parameters, get_activation(activation))
    A2 = sigmoid(Z2)
    return A2, {"Z1": Z1, "A1": A1, "Z2": Z2, "A2": A2}


def logits(X: Array, parameters: Parameters, activation: str | Activation = "tanh") -> Array:
    """The forward pass up to the output's pre-activation, ``Z2 = W2 g(W1 X + b1) + b2``, shape
    (n_y, m): all :func:`cost_from_logits` needs, without the sigmoid (half the operations
    autograd traces through for the reference's exact gradient)."""
    return _layers(X, parameters, get_activation(activation))[2]


def _layers(X: Array, parameters: Parameters, g: Activation) -> tuple[Array, Array, Array]:
    """``Z1 = W1 X + b1``, ``A1 = g(Z1)`` and ``Z2 = W2 A1 + b2``."""
    Z1 = anp.dot(parameters["W1"], X) + parameters["b1"]
    A1 = g.forward(Z1)
    return Z1, A1, anp.dot(parameters["W2"], A1) + parameters["b2"]


def _labels(Y: Array, A2: Array) -> Array:
    """``Y`` reshaped to the shape of ``A2``; a (m,) label vector becomes (1, m)."""
    if anp.ndim(Y) == 1 and anp.shape(A2)[0] == 1:
        return anp.reshape(Y, (1, -1))
    if anp.shape(Y) != anp.shape(A2):
        raise ValueError(f"Y has shape {anp.shape(Y)} but A2 has shape {anp.shape(A2)}; Y must be (n_y, m)")
    return Y


def cost(A2: Array, Y: Array) -> Array:
    """Binary cross-entropy ``J = -(1/m) Σ [Y log A2 + (1 - Y) log(1 - A2)]``.

    The sum runs over the ``m`` examples and, for ``n_y > 1``, over the outputs too.

    Numerically safe: the arguments of both logarithms are floored at the smallest positive
    normal number of the dtype (``np.finfo(dtype).tiny``), so a saturated output
    (``A2 == 0`` or ``A2 == 1`` after rounding) never gives ``log(0) = -inf`` or ``0 * inf = nan``.
    A saturated output that is right (``A2 == Y``) then contributes 0, the limit of its loss;
    one that is confidently wrong contributes a large finite loss (about 708 in float64).
    Away from saturation the floor changes nothing. Near saturation ``1 - A2`` itself has lost
    its digits to rounding, which no formula on ``A2`` can recover: :func:`cost_from_logits`
    computes the same ``J`` from ``Z2`` without that loss.

    Parameters
    ----------
    A2 : ndarray, shape (n_y, m)
        Output probabilities.
    Y : ndarray, shape (n_y, m), or (m,) when n_y = 1
        Labels in [0, 1].

    Returns
    -------
    numpy float (a 0-d value; an autograd box while autograd traces)
    """
    Y = _labels(Y, A2)
    m = anp.shape(A2)[1]
    tiny = np.finfo(anp.result_type(A2)).tiny
    log_a = anp.log(anp.maximum(A2, tiny))
    log_one_minus_a = anp.log(anp.maximum(1.0 - A2, tiny))
    return -anp.sum(Y * log_a + (1.0 - Y) * log_one_minus_a) / m


def cost_from_logits(Z2: Array, Y: Array) -> Array:
    """The same cross-entropy ``J`` as :func:`cost`, computed from the logits ``Z2``, exactly.

    With ``A2 = σ(Z2)``, ``-[y log a + (1 - y) log(1 - a)] = softplus(z) - y z``, where
    ``softplus(z) = log(1 + e^z)`` is evaluated as ``logaddexp(0, z)``::

        J = (1/m) Σ_examples Σ_outputs [ softplus(Z2) - Y Z2 ]

    Unlike :func:`cost`, which only sees ``A2`` and so loses ``1 - A2`` to rounding once an
    output saturates (``A2`` within 1e-16 of 1), this form keeps full precision for every
    ``Z2``; its gradient is exactly the hand-derived ``dZ2 = A2 - Y`` everywhere. Use it where
    the cost must be differentiated or finite-differenced accurately.

    Parameters
    ----------
    Z2 : ndarray, shape (n_y, m)
        Output pre-activations.
    Y : ndarray, shape (n_y, m), or (m,) when n_y = 1
        Labels in [0, 1].

    Returns
    -------
    numpy float (an autograd box while autograd traces)
    """
    Y = _labels(Y, Z2)
    m = anp.shape(Z2)[1]
    return anp.sum(anp.logaddexp(0.0, Z2) - Y * Z2) / m


def backward(
    parameters: Parameters,
    cache: dict[str, Array],
    X: Array,
    Y: Array,
    activation: str | Activation = "tanh",
) -> dict[str, np.ndarray]:
    """Hand-derived gradients of :func:`cost` with respect to ``W1, b1, W2, b2``.

    Formulas (``*`` element-wise)::

        dZ2 = A2 - Y                        (n_y, m)
        dW2 = (1/m) dZ2 A1ᵀ                 (n_y, n_h)
        db2 = (1/m) Σ_examples dZ2          (n_y, 1)
        dZ1 = (W2ᵀ dZ2) * g'(Z1)            (n_h, m)
        dW1 = (1/m) dZ1 Xᵀ                  (n_h, n_x)
        db1 = (1/m) Σ_examples dZ1          (n_h, 1)

    ``dZ2 = A2 - Y`` is the derivative of the cross-entropy through the sigmoid output:
    ``∂L/∂A2 · σ'(Z2) = (A2 - Y) / (A2 (1 - A2)) · A2 (1 - A2)``.

    Parameters
    ----------
    parameters : dict
        ``W1`` (n_h, n_x), ``b1`` (n_h, 1), ``W2`` (n_y, n_h), ``b2`` (n_y, 1).
    cache : dict
        From :func:`forward`: ``Z1``, ``A1`` (n_h, m), ``A2`` (n_y, m).
    X : ndarray, shape (n_x, m)
    Y : ndarray, shape (n_y, m), or (m,) when n_y = 1
    activation : str or Activation, default "tanh"
        The hidden activation the forward pass used.

    Returns
    -------
    dict
        ``dW1, db1, dW2, db2``, each with the shape of its parameter.
    """
    steps = backward_steps(parameters, cache, X, Y, activation)
    return {key: steps[key] for key in ("dW1", "db1", "dW2", "db2")}


def backward_steps(
    parameters: Parameters,
    cache: dict[str, Array],
    X: Array,
    Y: Array,
    activation: str | Activation = "tanh",
    *,
    dZ2: Array | None = None,
    g_prime: Array | None = None,
    hidden: Array | None = None,
    dZ1: Callable[[Array, Array, Array], Array] | None = None,
) -> dict[str, Array]:
    """The backward pass of :func:`backward` step by step, with any step replaceable.

    :func:`backward` is this with nothing replaced; :mod:`.mistakes` replaces one step
    to build the wrong variants learners write, so the right steps exist in one place only.

    Parameters
    ----------
    parameters, cache, X, Y, activation
        As for :func:`backward`.
    dZ2 : ndarray, shape (n_y, m), optional
        Used instead of ``A2 - Y``.
    g_prime : ndarray, shape (n_h, m), optional
        Used instead of ``g'(Z1)``.
    hidden : ndarray, shape (n_h, m), optional
        Used instead of ``A1`` in ``dW2 = (1/m) dZ2 A1ᵀ``.
    dZ1 : callable, optional
        ``dZ1(W2, dZ2, g_prime)``, used instead of ``(W2ᵀ dZ2) * g_prime``.

    Returns
    -------
    dict
        ``dZ2, dW2, db2, dZ1, dW1, db1`` and the ``g_prime`` used.
    """
    g = get_activation(activation)
    A2 = cache["A2"]
    Y = _labels(Y, A2)
    m = anp.shape(X)[1]
    if dZ2 is None:
        dZ2 = A2 - Y
    if g_prime is None:
        g_prime = g.derivative(cache["Z1"])
    if hidden is None:
        hidden = cache["A1"]
    dW2 = anp.dot(dZ2, hidden.T) / m
    db2 = anp.sum(dZ2, axis=1, keepdims=True) / m
    if dZ1 is None:
        dZ1_value = anp.dot(parameters["W2"].T, dZ2) * g_prime
    else:
        dZ1_value = dZ1(parameters["W2"], dZ2, g_prime)
    dW1 = anp.dot(dZ1_value, X.T) / m
    db1 = anp.sum(dZ1_value, axis=1, keepdims=True) / m
    return {"dZ2": dZ2, "dW2": dW2, "db2": db2, "dZ1": dZ1_value, "dW1": dW1, "db1": db1, "g_prime": g_prime}

"""The course's L-layer network (Week 4) with its options: softmax output, L2 and inverted dropout.

Shapes (``m`` examples, ``L`` layers, ``n_0 = n_x``): ``X`` (n_x, m), ``Y`` (n_L, m),
``W{l}`` (n_l, n_{l-1}), ``b{l}`` (n_l, 1).

Forward (``A0 = X``; ``*`` element-wise; ``D{l}`` the dropout masks of the hidden layers)::

    Z{l} = W{l} A{l-1} + b{l}
    A{l} = g_l(Z{l}) * D{l} / keep_prob        l < L   (no dropout: D = 1, keep_prob = 1)
    AL   = σ(ZL)  or  softmax(ZL)              l = L

Cost: the binary cross-entropy summed over the output units (sigmoid), or the categorical one
(softmax), averaged over the examples, plus ``(λ / 2m) Σ_l ‖W{l}‖²``.

Backward, as the course writes it (``linear_backward``, ``relu_backward``, ``sigmoid_backward``,
``L_model_backward``)::

    dZL      = AL - Y                                     (either output)
    dW{l}    = (1/m) dZ{l} A{l-1}ᵀ + (λ/m) W{l}          db{l} = (1/m) Σ_examples dZ{l}
    dA{l-1}  = W{l}ᵀ dZ{l}
    dA{l}    = dA{l} * D{l} / keep_prob                   (dropout, hidden layers)
    dZ{l}    = dA{l} * g_l'(Z{l})

The forward pass and the costs are written on ``autograd.numpy``, so autograd is an independent
route to the same gradients; the tests hold :func:`L_model_backward` to it, and to
:func:`.two_layer.backward` at ``L = 2``. Each backward step is a function of its own
(:class:`Steps`) so that :mod:`.deep_mistakes` can replace one step at one layer and the right
steps exist in one place only.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import autograd.numpy as anp
import numpy as np

from .activations import Activation, get_activation, sigmoid
from .two_layer import cost as binary_cross_entropy

__all__ = [
    "OUTPUTS",
    "L_model_backward",
    "L_model_forward",
    "Network",
    "Steps",
    "backward_steps",
    "exact_cost",
    "initialize_parameters_deep",
    "l2_penalty",
    "layer_count",
    "linear_backward",
    "parameter_names",
    "softmax",
    "written_cost",
]

Array = Any  # a numpy array, or an autograd box while autograd traces
Parameters = Mapping[str, Any]
#: ``((A_prev, W, b), Z)`` per layer, as the course's ``caches``.
Cache = tuple[tuple[Array, Array, Array], Array]

#: The output layers: sigmoid (binary cross-entropy per unit) and softmax (categorical).
OUTPUTS = ("sigmoid", "softmax")


def parameter_names(L: int) -> tuple[str, ...]:
    """``("W1", "b1", ..., "WL", "bL")``."""
    return tuple(f"{kind}{l}" for l in range(1, L + 1) for kind in ("W", "b"))


def layer_count(parameters: Parameters) -> int | None:
    """``L`` when the keys are exactly ``W1, b1, ..., WL, bL`` (L ≥ 1), else None."""
    L = len(parameters) // 2
    return L if L >= 1 and set(parameters) == set(parameter_names(L)) else None


@dataclass(frozen=True)
class Network:
    """The options of one L-layer network: what its forward pass and cost are.

    Attributes
    ----------
    hidden : tuple of Activation
        ``g_l`` for the hidden layers ``l = 1 .. L-1`` (empty for ``L = 1``).
    output : {"sigmoid", "softmax"}
    lambd : float
        The L2 strength λ (the course's ``lambd``); 0 for none.
    keep_prob : float
        Dropout's keep probability; 1 for none.
    masks : tuple of ndarray
        ``D{l}`` (n_l, m) of 0s and 1s for the hidden layers when ``keep_prob < 1``.
    """

    hidden: tuple[Activation, ...]
    output: str = "sigmoid"
    lambd: float = 0.0
    keep_prob: float = 1.0
    masks: tuple[np.ndarray, ...] = field(default=(), compare=False)

    @property
    def L(self) -> int:
        return len(self.hidden) + 1

    @classmethod
    def of(cls, L: int, hidden: str | Activation = "relu", **options: Any) -> Network:
        """``L`` layers with the same hidden activation, e.g. ``Network.of(4, "relu", lambd=0.7)``."""
        return cls(tuple(get_activation(hidden) for _ in range(L - 1)), **options)

    def with_lambd(self, lambd: float) -> Network:
        return replace(self, lambd=lambd)

    def dropout(self, l: int) -> Array | None:
        """``D{l} / keep_prob`` for hidden layer ``l``, or None without dropout."""
        return self.masks[l - 1] / self.keep_prob if self.masks else None


def initialize_parameters_deep(
    layer_dims: Sequence[int], *, seed: int, scale: float = 0.01
) -> dict[str, np.ndarray]:
    """The course's initialisation for ``layer_dims = [n_x, n_1, ..., n_L]``.

    ``W{l} = scale · N(0, 1)`` (n_l, n_{l-1}) from ``numpy.random.default_rng(seed)``, ``b{l} = 0`` (n_l, 1).
    """
    rng = np.random.default_rng(seed)
    parameters: dict[str, np.ndarray] = {}
    for l in range(1, len(layer_dims)):
        parameters[f"W{l}"] = rng.standard_normal((layer_dims[l], layer_dims[l - 1])) * scale
        parameters[f"b{l}"] = np.zeros((layer_dims[l], 1))
    return parameters


def softmax(Z: Array) -> Array:
    """Column-wise ``softmax(z)_k = e^{z_k} / Σ_j e^{z_j}``, shifted by the column's max (no overflow)."""
    E = anp.exp(Z - anp.max(Z, axis=0, keepdims=True))
    return E / anp.sum(E, axis=0, keepdims=True)


def L_model_forward(X: Array, parameters: Parameters, network: Network) -> tuple[Array, list[Cache]]:
    """The forward pass: ``AL`` (n_L, m) and ``caches[l-1] = ((A{l-1}, W{l}, b{l}), Z{l})``.

    With dropout, ``A{l-1}`` in a cache is the activation after its mask, as the next layer saw it.
    """
    A = X
    caches: list[Cache] = []
    for l in range(1, network.L + 1):
        W, b = parameters[f"W{l}"], parameters[f"b{l}"]
        Z = anp.dot(W, A) + b
        caches.append(((A, W, b), Z))
        if l < network.L:
            A = network.hidden[l - 1].forward(Z)
            scale = network.dropout(l)
            A = A if scale is None else A * scale
        else:
            A = sigmoid(Z) if network.output == "sigmoid" else softmax(Z)
    return A, caches


def _labels(Y: Array, A: Array) -> Array:
    """``Y`` as (n_L, m); a (m,) label vector becomes (1, m)."""
    if anp.ndim(Y) == 1 and anp.shape(A)[0] == 1:
        return anp.reshape(Y, (1, -1))
    return Y


def _penalty(parameters: Parameters, network: Network, m: int) -> Array:
    return l2_penalty(parameters, network.lambd, m, network.L)


def l2_penalty(parameters: Parameters, lambd: float, m: int, L: int) -> Array:
    """The course's L2 term ``(λ / 2m) Σ_{l=1..L} ‖W{l}‖²_F`` (0 when ``λ = 0``)."""
    if lambd == 0:
        return 0.0
    squares = sum(anp.sum(parameters[f"W{l}"] ** 2) for l in range(1, L + 1))
    return lambd / (2.0 * m) * squares


def exact_cost(X: Array, Y: Array, parameters: Parameters, network: Network) -> Array:
    """The cost computed from the logits ``ZL``, exact wherever the outputs saturate::

        sigmoid:  J = (1/m) Σ [softplus(ZL) − Y ZL]
        softmax:  J = (1/m) Σ_examples [logsumexp(ZL) − Σ_units Y ZL]

    plus the L2 term. Autograd differentiates it for the reference opinion.
    """
    _, caches = L_model_forward(X, parameters, network)
    ZL = caches[-1][1]
    Y = _labels(Y, ZL)
    m = anp.shape(ZL)[1]
    if network.output == "sigmoid":
        data = anp.sum(anp.logaddexp(0.0, ZL) - Y * ZL) / m
    else:
        top = anp.max(ZL, axis=0, keepdims=True)
        logsumexp = top + anp.log(anp.sum(anp.exp(ZL - top), axis=0, keepdims=True))
        data = anp.sum(logsumexp - anp.sum(Y * ZL, axis=0, keepdims=True)) / m
    return data + _penalty(parameters, network, m)


def written_cost(X: Array, Y: Array, parameters: Parameters, network: Network) -> Array:
    """The same cost as the course writes it, from the probabilities ``AL``::

        sigmoid:  J = −(1/m) Σ [Y log AL + (1 − Y) log(1 − AL)]
        softmax:  J = −(1/m) Σ Y log AL

    (logs floored at the dtype's smallest normal number), plus the L2 term. It is flat where
    outputs round to 0 or 1, as the learner's is.
    """
    AL, _ = L_model_forward(X, parameters, network)
    Y = _labels(Y, AL)
    m = anp.shape(AL)[1]
    if network.output == "sigmoid":
        data = binary_cross_entropy(AL, Y)
    else:
        data = -anp.sum(Y * anp.log(anp.maximum(AL, np.finfo(anp.result_type(AL)).tiny))) / m
    return data + _penalty(parameters, network, m)


def linear_backward(dZ: Array, linear_cache: tuple[Array, Array, Array]) -> tuple[Array, Array, Array]:
    """The course's ``linear_backward``: ``dA_prev = Wᵀ dZ``, ``dW = dZ A_prevᵀ / m``, ``db = Σ dZ / m``."""
    A_prev, W, _ = linear_cache
    m = np.shape(A_prev)[1]
    return W.T @ dZ, dZ @ A_prev.T / m, np.sum(dZ, axis=1, keepdims=True) / m


def _dZL(AL: Array, Y: Array, ZL: Array) -> Array:
    """``dZL = AL − Y``: ``dAL * σ'(ZL)`` simplified (and the softmax's with one-hot ``Y``)."""
    return AL - Y


def _dZ(network: Network, l: int, dA: Array, Z: Array) -> Array:
    """``dZ{l} = dA{l} * g_l'(Z{l})`` (the course's ``relu_backward``, ``sigmoid_backward``)."""
    return dA * network.hidden[l - 1].derivative(Z)


def _linear(l: int, dZ: Array, linear_cache: Any, caches: Sequence[Cache]) -> tuple[Array, Array, Array]:
    return linear_backward(dZ, linear_cache)


def _l2(network: Network, l: int, W: Array, b: Array, m: int) -> tuple[Array, Array]:
    """What L2 adds to ``dW{l}`` and ``db{l}``: ``(λ/m) W{l}`` and nothing."""
    return (network.lambd / m * W if network.lambd else 0.0), 0.0


def _dropout(network: Network, l: int, dA: Array) -> Array:
    """``dA{l} * D{l} / keep_prob``, as the forward pass scaled ``A{l}``."""
    scale = network.dropout(l)
    return dA if scale is None else dA * scale


def _cache(caches: Sequence[Cache], l: int) -> Cache:
    return caches[l - 1]


@dataclass(frozen=True)
class Steps:
    """The backward pass's steps, each a function; :mod:`.deep_mistakes` replaces one.

    Attributes
    ----------
    dZL : callable
        ``dZL(AL, Y, ZL)``; right: ``AL − Y``.
    dZ : callable
        ``dZ(network, l, dA, Z)`` for a hidden layer; right: ``dA * g_l'(Z)``.
    linear : callable
        ``linear(l, dZ, linear_cache, caches) -> (dA_prev, dW, db)``; right: :func:`linear_backward`.
    l2 : callable
        ``l2(network, l, W, b, m) -> (add to dW, add to db)``; right: ``((λ/m) W, 0)``.
    dropout : callable
        ``dropout(network, l, dA)``; right: ``dA * D{l} / keep_prob``.
    cache : callable
        ``cache(caches, l)``: the cache layer ``l`` uses; right: ``caches[l - 1]``.
    """

    dZL: Callable[[Array, Array, Array], Array] = _dZL
    dZ: Callable[[Network, int, Array, Array], Array] = _dZ
    linear: Callable[[int, Array, Any, Sequence[Cache]], tuple[Array, Array, Array]] = _linear
    l2: Callable[[Network, int, Array, Array, int], tuple[Array, Array]] = _l2
    dropout: Callable[[Network, int, Array], Array] = _dropout
    cache: Callable[[Sequence[Cache], int], Cache] = _cache


def backward_steps(
    AL: Array, Y: Array, caches: Sequence[Cache], network: Network, steps: Steps
) -> dict[str, Array]:
    """:func:`L_model_backward` with its steps given: ``dA{l-1}, dW{l}, db{l}`` and ``dZ{l}``."""
    Y = _labels(Y, AL)
    L = network.L
    grads: dict[str, Array] = {}
    dZ = steps.dZL(AL, Y, caches[-1][1])
    for l in range(L, 0, -1):
        linear_cache, Z = steps.cache(caches, l)
        if l < L:
            dA = steps.dropout(network, l, grads[f"dA{l}"])
            dZ = steps.dZ(network, l, dA, Z)
        grads[f"dZ{l}"] = dZ
        dA_prev, dW, db = steps.linear(l, dZ, linear_cache, caches)
        W, b = linear_cache[1], linear_cache[2]
        extra_W, extra_b = steps.l2(network, l, W, b, np.shape(dZ)[1])
        grads[f"dA{l - 1}"], grads[f"dW{l}"], grads[f"db{l}"] = dA_prev, dW + extra_W, db + extra_b
    return grads


def L_model_backward(AL: Array, Y: Array, caches: Sequence[Cache], network: Network) -> dict[str, np.ndarray]:
    """Hand-derived gradients of the cost: ``dW{l}``, ``db{l}`` (and ``dA{l}``, ``dZ{l}``), as the course.

    Parameters
    ----------
    AL : ndarray, shape (n_L, m)
    Y : ndarray, shape (n_L, m), or (m,) when n_L = 1
    caches : list
        From :func:`L_model_forward` with the same ``network``.
    network : Network

    Returns
    -------
    dict
        ``dW{l}`` (n_l, n_{l-1}), ``db{l}`` (n_l, 1), ``dA{l-1}``, ``dZ{l}`` for ``l = 1 .. L``.
    """
    return backward_steps(AL, Y, caches, network, Steps())

"""Hidden-layer activations: one registry, each forward function beside its derivative.

Every function is written on ``autograd.numpy`` so that autograd can differentiate
through the forward pass; the hand-written derivative ``g'(z)`` next to it is what the
hand-derived backward pass uses. Tests loop over :data:`ACTIVATIONS`, so a new
activation is one entry here and is tested automatically.

=========== ======================== ===================================
name        g(z)                     g'(z)
=========== ======================== ===================================
sigmoid     1 / (1 + exp(-z))        σ(z) (1 - σ(z))
tanh        tanh z                   1 - tanh² z
relu        max(0, z)                1 if z > 0 else 0   (kink at 0)
leaky_relu  z if z > 0 else α z      1 if z > 0 else α   (kink at 0)
identity    z                        1
=========== ======================== ===================================

The derivatives are evaluated without cancellation: ``σ(z) σ(-z)`` for ``σ(z)(1 - σ(z))`` and
``4u / (1 + u)²``, ``u = e^(-2|z|)``, for ``1 - tanh² z``, so they keep full relative precision
where the unit saturates (the textbook forms lose it: ``1 - A1**2`` is 0 once ``A1`` rounds to 1).

At a kink (``z == 0`` exactly) the derivative is the left one (0 for ReLU, α for leaky
ReLU), matching both ``np.where(z > 0, ...)`` and what autograd computes through the
forward functions below.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import autograd.numpy as anp
import numpy as np

__all__ = ["ACTIVATIONS", "Activation", "get_activation", "sigmoid"]

Array = Any  # a numpy array, or an autograd box around one while autograd traces


@dataclass(frozen=True)
class Activation:
    """A hidden-layer activation ``g`` with its derivative ``g'``.

    Attributes
    ----------
    name : str
        Registry name, e.g. ``"tanh"``.
    forward : callable
        ``g(Z)``, element-wise; ``Z`` has any shape, the result has the same shape.
    derivative : callable
        ``g'(Z)``, element-wise, evaluated at the pre-activation ``Z`` (not at ``A``).
    kinks : tuple of float
        Points where ``g`` is not differentiable (``(0.0,)`` for ReLU-like functions).
    alpha : float or None
        The negative slope of ``leaky_relu``; None for the others.
    formula : str
        ``g'(Z1)`` as learners write it in numpy, in terms of ``A1`` or ``Z1`` (quoted in the
        fixes :mod:`gradcheck.diagnose` suggests), e.g. ``"(1 - np.power(A1, 2))"``.
    """

    name: str
    forward: Callable[[Array], Array]
    derivative: Callable[[Array], Array]
    kinks: tuple[float, ...] = ()
    alpha: float | None = None
    formula: str = ""


def sigmoid(Z: Array) -> Array:
    """Logistic function σ(z) = 1 / (1 + e^(-z)), computed without overflow.

    For ``z ≥ 0`` it evaluates ``1 / (1 + e^(-z))`` and for ``z < 0`` the equal
    ``e^z / (1 + e^z)``, each branch on inputs clipped to its own side, so ``exp`` never
    overflows and small outputs keep full relative precision (σ(-30) ≈ 9.4e-14 exactly,
    not 0). Also used by the output layer.

    Parameters
    ----------
    Z : ndarray
        Any shape.

    Returns
    -------
    ndarray
        Same shape as ``Z``, values in [0, 1].
    """
    nonneg = Z >= 0
    Z_pos = anp.where(nonneg, Z, 0.0)
    exp_neg = anp.exp(anp.where(nonneg, 0.0, Z))
    return anp.where(nonneg, 1.0 / (1.0 + anp.exp(-Z_pos)), exp_neg / (1.0 + exp_neg))


def _sigmoid() -> Activation:
    def derivative(Z: Array) -> Array:
        return sigmoid(Z) * sigmoid(-Z)  # = σ(z)(1 - σ(z)), without cancellation in 1 - σ

    return Activation("sigmoid", forward=sigmoid, derivative=derivative, formula="A1 * (1 - A1)")


def _tanh() -> Activation:
    def derivative(Z: Array) -> Array:
        # = 1 - tanh²z = sech²z, written as 4u / (1 + u)² with u = e^(-2|z|): no cancellation
        # in 1 - tanh² where tanh z is near ±1, and no overflow
        u = anp.exp(-2.0 * anp.abs(Z))
        return 4.0 * u / (1.0 + u) ** 2

    return Activation("tanh", forward=anp.tanh, derivative=derivative, formula="(1 - np.power(A1, 2))")


def _float_dtype(Z: Array) -> np.dtype[Any]:
    """``Z``'s dtype if it is a float type, else float64: a float32 network stays float32."""
    dtype = np.asarray(Z).dtype
    return dtype if dtype.kind == "f" else np.dtype(np.float64)


def _relu() -> Activation:
    def forward(Z: Array) -> Array:
        return anp.where(Z > 0, Z, 0.0)

    def derivative(Z: Array) -> Array:
        return anp.where(Z > 0, 1.0, 0.0).astype(_float_dtype(Z))

    return Activation("relu", forward=forward, derivative=derivative, kinks=(0.0,), formula="(Z1 > 0)")


def _leaky_relu(alpha: float = 0.01) -> Activation:
    def forward(Z: Array) -> Array:
        return anp.where(Z > 0, Z, alpha * Z)

    def derivative(Z: Array) -> Array:
        return anp.where(Z > 0, 1.0, alpha).astype(_float_dtype(Z))

    return Activation(
        "leaky_relu",
        forward=forward,
        derivative=derivative,
        kinks=(0.0,),
        alpha=alpha,
        formula=f"np.where(Z1 > 0, 1, {alpha:g})",
    )


def _identity() -> Activation:
    def forward(Z: Array) -> Array:
        return Z

    def derivative(Z: Array) -> Array:
        return anp.ones_like(Z)

    return Activation("identity", forward=forward, derivative=derivative, formula="1")


#: The registry: name -> builder. ``leaky_relu`` takes ``alpha``; the others take nothing.
ACTIVATIONS: dict[str, Callable[..., Activation]] = {
    "sigmoid": _sigmoid,
    "tanh": _tanh,
    "relu": _relu,
    "leaky_relu": _leaky_relu,
    "identity": _identity,
}


def get_activation(activation: str | Activation, *, alpha: float | None = None) -> Activation:
    """Look up an activation by name, or pass an :class:`Activation` through.

    Parameters
    ----------
    activation : str or Activation
        A key of :data:`ACTIVATIONS` (``"sigmoid"``, ``"tanh"``, ``"relu"``,
        ``"leaky_relu"``, ``"identity"``) or an already built :class:`Activation`.
    alpha : float, optional
        Negative slope for ``"leaky_relu"`` (default 0.01). Not accepted for the others.

    Returns
    -------
    Activation

    Raises
    ------
    ValueError
        For an unknown name, or ``alpha`` given for an activation that has none.
    """
    if isinstance(activation, Activation):
        if alpha is not None and alpha != activation.alpha:
            raise ValueError(
                f"alpha={alpha} was given with an already built {activation.name!r} activation; "
                f"pass the name instead: get_activation({activation.name!r}, alpha={alpha})"
            )
        return activation
    if activation not in ACTIVATIONS:
        raise ValueError(f"unknown activation {activation!r}; choose one of {', '.join(sorted(ACTIVATIONS))}")
    if alpha is None:
        return ACTIVATIONS[activation]()
    if activation != "leaky_relu":
        raise ValueError(f"alpha is the negative slope of 'leaky_relu'; {activation!r} takes no alpha")
    return ACTIVATIONS[activation](alpha=alpha)

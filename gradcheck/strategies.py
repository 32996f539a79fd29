"""Hypothesis strategies for gradient tests: shapes, activations and reference-network problems.

These are the strategies gradcheck's own tests use. Every array is drawn from a
``numpy.random.default_rng`` seeded by an integer that hypothesis draws (and shrinks), so a
failing example is reproduced from its printed seed.

>>> from hypothesis import given
>>> from gradcheck.strategies import problems
>>> @given(problems())
... def test_my_backward(problem):
...     ...
"""

from __future__ import annotations

from typing import Any

import numpy as np
from hypothesis import assume
from hypothesis import strategies as st

from gradcheck.network.activations import ACTIVATIONS, Activation, get_activation
from gradcheck.network.problems import Problem, reference_problem
from gradcheck.network.two_layer import forward

__all__ = [
    "Problem",
    "activations",
    "datasets",
    "network_shapes",
    "parameters",
    "problems",
    "problems_on_kinks",
    "reference_problem",
]


def network_shapes(
    *, max_n_x: int = 6, max_n_h: int = 5, max_n_y: int = 3, max_m: int = 12
) -> st.SearchStrategy[tuple[int, int, int, int]]:
    """``(n_x, n_h, n_y, m)``, each drawn from 1 to its maximum.

    Parameters
    ----------
    max_n_x, max_n_h, max_n_y, max_m : int
        Upper bounds (≥ 1); small defaults keep finite differences fast.
    """
    for name, value in (("max_n_x", max_n_x), ("max_n_h", max_n_h), ("max_n_y", max_n_y), ("max_m", max_m)):
        if not isinstance(value, int) or value < 1:
            raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return st.tuples(
        st.integers(1, max_n_x), st.integers(1, max_n_h), st.integers(1, max_n_y), st.integers(1, max_m)
    )


def activations(names: tuple[str, ...] | None = None) -> st.SearchStrategy[Activation]:
    """A hidden activation from the registry; leaky ReLU with α drawn from [0.001, 0.5].

    Parameters
    ----------
    names : tuple of str, optional
        Restrict to these registry names. Default: all of them.
    """
    chosen = tuple(ACTIVATIONS) if names is None else names
    unknown = [name for name in chosen if name not in ACTIVATIONS]
    if unknown or not chosen:
        raise ValueError(f"unknown activation names {unknown}; choose from {', '.join(ACTIVATIONS)}")

    def build(name: str) -> st.SearchStrategy[Activation]:
        if name == "leaky_relu":
            alphas = st.floats(0.001, 0.5, allow_nan=False)
            return alphas.map(lambda alpha: get_activation("leaky_relu", alpha=alpha))
        return st.just(get_activation(name))

    return st.sampled_from(chosen).flatmap(build)


def _off_kinks(problem: Problem, margin: float) -> bool:
    if not problem.activation.kinks:
        return True
    _, cache = forward(problem.X, problem.parameters, problem.activation)
    Z1 = cache["Z1"]
    return all(bool(np.min(np.abs(Z1 - kink)) > margin) for kink in problem.activation.kinks)


@st.composite
def problems(
    draw: Any,
    shapes: st.SearchStrategy[tuple[int, int, int, int]] | None = None,
    activation: st.SearchStrategy[Activation] | None = None,
    *,
    scales: st.SearchStrategy[float] | None = None,
    kink_margin: float | None = 1e-4,
) -> Problem:
    """A reference-network problem (see :func:`reference_problem`) with a hypothesis-drawn seed.

    Parameters
    ----------
    shapes : strategy of (n_x, n_h, n_y, m), optional
        Default :func:`network_shapes`.
    activation : strategy of Activation, optional
        Default :func:`activations`.
    scales : strategy of float, optional
        Weight scale; default floats in [0.05, 2].
    kink_margin : float or None, default 1e-4
        For ReLU-like activations, keep every pre-activation ``Z1`` at least this far from a
        kink, so finite differences (steps of about 6e-6) never cross one. None allows points
        on kinks.
    """
    shape = draw(shapes if shapes is not None else network_shapes())
    act = draw(activation if activation is not None else activations())
    scale = draw(scales if scales is not None else st.floats(0.05, 2.0, allow_nan=False))
    problem = reference_problem(shape, act, seed=draw(st.integers(0, 2**32 - 1)), scale=scale)
    if kink_margin is not None:
        assume(_off_kinks(problem, kink_margin))
    return problem


@st.composite
def problems_on_kinks(
    draw: Any,
    shapes: st.SearchStrategy[tuple[int, int, int, int]] | None = None,
    *,
    zero_weights: bool = True,
) -> Problem:
    """A ReLU or leaky-ReLU problem with hidden pre-activations exactly on the kink.

    Biases ``b1`` are zero and at least one input column (example) is all zeros, so
    ``Z1[:, i] = W1 · 0 + 0`` is exactly 0 there, as happens with zero-initialised biases and an
    all-black image; with ``zero_weights`` the draw may also zero ``W1`` (zero initialisation),
    putting every hidden unit of every example on the kink at once.

    Parameters
    ----------
    shapes : strategy of (n_x, n_h, n_y, m), optional
        Default :func:`network_shapes` with ``m ≥ 2``.
    zero_weights : bool, default True
        Allow ``W1 = 0`` (several kinks on one coordinate: one-sided derivatives along a single
        entry no longer bound what correct code returns; see
        :func:`gradcheck.network.two_layer_model.kink_interval`).
    """
    shape = draw(shapes if shapes is not None else network_shapes().filter(lambda s: s[3] >= 2))
    act = draw(activations(("relu", "leaky_relu")))
    problem = reference_problem(
        shape, act, seed=draw(st.integers(0, 2**32 - 1)), scale=draw(st.floats(0.05, 2.0))
    )
    m = shape[3]
    zeroed = draw(st.lists(st.integers(0, m - 1), min_size=1, max_size=m, unique=True))
    X = problem.X.copy()
    X[:, zeroed] = 0.0
    parameters = {name: value.copy() for name, value in problem.parameters.items()}
    parameters["b1"][:] = 0.0
    if zero_weights and draw(st.booleans()):
        parameters["W1"][:] = 0.0
    return Problem(X, problem.Y, parameters, act, problem.seed, problem.scale)


@st.composite
def parameters(
    draw: Any,
    shapes: st.SearchStrategy[tuple[int, int, int, int]] | None = None,
    *,
    scales: st.SearchStrategy[float] | None = None,
) -> dict[str, np.ndarray]:
    """Parameters ``W1, b1, W2, b2`` of a drawn shape (as :func:`reference_problem` draws them).

    Parameters
    ----------
    shapes : strategy of (n_x, n_h, n_y, m), optional
        Default :func:`network_shapes` (``m`` is not used).
    scales : strategy of float, optional
        Weight scale; default floats in [0.05, 2].
    """
    problem: Problem = draw(
        problems(shapes, st.just(get_activation("identity")), scales=scales, kink_margin=None)
    )
    return problem.parameters


@st.composite
def datasets(
    draw: Any, shapes: st.SearchStrategy[tuple[int, int, int, int]] | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """``(X, Y)``: inputs ``N(0, 1)`` of shape (n_x, m) and 0/1 labels of shape (n_y, m).

    Parameters
    ----------
    shapes : strategy of (n_x, n_h, n_y, m), optional
        Default :func:`network_shapes` (``n_h`` is not used).
    """
    problem: Problem = draw(problems(shapes, st.just(get_activation("identity")), kink_margin=None))
    return problem.X, problem.Y

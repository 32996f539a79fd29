"""Hypothesis strategies for gradient tests: networks, shapes, activations and reference problems.

For a network of your own, :func:`networks` draws a consistent point ``(X, Y, parameters)`` of an
L-layer network, every value drawn by hypothesis, so a failing example shrinks to small, simple
numbers:

>>> from hypothesis import given
>>> from gradcheck.strategies import networks
>>> @given(networks(hidden="tanh"))
... def test_my_backward(point):
...     ...

The other strategies are the ones gradcheck's own tests use for its two-layer reference network:
their arrays come from a ``numpy.random.default_rng`` seeded by an integer that hypothesis draws
(and shrinks), so a failing example is reproduced from its printed seed, but the values themselves
do not shrink.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from hypothesis import assume
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from gradcheck.network.activations import ACTIVATIONS, Activation, get_activation
from gradcheck.network.deep import L_model_forward, Network, exact_cost
from gradcheck.network.problems import Problem, reference_problem
from gradcheck.network.two_layer import forward

__all__ = [
    "NetworkPoint",
    "Problem",
    "activations",
    "datasets",
    "network_shapes",
    "networks",
    "parameters",
    "problems",
    "problems_on_kinks",
    "reference_problem",
]

#: What :func:`networks` takes as the hidden activations.
_Hidden = str | Activation | Sequence[str | Activation] | st.SearchStrategy[Activation] | None
#: The number of hidden layers -> a strategy of their activations.
_HiddenDraw = Callable[[int], st.SearchStrategy[tuple[Activation, ...]]]


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

    Drawn on their own: data drawn by :func:`datasets` has a shape of its own, and the values come
    from a seeded generator, so they do not shrink. For ``X``, ``Y`` and parameters that fit
    together, with values hypothesis shrinks, use :func:`networks`.

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

    Drawn on their own, from a seeded generator, like :func:`parameters`; for data and parameters
    that fit together, use :func:`networks`.

    Parameters
    ----------
    shapes : strategy of (n_x, n_h, n_y, m), optional
        Default :func:`network_shapes` (``n_h`` is not used).
    """
    problem: Problem = draw(problems(shapes, st.just(get_activation("identity")), kink_margin=None))
    return problem.X, problem.Y


# -- consistent points of a network of your own ------------------------------------------------


@dataclass(frozen=True, eq=False)
class NetworkPoint:
    """A point at which to check an L-layer network with a sigmoid output: data and parameters.

    Shapes, for ``layer_dims = (n_0, n_1, ..., n_L)`` with ``n_0 = n_x``, and ``m`` examples::

        X     (n_x, m)          Y     (n_L, m), entries 0.0 or 1.0
        W{l}  (n_l, n_{l-1})    b{l}  (n_l, 1)              l = 1 .. L

    Attributes
    ----------
    X : ndarray, shape (n_x, m)
    Y : ndarray, shape (n_L, m)
    parameters : dict of str to ndarray
        ``W1, b1, ..., WL, bL``, float64.
    network : Network
        The hidden activations ``g_1 .. g_{L-1}`` (``network.hidden``, a tuple of
        :class:`~gradcheck.network.activations.Activation`) and the sigmoid output.
    """

    X: np.ndarray
    Y: np.ndarray
    parameters: dict[str, np.ndarray]
    network: Network

    @property
    def layer_dims(self) -> tuple[int, ...]:
        """``(n_x, n_1, ..., n_L)``."""
        widths = (self.parameters[f"W{layer}"].shape[0] for layer in range(1, self.network.L + 1))
        return (self.X.shape[0], *widths)

    @property
    def m(self) -> int:
        """The number of examples (columns of ``X``)."""
        return int(self.X.shape[1])

    def __repr__(self) -> str:
        """One line: the hidden activations by name (``leaky_relu`` with its α), then the arrays."""
        hidden = tuple(
            g.name if g.alpha is None else f"{g.name}(alpha={g.alpha:g})" for g in self.network.hidden
        )
        arrays = {"X": self.X, "Y": self.Y, **self.parameters}
        entries = ", ".join(f"{name}={value.tolist()!r}" for name, value in arrays.items())
        return f"NetworkPoint(hidden={hidden!r}, {entries})"

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        """What hypothesis prints for a failing example: :meth:`__repr__`, not each field's repr."""
        printer.text(repr(self))

    def cost(self, parameters: dict[str, Any]) -> Any:
        """The network's cross-entropy at ``parameters``, computed from the logits ``ZL``::

            J = (1/m) Σ_units Σ_examples [log(1 + e^ZL) − Y ZL]

        the cost of :func:`gradcheck.network.deep.exact_cost`, written on ``autograd.numpy``.
        """
        return exact_cost(self.X, self.Y, parameters, self.network)


def networks(
    layer_dims: Sequence[int] | None = None,
    hidden: str | Activation | Sequence[str | Activation] | st.SearchStrategy[Activation] | None = None,
    *,
    m: int | None = None,
    min_layers: int = 2,
    max_layers: int = 3,
    max_width: int = 4,
    max_m: int = 8,
    weight_bound: float = 2.0,
    data_bound: float = 2.0,
    kink_margin: float | None = 1e-4,
) -> st.SearchStrategy[NetworkPoint]:
    """Consistent points ``(X, Y, parameters)`` of an L-layer network, every value drawn by hypothesis.

    The shapes chain (see :class:`NetworkPoint`): ``X`` (n_x, m), ``Y`` (n_L, m), ``W{l}``
    (n_l, n_{l-1}), ``b{l}`` (n_l, 1). The entries of ``X``, ``W{l}`` and ``b{l}`` are finite
    floats drawn with :func:`hypothesis.extra.numpy.arrays`, and ``Y``'s are 0.0 or 1.0, so a
    failing example shrinks towards fewer layers, narrower layers, fewer examples and zeros.

    Parameters
    ----------
    layer_dims : sequence of int, optional
        ``(n_x, n_1, ..., n_L)``, at least two entries. Default: drawn, ``L`` from ``min_layers``
        to ``max_layers`` and each width from 1 to ``max_width``.
    hidden : str, Activation, sequence of them, or strategy of Activation, optional
        The hidden activations ``g_1 .. g_{L-1}``: one name or
        :class:`~gradcheck.network.activations.Activation` for every hidden layer, one per hidden
        layer, or a strategy drawn once per hidden layer. Default: :func:`activations` per layer.
    m : int, optional
        The number of examples. Default: drawn from 1 to ``max_m``.
    min_layers : int, default 2
        The fewest layers ``L`` drawn (≥ 1; 2 has one hidden layer, 1 none).
    max_layers, max_width, max_m : int
        Upper bounds (≥ 1) for what is drawn.
    weight_bound, data_bound : float, default 2.0
        ``|W{l}|, |b{l}| ≤ weight_bound`` and ``|X| ≤ data_bound`` entry-wise: moderate
        pre-activations, where a sigmoid or tanh unit is not saturated and its gradient tells
        right code from wrong.
    kink_margin : float or None, default 1e-4
        For ReLU-like hidden layers, keep every pre-activation ``Z{l}`` at least this far from a
        kink (draws closer are rejected), so that finite differences do not cross one. None
        allows points on kinks.

    Returns
    -------
    strategy of NetworkPoint
    """
    counts = {"m": m, "min_layers": min_layers, "max_layers": max_layers}
    _check_options({**counts, "max_width": max_width, "max_m": max_m}, weight_bound, data_bound, kink_margin)
    if min_layers > max_layers:
        raise ValueError(f"min_layers = {min_layers} is more than max_layers = {max_layers}")
    return _network_points(
        _dims_strategy(layer_dims, hidden, (min_layers, max_layers), max_width),
        _hidden_strategy(hidden),
        st.just(m) if m is not None else st.integers(1, max_m),
        weight_bound,
        data_bound,
        kink_margin,
    )


def _check_options(
    counts: dict[str, int | None], weight_bound: float, data_bound: float, kink_margin: float | None
) -> None:
    """Raise ValueError for a count that is not a positive integer, a bound or margin out of range."""
    for name, value in counts.items():
        if value is not None and (not isinstance(value, int) or value < 1):
            raise ValueError(f"{name} must be a positive integer, got {value!r}")
    for name, bound in (("weight_bound", weight_bound), ("data_bound", data_bound)):
        if not np.isfinite(bound) or bound <= 0:
            raise ValueError(f"{name} must be a positive finite number, got {bound!r}")
    if kink_margin is not None and not kink_margin >= 0:
        raise ValueError(f"kink_margin must be None or ≥ 0, got {kink_margin!r}")


def _dims_strategy(
    layer_dims: Sequence[int] | None, hidden: _Hidden, layers: tuple[int, int], max_width: int
) -> st.SearchStrategy[tuple[int, ...]]:
    """``layer_dims`` as given, or drawn; with one activation per hidden layer, ``L`` is theirs."""
    per_layer = _per_layer(hidden)
    if layer_dims is not None:
        if len(layer_dims) < 2 or not all(isinstance(n, int | np.integer) and n >= 1 for n in layer_dims):
            raise ValueError(f"layer_dims must be at least two positive integers, got {layer_dims!r}")
        dims = tuple(int(n) for n in layer_dims)
        if per_layer is not None and len(per_layer) != len(dims) - 2:
            raise ValueError(
                f"{len(per_layer)} hidden activations for {len(dims) - 2} hidden layers {dims!r}"
            )
        return st.just(dims)
    lo, hi = (len(per_layer) + 1,) * 2 if per_layer is not None else layers
    widths = st.lists(st.integers(1, max_width), min_size=lo + 1, max_size=hi + 1)
    return widths.map(tuple)


def _per_layer(hidden: _Hidden) -> tuple[Activation, ...] | None:
    """One activation per hidden layer when ``hidden`` is a sequence of them, else None."""
    if hidden is None or isinstance(hidden, str | Activation | st.SearchStrategy):
        return None
    return tuple(get_activation(activation) for activation in hidden)


def _hidden_strategy(hidden: _Hidden) -> _HiddenDraw:
    """The strategy of the ``L - 1`` hidden activations, as a function of ``L - 1``."""
    per_layer = _per_layer(hidden)
    if per_layer is not None:
        return lambda count: st.just(per_layer)
    if isinstance(hidden, str | Activation):
        one = get_activation(hidden)
        return lambda count: st.just((one,) * count)
    each = activations() if hidden is None else hidden
    return lambda count: st.tuples(*[each] * count)


#: Arrays up to this many entries draw each entry; larger ones draw some and fill the rest with one
#: drawn value (hypothesis' default), which keeps a wide layer's draw short.
_EACH_ENTRY = 64


def _floats(shape: tuple[int, int], bound: float) -> st.SearchStrategy[np.ndarray]:
    """float64 arrays of ``shape``, entries finite and in [−bound, bound]."""
    elements = st.floats(-bound, bound, allow_nan=False, allow_infinity=False, allow_subnormal=False)
    fill = st.nothing() if shape[0] * shape[1] <= _EACH_ENTRY else None
    return arrays(np.float64, shape, elements=elements, fill=fill)


def _clear_of_kinks(point: NetworkPoint, margin: float) -> bool:
    """Whether every ReLU-like layer's ``Z{l}`` is more than ``margin`` from each of its kinks."""
    _, caches = L_model_forward(point.X, point.parameters, point.network)
    for activation, (_, Z) in zip(point.network.hidden, caches, strict=False):
        if any(np.min(np.abs(Z - kink)) <= margin for kink in activation.kinks):
            return False
    return True


@st.composite
def _network_points(
    draw: st.DrawFn,
    dims: st.SearchStrategy[tuple[int, ...]],
    hidden: _HiddenDraw,
    examples: st.SearchStrategy[int],
    weight_bound: float,
    data_bound: float,
    kink_margin: float | None,
) -> NetworkPoint:
    layer_dims = draw(dims)
    network = Network(draw(hidden(len(layer_dims) - 2)))
    m = draw(examples)
    X = draw(_floats((layer_dims[0], m), data_bound))
    Y = draw(arrays(np.float64, (layer_dims[-1], m), elements=st.sampled_from([0.0, 1.0])))
    parameters: dict[str, np.ndarray] = {}
    for layer in range(1, len(layer_dims)):
        n_in, n_out = layer_dims[layer - 1], layer_dims[layer]
        parameters[f"W{layer}"] = draw(_floats((n_out, n_in), weight_bound))
        parameters[f"b{layer}"] = draw(_floats((n_out, 1), weight_bound))
    point = NetworkPoint(X, Y, parameters, network)
    if kink_margin is not None:
        assume(_clear_of_kinks(point, kink_margin))
    return point

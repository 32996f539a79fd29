"""The L-layer network's catalog of mistakes: the right backward pass with one step wrong, at any layer.

Each :class:`DeepMistake` is :func:`.deep.backward_steps` with one :class:`~.deep.Steps` field
replaced, at one layer (or at every layer where the course's code shares one function, such as
``linear_backward``), with the diagnosis code it must get and its texts: what is wrong, the line
the learner wrote and the fix, naming the layer and the course's function (``linear_backward``,
``relu_backward``, ``sigmoid_backward``, ``L_model_backward``).

:func:`catalog` lists the mistakes that apply to one network (its depth, activations, output,
L2 and dropout), in the order diagnosis prefers them. Mistakes whose learner code would not run at
these shapes (``np.dot(W, dZ)`` with a non-square ``W``) are left out.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from typing import Any

import autograd.numpy as anp
import numpy as np

from .activations import ACTIVATIONS, Activation, get_activation, sigmoid
from .deep import Network, Steps, linear_backward

__all__ = ["DeepMistake", "catalog", "formula"]

Array = Any
RIGHT = Steps()


@dataclass(frozen=True)
class DeepMistake:
    """One wrong backward pass of the L-layer network.

    Attributes
    ----------
    name : str
        Catalog key with its layer, e.g. ``"relu_backward_no_mask_2"``.
    code : str
        The diagnosis code it must get.
    steps : Steps
        The backward pass's steps with the mistake in.
    meaning, wrote, fix : str
        What is wrong, the learner's line, the right line.
    context : str
        A sentence that helps read the fix, or ``""``.
    """

    name: str
    code: str
    steps: Steps
    meaning: str
    wrote: str
    fix: str
    context: str = ""


def formula(name: str) -> str:
    """The right line for ``dW{l}`` or ``db{l}``, e.g. ``"dW2 = np.dot(dZ2, A1.T) / m"``."""
    kind, l = name[0], int(name[1:])
    if kind == "W":
        return f"dW{l} = np.dot(dZ{l}, {_A(l - 1)}.T) / m"
    return f"db{l} = np.sum(dZ{l}, axis=1, keepdims=True) / m"


def _A(l: int) -> str:
    return "X" if l == 0 else f"A{l}"


def _g_name(g: Activation) -> str:
    return g.name if g.alpha is None or g.alpha == 0.01 else f"{g.name} (alpha={g.alpha:g})"


# -- replacing one step at some layers ----------------------------------------------------------

Linear = Callable[[Array, Any, Any], tuple[Array, Array, Array]]


def _linear(layers: set[int], wrong: Linear) -> Steps:
    """``linear_backward`` replaced by ``wrong(dZ, linear_cache, caches)`` at ``layers``."""

    def linear(k: int, dZ: Array, c: Any, caches: Any) -> tuple[Array, Array, Array]:
        return wrong(dZ, c, caches) if k in layers else linear_backward(dZ, c)

    return replace(RIGHT, linear=linear)


def _dZ(layers: set[int], g_prime: Callable[[Activation, Array], Array]) -> Steps:
    """``dZ{l} = dA{l} * g_prime(g_l, Z{l})`` at ``layers``."""

    def dZ(n: Network, k: int, dA: Array, Z: Array) -> Array:
        return dA * g_prime(n.hidden[k - 1], Z) if k in layers else RIGHT.dZ(n, k, dA, Z)

    return replace(RIGHT, dZ=dZ)


def _one(l: int, which: str, value: Callable[[Array, Any, Any], Array]) -> Steps:
    """Layer ``l``'s ``dW`` (``which = "W"``) or ``db`` computed by ``value(dZ, linear_cache, caches)``."""

    def wrong(dZ: Array, c: Any, caches: Any) -> tuple[Array, Array, Array]:
        dA_prev, dW, db = linear_backward(dZ, c)
        return (dA_prev, value(dZ, c, caches), db) if which == "W" else (dA_prev, dW, value(dZ, c, caches))

    return _linear({l}, wrong)


def _l2(layers: set[int], wrong: Callable[[float, Array, Array], tuple[Array, Array]]) -> Steps:
    """The L2 step ``wrong(λ/m, W, b) -> (add to dW, add to db)`` at ``layers``."""

    def l2(n: Network, k: int, W: Array, b: Array, m: int) -> tuple[Array, Array]:
        return wrong(n.lambd / m, W, b) if k in layers else RIGHT.l2(n, k, W, b, m)

    return replace(RIGHT, l2=l2)


def _dropout(layers: set[int], wrong: Callable[[Network, int, Array], Array]) -> Steps:
    """The dropout step ``wrong(network, l, dA) -> dA`` at ``layers``."""

    def dropout(n: Network, k: int, dA: Array) -> Array:
        return wrong(n, k, dA) if k in layers else RIGHT.dropout(n, k, dA)

    return replace(RIGHT, dropout=dropout)


def _m(dZ: Array) -> int:
    return int(np.shape(dZ)[1])


# -- the catalog --------------------------------------------------------------------------------


def catalog(network: Network, dims: tuple[int, ...]) -> Iterator[DeepMistake]:
    """The mistakes that apply to ``network`` with layer sizes ``dims = (n_x, n_1, ..., n_L)``, in the
    order diagnosis prefers them."""
    yield from _output(network)
    yield from _shared(network, dims)
    for l in range(network.L, 0, -1):
        yield from _layer(network, l)
    for site in _sites(network):
        yield from _derivatives(network.hidden[min(site.layers) - 1], site)
    for l in range(network.L - 1, 0, -1):
        yield from _hidden(network, dims, l)
    if network.masks:
        yield DeepMistake(
            "dropout_missing_in_backward",
            "wrong_dropout",
            _dropout(set(range(1, network.L)), lambda n, k, dA: dA),
            "the backward pass has no dropout: no dA is masked by D or divided by keep_prob",
            "dA = np.dot(W.T, dZ) (no * D / keep_prob)",
            "dA = dA * D / keep_prob in every hidden layer, with the forward pass's masks",
        )
    if network.lambd > 0:
        yield from _regularization(network)


def _output(network: Network) -> Iterator[DeepMistake]:
    L, sig = network.L, network.output == "sigmoid"
    right = f"dZ{L} = A{L} - Y"
    yield DeepMistake(
        "dAL_sign_flipped",
        "sign_flipped",
        replace(RIGHT, dZL=lambda AL, Y, ZL: Y - AL),
        f"dA{L} has the wrong sign, and every gradient inherits it",
        "dAL = np.divide(Y, AL) - np.divide(1 - Y, 1 - AL)" if sig else f"dZ{L} = Y - A{L}",
        "dAL = - (np.divide(Y, AL) - np.divide(1 - Y, 1 - AL)) in L_model_backward" if sig else right,
    )
    yield DeepMistake(
        "ZL_in_dZL",
        "preactivation_used",
        replace(RIGHT, dZL=lambda AL, Y, ZL: ZL - Y),
        f"dZ{L} uses Z{L} where A{L} belongs",
        f"dZ{L} = Z{L} - Y",
        right,
    )
    yield DeepMistake(
        "extra_1_over_m_dZL",
        "extra_1_over_m",
        replace(RIGHT, dZL=lambda AL, Y, ZL: (AL - Y) / _m(AL)),
        f"dZ{L} is divided by m, and every dW and db divides by m again",
        f"dZ{L} = (A{L} - Y) / m",
        f"{right} (the 1/m belongs to dW and db only, in linear_backward)",
    )
    if sig:
        yield DeepMistake(
            "sigmoid_backward_dA_times_s_output",
            "wrong_activation_derivative",
            replace(RIGHT, dZL=lambda AL, Y, ZL: -(Y / AL - (1 - Y) / (1 - AL)) * AL),
            f"sigmoid_backward lacks its (1 - s) factor (at the output, layer {L})",
            "dZ = dA * s",
            "dZ = dA * s * (1 - s) in sigmoid_backward",
        )
        if network.L >= 2 and network.hidden[0].name != "sigmoid":
            g = network.hidden[0]
            yield DeepMistake(
                "hidden_backward_at_output",
                "wrong_activation_derivative",
                replace(RIGHT, dZL=lambda AL, Y, ZL: -(Y / AL - (1 - Y) / (1 - AL)) * g.derivative(ZL)),
                f"the output layer's backward uses the hidden layers' activation: {_g_name(g)} where "
                "sigmoid_backward belongs",
                f"linear_activation_backward(dAL, current_cache, '{g.name}')",
                "linear_activation_backward(dAL, current_cache, 'sigmoid') for the output layer",
            )
        return
    yield DeepMistake(
        "softmax_diagonal_jacobian",
        "wrong_activation_derivative",
        replace(RIGHT, dZL=lambda AL, Y, ZL: -Y * (1 - AL)),
        "the softmax's derivative keeps only the diagonal A * (1 - A) of its Jacobian",
        f"dA{L} = -Y / A{L}; dZ{L} = dA{L} * A{L} * (1 - A{L})",
        f"{right} (the full Jacobian with one-hot Y gives exactly this)",
    )
    yield DeepMistake(
        "softmax_derivative_missing",
        "wrong_activation_derivative",
        replace(RIGHT, dZL=lambda AL, Y, ZL: -Y / AL),
        f"dZ{L} is dA{L}: the softmax's derivative is missing",
        f"dZ{L} = -Y / A{L}",
        right,
    )


def _shared(network: Network, dims: tuple[int, ...]) -> Iterator[DeepMistake]:
    """Mistakes in code every layer shares (``linear_backward``, the loop of ``L_model_backward``)."""
    every = set(range(1, network.L + 1))
    yield DeepMistake(
        "missing_1_over_m_everywhere",
        "missing_1_over_m",
        _linear(every, lambda dZ, c, _: (c[1].T @ dZ, dZ @ c[0].T, np.sum(dZ, axis=1, keepdims=True))),
        "no dW or db divides by m (linear_backward)",
        "dW = np.dot(dZ, A_prev.T); db = np.sum(dZ, axis=1, keepdims=True)",
        "dW = np.dot(dZ, A_prev.T) / m; db = np.sum(dZ, axis=1, keepdims=True) / m in linear_backward",
    )
    if network.L >= 2 and len(set(dims)) == 1:
        yield DeepMistake(
            "dA_prev_without_transpose",
            "missing_transpose",
            _linear(every, lambda dZ, c, _: (c[1] @ dZ, *linear_backward(dZ, c)[1:])),
            "dA_prev = np.dot(W, dZ) lacks W's transpose (it runs only because every W is square)",
            "dA_prev = np.dot(W, dZ)",
            "dA_prev = np.dot(W.T, dZ) in linear_backward",
        )
    if network.L >= 3 and len(set(dims)) == 1:  # with one hidden layer: cache_of_layer_2_in_layer_1
        L = network.L
        yield DeepMistake(
            "cache_of_next_layer_everywhere",
            "wrong_cache",
            replace(RIGHT, cache=lambda caches, k: caches[k] if k < L else caches[k - 1]),
            "every hidden layer's backward uses the next layer's cache (it runs only because every layer "
            "has the same width)",
            "current_cache = caches[l + 1] in the loop of L_model_backward",
            "current_cache = caches[l] in the loop of L_model_backward",
        )
    if network.L >= 3:
        g = network.hidden[0]
        yield DeepMistake(
            "output_backward_in_hidden_layers",
            "wrong_activation_derivative",
            _dZ(every, lambda _, Z: sigmoid(Z) * sigmoid(-Z)),
            f"the hidden layers' backward uses the output's activation: sigmoid_backward where {_g_name(g)} "
            "belongs",
            "linear_activation_backward(dA, current_cache, 'sigmoid')",
            f"linear_activation_backward(dA, current_cache, '{g.name}') in the loop of L_model_backward",
        )
    if network.L == 3:
        yield DeepMistake(
            "course_planted_2_and_4",
            "scaled",
            replace(RIGHT, linear=_planted),
            "dW2 is doubled and db1 quadrupled (the course's planted bug)",
            "dW2 = 1./m * np.dot(dZ2, A1.T) * 2; db1 = 4./m * np.sum(dZ1, axis=1, keepdims=True)",
            f"{formula('W2')}; {formula('b1')}",
        )


def _planted(k: int, dZ: Array, c: Any, caches: Any) -> tuple[Array, Array, Array]:
    dA_prev, dW, db = linear_backward(dZ, c)
    return dA_prev, dW * (2.0 if k == 2 else 1.0), db * (4.0 if k == 1 else 1.0)


def _layer(network: Network, l: int) -> Iterator[DeepMistake]:
    """Mistakes in layer ``l``'s own ``dW{l}``, ``db{l}``."""
    W, b = formula(f"W{l}"), formula(f"b{l}")
    yield DeepMistake(
        f"missing_1_over_m_dW{l}",
        "missing_1_over_m",
        _one(l, "W", lambda dZ, c, _: dZ @ c[0].T),
        f"dW{l} lacks its 1/m",
        W.replace(" / m", ""),
        W,
    )
    yield DeepMistake(
        f"missing_1_over_m_db{l}",
        "missing_1_over_m",
        _one(l, "b", lambda dZ, c, _: np.sum(dZ, axis=1, keepdims=True)),
        f"db{l} lacks its 1/m",
        b.replace(" / m", ""),
        b,
    )
    yield DeepMistake(
        f"zero_dW{l}",
        "zero_gradient",
        _one(l, "W", lambda dZ, c, _: np.zeros(np.shape(c[1]))),
        f"dW{l} was left as a placeholder",
        f"dW{l} = np.zeros(W{l}.shape)",
        W,
    )
    if not network.lambd:  # with L2, the transposed product broadcasts with W: no longer a transpose
        yield DeepMistake(
            f"transposed_dW{l}",
            "transposed",
            _one(l, "W", lambda dZ, c, _: c[0] @ dZ.T / _m(dZ)),
            "the product's operands are swapped",
            f"dW{l} = np.dot({_A(l - 1)}, dZ{l}.T) / m",
            W,
        )
    yield DeepMistake(
        f"no_keepdims_db{l}",
        "shape_mismatch",
        _one(l, "b", lambda dZ, c, _: np.sum(dZ, axis=1) / _m(dZ)),
        "the sum drops the summed axis",
        b.replace(", keepdims=True", ""),
        b,
    )
    yield DeepMistake(
        f"sum_without_axis_db{l}",
        "shape_mismatch",
        _one(l, "b", lambda dZ, c, _: np.sum(dZ) / _m(dZ)),
        "the sum adds up every entry",
        f"db{l} = np.sum(dZ{l}) / m",
        b,
    )
    if l >= 2 and network.hidden[l - 2].name != "identity":
        yield DeepMistake(
            f"Z_in_dW{l}",
            "preactivation_used",
            _one(l, "W", lambda dZ, c, caches: dZ @ caches[l - 2][1].T / _m(dZ)),
            f"dW{l} uses Z{l - 1} where A{l - 1} belongs",
            f"dW{l} = np.dot(dZ{l}, Z{l - 1}.T) / m",
            W,
        )


def _hidden(network: Network, dims: tuple[int, ...], l: int) -> Iterator[DeepMistake]:
    """Mistakes in the backward pass through hidden layer ``l``: they change layers ``1 .. l``."""
    g = network.hidden[l - 1]
    dZ = f"dZ{l} = dA{l} * {_right(g, str(l))}"
    yield DeepMistake(
        f"extra_1_over_m_dZ{l}",
        "extra_1_over_m",
        _dZ({l}, lambda a, Z: a.derivative(Z) / Z.shape[1]),
        f"dZ{l} is divided by m, and dW, db divide by m again",
        f"{dZ} / m",
        f"{dZ} (the 1/m belongs to dW and db only)",
    )
    if dims[l + 1] == dims[l] and len(set(dims)) > 1:  # one layer's line (all square: linear_backward's)
        yield DeepMistake(
            f"dA{l}_without_transpose",
            "missing_transpose",
            _linear({l + 1}, lambda dZ, c, _: (c[1] @ dZ, *linear_backward(dZ, c)[1:])),
            f"dA{l} = np.dot(W{l + 1}, dZ{l + 1}) lacks W{l + 1}'s transpose "
            f"(it runs only because W{l + 1} is square)",
            "dA_prev = np.dot(W, dZ)",
            "dA_prev = np.dot(W.T, dZ) in linear_backward",
        )
    if dims[l + 1] == dims[l] == dims[l - 1]:
        yield DeepMistake(
            f"cache_of_layer_{l + 1}_in_layer_{l}",
            "wrong_cache",
            replace(RIGHT, cache=lambda caches, k: caches[k] if k == l else caches[k - 1]),
            f"layer {l}'s backward uses layer {l + 1}'s cache",
            f"current_cache = caches[{l}] for layer {l}",
            f"current_cache = caches[{l - 1}] for layer {l} (caches[l] holds layer l + 1's values)",
        )
    if network.masks:
        yield DeepMistake(
            f"dropout_mask_missing_dA{l}",
            "wrong_dropout",
            _dropout({l}, lambda n, k, dA: dA / n.keep_prob),
            f"dA{l} is not multiplied by the mask D{l} the forward pass used",
            f"dA{l} = dA{l} / keep_prob",
            f"dA{l} = dA{l} * D{l} / keep_prob",
        )
        yield DeepMistake(
            f"dropout_scale_missing_dA{l}",
            "wrong_dropout",
            _dropout({l}, lambda n, k, dA: dA * n.masks[k - 1]),
            f"dA{l} is masked but not divided by keep_prob",
            f"dA{l} = dA{l} * D{l}",
            f"dA{l} = dA{l} * D{l} / keep_prob",
        )
        yield DeepMistake(
            f"dropout_times_keep_prob_dA{l}",
            "wrong_dropout",
            _dropout({l}, lambda n, k, dA: dA * n.masks[k - 1] * n.keep_prob),
            f"dA{l} is multiplied by keep_prob where the forward pass divided by it",
            f"dA{l} = dA{l} * D{l} * keep_prob",
            f"dA{l} = dA{l} * D{l} / keep_prob",
        )


@dataclass(frozen=True)
class _Site:
    """Where a derivative mistake sits: one hidden layer's line, or a function every hidden layer
    calls (``relu_backward``), named ``dZ`` rather than ``dZ2``."""

    layers: frozenset[int]
    tag: str  # name suffix: "_2" or "_every_layer"
    at: str  # "layer 2" or "every hidden layer"
    n: str  # "2" or "": dZ2 or dZ

    @classmethod
    def layer(cls, l: int) -> _Site:
        return cls(frozenset({l}), f"_{l}", f"layer {l}", str(l))


def _sites(network: Network) -> Iterator[_Site]:
    """Every hidden layer's own line, then (from two hidden layers) the shared function."""
    hidden = frozenset(range(1, network.L))
    if len(hidden) > 1:
        yield _Site(hidden, "_every_layer", "every hidden layer", "")
    for l in sorted(hidden, reverse=True):
        yield _Site.layer(l)


Make = Callable[[str, Callable[[Activation, Array], Array], str, str], DeepMistake]


def _derivatives(g: Activation, site: _Site) -> Iterator[DeepMistake]:
    """Wrong ``g'`` at ``site``: the layer's own slips, then another activation's derivative."""
    n, at = site.n, site.at
    fix = f"dZ{n} = dA{n} * {_right(g, n)}"
    context = f"At {at} ({_g_name(g)}) g'(Z{n}) = {_right(g, n)}."

    def mistake(
        name: str, g_prime: Callable[[Activation, Array], Array], meaning: str, wrote: str
    ) -> DeepMistake:
        return DeepMistake(
            f"{name}{site.tag}",
            "wrong_activation_derivative",
            _dZ(set(site.layers), g_prime),
            meaning,
            wrote,
            fix,
            context,
        )

    yield from _slips(g, site, mistake)
    yield from _borrowed(g, site, mistake)


def _slips(g: Activation, site: _Site, mistake: Make) -> Iterator[DeepMistake]:
    """``g'`` written wrong for ``g`` itself: missing, ``A`` for ``g'``, a lost square, the formula
    on ``Z`` or at ``A``; with the texts of ``relu_backward`` and ``sigmoid_backward``."""
    n, at = site.n, site.at
    if g.name == "relu":
        yield replace(
            mistake(
                "relu_backward_no_mask",
                lambda a, Z: anp.ones_like(Z),
                f"relu_backward does not mask ({at}): dZ{n} = dA{n} (so does the mask (A{n} >= 0), "
                "which is 1 everywhere after a ReLU)",
                "dZ = np.array(dA, copy=True)",
            ),
            fix="dZ[Z <= 0] = 0 in relu_backward, after dZ = np.array(dA, copy=True)",
        )
    elif g.name != "identity":
        yield mistake(
            "derivative_missing",
            lambda a, Z: anp.ones_like(Z),
            f"dZ{n} has no g'(Z{n}) factor ({at})",
            f"dZ{n} = dA{n}",
        )
    if g.name == "sigmoid":
        yield replace(
            mistake(
                "sigmoid_backward_dA_times_s",
                lambda a, Z: sigmoid(Z),
                f"sigmoid_backward lacks its (1 - s) factor ({at})",
                "dZ = dA * s",
            ),
            fix="dZ = dA * s * (1 - s) in sigmoid_backward",
        )
    else:
        yield mistake(
            "derivative_is_A",
            lambda a, Z: a.forward(Z),
            f"your g'(Z{n}) is A{n}, the activation itself ({at})",
            f"dZ{n} = dA{n} * A{n}",
        )
    if g.name == "tanh":
        yield mistake(
            "derivative_1_minus_A",
            lambda a, Z: 1.0 - a.forward(Z),
            f"your g'(Z{n}) is 1 - A{n}: the square is missing ({at})",
            f"dZ{n} = dA{n} * (1 - A{n})",
        )
    if g.name in ("sigmoid", "tanh"):
        on_z = _right(g, n).replace(f"A{n}", f"Z{n}")
        textbook = (lambda a, Z: 1.0 - Z**2) if g.name == "tanh" else (lambda a, Z: Z * (1.0 - Z))
        yield mistake(
            "derivative_formula_on_Z",
            textbook,
            f"your g'(Z{n}) is {on_z}: the formula is written on A{n}, not on Z{n} ({at})",
            f"dZ{n} = dA{n} * {on_z}",
        )
        yield mistake(
            "derivative_at_A",
            lambda a, Z: a.derivative(a.forward(Z)),
            f"your g' is evaluated at A{n} = g(Z{n}) instead of at Z{n} ({at})",
            f"dZ{n} = dA{n} * {g.name}_derivative(A{n})",
        )


def _borrowed(g: Activation, site: _Site, mistake: Make) -> Iterator[DeepMistake]:
    """Another activation's ``g'`` at ``site``: its backward at ``Z``, or its textbook formula on
    ``A`` (the sigmoid's ``A * (1 - A)`` in a tanh layer)."""
    n, at = site.n, site.at
    for name in ACTIVATIONS:
        other = get_activation(name)
        if name == "identity" or (other.name, other.alpha) == (g.name, g.alpha):
            continue
        yield mistake(
            f"{name}_derivative_in_{g.name}_layer",
            _derivative_of(other),
            f"{at} is {_g_name(g)} but its backward uses {_g_name(other)}'s derivative",
            f"dZ{n} = dA{n} * {_right(other, n)}",
        )
    for name in ("sigmoid", "tanh"):
        if name != g.name:
            written = _right(get_activation(name), n)
            yield mistake(
                f"{name}_formula_in_{g.name}_layer",
                _formula_on_A(name),
                f"{at} is {_g_name(g)} but its g'(Z{n}) is {name}'s formula {written}",
                f"dZ{n} = dA{n} * {written}",
            )


def _right(g: Activation, n: str) -> str:
    """``g'(Z{n})`` as learners write it, e.g. ``(1 - np.power(A2, 2))``."""
    return g.formula.replace("A1", f"A{n}").replace("Z1", f"Z{n}")


def _derivative_of(other: Activation) -> Callable[[Activation, Array], Array]:
    """``g'`` replaced by ``other``'s derivative at ``Z``."""
    return lambda g, Z: other.derivative(Z)


def _formula_on_A(name: str) -> Callable[[Activation, Array], Array]:
    """``g'`` replaced by ``name``'s textbook formula on ``A = g(Z)``: ``A (1 - A)`` or ``1 - A²``."""
    if name == "sigmoid":
        return lambda g, Z: g.forward(Z) * (1.0 - g.forward(Z))
    return lambda g, Z: 1.0 - g.forward(Z) ** 2


def _regularization(network: Network) -> Iterator[DeepMistake]:
    every = set(range(1, network.L + 1))
    fix = "dW = np.dot(dZ, A_prev.T) / m + (lambd / m) * W for every layer (biases are not regularised)"
    yield DeepMistake(
        "l2_missing",
        "missing_regularization",
        _l2(every, lambda k, W, b: (0.0, 0.0)),
        "the cost has the L2 term (lambd / 2m) Σ ‖W‖² but no dW has its (lambd / m) W",
        "dW = np.dot(dZ, A_prev.T) / m (no + (lambd / m) * W)",
        fix,
    )
    if network.L > 1:
        for l in range(1, network.L + 1):
            yield DeepMistake(
                f"l2_missing_dW{l}",
                "missing_regularization",
                _l2({l}, lambda k, W, b: (0.0, 0.0)),
                f"dW{l} lacks the L2 term's gradient (lambd / m) * W{l}",
                formula(f"W{l}"),
                f"{formula(f'W{l}')} + (lambd / m) * W{l}",
            )
    yield DeepMistake(
        "l2_on_biases",
        "wrong_regularization",
        _l2(every, lambda k, W, b: (k * W, k * b)),
        "the L2 term's gradient is added to the biases too; the cost regularises only the weights",
        "db = np.sum(dZ, axis=1, keepdims=True) / m + (lambd / m) * b",
        fix,
    )
    if network.L > 1:
        for l in range(1, network.L + 1):
            yield DeepMistake(
                f"l2_on_db{l}",
                "wrong_regularization",
                _l2({l}, lambda k, W, b: (k * W, k * b)),
                f"the L2 term's gradient (lambd / m) * b{l} is added to db{l}; the cost regularises only the "
                "weights",
                f"db{l} = np.sum(dZ{l}, axis=1, keepdims=True) / m + (lambd / m) * b{l}",
                f"db{l} = np.sum(dZ{l}, axis=1, keepdims=True) / m",
            )
    yield DeepMistake(
        "l2_doubled",
        "wrong_regularization",
        _l2(every, lambda k, W, b: (2 * k * W, 0.0)),
        "the L2 term's gradient is doubled: the 1/2 of (lambd / 2m) cancels the square's 2",
        "dW = np.dot(dZ, A_prev.T) / m + (2 * lambd / m) * W",
        fix,
    )
    yield DeepMistake(
        "l2_without_1_over_m",
        "wrong_regularization",
        replace(RIGHT, l2=lambda n, k, W, b, m: (n.lambd * W, 0.0)),
        "the L2 term's gradient lacks its 1/m",
        "dW = np.dot(dZ, A_prev.T) / m + lambd * W",
        fix,
    )

"""The L-layer network as a reference model (:mod:`.interface`): any depth, sigmoid or softmax output,
L2 and dropout.

:class:`DeepModel` recognises parameters ``W1, b1, ..., WL, bL`` whose shapes chain from ``X``
(n_x, m) to ``Y`` (n_L, m), and offers one :class:`DeepReference` per hidden activation of the
registry (the same in every hidden layer, as the course's networks) and output. The L2 strength λ
and a leaky ReLU's α are free: :meth:`DeepReference.fit` solves for them from the user's cost.
Dropout's masks cannot be read from a cost: a reference with masks is built by the caller that
holds them (``DeepReference(X, Y, Network(..., keep_prob=, masks=))``).

The formulas are those of :mod:`.deep`; the mistakes those of :mod:`.deep_mistakes`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from .activations import ACTIVATIONS, Activation, get_activation
from .deep import (
    L_model_backward,
    L_model_forward,
    Network,
    Steps,
    backward_steps,
    exact_cost,
    layer_count,
    linear_backward,
    parameter_names,
    written_cost,
)
from .deep_mistakes import catalog, formula
from .fitting import lambd_from, leaky_alpha, roundest
from .interface import Dropout, Hints, Parameters, Reference, WrongVariant

__all__ = ["DEEP", "DeepHints", "DeepModel", "DeepReference", "describe"]

#: The hidden activations in the order they are tried: the course's ReLU first (a cost is
#: usually matched at the first candidate), identity after ReLU (they agree where no Z is < 0).
PREFERRED = ("relu", "tanh", "sigmoid", "leaky_relu", "identity")

#: A fitted λ or α must reproduce the cost to ``TIGHT · rtol`` (the cost's rounding, where ``rtol``
#: is the match of the costs): see :func:`.fitting.roundest`.
TIGHT = 1e-3

#: The cost's two forms a fit solves on: from the logits (exact), then from the probabilities as
#: learners write it. Where an output rounds near 0 or 1 they differ by more than the fit's tolerance
#: (``log(1 - AL)`` keeps few digits), and a user's cost is one or the other.
Form = Callable[[np.ndarray, np.ndarray, Parameters, Network], Any]
FORMS: tuple[Form, ...] = (exact_cost, written_cost)

#: Kinked units up to this many get their exact interval, one backward pass each; beyond it, a
#: wider bound from the backward pass on absolute values.
EXACT_KINKS = 256


def describe(network: Network) -> str:
    """E.g. ``"reference L-layer network (3 layers: relu hidden layers, sigmoid output, L2 lambd=0.7)"``."""
    parts = []
    if network.hidden:
        g = network.hidden[0]
        name = g.name if g.alpha is None else f"{g.name} (alpha={g.alpha:g})"
        parts.append(f"{name} hidden layer{'s' if len(network.hidden) > 1 else ''}")
    parts.append(f"{network.output} output")
    if network.lambd:
        parts.append(f"L2 lambd={network.lambd:.6g}")
    if network.masks:
        parts.append(f"dropout keep_prob={network.keep_prob:g}")
    return f"reference L-layer network ({network.L} layer{'s' if network.L > 1 else ''}: {', '.join(parts)})"


@dataclass(frozen=True)
class DeepHints:
    """What the L-layer network says of gradients by their names: formulas and the failing layer."""

    L: int

    @property
    def parameter_names(self) -> tuple[str, ...]:
        return parameter_names(self.L)

    @property
    def formulas(self) -> Mapping[str, str]:
        return {name: formula(name) for name in self.parameter_names}

    def step_hint(self, failed: frozenset[str]) -> str:
        L = self.L
        if failed == set(self.parameter_names) and L > 1:
            return (
                f"Every gradient is off: look at dZ{L} (dAL) or at what every layer shares (linear_backward)."
            )
        for l in range(1, L):
            if failed == set(parameter_names(l)):
                return (
                    f"Layers {l + 1} to {L} are right and layers 1 to {l} are off: the mistake is in the "
                    f"backward pass through hidden layer {l} (dA{l} = np.dot(W{l + 1}.T, dZ{l + 1}), dropout "
                    f"or g'(Z{l}))."
                )
        return ""

    def everywhere(self, code: str, m: int | None) -> str | None:
        if code == "missing_1_over_m":
            return (
                f"Every gradient is exactly m = {m} times the right one: the 1/m is missing in "
                "linear_backward (or the cost is a mean while the gradients are those of the sum). Fix: "
                "dW = np.dot(dZ, A_prev.T) / m; db = np.sum(dZ, axis=1, keepdims=True) / m."
            )
        if code == "sign_flipped":
            return (
                "Every gradient has the wrong sign: dAL is flipped. "
                "Fix: dAL = - (np.divide(Y, AL) - np.divide(1 - Y, 1 - AL))."
            )
        return None


@dataclass(frozen=True)
class DeepReference:
    """The L-layer network ``network`` on data ``X``, ``Y``.

    ``free_alpha``: a leaky ReLU's α is to be fitted to the user's cost (:meth:`fit`).
    """

    X: np.ndarray
    Y: np.ndarray
    network: Network
    free_alpha: bool = False

    @property
    def description(self) -> str:
        return describe(self.network)

    @property
    def hints(self) -> DeepHints:
        return DeepHints(self.network.L)

    @property
    def hidden(self) -> tuple[str, ...]:
        return tuple(g.name for g in self.network.hidden)

    def cost(self, parameters: Any) -> Any:  # a dict autograd traces through: no copy
        return exact_cost(self.X, self.Y, parameters, self.network)

    def written_cost(self, parameters: Parameters, dtype: np.dtype[Any]) -> Any:
        point = {name: np.asarray(value, dtype=dtype) for name, value in parameters.items()}
        return written_cost(
            self.X.astype(dtype, copy=False), self.Y.astype(dtype, copy=False), point, self.network
        )

    def fit(self, points: Sequence[Parameters], costs: Sequence[float], rtol: float) -> DeepReference | None:
        """This network with λ (and a free α) chosen so that its cost is the user's at ``points``.

        λ is solved at the first point, α at the next, each rounded to the shortest decimal that
        still reproduces the cost to its rounding, and the result must reproduce the cost at the
        point after to that precision too: two free options must not absorb a wrong network. The
        cost is taken from the logits first, then as learners write it (:data:`FORMS`): the user's
        is one of the two, and where outputs saturate only that one reproduces it to rounding.
        """
        tight = [TIGHT * rtol * max(1.0, abs(cost)) for cost in costs]
        for form in FORMS:
            fitted = self._fit(points, costs, rtol, tight, form)
            if fitted is not None:
                return fitted
        return None

    def _fit(
        self,
        points: Sequence[Parameters],
        costs: Sequence[float],
        rtol: float,
        tight: list[float],
        form: Form,
    ) -> DeepReference | None:
        """:meth:`fit` on one form of the cost."""
        if self.free_alpha:
            alone = self._fit_alpha(points, costs, rtol, tight, form, with_lambd=False)
            return alone or self._fit_alpha(points, costs, rtol, tight, form, with_lambd=True)
        fitted = self._with_lambd(points[0], costs[0], rtol, form)
        if fitted is None or not fitted.network.lambd:
            return fitted
        return fitted if fitted._misfit(points[1], costs[1], form) <= tight[1] else None

    def _fit_alpha(
        self,
        points: Sequence[Parameters],
        costs: Sequence[float],
        rtol: float,
        tight: list[float],
        form: Form,
        *,
        with_lambd: bool,
    ) -> DeepReference | None:
        """α solved at ``points[k]`` (λ = 0, or λ solved at ``points[0]`` and ``k = 1``), checked at the
        next point."""
        k = 1 if with_lambd else 0

        def at(alpha: float) -> DeepReference | None:
            reference = self._with_alpha(alpha)
            return (
                reference._with_lambd(points[0], costs[0], rtol, form, clamp=True)
                if with_lambd
                else reference
            )

        def residual(alpha: float) -> float | None:
            reference = at(alpha)
            return None if reference is None else reference._misfit(points[k], costs[k], form, signed=True)

        alpha = leaky_alpha(residual, tight[k])
        if alpha is None:
            return None
        fitted = (
            self._with_alpha(alpha)._with_lambd(points[0], costs[0], rtol, form) if with_lambd else at(alpha)
        )
        return (
            fitted
            if fitted is not None and fitted._misfit(points[k + 1], costs[k + 1], form) <= tight[k + 1]
            else None
        )

    def _misfit(self, point: Parameters, cost: float, form: Form, *, signed: bool = False) -> float:
        """``J(point) − cost`` in ``form`` (float64), or its absolute value."""
        difference = float(form(self.X, self.Y, dict(point), self.network)) - cost
        return difference if signed else abs(difference)

    def _with_alpha(self, alpha: float) -> DeepReference:
        hidden = tuple(get_activation("leaky_relu", alpha=alpha) for _ in self.network.hidden)
        return replace(self, network=replace(self.network, hidden=hidden), free_alpha=False)

    def _with_lambd(
        self, point: Parameters, target: float, rtol: float, form: Form, *, clamp: bool = False
    ) -> DeepReference | None:
        m = self.X.shape[1]
        data = float(form(self.X, self.Y, dict(point), self.network.with_lambd(0.0)))
        penalty = sum(float(np.sum(np.asarray(point[f"W{l}"]) ** 2)) for l in range(1, self.network.L + 1))
        lambd = lambd_from(target, data, penalty / (2.0 * m), rtol)
        if lambd is None:
            return replace(self, network=self.network.with_lambd(0.0)) if clamp else None
        if lambd and not clamp:
            tight = TIGHT * rtol * max(1.0, abs(target))
            lambd = roundest(lambd, lambda x: data + x * penalty / (2.0 * m) - target, tight)
        return None if lambd is None else replace(self, network=self.network.with_lambd(lambd))

    def rounding_magnitude(self, parameters: Parameters) -> dict[str, np.ndarray]:
        return rounding_magnitude(parameters, self.X, self.Y, self.network)

    def kinked(self, parameters: Parameters) -> int:
        return int(sum(np.count_nonzero(mask) for mask in _kinks(parameters, self.X, self.network).values()))

    def kink_interval(self, parameters: Parameters) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        return kink_interval(parameters, self.X, self.Y, self.network)

    def wrong_variants(self, parameters: Parameters) -> Iterator[WrongVariant]:
        point = {name: np.asarray(value, dtype=np.float64) for name, value in parameters.items()}
        AL, caches = L_model_forward(self.X, point, self.network)
        dims = (self.X.shape[0], *(np.shape(point[f"W{l}"])[0] for l in range(1, self.network.L + 1)))
        for mistake in catalog(self.network, dims):
            try:
                with np.errstate(all="ignore"):
                    grads = backward_steps(AL, self.Y, caches, self.network, mistake.steps)
            except (ValueError, FloatingPointError, IndexError):
                continue
            gradients = {name: np.asarray(grads[f"d{name}"], dtype=np.float64) for name in point}
            yield WrongVariant(
                mistake.name,
                mistake.code,
                gradients,
                mistake.meaning,
                mistake.wrote,
                mistake.fix,
                mistake.context,
            )


_LAST: list[tuple[tuple[Any, ...], Any]] = []


def _forward(
    X: np.ndarray, parameters: Parameters, network: Network
) -> tuple[dict[str, np.ndarray], Any, Any]:
    """``(point, AL, caches)`` at float64, remembered for the last point: the engine asks for the
    rounding magnitude, the kinks and their interval at one point in a row."""
    point = {name: np.asarray(value, dtype=np.float64) for name, value in parameters.items()}
    key = (X, network, *point.values())
    if _LAST and len(_LAST[0][0]) == len(key) and all(a is b for a, b in zip(_LAST[0][0], key, strict=True)):
        return _LAST[0][1]  # type: ignore[no-any-return]
    result = (point, *L_model_forward(X, point, network))
    _LAST[:] = [(key, result)]
    return result


def rounding_magnitude(
    parameters: Parameters, X: np.ndarray, Y: np.ndarray, network: Network
) -> dict[str, np.ndarray]:
    """The backward pass run on absolute values: the scale of each gradient entry's rounding error.

    With ``S{L} = |AL| + |Y|`` (the terms of ``dZL = AL − Y``) and ``U{l} = |W{l}| |A{l-1}| + |b{l}|``
    (the terms of ``Z{l}``, which bound how far ``A{l}`` and ``g'(Z{l})`` can move; ``U0 = 0``)::

        M_W{l} = S{l} (|A{l-1}| + U{l-1})ᵀ / m + (λ/m) |W{l}|      M_b{l} = Σ_examples S{l} / m
        S{l-1} = (|W{l}|ᵀ S{l}) * |D{l-1}| / keep_prob * (|g'(Z{l-1})| + U{l-1})

    At ``L = 2`` without options this is :func:`.two_layer_model.rounding_magnitude`.
    """
    _, AL, caches = _forward(X, parameters, network)
    m = X.shape[1]
    Y = Y.reshape(AL.shape)
    inputs = [np.abs(A_prev) for (A_prev, _, _), _ in caches]  # |A{l-1}|, |X| first: each once
    U: list[Any] = [0.0] + [np.abs(W) @ inputs[l] + np.abs(b) for l, ((_, W, b), _) in enumerate(caches)]
    S = np.abs(AL) + np.abs(Y)
    out: dict[str, np.ndarray] = {}
    for l in range(network.L, 0, -1):
        (_, W, _), _ = caches[l - 1]
        out[f"W{l}"] = S @ (inputs[l - 1] + U[l - 1]).T / m + network.lambd / m * np.abs(W)
        out[f"b{l}"] = np.sum(S, axis=1, keepdims=True) / m
        if l > 1:
            scale = network.dropout(l - 1)
            slope = np.abs(network.hidden[l - 2].derivative(caches[l - 2][1]))
            S = (np.abs(W).T @ S) * (1.0 if scale is None else np.abs(scale)) * (slope + U[l - 1])
    return out


def _kinks(parameters: Parameters, X: np.ndarray, network: Network) -> dict[int, np.ndarray]:
    """Hidden layer ``l`` -> where ``Z{l}`` sits exactly on a kink of its activation."""
    _, _, caches = _forward(X, parameters, network)
    out = {}
    for l, g in enumerate(network.hidden, start=1):
        Z = caches[l - 1][1]
        mask = np.zeros(Z.shape, dtype=bool)
        for kink in g.kinks:
            mask |= Z == kink
        if mask.any():
            out[l] = mask
    return out


def _slopes(g: Activation) -> tuple[float, float]:
    """``(s_L, s_R)``: the one-sided derivatives at the kink (``g'`` at the kink is ``s_L``)."""
    (kink,) = g.kinks
    left, right = (float(g.derivative(np.array(kink + side))) for side in (-1.0, 1.0))
    return min(left, right), max(left, right)


def kink_interval(
    parameters: Parameters, X: np.ndarray, Y: np.ndarray, network: Network
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """What correct code may return where hidden pre-activations sit exactly on a kink.

    At ``Z{k}[j, i] = 0`` code may use any slope ``s ∈ [s_L, s_R]`` (``g'`` there is ``s_L``).
    Changing it moves ``dZ{k}[j, i]`` by ``(s − g'(0)) · dA{k}[j, i]``, and every gradient of layers
    ``1 .. k`` linearly with it, by a response ``r`` that one backward pass from layer ``k`` gives.
    Each kinked unit may choose independently, so the gradients range over ::

        lo = right + Σ_units min(t_L r, t_R r)      hi = right + Σ_units max(t_L r, t_R r)
        t_L = s_L − g'(0),  t_R = s_R − g'(0)

    exactly when the kinks sit in one layer. Kinks in several layers are combined the same way,
    each around the others' default slope (their products, second order, are left out). Beyond
    :data:`EXACT_KINKS` units the responses are bounded on absolute values instead (wider).
    """
    point, AL, caches = _forward(X, parameters, network)
    grads = L_model_backward(AL, Y, caches, network)
    lo = {name: np.array(grads[f"d{name}"], dtype=np.float64) for name in point}
    hi = {name: value.copy() for name, value in lo.items()}
    for k, mask in _kinks(point, X, network).items():
        g = network.hidden[k - 1]
        low, high = _slopes(g)
        default = float(g.derivative(np.array(g.kinks[0])))
        dA = Steps().dropout(network, k, grads[f"dA{k}"])
        units = list(zip(*np.nonzero(mask), strict=True))
        exact = len(units) <= EXACT_KINKS
        for unit in units if exact else [None]:
            impulse = np.zeros_like(dA)
            if unit is None:
                impulse[mask] = (high - low) * np.abs(dA[mask])
            else:
                impulse[unit] = dA[unit]
            for name, r in _from_layer(k, impulse, caches, network, absolute=not exact).items():
                if exact:  # the slope moves by t in [low - default, high - default]: r t
                    lo[name] += np.minimum((low - default) * r, (high - default) * r)
                    hi[name] += np.maximum((low - default) * r, (high - default) * r)
                else:
                    lo[name] -= r
                    hi[name] += r
    return {name: (lo[name], hi[name]) for name in point}


def _from_layer(
    k: int, dZ: np.ndarray, caches: Sequence[Any], network: Network, *, absolute: bool
) -> dict[str, np.ndarray]:
    """The gradients of layers ``1 .. k`` that ``dZ{k}`` alone gives (on absolute values if asked)."""
    out: dict[str, np.ndarray] = {}
    for l in range(k, 0, -1):
        (A_prev, W, b), _ = caches[l - 1]
        cache = (np.abs(A_prev), np.abs(W), b) if absolute else (A_prev, W, b)
        dA_prev, out[f"W{l}"], out[f"b{l}"] = linear_backward(dZ, cache)
        if l > 1:
            dA_prev = Steps().dropout(network, l - 1, dA_prev)
            slope = network.hidden[l - 2].derivative(caches[l - 2][1])
            dZ = dA_prev * (np.abs(slope) if absolute else slope)
            if absolute:
                dZ = np.abs(dZ)
    return out


@dataclass(frozen=True)
class DeepModel:
    """The course's L-layer network (Week 4, and Course 2's L2 and dropout networks)."""

    name: str = "deep"

    def hints(self, names: Collection[str]) -> Hints | None:
        numbers = [int(match.group(1)) for name in names if (match := re.fullmatch(r"[Wb]([1-9]\d*)", name))]
        return DeepHints(max(numbers)) if names and len(numbers) == len(names) else None

    def references(
        self,
        parameters: Parameters,
        X: np.ndarray,
        Y: np.ndarray,
        *,
        activation: Any = None,
        dropout: Dropout | None = None,
    ) -> list[Reference]:
        L = layer_count(parameters)
        if L is None or not _fits(parameters, L, X, Y) or not _masks_fit(dropout, parameters, L, X):
            return []
        outputs = ["sigmoid", "softmax"] if Y.shape[0] >= 2 else ["sigmoid"]
        keep_prob, masks = (1.0, ()) if dropout is None else (dropout.keep_prob, dropout.masks)
        if L == 1:
            return [DeepReference(X, Y, Network((), output)) for output in outputs]
        given = activation is not None
        hidden = [get_activation(activation)] if given else [get_activation(name) for name in _order()]
        candidates: list[DeepReference] = [
            DeepReference(
                X,
                Y,
                Network((g,) * (L - 1), output, keep_prob=keep_prob, masks=masks),
                free_alpha=g.name == "leaky_relu" and not given,
            )
            for g in hidden
            for output in outputs
        ]
        return [*sorted(candidates, key=lambda reference: reference.free_alpha)]  # α = 0, 1: relu, identity

    def example(self, seed: int) -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray]:
        rng = np.random.default_rng(seed)
        dims = (3, 4, 3, 2)
        X = rng.standard_normal((dims[0], 6))
        Y = np.eye(2)[rng.integers(0, 2, 6)].T
        parameters = {}
        for l in range(1, len(dims)):
            parameters[f"W{l}"] = 0.7 * rng.standard_normal((dims[l], dims[l - 1]))
            parameters[f"b{l}"] = 0.3 * rng.standard_normal((dims[l], 1))
        return parameters, X, Y


def _order() -> list[str]:
    """The registry's activations, :data:`PREFERRED` first."""
    return [name for name in PREFERRED if name in ACTIVATIONS] + [
        n for n in ACTIVATIONS if n not in PREFERRED
    ]


def _masks_fit(dropout: Dropout | None, parameters: Parameters, L: int, X: np.ndarray) -> bool:
    """No dropout, or one mask ``D{l}`` of ``A{l}``'s shape (n_l, m) per hidden layer."""
    if dropout is None:
        return True
    shapes = [(np.shape(parameters[f"W{l}"])[0], X.shape[1]) for l in range(1, L)]
    return L > 1 and [np.shape(mask) for mask in dropout.masks] == shapes


def _fits(parameters: Parameters, L: int, X: np.ndarray, Y: np.ndarray) -> bool:
    """Do the shapes chain ``X`` (n_x, m) → ``W1`` (n_1, n_x) → ... → ``WL`` (n_L, n_{L-1}) → ``Y``?"""
    if X.ndim != 2 or Y.ndim != 2 or X.shape[1] != Y.shape[1]:
        return False
    n_prev = X.shape[0]
    for l in range(1, L + 1):
        W, b = np.shape(parameters[f"W{l}"]), np.shape(parameters[f"b{l}"])
        if len(W) != 2 or W[1] != n_prev or b != (W[0], 1):
            return False
        n_prev = W[0]
    return bool(n_prev == Y.shape[0])


#: The L-layer network, as registered in :data:`gradcheck.network.models.MODELS`.
DEEP = DeepModel()

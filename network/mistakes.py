"""The catalog of realistic mistakes: the right backward pass with one mistake learners really make.

Each :class:`Mistake` is the reference backward pass (:func:`.two_layer.backward_steps`)
with one step replaced, tagged with the diagnosis code a checker should give it
(:data:`gradcheck.DIAGNOSIS_CODES`). The one catalog serves two purposes:

* diagnosis: :mod:`gradcheck.diagnose` evaluates every variant at the learner's point and names
  the one that reproduces the learner's gradients to rounding;
* testing the checker: every variant, under every activation it applies to, must be flagged on
  the gradients it changes, with its own code (mutation testing of gradcheck).

Two variants change the cost instead of the gradients (``sum_cost_mean_gradients`` and the L2
ones): :attr:`Mistake.cost` is then the cost the learner's code computes. ``lambd`` is the
course's name for the regularisation strength λ; the catalog uses λ = 0.7.

Where a variant is *identical* to correct code (``m = 1`` for every 1/m mistake; ``n_y = 1``
for ``np.multiply`` in place of ``np.dot``) no checker can tell them apart; :attr:`Mistake.alias`
says when, and the tests and the confusion table in docs/diagnosis.md count those cases apart. A
sum that loses its axes where the block has one row (``n_y = 1`` for ``db2``) gives the right
values in a harmless shape, which passes with a note: an alias of correct code too.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import autograd.numpy as anp
import numpy as np

from .activations import Activation, get_activation
from .two_layer import PARAMETER_NAMES, backward_steps, cost_from_logits, forward

__all__ = ["CATALOG", "FORMULAS", "LAMBD", "Mistake", "get_mistake"]

Array = Any
Parameters = dict[str, Any]
Shape = tuple[int, int, int, int]  # (n_x, n_h, n_y, m)

#: λ of the catalog's L2 variants (the course's regularisation notebook uses ``lambd = 0.7``).
LAMBD = 0.7

_EVERY = ("sigmoid", "tanh", "relu", "leaky_relu", "identity")
#: The right line for each gradient of the reference network, as learners write it (quoted in fixes).
FORMULAS: dict[str, str] = {
    "W1": "dW1 = np.dot(dZ1, X.T) / m",
    "b1": "db1 = np.sum(dZ1, axis=1, keepdims=True) / m",
    "W2": "dW2 = np.dot(dZ2, A1.T) / m",
    "b2": "db2 = np.sum(dZ2, axis=1, keepdims=True) / m",
}
_DZ1 = "dZ1 = np.dot(W2.T, dZ2) * {formula}"


@dataclass(frozen=True)
class Context:
    """Everything a variant needs: the point, the forward cache and the hidden activation."""

    parameters: Parameters
    cache: dict[str, Array]
    X: Array
    Y: Array
    activation: Activation

    @property
    def m(self) -> int:
        return int(np.shape(self.X)[1])

    def steps(self, **replace: Any) -> dict[str, Array]:
        """The reference backward pass with the named steps replaced."""
        return backward_steps(self.parameters, self.cache, self.X, self.Y, self.activation, **replace)

    def right(self, **replace: Any) -> dict[str, Array]:
        """``dW1, db1, dW2, db2`` of :meth:`steps`."""
        steps = self.steps(**replace)
        return {f"d{name}": steps[f"d{name}"] for name in PARAMETER_NAMES}


@dataclass(frozen=True)
class Mistake:
    """One realistic wrong backward pass.

    Attributes
    ----------
    name : str
        Catalog key, e.g. ``"derivative_is_A1"``.
    code : str or None
        The diagnosis code it must get (a key of ``gradcheck.DIAGNOSIS_CODES``); None for a
        variant that equals correct code wherever it runs.
    blocks : tuple of str
        The parameters whose gradients it changes, e.g. ``("W1", "b1")``.
    meaning : str
        What is wrong, in words (``"your g'(Z1) is A1, the activation itself"``).
    wrote : str
        The code the learner wrote. In all three texts ``{formula}``, ``{g}`` and ``{on_z1}`` are
        filled per activation (see :meth:`describe`).
    fix : str
        The right code.
    gradients : callable
        ``gradients(context) -> dict`` of ``dW1, db1, dW2, db2`` with the mistake.
    activations : tuple of str
        Hidden activations where it differs from correct code.
    cost : callable or None
        ``cost(X, Y, activation) -> cost_fn(parameters)`` when the learner's cost is not the
        reference cross-entropy; None for the reference cost.
    alias : callable
        ``alias(shape) -> (codes, why)``: other codes it is indistinguishable from at this
        shape ``(n_x, n_h, n_y, m)`` (``None`` in the codes: identical to correct code), and why.
    runs : callable
        ``runs(shape)``: whether the learner's code runs at all at this shape.
    differs : callable
        ``differs(activation)``: whether it differs from correct code under this activation's
        options (a leaky ReLU's default slope differs only from another α).
    """

    name: str
    code: str | None
    blocks: tuple[str, ...]
    meaning: str
    wrote: str
    fix: str
    gradients: Callable[[Context], dict[str, Array]]
    activations: tuple[str, ...] = _EVERY
    cost: Callable[[Array, Array, Activation], Callable[[Parameters], Any]] | None = None
    alias: Callable[[Shape], tuple[tuple[str | None, ...], str]] = field(default=lambda shape: ((), ""))
    runs: Callable[[Shape], bool] = field(default=lambda shape: True)
    differs: Callable[[Activation], bool] = field(default=lambda activation: True)

    def applies(self, activation: str | Activation, shape: Shape | None = None) -> bool:
        """Does it differ from correct code under this activation (and run at this shape)?"""
        g = get_activation(activation)
        return g.name in self.activations and self.differs(g) and (shape is None or self.runs(shape))

    def backward(
        self,
        parameters: Parameters,
        cache: dict[str, Array],
        X: Array,
        Y: Array,
        activation: str | Activation,
    ) -> dict[str, Array]:
        """The wrong ``backward_propagation``: same arguments as :func:`.two_layer.backward`."""
        return self.gradients(Context(dict(parameters), cache, X, Y, get_activation(activation)))

    def at(
        self, parameters: Parameters, X: Array, Y: Array, activation: str | Activation
    ) -> dict[str, Array]:
        """Forward, then this backward: the learner's gradients at ``parameters``."""
        _, cache = forward(X, parameters, activation)
        return self.backward(parameters, cache, X, Y, activation)

    def cost_fn(self, X: Array, Y: Array, activation: str | Activation) -> Callable[[Parameters], Any]:
        """The learner's cost ``cost_fn(parameters)``: :attr:`cost`, or the exact reference cost."""
        g = get_activation(activation)
        if self.cost is not None:
            return self.cost(X, Y, g)

        def reference(parameters: Parameters) -> Any:
            return cost_from_logits(forward(X, parameters, g)[1]["Z2"], Y)

        return reference

    def describe(self, activation: str | Activation) -> tuple[str, str, str]:
        """``(meaning, wrote, fix)`` with the activation's formulas filled in."""
        g = get_activation(activation)
        fill = {"formula": g.formula, "g": g.name, "on_z1": g.formula.replace("A1", "Z1")}
        return self.meaning.format(**fill), self.wrote.format(**fill), self.fix.format(**fill)


def _scaled(factors: dict[str, Callable[[int], float]]) -> Callable[[Context], dict[str, Array]]:
    def gradients(context: Context) -> dict[str, Array]:
        grads = context.right()
        for name, factor in factors.items():
            grads[f"d{name}"] = grads[f"d{name}"] * factor(context.m)
        return grads

    return gradients


def _replaced(**replace: Callable[[Context], Any]) -> Callable[[Context], dict[str, Array]]:
    def gradients(context: Context) -> dict[str, Array]:
        return context.right(**{step: make(context) for step, make in replace.items()})

    return gradients


def _block(
    name: str, value: Callable[[Context, dict[str, Array]], Array]
) -> Callable[[Context], dict[str, Array]]:
    """Right gradients except ``d<name>``, computed by ``value(context, steps)``."""

    def gradients(context: Context) -> dict[str, Array]:
        steps = context.steps()
        grads = {f"d{n}": steps[f"d{n}"] for n in PARAMETER_NAMES}
        grads[f"d{name}"] = value(context, steps)
        return grads

    return gradients


def _textbook_on(values: Array, activation: Activation) -> Array:
    """The textbook ``g'`` written on ``A1`` (``1 - A1**2``, ``A1 (1 - A1)``), evaluated on ``values``."""
    if activation.name == "tanh":
        return 1.0 - values**2
    return values * (1.0 - values)


def _l2_cost(X: Array, Y: Array, activation: Activation) -> Callable[[Parameters], Any]:
    """``J + (λ / 2m) (‖W1‖² + ‖W2‖²)``: the course's L2-regularised cost."""

    def cost_fn(parameters: Parameters) -> Any:
        m = np.shape(X)[1]
        penalty = anp.sum(parameters["W1"] ** 2) + anp.sum(parameters["W2"] ** 2)
        data = cost_from_logits(forward(X, parameters, activation)[1]["Z2"], Y)
        return data + LAMBD / (2.0 * m) * penalty

    return cost_fn


def _sum_cost(X: Array, Y: Array, activation: Activation) -> Callable[[Parameters], Any]:
    """``m J``: the cross-entropy summed over the examples, not averaged."""

    def cost_fn(parameters: Parameters) -> Any:
        return np.shape(X)[1] * cost_from_logits(forward(X, parameters, activation)[1]["Z2"], Y)

    return cost_fn


def _with_l2(factor: Callable[[int], float]) -> Callable[[Context], dict[str, Array]]:
    """Right gradients of the data term plus ``factor(m) · W`` in ``dW1`` and ``dW2``."""

    def gradients(context: Context) -> dict[str, Array]:
        grads = context.right()
        for name in ("W1", "W2"):
            grads[f"d{name}"] = grads[f"d{name}"] + factor(context.m) * context.parameters[name]
        return grads

    return gradients


def _m_is_one(shape: Shape) -> tuple[tuple[str | None, ...], str]:
    return ((None,), "m = 1: dividing by m changes nothing") if shape[3] == 1 else ((), "")


def _missing(name: str) -> Mistake:
    return Mistake(
        f"missing_1_over_m_d{name}",
        "missing_1_over_m",
        (name,),
        meaning=f"d{name} lacks its 1/m",
        wrote=FORMULAS[name].replace(" / m", ""),
        fix=FORMULAS[name],
        gradients=_scaled({name: lambda m: float(m)}),
        alias=_m_is_one,
    )


def _planted_alias(shape: Shape) -> tuple[tuple[str | None, ...], str]:
    if shape[3] in (2, 4):
        return ("missing_1_over_m",), f"m = {shape[3]}: a factor of {shape[3]} is also a missing 1/m"
    return (), ""


def _square(n: int, k: int, what: str) -> Callable[[Shape], tuple[tuple[str | None, ...], str]]:
    def alias(shape: Shape) -> tuple[tuple[str | None, ...], str]:
        if shape[n] == shape[k] == 1:
            return (None,), f"{what} is 1 x 1: its transpose is itself"
        return (), ""

    return alias


#: Each activation's derivative as learners write it at Z1 (its ``*_derivative`` or its mask).
_AT_Z1 = {
    "sigmoid": "sigmoid_derivative(Z1)",
    "tanh": "tanh_derivative(Z1)",
    "relu": "(Z1 > 0)",
    "leaky_relu": "np.where(Z1 > 0, 1, 0.01)",
}


def _other_derivative(name: str) -> Mistake:
    """Another activation's ``g'`` at ``Z1`` in the backward pass (sigmoid's in a tanh network)."""
    other = get_activation(name)
    skip = {"relu", "leaky_relu"} if name == "relu" else {name}  # relu's in leaky: relu_derivative_in_leaky
    if name == "leaky_relu":  # the default slope 0.01 in a leaky ReLU of another α
        skip = set()
    return Mistake(
        f"{name}_derivative_in_hidden",
        "wrong_activation_derivative",
        ("W1", "b1"),
        meaning=f"the hidden layer is {{g}} but dZ1 uses {name}'s derivative",
        wrote=f"dZ1 = np.dot(W2.T, dZ2) * {_AT_Z1[name]}",
        fix=_DZ1,
        gradients=_replaced(g_prime=lambda c: other.derivative(c.cache["Z1"])),
        activations=tuple(a for a in _EVERY if a not in skip),
        differs=lambda g: (g.name, g.alpha) != (other.name, other.alpha),
    )


def _other_formula(name: str) -> Mistake:
    """Another activation's textbook ``g'`` on ``A1`` (``A1 * (1 - A1)`` in a tanh network)."""
    written = get_activation(name).formula

    def on_a1(A: Array) -> Array:
        return A * (1.0 - A) if name == "sigmoid" else 1.0 - A**2

    return Mistake(
        f"{name}_formula_in_hidden",
        "wrong_activation_derivative",
        ("W1", "b1"),
        meaning=f"the hidden layer is {{g}} but its g'(Z1) is {name}'s formula {written}",
        wrote=f"dZ1 = np.dot(W2.T, dZ2) * {written}",
        fix=_DZ1,
        gradients=_replaced(g_prime=lambda c: on_a1(c.cache["A1"])),
        activations=tuple(a for a in _EVERY if a != name),
    )


def _one_row(n: int, what: str, gradient: str) -> Callable[[Shape], tuple[tuple[str | None, ...], str]]:
    """Where the summed block has one row (``what`` = 1), its one entry is a harmless shape."""

    def alias(shape: Shape) -> tuple[tuple[str | None, ...], str]:
        if shape[n] == 1:
            return (None,), f"{what} = 1: {gradient} has one entry, a harmless shape (it passes, with a note)"
        return (), ""

    return alias


#: The catalog, in the order diagnosis prefers its variants when several reproduce a gradient.
CATALOG: tuple[Mistake, ...] = (
    *(_missing(name) for name in PARAMETER_NAMES),
    Mistake(
        "missing_1_over_m_everywhere",
        "missing_1_over_m",
        PARAMETER_NAMES,
        meaning="no gradient divides by m (or the cost is a mean and the gradients are those of the sum)",
        wrote="dW2 = np.dot(dZ2, A1.T), db2 = np.sum(dZ2, axis=1, keepdims=True), ... (no / m)",
        fix="divide every gradient by m: " + "; ".join(FORMULAS.values()),
        gradients=_scaled(dict.fromkeys(PARAMETER_NAMES, lambda m: float(m))),
        alias=_m_is_one,
    ),
    Mistake(
        "extra_1_over_m_dZ1",
        "extra_1_over_m",
        ("W1", "b1"),
        meaning="dZ1 is divided by m, and dW1, db1 divide by m again",
        wrote="dZ1 = np.dot(W2.T, dZ2) * {formula} / m",
        fix=_DZ1 + " (the 1/m belongs to dW1 and db1 only)",
        gradients=_replaced(
            dZ1=lambda c: lambda W2, dZ2, g_prime: anp.dot(W2.T, dZ2) * g_prime / c.m,
        ),
        alias=_m_is_one,
    ),
    Mistake(
        "extra_1_over_m_everywhere",
        "extra_1_over_m",
        PARAMETER_NAMES,
        meaning="dZ2 is divided by m, and every gradient divides by m again",
        wrote="dZ2 = (A2 - Y) / m",
        fix="dZ2 = A2 - Y (the 1/m belongs to dW and db only)",
        gradients=_replaced(dZ2=lambda c: (c.cache["A2"] - c.Y) / c.m),
        alias=_m_is_one,
    ),
    Mistake(
        "sum_cost_mean_gradients",
        "extra_1_over_m",
        PARAMETER_NAMES,
        meaning="the cost is a sum over the examples while the gradients are those of the mean",
        wrote="cost = -np.sum(logprobs)",
        fix="cost = -np.sum(logprobs) / m, the mean the gradients belong to",
        gradients=lambda c: c.right(),
        cost=_sum_cost,
        alias=_m_is_one,
    ),
    Mistake(
        "sign_flipped_dZ2",
        "sign_flipped",
        PARAMETER_NAMES,
        meaning="dZ2 has the wrong sign, and every gradient inherits it",
        wrote="dZ2 = Y - A2",
        fix="dZ2 = A2 - Y",
        gradients=_replaced(dZ2=lambda c: c.Y - c.cache["A2"]),
    ),
    Mistake(
        "course_planted_2_and_4",
        "scaled",
        ("W2", "b1"),
        meaning="dW2 is doubled and db1 quadrupled (the course's planted bug)",
        wrote="dW2 = dW2 * 2; db1 = db1 * 4",
        fix=f"{FORMULAS['W2']}; {FORMULAS['b1']}",
        gradients=_scaled({"W2": lambda m: 2.0, "b1": lambda m: 4.0}),
        alias=_planted_alias,
    ),
    Mistake(
        "derivative_is_A1",
        "wrong_activation_derivative",
        ("W1", "b1"),
        meaning="your g'(Z1) is A1, the activation itself",
        wrote="dZ1 = np.dot(W2.T, dZ2) * A1",
        fix=_DZ1,
        gradients=_replaced(g_prime=lambda c: c.cache["A1"]),
    ),
    Mistake(
        "derivative_missing",
        "wrong_activation_derivative",
        ("W1", "b1"),
        meaning="dZ1 has no g'(Z1) factor",
        wrote="dZ1 = np.dot(W2.T, dZ2)",
        fix=_DZ1,
        gradients=_replaced(g_prime=lambda c: anp.ones_like(c.cache["Z1"])),
        activations=("sigmoid", "tanh", "relu", "leaky_relu"),
    ),
    Mistake(
        "derivative_1_minus_A1",
        "wrong_activation_derivative",
        ("W1", "b1"),
        meaning="your g'(Z1) is 1 - A1: the square is missing",
        wrote="dZ1 = np.dot(W2.T, dZ2) * (1 - A1)",
        fix=_DZ1,
        gradients=_replaced(g_prime=lambda c: 1.0 - c.cache["A1"]),
        activations=("tanh",),
    ),
    Mistake(
        "derivative_formula_on_Z1",
        "wrong_activation_derivative",
        ("W1", "b1"),
        meaning="your g'(Z1) is {on_z1}: the formula is written on A1, not on Z1",
        wrote="dZ1 = np.dot(W2.T, dZ2) * {on_z1}",
        fix=_DZ1,
        gradients=_replaced(g_prime=lambda c: _textbook_on(c.cache["Z1"], c.activation)),
        activations=("sigmoid", "tanh"),
    ),
    Mistake(
        "derivative_at_A1",
        "wrong_activation_derivative",
        ("W1", "b1"),
        meaning="your g' is evaluated at A1 = g(Z1) instead of at Z1",
        wrote="dZ1 = np.dot(W2.T, dZ2) * {g}_derivative(A1)",
        fix=_DZ1,
        gradients=_replaced(g_prime=lambda c: c.activation.derivative(c.cache["A1"])),
        activations=("sigmoid", "tanh"),
    ),
    Mistake(
        "relu_derivative_in_leaky",
        "wrong_activation_derivative",
        ("W1", "b1"),
        meaning="your g'(Z1) is ReLU's: 0 where Z1 < 0, where leaky ReLU's is alpha",
        wrote="dZ1 = np.dot(W2.T, dZ2) * (Z1 > 0)",
        fix=_DZ1,
        gradients=_replaced(g_prime=lambda c: (c.cache["Z1"] > 0).astype(np.float64)),
        activations=("leaky_relu",),
    ),
    *(_other_derivative(name) for name in ("sigmoid", "tanh", "relu", "leaky_relu")),
    *(_other_formula(name) for name in ("sigmoid", "tanh")),
    Mistake(
        "sigmoid_backward_dA_times_s_output",
        "wrong_activation_derivative",
        PARAMETER_NAMES,
        meaning="dZ2 is dA2 * A2: the output's sigmoid derivative lacks its (1 - A2)",
        wrote="dZ2 = -(Y / A2 - (1 - Y) / (1 - A2)) * A2",
        fix="dZ2 = A2 - Y (dA2 * A2 * (1 - A2) simplifies to it)",
        gradients=_replaced(
            dZ2=lambda c: -(c.Y / c.cache["A2"] - (1 - c.Y) / (1 - c.cache["A2"])) * c.cache["A2"]
        ),
    ),
    Mistake(
        "Z1_in_dW2",
        "preactivation_used",
        ("W2",),
        meaning="dW2 uses Z1 where A1 belongs",
        wrote="dW2 = np.dot(dZ2, Z1.T) / m",
        fix=FORMULAS["W2"],
        gradients=_replaced(hidden=lambda c: c.cache["Z1"]),
        activations=("sigmoid", "tanh", "relu", "leaky_relu"),
    ),
    Mistake(
        "Z2_in_dZ2",
        "preactivation_used",
        PARAMETER_NAMES,
        meaning="dZ2 uses Z2 where A2 belongs",
        wrote="dZ2 = Z2 - Y",
        fix="dZ2 = A2 - Y",
        gradients=_replaced(dZ2=lambda c: c.cache["Z2"] - c.Y),
    ),
    Mistake(
        "transposed_dW1",
        "transposed",
        ("W1",),
        meaning="the product's operands are swapped",
        wrote="dW1 = np.dot(X, dZ1.T) / m",
        fix=FORMULAS["W1"],
        gradients=_block("W1", lambda c, s: anp.dot(c.X, s["dZ1"].T) / c.m),
        alias=_square(0, 1, "W1"),
    ),
    Mistake(
        "transposed_dW2",
        "transposed",
        ("W2",),
        meaning="the product's operands are swapped",
        wrote="dW2 = np.dot(A1, dZ2.T) / m",
        fix=FORMULAS["W2"],
        gradients=_block("W2", lambda c, s: anp.dot(c.cache["A1"], s["dZ2"].T) / c.m),
        alias=_square(1, 2, "W2"),
    ),
    Mistake(
        "no_keepdims_db1",
        "shape_mismatch",
        ("b1",),
        meaning="the sum drops the summed axis",
        wrote="db1 = np.sum(dZ1, axis=1) / m",
        fix=FORMULAS["b1"],
        gradients=_block("b1", lambda c, s: anp.sum(s["dZ1"], axis=1) / c.m),
        alias=_one_row(1, "n_h", "db1"),
    ),
    Mistake(
        "no_keepdims_db2",
        "shape_mismatch",
        ("b2",),
        meaning="the sum drops the summed axis",
        wrote="db2 = np.sum(dZ2, axis=1) / m",
        fix=FORMULAS["b2"],
        gradients=_block("b2", lambda c, s: anp.sum(s["dZ2"], axis=1) / c.m),
        alias=_one_row(2, "n_y", "db2"),
    ),
    Mistake(
        "sum_without_axis_db1",
        "shape_mismatch",
        ("b1",),
        meaning="the sum adds up every entry",
        wrote="db1 = np.sum(dZ1) / m",
        fix=FORMULAS["b1"],
        gradients=_block("b1", lambda c, s: anp.sum(s["dZ1"]) / c.m),
        alias=_one_row(1, "n_h", "db1"),
    ),
    Mistake(
        "sum_wrong_axis_db2",
        "shape_mismatch",
        ("b2",),
        meaning="the sum runs over the units instead of the examples",
        wrote="db2 = np.sum(dZ2, axis=0, keepdims=True) / m",
        fix=FORMULAS["b2"],
        gradients=_block("b2", lambda c, s: anp.sum(s["dZ2"], axis=0, keepdims=True) / c.m),
        alias=lambda shape: (
            ((None,), "n_y = m = 1: both axes have one entry") if shape[2] == shape[3] == 1 else ((), "")
        ),
    ),
    Mistake(
        "zero_dW1",
        "zero_gradient",
        ("W1",),
        meaning="dW1 was left as a placeholder",
        wrote="dW1 = np.zeros(W1.shape)",
        fix=FORMULAS["W1"],
        gradients=_block("W1", lambda c, s: np.zeros(np.shape(c.parameters["W1"]))),
    ),
    Mistake(
        "l2_missing",
        "missing_regularization",
        ("W1", "W2"),
        meaning="the cost has the L2 term (lambd / 2m)(‖W1‖² + ‖W2‖²) but the gradients do not",
        wrote="dW1 = np.dot(dZ1, X.T) / m (no + (lambd / m) * W1)",
        fix="dW1 = np.dot(dZ1, X.T) / m + (lambd / m) * W1; dW2 = np.dot(dZ2, A1.T) / m + (lambd / m) * W2",
        gradients=lambda c: c.right(),
        cost=_l2_cost,
    ),
    Mistake(
        "l2_without_1_over_m",
        "wrong_regularization",
        ("W1", "W2"),
        meaning="the L2 term's gradient lacks its 1/m",
        wrote="dW1 = np.dot(dZ1, X.T) / m + lambd * W1",
        fix="dW1 = np.dot(dZ1, X.T) / m + (lambd / m) * W1; dW2 = np.dot(dZ2, A1.T) / m + (lambd / m) * W2",
        gradients=_with_l2(lambda m: LAMBD),
        cost=_l2_cost,
        alias=_m_is_one,
    ),
    Mistake(
        "multiply_for_dot",
        None,
        (),
        meaning="np.multiply where np.dot belongs",
        wrote="dZ1 = np.multiply(W2.T, dZ2) * {formula}",
        fix=_DZ1,
        gradients=_replaced(
            dZ1=lambda c: lambda W2, dZ2, g_prime: anp.multiply(W2.T, dZ2) * g_prime,
        ),
        alias=lambda shape: ((None,), "n_y = 1: np.multiply broadcasts to np.dot's result"),
        runs=lambda shape: shape[2] == 1,
    ),
)


def get_mistake(name: str) -> Mistake:
    """The catalog entry called ``name``.

    Raises
    ------
    KeyError
        With the catalog's names, for an unknown one.
    """
    for mistake in CATALOG:
        if mistake.name == name:
            return mistake
    raise KeyError(f"no mistake {name!r} in the catalog; it has {', '.join(m.name for m in CATALOG)}")

"""The learner form: each notebook's functions, as the course writes them.

:func:`learner_call` turns a learner's functions into what the engine checks: a cost
``J(parameters)`` and the gradients their backward pass returns at the point. The forms, read
from the functions' parameter names (``../shared/DESIGN.md``, "Course conventions"):

- Week 2, logistic regression: ``propagate(w, b, X, Y) -> (grads, cost)``;
- Week 3, one hidden layer: ``forward_propagation(X, parameters) -> (A2, cache)``,
  ``backward_propagation(parameters, cache, X, Y)``, ``compute_cost(A2, Y)`` (or ``(A2, Y,
  parameters)``);
- Week 4, L layers: ``L_model_forward(X, parameters) -> (AL, caches)``, ``L_model_backward(AL, Y,
  caches)``, ``compute_cost(AL, Y)``;
- Course 2, gradient checking: ``forward_propagation_n(X, Y, parameters) -> (cost, cache)``,
  ``backward_propagation_n(X, Y, cache)``;
- Course 2, L2: ``backward_propagation_with_regularization(X, Y, cache, lambd)``,
  ``compute_cost_with_regularization(A3, Y, parameters, lambd)``;
- Course 2, dropout: ``forward_propagation_with_dropout(X, parameters, keep_prob)``,
  ``backward_propagation_with_dropout(X, Y, cache, keep_prob)``.

Without ``compute_cost`` the cost is the cross-entropy (plus the L2 term when ``lambd`` is given),
computed from the output's logits found in the cache (:func:`cross_entropy`).
Every call of the learner's forward pass starts from the same numpy random state, restored after
it: dropout masks drawn with ``np.random`` are then the same at every point, and the masks found in
the cache go to the reference model. ``X`` and ``Y`` are handed over read-only (no copy per call);
the parameters as copies. An error inside the learner's code names the function, file, line and
source line; one raised by the backward pass for shapes (numpy's shape errors, a failed
``assert``) is a wrong gradient, not an unusable call (:attr:`LearnerCall.raised`).
"""

from __future__ import annotations

import copy
import ctypes
import inspect
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.random.mtrand import get_bit_generator

from gradcheck.arguments import inputs
from gradcheck.errors import GradcheckError, learner_frames, located
from gradcheck.network.deep import l2_penalty, layer_count
from gradcheck.network.interface import Dropout
from gradcheck.network.two_layer import cost as reference_cost
from gradcheck.network.two_layer import cost_from_logits
from gradcheck.numerical import check_parameters
from gradcheck.report import Diagnosis

__all__ = [
    "BACKWARD_FORMS",
    "COST_FORMS",
    "FORWARD_FORMS",
    "LearnerCall",
    "Roles",
    "cross_entropy",
    "learner_call",
    "roles_of",
]

Roles = tuple[str, ...]

#: A parameter's name (lower case) -> its role in a call.
ROLE_NAMES: dict[str, str] = {
    **dict.fromkeys(("x",), "X"),
    **dict.fromkeys(("y",), "Y"),
    **dict.fromkeys(("parameters", "params"), "parameters"),
    **dict.fromkeys(("cache", "caches"), "cache"),
    **dict.fromkeys(("a", "al", "a2", "a3", "a_l", "yhat", "y_hat"), "A"),
    **dict.fromkeys(("lambd", "lambda_", "lam"), "lambd"),
    **dict.fromkeys(("keep_prob",), "keep_prob"),
}

#: The forward passes gradcheck takes, by the roles of their parameters.
FORWARD_FORMS: dict[Roles, str] = {
    ("X", "parameters"): "forward_propagation(X, parameters) or L_model_forward(X, parameters)",
    ("X", "Y", "parameters"): "forward_propagation_n(X, Y, parameters), returning (cost, cache)",
    ("X", "parameters", "keep_prob"): "forward_propagation_with_dropout(X, parameters, keep_prob)",
}
#: The backward passes.
BACKWARD_FORMS: dict[Roles, str] = {
    ("parameters", "cache", "X", "Y"): "backward_propagation(parameters, cache, X, Y)",
    ("A", "Y", "cache"): "L_model_backward(AL, Y, caches)",
    ("X", "Y", "cache"): "backward_propagation_n(X, Y, cache)",
    ("X", "Y", "cache", "lambd"): "backward_propagation_with_regularization(X, Y, cache, lambd)",
    ("X", "Y", "cache", "keep_prob"): "backward_propagation_with_dropout(X, Y, cache, keep_prob)",
}
#: The costs.
COST_FORMS: dict[Roles, str] = {
    ("A", "Y"): "compute_cost(A2, Y)",
    ("A", "Y", "parameters"): "compute_cost(A2, Y, parameters)",
    ("A", "Y", "parameters", "lambd"): "compute_cost_with_regularization(A3, Y, parameters, lambd)",
}
#: Parameters named otherwise (a lambda's) are read by position, as the course's first forms.
BY_POSITION: dict[str, dict[int, Roles]] = {
    "forward": {2: ("X", "parameters")},
    "backward": {4: ("parameters", "cache", "X", "Y")},
    "compute_cost": {2: ("A", "Y"), 3: ("A", "Y", "parameters")},
}

#: The note of a check whose forward pass drew random numbers (dropout).
FIXED_RANDOM_NOTE = (
    "{name} uses numpy's random state (draws dropout masks, or seeds it): gradcheck started every "
    "call of it from the same state, so what it draws is the same at every point and the cost is "
    "one function of the parameters (your own random state is left as it was)"
)


@dataclass(frozen=True)
class LearnerCall:
    """A learner's functions as a checkable call.

    Attributes
    ----------
    cost_fn : callable
        ``cost_fn(parameters) -> cost``: the forward pass, then the cost.
    gradients : mapping
        What the backward pass returned at the point (empty when it raised).
    label : str
        Names the cost in messages, e.g. ``"the cost (forward_propagation, then compute_cost)"``.
    X, Y : ndarray
        Float64, read-only; ``Y`` (m,) as (1, m).
    raised : Diagnosis or None
        The backward pass raised for shapes at this point: every gradient is wrong, for this reason.
    dropout : Dropout or None
        The keep probability and the masks found in the forward pass's cache.
    notes : tuple of str
    """

    cost_fn: Callable[[dict[str, np.ndarray]], Any]
    gradients: Mapping[str, Any]
    label: str
    X: np.ndarray
    Y: np.ndarray
    raised: Diagnosis | None = None
    dropout: Dropout | None = None
    notes: tuple[str, ...] = field(default=())


def learner_call(
    *,
    forward: Callable[..., Any] | None,
    backward: Callable[..., Any] | None,
    compute_cost: Callable[..., Any] | None,
    propagate: Callable[..., Any] | None,
    parameters: Mapping[str, Any] | None,
    X: Any,
    Y: Any,
    lambd: float | None,
    keep_prob: float | None,
) -> LearnerCall:
    """The learner's functions as a :class:`LearnerCall`.

    Raises
    ------
    GradcheckError
        When an argument is missing or unusable, a function fits none of the forms, or a learner
        function raises (other than the backward pass for shapes), exits, changes its inputs or
        returns the wrong thing.
    """
    given = {"parameters": parameters, "X": X, "Y": Y}
    if propagate is not None:
        if forward is not None or backward is not None or compute_cost is not None:
            raise GradcheckError("pass propagate= alone (Week 2), or forward= and backward= (Weeks 3 and 4)")
        given["propagate"] = propagate
    else:
        given.update(forward=forward, backward=backward)
    missing = [name for name, value in given.items() if value is None]
    if missing:
        raise GradcheckError(f"the learner form needs {', '.join(given)}; missing: {', '.join(missing)}")
    assert parameters is not None
    check_parameters(parameters)
    for role, function in (("forward", forward), ("backward", backward), ("compute_cost", compute_cost)):
        if function is not None and not callable(function):
            raise GradcheckError(f"{role} must be a function, got a {type(function).__name__}")
    for option, value in (("lambd", lambd), ("keep_prob", keep_prob)):
        if value is not None and not (isinstance(value, int | float) and np.isfinite(value) and value >= 0):
            raise GradcheckError(f"{option} must be a non-negative number, got {value!r}")
    X, Y = inputs(X, Y)
    if propagate is not None:
        return _propagate_call(propagate, parameters, X, Y, _FixedRandom())
    assert forward is not None and backward is not None
    return _Passes(forward, backward, compute_cost, X, Y, lambd, keep_prob).call(parameters)


def _name(function: Any, role: str) -> str:
    return str(getattr(function, "__name__", role))


def roles_of(
    function: Callable[..., Any], role: str, forms: Mapping[Roles, str]
) -> tuple[Roles, dict[str, Any]]:
    """The roles of ``function``'s parameters (one of ``forms``) and the defaults of those that have one.

    A parameter of another name with a default (an option of the learner's own) is left to it.
    """
    name = _name(function, role)
    try:
        signature = inspect.signature(function)
    except (TypeError, ValueError) as error:
        raise GradcheckError(
            f"cannot read the parameters of {name} ({error}); pass a Python function"
        ) from error
    roles: list[str | None] = []
    defaults: dict[str, Any] = {}
    kinds = {p.kind for p in signature.parameters.values()}
    if inspect.Parameter.VAR_POSITIONAL in kinds and kinds <= {
        inspect.Parameter.VAR_POSITIONAL,
        inspect.Parameter.VAR_KEYWORD,
    }:  # f(*args): the course's first form
        return next(iter(BY_POSITION[role].values())), {}
    for parameter in signature.parameters.values():
        if parameter.kind not in (parameter.POSITIONAL_ONLY, parameter.POSITIONAL_OR_KEYWORD):
            continue
        known = ROLE_NAMES.get(parameter.name.lower())
        if known is None and parameter.default is not parameter.empty:
            continue
        roles.append(known)
        if known is not None and parameter.default is not parameter.empty:
            defaults[known] = parameter.default
    if tuple(roles) in forms:
        return tuple(r for r in roles if r is not None), defaults
    if None in roles and len(roles) in BY_POSITION[role]:
        return BY_POSITION[role][len(roles)], {}
    accepted = "; ".join(forms.values())
    raise GradcheckError(f"{name}{signature} is not a {role} gradcheck knows; it takes {accepted}")


def _call(function: Callable[..., Any], role: str, *args: Any) -> Any:
    """``function(*args)``; what it raises, as a :class:`GradcheckError` naming the learner's line."""
    name = _name(function, role)
    try:
        return function(*args)
    except SystemExit as error:
        raise GradcheckError(
            f"{name} called sys.exit({error.code!r}); it must return its result, not end the program"
        ) from error
    except Exception as error:
        raise GradcheckError(_raised(error, name)) from error


def _raised(error: BaseException, name: str) -> str:
    where = located(error, name)
    if "read-only" in str(error):
        return (
            f"{where} tried to change an input in place ({type(error).__name__}: {error}): X and Y are "
            "handed over read-only, as your functions must not change them; work on a copy (X = X.copy())"
        )
    return f"{where} raised {type(error).__name__}: {error}{_hint(error)}"


def _hint(error: BaseException) -> str:
    """What numpy's shape errors, and a failed assert on a shape, usually mean in a learner's
    forward or backward pass."""
    if isinstance(error, AssertionError):
        frames = learner_frames(error)
        if frames and "shape" in (frames[-1].line or ""):
            return (
                " (an array of the wrong shape: look for np.sum without keepdims=True, e.g. db = "
                "np.sum(dZ, axis=1, keepdims=True) / m, or a missing or extra .T in np.dot)"
            )
        return ""
    text = str(error)
    if "could not be broadcast" in text:
        return (
            " (element-wise * and np.multiply need equal or broadcastable shapes; "
            "for a matrix product such as W2.T · dZ2 use np.dot)"
        )
    aligned = _NOT_ALIGNED.search(text)
    if aligned is not None and aligned.group(1) == aligned.group(3):
        return (
            f" (np.dot's first factor, ({aligned.group(1)}, {aligned.group(2)}), needs its transpose: "
            "e.g. dA_prev = np.dot(W.T, dZ))"
        )
    if "not aligned" in text or "matmul: Input operand" in text:
        return (
            " (np.dot(A, B) needs A's columns to match B's rows: look for a missing or extra .T, "
            "e.g. np.dot(dZ2, A1.T) for dW2)"
        )
    return ""


def _shape_error(error: BaseException) -> str | None:
    """The diagnosis code when a backward pass's error means a wrong gradient, else None:
    ``missing_transpose`` when ``np.dot(P, Q)`` fails and would run with ``P.T``."""
    if isinstance(error, AssertionError):  # the learner's own check of a gradient failed
        frames = learner_frames(error)
        return "shape_mismatch" if frames and "shape" in (frames[-1].line or "") else "backward_raised"
    text = str(error)
    aligned = _NOT_ALIGNED.search(text)
    if aligned is not None:
        rows, _, other_rows, _ = (int(n) for n in aligned.groups())
        return "missing_transpose" if rows == other_rows else "shape_mismatch"
    if isinstance(error, ValueError) and any(s in text for s in _SHAPE_ERRORS):
        return "shape_mismatch"
    if isinstance(error, IndexError) and "boolean index did not match" in text:
        return "shape_mismatch"
    return None


#: numpy's messages for operands of the wrong shapes.
_SHAPE_ERRORS = ("could not be broadcast", "not aligned", "matmul: Input operand", "cannot reshape", "shapes")
_NOT_ALIGNED = re.compile(r"shapes \((\d+),(\d+)\) and \((\d+),(\d+)\) not aligned")


class _FixedRandom:
    """Starts every call from the numpy random state of the check's start, and restores the caller's.

    Saving and restoring numpy's state costs about 0.1 ms a call, two thirds of a small check. So
    while the calls draw nothing, each is only watched: the Mersenne Twister's words and position,
    read in place (:func:`_twister_words`), are compared with the start's, and the state is left
    alone (a call that draws nothing leaves it as it was). The first call that draws started from
    the start's state like all before it; the state is then put back, and every later call is
    started and ended by ``get_state``/``set_state``. A cached Gaussian is invisible to the words,
    so a start with one, or a generator that is not numpy's MT19937, is always saved and restored.
    """

    def __init__(self) -> None:
        self.state: Any = np.random.get_state(legacy=False)  # noqa: NPY002 (the course's global state)
        self.drew: str | None = None  # the name of the first function that drew random numbers
        self.generator = get_bit_generator()  # kept alive while its words are watched
        words = _twister_words(self.generator, self.state)
        self.watch = None if words is None else (words, words.copy())  # (in place, at the start)

    def call(self, function: Callable[..., Any], role: str, *args: Any) -> Any:
        if self.drew is None and self.watch is not None:
            return self._watched(self.watch, function, role, *args)
        before = np.random.get_state(legacy=False)  # noqa: NPY002 (the course's global state)
        np.random.set_state(self.state)  # noqa: NPY002
        try:
            return _call(function, role, *args)
        finally:
            if self.drew is None:
                after = np.random.get_state(legacy=False)  # noqa: NPY002 (the course's global state)
                if not _same(after, self.state):
                    self.drew = _name(function, role)
            np.random.set_state(before)  # noqa: NPY002

    def _watched(
        self, watch: tuple[np.ndarray, np.ndarray], function: Callable[..., Any], role: str, *args: Any
    ) -> Any:
        """``function(*args)`` from the start's state, which no call has changed yet."""
        try:
            return _call(function, role, *args)
        finally:
            words, start = watch
            if get_bit_generator() is not self.generator or not np.array_equal(words, start):
                self.drew = _name(function, role)
                np.random.set_state(self.state)  # noqa: NPY002

    @property
    def notes(self) -> tuple[str, ...]:
        return (FIXED_RANDOM_NOTE.format(name=self.drew),) if self.drew else ()


def _twister_words(generator: Any, state: Any) -> np.ndarray | None:
    """The global ``generator``'s 624 Mersenne Twister words and its position, read in place.

    A view of numpy's ``mt19937_state`` struct (``uint32 key[624]; int pos``) through the bit
    generator's documented ``ctypes.state_address``. It is used only when it agrees with
    ``state`` (:func:`numpy.random.get_state`) and no Gaussian is cached, else None.
    """
    if not isinstance(generator, np.random.MT19937) or state["bit_generator"] != "MT19937":
        return None
    if state["has_gauss"]:
        return None
    key, position = state["state"]["key"], state["state"]["pos"]
    pointer = ctypes.cast(generator.ctypes.state_address, ctypes.POINTER(ctypes.c_uint32))
    words = np.ctypeslib.as_array(pointer, shape=(key.size + 1,))
    if not (np.array_equal(words[:-1], key) and int(words[-1]) == position):
        return None
    return words


def _same(state: Any, other: Any) -> bool:
    """Whether two of ``numpy.random.get_state(legacy=False)``'s states are equal."""
    if isinstance(state, dict):
        return state.keys() == other.keys() and all(_same(state[k], other[k]) for k in state)
    if isinstance(state, np.ndarray):
        return np.array_equal(state, other)
    return bool(state == other)


def cross_entropy(A: np.ndarray, cache: Any, Y: np.ndarray) -> Any:
    """The cross-entropy of the output ``A`` (n_y, m) against ``Y``, from its logits when the cache
    holds them: gradcheck's cost when the learner gives no ``compute_cost``.

    ``(1/m) Σ softplus(Z) − Y Z`` (:func:`gradcheck.network.two_layer.cost_from_logits`) with ``Z``
    the last array of the cache (a dict, list or tuple, nested) of ``A``'s shape with ``σ(Z) = A``
    to rounding: Week 3's ``Z2``, Week 4's ``ZL``, Course 2's ``Z3``. Computed from ``A`` alone, the
    cost is flat where an output rounds to 0 or 1 (:func:`~gradcheck.network.two_layer.cost` floors
    its logarithms), and finite differences could not follow the learner's right gradient there.
    Without such an array, the same cross-entropy from ``A``.
    """
    logits = [z for z in _arrays(cache) if z.shape == A.shape and z.dtype.kind == "f" and _sigmoid_of(z, A)]
    return cost_from_logits(logits[-1], Y) if logits else reference_cost(A, Y)


def _sigmoid_of(Z: np.ndarray, A: np.ndarray) -> bool:
    """Whether ``A = σ(Z)`` to a few units of rounding (any way of writing σ)."""
    with np.errstate(over="ignore"):
        sigma = 1.0 / (1.0 + np.exp(-Z.astype(np.float64)))
    eps = float(np.finfo(np.result_type(Z.dtype, A.dtype)).eps)
    return bool(np.all(np.abs(sigma - A) <= 16 * eps * np.maximum(np.abs(A), np.finfo(np.float64).tiny)))


def _pair(out: Any, function: Callable[..., Any], role: str, first: str) -> tuple[Any, Any]:
    if not (isinstance(out, tuple) and len(out) == 2):
        raise GradcheckError(
            f"{_name(function, role)} must return ({first}, cache), got a {type(out).__name__}"
        )
    return out


class _Passes:
    """The forward pass, the cost and the backward pass of Weeks 3 and 4 and of Course 2."""

    def __init__(
        self,
        forward: Callable[..., Any],
        backward: Callable[..., Any],
        compute_cost: Callable[..., Any] | None,
        X: np.ndarray,
        Y: np.ndarray,
        lambd: float | None,
        keep_prob: float | None,
    ) -> None:
        self.forward, self.backward, self.compute_cost, self.X, self.Y = forward, backward, compute_cost, X, Y
        self.forward_roles, defaults = roles_of(forward, "forward", FORWARD_FORMS)
        self.backward_roles, backward_defaults = roles_of(backward, "backward", BACKWARD_FORMS)
        self.cost_roles: Roles = ()
        if compute_cost is not None:
            if "Y" in self.forward_roles:
                raise GradcheckError(
                    f"{_name(forward, 'forward')} returns the cost itself: leave compute_cost out"
                )
            self.cost_roles, cost_defaults = roles_of(compute_cost, "compute_cost", COST_FORMS)
            defaults = {**cost_defaults, **backward_defaults, **defaults}
        else:
            defaults = {**backward_defaults, **defaults}
        self.options = {
            "lambd": _option("lambd", lambd, defaults, self._takers("lambd")),
            "keep_prob": _option("keep_prob", keep_prob, defaults, self._takers("keep_prob")),
        }
        self.random = _FixedRandom()

    def _takers(self, option: str) -> list[str]:
        functions = (
            (self.forward, "forward", self.forward_roles),
            (self.backward, "backward", self.backward_roles),
            (self.compute_cost, "compute_cost", self.cost_roles),
        )
        return [_name(f, role) for f, role, roles in functions if option in roles]

    @property
    def label(self) -> str:
        forward = _name(self.forward, "forward")
        if "Y" in self.forward_roles:
            return f"the cost ({forward})"
        then = "the cross-entropy" if self.compute_cost is None else _name(self.compute_cost, "compute_cost")
        if self.compute_cost is None and self.options["lambd"]:
            then += " with the L2 term"
        return f"the cost ({forward}, then {then})"

    def run_forward(self, point: Mapping[str, Any]) -> tuple[Any, Any]:
        values = {"X": self.X, "Y": self.Y, "parameters": point, **self.options}
        out = self.random.call(self.forward, "forward", *(values[r] for r in self.forward_roles))
        return _pair(out, self.forward, "forward", "cost" if "Y" in self.forward_roles else "A2")

    def cost(self, point: dict[str, np.ndarray]) -> Any:
        first, cache = self.run_forward(point)
        if "Y" in self.forward_roles:
            return first
        if self.compute_cost is None:
            J = cross_entropy(np.asarray(first), cache, self.Y)
            lambd, L = self.options["lambd"], layer_count(point)
            return J + l2_penalty(point, lambd, self.X.shape[1], L) if lambd and L else J
        values = {"A": first, "Y": self.Y, "parameters": point, **self.options}
        return _call(self.compute_cost, "compute_cost", *(values[r] for r in self.cost_roles))

    def call(self, parameters: Mapping[str, Any]) -> LearnerCall:
        first, cache = self.run_forward(copy.deepcopy(dict(parameters)))
        given = copy.deepcopy(dict(parameters))
        values = {"X": self.X, "Y": self.Y, "parameters": given, "cache": cache, "A": first, **self.options}
        gradients, raised = _backward(self.backward, "backward", *(values[r] for r in self.backward_roles))
        _untouched(self.backward, given, parameters)
        keep_prob = self.options["keep_prob"]
        masks = (
            _masks(cache, parameters, self.X.shape[1]) if keep_prob is not None and keep_prob < 1 else None
        )
        return LearnerCall(
            self.cost,
            gradients,
            self.label,
            self.X,
            self.Y,
            raised=raised,
            dropout=None if masks is None or keep_prob is None else Dropout(float(keep_prob), masks),
            notes=self.random.notes,
        )


def _option(option: str, value: float | None, defaults: Mapping[str, Any], takers: list[str]) -> float | None:
    """``lambd`` or ``keep_prob``: as given, else the default of a function that takes it."""
    if value is not None and not takers and option == "keep_prob":
        raise GradcheckError(
            "keep_prob is given but no function takes it: pass forward=forward_propagation_with_dropout "
            "and backward=backward_propagation_with_dropout"
        )
    if value is not None and not takers and option == "lambd":
        raise GradcheckError(
            "lambd is given but no function takes it: pass backward=backward_propagation_with_regularization "
            "(and compute_cost=compute_cost_with_regularization)"
        )
    if value is None and takers:
        if option not in defaults:
            example = "lambd=0.7" if option == "lambd" else "keep_prob=0.86"
            raise GradcheckError(
                f"{' and '.join(takers)} take{'s' if len(takers) == 1 else ''} {option}: pass {option}= "
                f"with the value your notebook uses (e.g. {example})"
            )
        value = defaults[option]
    return None if value is None else float(value)


def _backward(function: Callable[..., Any], role: str, *args: Any) -> tuple[Any, Diagnosis | None]:
    """The backward pass's gradients, or ``({}, why)`` when it raised for shapes (a wrong gradient)."""
    name = _name(function, role)
    try:
        gradients = _call(function, role, *args)
    except GradcheckError as error:
        return {}, _wrong_at_these_shapes(error, "the backward pass")
    if not isinstance(gradients, Mapping):
        raise GradcheckError(
            f"{name} must return a dict such as {{'dW1': dW1, 'db1': db1, 'dW2': dW2, 'db2': db2}}, "
            f"got a {type(gradients).__name__}"
        )
    return gradients, None


def _wrong_at_these_shapes(error: GradcheckError, what: str) -> Diagnosis:
    """Why every gradient is wrong when the learner's code computing them raised for shapes (see
    :func:`_shape_error`); anything else it raised is re-raised: the call cannot be checked."""
    code = _shape_error(error.__cause__) if isinstance(error.__cause__, Exception) else None
    if code is None:
        raise error
    return Diagnosis(code, f"{error}: at these shapes {what} cannot compute the gradients")


def _untouched(function: Callable[..., Any], given: Mapping[str, Any], parameters: Mapping[str, Any]) -> None:
    for name, value in parameters.items():
        if name not in given or not np.array_equal(np.asarray(given[name]), np.asarray(value)):
            raise GradcheckError(
                f"{_name(function, 'backward')} changed parameters[{name!r}] (the copy it was given); "
                "backward propagation must only read the parameters: the update belongs in "
                "update_parameters, and W -= x there changes the arrays in place"
            )


def _propagate_call(
    propagate: Callable[..., Any],
    parameters: Mapping[str, Any],
    X: np.ndarray,
    Y: np.ndarray,
    random: _FixedRandom,
) -> LearnerCall:
    """Week 2: ``propagate(w, b, X, Y) -> (grads, cost)``, both from one call."""
    roles = _propagate_roles(propagate, parameters)

    def run(point: Mapping[str, Any]) -> tuple[Mapping[str, Any], Any]:
        values = {**point, "X": X, "Y": Y}
        out = random.call(propagate, "propagate", *(values[r] for r in roles))
        if not (isinstance(out, tuple) and len(out) == 2 and isinstance(out[0], Mapping)):
            raise GradcheckError(
                f"{_name(propagate, 'propagate')} must return (grads, cost) with grads a dict such as "
                f"{{'dw': dw, 'db': db}}, got {type(out).__name__}"
            )
        return out

    given = copy.deepcopy(dict(parameters))
    name = _name(propagate, "propagate")
    try:
        gradients, raised = run(given)[0], None
    except GradcheckError as error:
        gradients, raised = {}, _wrong_at_these_shapes(error, name)
    _untouched(propagate, given, parameters)
    return LearnerCall(
        lambda point: run(point)[1], gradients, f"the cost ({name})", X, Y, raised=raised, notes=random.notes
    )


def _propagate_roles(propagate: Callable[..., Any], parameters: Mapping[str, Any]) -> Roles:
    """``propagate``'s parameters: names of ``parameters`` and X, Y (else by position: the
    parameters in order, then X and Y)."""
    name = _name(propagate, "propagate")
    try:
        signature = inspect.signature(propagate)
    except (TypeError, ValueError) as error:
        raise GradcheckError(
            f"cannot read the parameters of {name} ({error}); pass a Python function"
        ) from error
    names = [p.name for p in signature.parameters.values() if p.default is p.empty]
    roles = tuple(n if n in parameters else ROLE_NAMES.get(n.lower(), "") for n in names)
    if sorted(roles) == sorted([*parameters, "X", "Y"]):
        return roles
    if len(names) == len(parameters) + 2:
        return (*parameters, "X", "Y")
    raise GradcheckError(
        f"{name}{signature} does not take the parameters ({', '.join(parameters)}), X and Y: gradcheck "
        "calls it as propagate(w, b, X, Y) with parameters={'w': w, 'b': b}"
    )


def _masks(cache: Any, parameters: Mapping[str, Any], m: int) -> tuple[np.ndarray, ...] | None:
    """The dropout masks ``D1 .. D{L-1}`` in a forward pass's cache: the first arrays of 0s and 1s of
    the hidden layers' shapes (n_l, m), in the cache's order; None when some layer has none."""
    L = layer_count(parameters)
    if L is None or L < 2:
        return None
    arrays = list(_arrays(cache))
    used: set[int] = set()
    masks = []
    for layer in range(1, L):
        shape = (np.shape(parameters[f"W{layer}"])[0], m)
        found = next(
            (i for i, a in enumerate(arrays) if i not in used and a.shape == shape and _binary(a)), None
        )
        if found is None:
            return None
        used.add(found)
        masks.append(np.asarray(arrays[found], dtype=np.float64))
    return tuple(masks)


def _arrays(value: Any) -> Iterator[np.ndarray]:
    """The numpy arrays in a cache (tuples, lists and dicts, in order)."""
    if isinstance(value, np.ndarray):
        yield value
    elif isinstance(value, tuple | list):
        for item in value:
            yield from _arrays(item)
    elif isinstance(value, Mapping):
        for item in value.values():
            yield from _arrays(item)


def _binary(array: np.ndarray) -> bool:
    return array.dtype.kind in "biuf" and bool(np.all((array == 0) | (array == 1)))

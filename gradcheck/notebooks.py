"""The course's notebooks, as sets of functions a learner's module may define.

:data:`NOTEBOOKS` lists each notebook's functions (their names and the forms of
:mod:`gradcheck.learner_form`), the network they compute and what a check draws for them. A module
is checked once per set it defines (:func:`find`); a set whose functions the module only imported
(the course's ``reg_utils.backward_propagation``, say) is left out when the module defines a set of
its own. A function named close to one of the course's names but not equal (``compute_cots``,
``backward_propogation``) is not found by name: :func:`near_misses` points it out. The parameters
and data are drawn here (:func:`draw`), at the module's own ``layers_dims`` when it defines one of
the right depth, else at several small shapes, width 1 among them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

import numpy as np

from gradcheck.errors import GradcheckError
from gradcheck.learner_form import BACKWARD_FORMS, COST_FORMS, FORWARD_FORMS, Roles, roles_of
from gradcheck.network.activations import get_activation
from gradcheck.network.problems import reference_problem

__all__ = [
    "COURSE_NAMES",
    "MAX_EDITS",
    "NOTEBOOKS",
    "Found",
    "Notebook",
    "draw",
    "find",
    "learner_functions",
    "near_misses",
    "shapes_for",
    "two_layer_passes",
]

#: Examples per drawn problem when the dims come from the module's ``layers_dims``.
M_AT_MODULE_DIMS = 8


@dataclass(frozen=True)
class Notebook:
    """One notebook's functions.

    Attributes
    ----------
    key : str
    title : str
        E.g. ``"Course 1 Week 4, L layers"``.
    functions : mapping of str to str
        ``verify_gradients`` keyword -> the course's function name, e.g. ``{"forward":
        "L_model_forward", ...}``; ``compute_cost`` is used when the module defines it (unless
        listed in ``required``).
    backward : tuple of str or None
        The roles the backward pass takes (:data:`gradcheck.learner_form.BACKWARD_FORMS`): Week 3's
        ``backward_propagation`` and Course 2's share a name, not a signature.
    layers : int or None
        The depth the course's functions are written for; None for any (``L_model_forward``).
    shapes : tuple of tuple of int
        ``(*layer_dims, m)`` checked when the module defines no ``layers_dims`` of that depth.
    options : mapping
        ``lambd`` and ``keep_prob`` as the notebook uses them.
    required : tuple of str
        Keywords that must be found (the others of ``functions`` are optional).
    instead_of : str or None
        Checked only when the module lacks this notebook's functions (Week 4's two-layer model is
        made of the functions its ``L_model_*`` are made of).
    """

    key: str
    title: str
    functions: Mapping[str, str]
    backward: Roles | None
    layers: int | None
    shapes: tuple[tuple[int, ...], ...]
    options: Mapping[str, float] = field(default_factory=dict)
    required: tuple[str, ...] = ("forward", "backward")
    instead_of: str | None = None

    @property
    def short(self) -> str:
        """E.g. ``"Week 4, L layers"`` (Course 1's notebooks) or ``"C2 dropout"``."""
        return self.title.removeprefix("Course 1 ").replace("Course 2 Week 1, ", "C2 ")

    def describe(self, names: Sequence[str]) -> str:
        """E.g. ``"Course 1 Week 4, L layers (L_model_forward, L_model_backward, compute_cost)"``."""
        return f"{self.title} ({', '.join(names)})"


_THREE = ((4, 5, 3, 1, 6), (3, 1, 2, 1, 12), (2, 3, 3, 1, 9))  # m = 12: a width-1 ReLU layer is rarely dead
NOTEBOOKS: dict[str, Notebook] = {
    notebook.key: notebook
    for notebook in (
        Notebook(
            "week2",
            "Course 1 Week 2, logistic regression",
            {"propagate": "propagate"},
            None,
            1,
            ((4, 1, 10), (1, 1, 7), (3, 1, 1)),
            required=("propagate",),
        ),
        Notebook(
            "week3",
            "Course 1 Week 3, one hidden layer",
            {
                "forward": "forward_propagation",
                "backward": "backward_propagation",
                "compute_cost": "compute_cost",
            },
            ("parameters", "cache", "X", "Y"),
            2,
            ((2, 4, 1, 40), (5, 3, 1, 12), (3, 6, 1, 7), (3, 1, 1, 9)),
        ),
        Notebook(
            "week4",
            "Course 1 Week 4, L layers",
            {"forward": "L_model_forward", "backward": "L_model_backward", "compute_cost": "compute_cost"},
            ("A", "Y", "cache"),
            None,
            ((3, 4, 2, 1, 10), (4, 3, 1, 7), (2, 1, 3, 1, 1, 9)),
        ),
        Notebook(
            "week4_two_layer",
            "Course 1 Week 4, two-layer model",
            {
                "linear_activation_forward": "linear_activation_forward",
                "linear_activation_backward": "linear_activation_backward",
                "compute_cost": "compute_cost",
            },
            None,
            2,
            ((3, 4, 1, 10), (4, 1, 1, 7), (2, 3, 1, 9)),
            required=("linear_activation_forward", "linear_activation_backward"),
            instead_of="week4",
        ),
        Notebook(
            "gradient_checking",
            "Course 2 Week 1, gradient checking",
            {"forward": "forward_propagation_n", "backward": "backward_propagation_n"},
            ("X", "Y", "cache"),
            3,
            _THREE,
        ),
        Notebook(
            "three_layer",
            "Course 2 Week 1, the three-layer network",
            {
                "forward": "forward_propagation",
                "backward": "backward_propagation",
                "compute_cost": "compute_cost",
            },
            ("X", "Y", "cache"),
            3,
            _THREE,
        ),
        Notebook(
            "l2",
            "Course 2 Week 1, L2 regularization",
            {
                "forward": "forward_propagation",
                "backward": "backward_propagation_with_regularization",
                "compute_cost": "compute_cost_with_regularization",
            },
            ("X", "Y", "cache", "lambd"),
            3,
            _THREE,
            {"lambd": 0.7},
            ("forward", "backward", "compute_cost"),
        ),
        Notebook(
            "dropout",
            "Course 2 Week 1, dropout",
            {
                "forward": "forward_propagation_with_dropout",
                "backward": "backward_propagation_with_dropout",
                "compute_cost": "compute_cost",
            },
            ("X", "Y", "cache", "keep_prob"),
            3,
            _THREE,
            {"keep_prob": 0.86},
        ),
    )
}

_FORMS = {"forward": FORWARD_FORMS, "backward": BACKWARD_FORMS, "compute_cost": COST_FORMS}


@dataclass(frozen=True)
class Found:
    """A notebook's set of functions found in a module: the keyword arguments of
    ``verify_gradients`` (the functions and options), and whether the module defines one of them."""

    notebook: Notebook
    functions: Mapping[str, Any]
    own: bool

    @property
    def description(self) -> str:
        return self.notebook.describe([self.notebook.functions[k] for k in self.functions])


def find(module: ModuleType) -> tuple[list[Found], list[str]]:
    """The notebooks' sets of functions ``module`` defines, and why a set whose names it has does
    not fit (a function's parameters); sets it only imported are left out when it has its own."""
    found, misfits = [], []
    for notebook in NOTEBOOKS.values():
        functions = {}
        for keyword, name in notebook.functions.items():
            function = getattr(module, name, None)
            if callable(function):
                functions[keyword] = function
        if not all(k in functions for k in notebook.required):
            continue
        try:
            _fit(notebook, functions)
        except GradcheckError as error:
            misfits.append(f"{notebook.title}: {error}")
            continue
        own = any(getattr(f, "__module__", None) == module.__name__ for f in functions.values())
        found.append(Found(notebook, functions, own))
    if any(f.own for f in found):
        found = [f for f in found if f.own]
    keys = {f.notebook.key for f in found}
    return [f for f in found if f.notebook.instead_of not in keys], misfits


#: Every name a notebook's functions are found by, e.g. ``"compute_cost"``, ``"L_model_backward"``.
COURSE_NAMES: tuple[str, ...] = tuple(
    dict.fromkeys(name for notebook in NOTEBOOKS.values() for name in notebook.functions.values())
)
#: A module's function this many edits or fewer away from a missing course name is a near miss.
MAX_EDITS = 2


def near_misses(module: ModuleType) -> list[tuple[str, str]]:
    """The module's functions named almost like a course function it lacks: likely misspellings.

    A public callable of the module (not a class) whose name is not one of :data:`COURSE_NAMES`
    but at most :data:`MAX_EDITS` edits (a letter inserted, deleted, changed, or two neighbours
    swapped) from one the module does not have: ``compute_cots`` for ``compute_cost``,
    ``backward_propogation``, ``L_model_backwards``, ``compute_cost_with_regularisation``. Such a
    function is not checked, since :func:`find` goes by the exact names.

    Parameters
    ----------
    module : ModuleType

    Returns
    -------
    list of (str, str)
        ``(name in the module, the course's name)``, in the module's order; the course's name is
        the closest (the first of :data:`COURSE_NAMES` among equally close ones).
    """
    missing = [name for name in COURSE_NAMES if not callable(getattr(module, name, None))]
    misses = []
    for name, value in vars(module).items():
        if name.startswith("_") or name in COURSE_NAMES or not callable(value) or isinstance(value, type):
            continue
        edits = {expected: _edits(name, expected) for expected in missing}
        closest = min(edits, key=edits.__getitem__, default=None)
        if closest is not None and edits[closest] <= MAX_EDITS:
            misses.append((name, closest))
    return misses


def _edits(a: str, b: str) -> int:
    """Edits from ``a`` to ``b``: letters inserted, deleted or changed, neighbours swapped (the
    optimal string alignment distance); more than :data:`MAX_EDITS` is reported as that plus one."""
    if abs(len(a) - len(b)) > MAX_EDITS:
        return MAX_EDITS + 1
    before: list[int] = []
    previous = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        row = [i]
        for j, y in enumerate(b, 1):
            cost = min(previous[j] + 1, row[j - 1] + 1, previous[j - 1] + (x != y))
            if i > 1 and j > 1 and x == b[j - 2] and a[i - 2] == y:
                cost = min(cost, before[j - 2] + 1)
            row.append(cost)
        before, previous = previous, row
    return min(previous[-1], MAX_EDITS + 1)


def learner_functions(found: Found) -> dict[str, Any]:
    """``verify_gradients``' keyword arguments for a set found: its functions, composed into a
    forward and a backward pass where the notebook does that itself (Week 4's two-layer model)."""
    functions = dict(found.functions)
    if found.notebook.key == "week4_two_layer":
        forward, backward = two_layer_passes(
            functions.pop("linear_activation_forward"), functions.pop("linear_activation_backward")
        )
        functions.update(forward=forward, backward=backward)
    return functions


def two_layer_passes(
    linear_activation_forward: Callable[..., Any], linear_activation_backward: Callable[..., Any]
) -> tuple[Callable[..., Any], Callable[..., Any]]:
    """Week 4's ``two_layer_model``: LINEAR -> RELU -> LINEAR -> SIGMOID from the learner's
    ``linear_activation_forward(A_prev, W, b, activation)`` and
    ``linear_activation_backward(dA, cache, activation)``, as the notebook composes them."""

    def two_layer_forward(X: Any, parameters: Any) -> tuple[Any, Any]:
        A1, cache1 = linear_activation_forward(X, parameters["W1"], parameters["b1"], "relu")
        A2, cache2 = linear_activation_forward(A1, parameters["W2"], parameters["b2"], "sigmoid")
        return A2, (cache1, cache2)

    def two_layer_backward(AL: Any, Y: Any, caches: Any) -> dict[str, Any]:
        dA2 = -(np.divide(Y, AL) - np.divide(1 - Y, 1 - AL))
        dA1, dW2, db2 = linear_activation_backward(dA2, caches[1], "sigmoid")
        _, dW1, db1 = linear_activation_backward(dA1, caches[0], "relu")
        return {"dW1": dW1, "db1": db1, "dW2": dW2, "db2": db2}

    return two_layer_forward, two_layer_backward


def _fit(notebook: Notebook, functions: dict[str, Any]) -> None:
    """Raise :class:`GradcheckError` unless the functions take the notebook's forms; an optional
    function that fits no form (another ``compute_cost``) is dropped."""
    for keyword in list(functions):
        if keyword not in _FORMS:  # propagate, Week 4's linear_activation_*: by name
            continue
        try:
            roles, _ = roles_of(functions[keyword], keyword, _FORMS[keyword])
        except GradcheckError:
            if keyword in notebook.required:
                raise
            del functions[keyword]
            continue
        if keyword == "backward" and roles != notebook.backward:
            raise GradcheckError(
                f"{notebook.functions['backward']} takes ({', '.join(roles)}), not "
                f"({', '.join(notebook.backward or ())})"
            )


def shapes_for(
    notebook: Notebook, module: ModuleType, shapes: Sequence[tuple[int, ...]] | None
) -> list[tuple[int, ...]]:
    """The ``(*layer_dims, m)`` to check: the given ones of the notebook's depth, else the module's
    ``layers_dims`` when it has that depth, else the notebook's own."""
    depth = notebook.layers

    def fits(dims: Sequence[int]) -> bool:
        return depth is None or len(dims) == depth + 1

    if shapes is not None:
        chosen = [tuple(s) for s in shapes if fits(s[:-1]) and (notebook.key != "week2" or s[-2] == 1)]
        if chosen:
            return chosen
    dims: Any = getattr(module, "layers_dims", None)
    if _layer_dims(dims) and fits(dims) and (notebook.key != "week2" or dims[-1] == 1):
        return [(*(int(n) for n in dims), M_AT_MODULE_DIMS)]
    return list(notebook.shapes)


def _layer_dims(dims: Any) -> bool:
    return (
        isinstance(dims, list | tuple)
        and len(dims) >= 2
        and all(isinstance(n, int | np.integer) and not isinstance(n, bool) and n >= 1 for n in dims)
    )


def draw(
    notebook: Notebook, shape: tuple[int, ...], seed: int
) -> tuple[dict[str, Any], np.ndarray, np.ndarray]:
    """``(parameters, X, Y)`` at ``shape = (*layer_dims, m)``: ``X ~ N(0, 1)``, ``Y`` Bernoulli(½),
    weights ``N(0, 1.5² / n_{l-1})``, biases ``N(0, 0.5²)`` (Week 2: ``w`` and a Python float ``b``;
    Week 3: :func:`gradcheck.network.problems.reference_problem` with weights ``0.5 · N(0, 1)``)."""
    *dims, m = shape
    if notebook.key == "week3":
        problem = reference_problem(tuple(shape), get_activation("identity"), seed=seed, scale=0.5)  # type: ignore[arg-type]
        return problem.parameters, problem.X, problem.Y
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((dims[0], m))
    Y = (rng.random((dims[-1], m)) < 0.5).astype(np.float64)
    parameters: dict[str, Any] = {}
    for layer in range(1, len(dims)):
        parameters[f"W{layer}"] = (
            1.5 / np.sqrt(dims[layer - 1]) * rng.standard_normal((dims[layer], dims[layer - 1]))
        )
        parameters[f"b{layer}"] = 0.5 * rng.standard_normal((dims[layer], 1))
    if notebook.key == "week2":
        return {"w": parameters["W1"].T.copy(), "b": float(parameters["b1"][0, 0])}, X, Y
    return parameters, X, Y

"""Tests written to kill the mutants that survived ``mutmut run`` (docs/mutation.md).

Each pins a behaviour the rest of the suite did not: expected values come from autograd, from
numbers worked out by hand, or from the learner's code executed as written, never from the code
under test. The catalog of mistakes is built once, at import, to make
:data:`gradcheck.network.mistakes.CATALOG`; mutmut switches a mutant on per call, after that import,
so the tests of what builds the catalog execute the module afresh (:func:`fresh_catalog`) and look
its entries up by their public names.
"""

from __future__ import annotations

import importlib.util
import math
import re
from collections.abc import Callable
from types import ModuleType
from typing import Any

import autograd
import autograd.numpy as anp
import numpy as np
import pytest

from gradcheck.compare import block_relative_error, compare, element_relative_errors, kink_verdict, tolerance
from gradcheck.network.activations import ACTIVATIONS, get_activation
from gradcheck.network.mistakes import (
    CATALOG,
    LAMBD,
    get_mistake,
)
from gradcheck.network.two_layer import (
    PARAMETER_NAMES,
    backward,
    backward_steps,
    cost,
    forward,
    initialize_parameters,
)
from gradcheck.strategies import Problem, reference_problem
from tests.cases import as_judged

# -- independent of network/: the course's own numpy -------------------------------------------


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))


#: g and g' as the course writes them (inputs here stay within |z| < 10, where these are accurate).
COURSE_G: dict[str, tuple[Callable[[np.ndarray], np.ndarray], Callable[[np.ndarray], np.ndarray]]] = {
    "sigmoid": (_sigmoid, lambda z: _sigmoid(z) * (1.0 - _sigmoid(z))),
    "tanh": (np.tanh, lambda z: 1.0 - np.tanh(z) ** 2),
    "relu": (lambda z: np.maximum(z, 0.0), lambda z: (z > 0).astype(float)),
    "leaky_relu": (lambda z: np.where(z > 0, z, 0.01 * z), lambda z: np.where(z > 0, 1.0, 0.01)),
    "identity": (lambda z: z, np.ones_like),
}

#: The course's backward pass, one statement per line.
COURSE_BACKWARD = (
    "dZ2 = A2 - Y",
    "dW2 = np.dot(dZ2, A1.T) / m",
    "db2 = np.sum(dZ2, axis=1, keepdims=True) / m",
    "dZ1 = np.dot(W2.T, dZ2) * g_prime",
    "dW1 = np.dot(dZ1, X.T) / m",
    "db1 = np.sum(dZ1, axis=1, keepdims=True) / m",
)


def learner_backward(code: str, problem: Problem, activation: str) -> dict[str, np.ndarray]:
    """The course's backward pass with the learner's statements (``code``, ``"; "``-separated) in it.

    A statement replaces the course's line for the same variable; one that uses its own variable
    (``dW2 = dW2 * 2``) runs after the pass. The forward pass is the course's, on ``COURSE_G``.
    """
    lines = list(COURSE_BACKWARD)
    targets = [line.split(" = ")[0] for line in lines]
    for statement in code.split("; "):
        target, expression = statement.split(" = ", 1)
        if re.search(rf"\b{target}\b", expression):
            lines.append(statement)
        else:
            lines[targets.index(target)] = statement
    g, g_prime = COURSE_G[activation]
    p, X, Y = problem.parameters, problem.X, problem.Y
    Z1 = p["W1"] @ X + p["b1"]
    A1 = g(Z1)
    Z2 = p["W2"] @ A1 + p["b2"]
    namespace: dict[str, Any] = {
        "np": np,
        "X": X,
        "Y": Y,
        "m": X.shape[1],
        "lambd": 0.7,
        **p,
        "Z1": Z1,
        "A1": A1,
        "Z2": Z2,
        "A2": _sigmoid(Z2),
        "g_prime": g_prime(Z1),
        "sigmoid_derivative": COURSE_G["sigmoid"][1],
        "tanh_derivative": COURSE_G["tanh"][1],
    }
    exec("\n".join(lines), namespace)
    return {f"d{name}": namespace[f"d{name}"] for name in PARAMETER_NAMES}


def assert_same_gradients(
    got: dict[str, Any], expected: dict[str, Any], names: tuple[str, ...] = PARAMETER_NAMES
) -> None:
    for name in names:
        key = f"d{name}" if f"d{name}" in expected else name
        assert np.shape(got[f"d{name}"]) == np.shape(expected[key]), name
        np.testing.assert_allclose(got[f"d{name}"], expected[key], rtol=1e-10, atol=1e-14, err_msg=name)


def point(activation: str = "tanh", shape: tuple[int, int, int, int] = (3, 4, 1, 5)) -> Problem:
    return reference_problem(shape, get_activation(activation), seed=7, scale=0.8)


# -- network/activations.py --------------------------------------------------------------------


@pytest.mark.parametrize(("name", "alpha"), [*((name, None) for name in ACTIVATIONS), ("leaky_relu", 0.25)])
def test_the_formula_quoted_in_fixes_is_the_derivative(name: str, alpha: float | None) -> None:
    g = get_activation(name, alpha=alpha)
    Z1 = np.linspace(-3.0, 3.0, 12)  # no entry on the kink
    value = eval(g.formula, {"np": np}, {"A1": g.forward(Z1), "Z1": Z1})
    expected = autograd.elementwise_grad(g.forward)(Z1)
    np.testing.assert_allclose(np.broadcast_to(value, Z1.shape), expected, rtol=1e-12, atol=1e-15)


def test_relu_like_derivatives_of_integer_input_are_float64() -> None:
    z = np.array([-2, 3])
    for name, expected in (("relu", [0.0, 1.0]), ("leaky_relu", [0.01, 1.0])):
        derivative = get_activation(name).derivative(z)
        assert derivative.dtype == np.float64, name
        np.testing.assert_array_equal(derivative, expected)
        assert get_activation(name).derivative(z.astype(np.float32)).dtype == np.float32, name


def test_sigmoid_and_tanh_never_overflow_far_out() -> None:
    z = np.array([-800.0, -300.0, 300.0, 800.0])
    # independent values: σ'(±300) = e^-300 / (1 + e^-300)² ≈ e^-300, sech²(±300) = 1 / cosh²(300);
    # at ±800 both are below the smallest float64
    expected = {
        "sigmoid": np.array([0.0, np.exp(-300.0), np.exp(-300.0), 0.0]),
        "tanh": np.array([0.0, np.cosh(300.0) ** -2, np.cosh(300.0) ** -2, 0.0]),
    }
    with np.errstate(over="raise", invalid="raise"):
        np.testing.assert_array_equal(get_activation("sigmoid").forward(z), [0.0, np.exp(-300.0), 1.0, 1.0])
        for name, values in expected.items():
            np.testing.assert_allclose(get_activation(name).derivative(z), values, rtol=1e-12, atol=0)


def test_alpha_with_an_already_built_activation() -> None:
    leaky = get_activation("leaky_relu", alpha=0.2)
    assert get_activation(leaky, alpha=0.2) is leaky
    message = (
        "alpha=0.3 was given with an already built 'leaky_relu' activation; "
        "pass the name instead: get_activation('leaky_relu', alpha=0.3)"
    )
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        get_activation(leaky, alpha=0.3)


def test_an_unknown_activation_lists_every_name() -> None:
    with pytest.raises(ValueError, match=r"^unknown activation 'softmax'; choose one of ") as raised:
        get_activation("softmax")
    assert str(raised.value).split("choose one of ")[1].split(", ") == sorted(ACTIVATIONS)


# -- network/two_layer.py ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("bad", "shown"),
    [({"n_x": 0}, "0"), ({"n_y": -1}, "-1"), ({"n_h": True}, "True"), ({"n_x": 2.0}, "2.0")],
)
def test_layer_sizes_must_be_positive_integers(bad: dict[str, Any], shown: str) -> None:
    sizes = {"n_x": 3, "n_h": 4, "n_y": 2, **bad}
    (name,) = bad
    with pytest.raises(ValueError, match=f"^{name} must be a positive integer, got {shown}$"):
        initialize_parameters(sizes["n_x"], sizes["n_h"], sizes["n_y"], seed=0)


def test_labels_of_another_shape_are_refused() -> None:
    message = "Y has shape (3,) but A2 has shape (2, 3); Y must be (n_y, m)"
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        cost(np.full((2, 3), 0.5), np.ones(3))


def test_the_default_activation_is_tanh() -> None:
    problem = point("tanh", (3, 4, 2, 5))
    p, X, Y = problem.parameters, problem.X, problem.Y
    Z1 = p["W1"] @ X + p["b1"]
    A2, cache = forward(X, p)
    np.testing.assert_allclose(A2, _sigmoid(p["W2"] @ np.tanh(Z1) + p["b2"]), rtol=1e-12)
    assert_same_gradients(backward(p, cache, X, Y), autograd.grad(problem.cost)(p))
    np.testing.assert_allclose(backward_steps(p, cache, X, Y)["g_prime"], 1.0 - np.tanh(Z1) ** 2, rtol=1e-12)


# -- network/mistakes.py: the catalog against the code learners write ---------------------------

#: Entries whose ``wrote`` is not one runnable line, and why.
NOT_CODE = {
    "missing_1_over_m_everywhere": "sums up four lines",
    "sum_cost_mean_gradients": "is the cost line",
    "l2_missing": "says what the line lacks",
}
#: ``wrote`` shows the dW1 line; the dW2 line has the same mistake.
SHOWN_FOR_DW1_ONLY = {"l2_without_1_over_m"}


def test_every_catalog_entry_is_run_as_written_or_says_why_not() -> None:
    assert set(NOT_CODE) | SHOWN_FOR_DW1_ONLY <= {mistake.name for mistake in CATALOG}


@pytest.mark.parametrize("name", [m.name for m in CATALOG if m.name not in NOT_CODE])
def test_what_the_learner_wrote_gives_the_entrys_gradients(name: str) -> None:
    mistake = fresh_catalog().get_mistake(name)
    for activation in mistake.activations:
        problem = point(activation)
        wrote = mistake.describe(activation)[1]
        names = ("W1", "b1", "b2") if mistake.name in SHOWN_FOR_DW1_ONLY else PARAMETER_NAMES
        assert_same_gradients(
            learner_backward(wrote, problem, activation),
            mistake.at(problem.parameters, problem.X, problem.Y, activation),
            names,
        )


def test_where_a_variant_is_correct_code_it_does_not_apply() -> None:
    for activation in ACTIVATIONS:
        problem = point(activation)
        right = autograd.grad(problem.cost)(problem.parameters)
        for mistake in CATALOG:
            learner = autograd.grad(mistake.cost_fn(problem.X, problem.Y, activation))(problem.parameters)
            grads = mistake.at(problem.parameters, problem.X, problem.Y, activation)
            judged = {n: as_judged(grads[f"d{n}"], problem.parameters[n]) for n in PARAMETER_NAMES}
            differs = any(  # a harmless shape (db2 of shape (1,) for n_y = 1) is judged by its values
                np.shape(judged[n]) != np.shape(learner[n])
                or not np.allclose(judged[n], learner[n], rtol=1e-9, atol=1e-12)
                or not np.allclose(judged[n], right[n], rtol=1e-9, atol=1e-12)
                for n in PARAMETER_NAMES
            )
            aliased = None in mistake.alias(problem.shape)[0]
            if not differs:
                assert aliased or not mistake.applies(activation, problem.shape), (mistake.name, activation)
            elif mistake.applies(activation, problem.shape):
                assert not aliased, (mistake.name, activation)


def test_multiply_for_dot_applies_only_where_the_learners_code_runs() -> None:
    mistake = get_mistake("multiply_for_dot")
    assert mistake.applies("tanh")
    for shape in ((3, 4, 1, 5), (3, 4, 2, 5), (2, 3, 3, 4)):
        _, n_h, n_y, m = shape
        try:
            np.multiply(np.ones((n_h, n_y)), np.ones((n_y, m)))
            runs = True
        except ValueError:
            runs = False
        assert mistake.applies("tanh", shape) == runs, shape


@pytest.mark.parametrize("m", [1, 2, 3, 4, 5])
def test_a_1_over_m_mistake_is_correct_code_exactly_when_m_is_1(m: int) -> None:
    problem = point("sigmoid", (3, 4, 1, m))
    _, cache = forward(problem.X, problem.parameters, "sigmoid")
    right_code = backward(problem.parameters, cache, problem.X, problem.Y, "sigmoid")
    right = autograd.grad(problem.cost)(problem.parameters)
    for mistake in CATALOG:
        if mistake.code not in ("missing_1_over_m", "extra_1_over_m"):
            continue
        learner = autograd.grad(mistake.cost_fn(problem.X, problem.Y, "sigmoid"))(problem.parameters)
        grads = mistake.at(problem.parameters, problem.X, problem.Y, "sigmoid")
        identical = all(
            np.array_equal(grads[f"d{n}"], right_code[f"d{n}"])
            and np.allclose(learner[n], right[n], rtol=1e-12, atol=1e-15)
            for n in PARAMETER_NAMES
        )
        assert identical == (m == 1), mistake.name
        expected = ((None,), "m = 1: dividing by m changes nothing") if m == 1 else ((), "")
        assert mistake.alias(problem.shape) == expected, mistake.name


@pytest.mark.parametrize("m", [1, 2, 3, 4, 5])
def test_the_course_planted_bug_is_a_missing_1_over_m_where_its_factor_is_m(m: int) -> None:
    problem = point("tanh", (3, 4, 1, m))
    planted = get_mistake("course_planted_2_and_4")
    grads = planted.at(problem.parameters, problem.X, problem.Y, "tanh")
    _, cache = forward(problem.X, problem.parameters, "tanh")
    right = backward(problem.parameters, cache, problem.X, problem.Y, "tanh")
    # W2 doubled, b1 quadrupled: a missing 1/m in that block exactly when m is its factor
    factor_is_m = any(np.array_equal(grads[f"d{n}"], m * right[f"d{n}"]) for n in ("W2", "b1"))
    assert factor_is_m == (m in (2, 4))
    expected = (
        (("missing_1_over_m",), f"m = {m}: a factor of {m} is also a missing 1/m")
        if factor_is_m
        else ((), "")
    )
    assert planted.alias(problem.shape) == expected


def test_an_unknown_mistake_lists_the_whole_catalog() -> None:
    with pytest.raises(KeyError) as raised:
        get_mistake("no_such_mistake")
    message = raised.value.args[0]
    assert message.startswith("no mistake 'no_such_mistake' in the catalog; it has ")
    assert message.split("it has ")[1].split(", ") == [mistake.name for mistake in CATALOG]


# -- network/mistakes.py: the builders, run afresh (the package ran them at import) --------------


def fresh_catalog() -> ModuleType:
    """``gradcheck.network.mistakes`` executed anew: its catalog built now, by the code as it is now.

    The package builds its catalog once, at import; mutmut switches a mutant on per call, after
    that import, so only a catalog built inside the test shows a mutant of the code that builds it.
    """
    spec = importlib.util.find_spec("gradcheck.network.mistakes")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def gradients_of(mistake: str, problem: Problem, activation: str) -> dict[str, Any]:
    """The freshly built catalog entry's gradients at the problem's point."""
    entry = fresh_catalog().get_mistake(mistake)
    return entry.at(problem.parameters, problem.X, problem.Y, activation)  # type: ignore[no-any-return]


@pytest.mark.parametrize(
    ("name", "wrote", "fix"),
    [
        ("W1", "dW1 = np.dot(dZ1, X.T)", "dW1 = np.dot(dZ1, X.T) / m"),
        ("b1", "db1 = np.sum(dZ1, axis=1, keepdims=True)", "db1 = np.sum(dZ1, axis=1, keepdims=True) / m"),
        ("W2", "dW2 = np.dot(dZ2, A1.T)", "dW2 = np.dot(dZ2, A1.T) / m"),
        ("b2", "db2 = np.sum(dZ2, axis=1, keepdims=True)", "db2 = np.sum(dZ2, axis=1, keepdims=True) / m"),
    ],
)
def test_missing_1_over_m_entries(name: str, wrote: str, fix: str) -> None:
    problem = point("tanh")
    right = autograd.grad(problem.cost)(problem.parameters)
    key = f"missing_1_over_m_d{name}"
    for mistake in (fresh_catalog().get_mistake(key), get_mistake(key)):
        assert (mistake.name, mistake.code, mistake.blocks) == (key, "missing_1_over_m", (name,))
        assert mistake.describe("tanh") == (f"d{name} lacks its 1/m", wrote, fix)
        assert (
            set(mistake.activations) == set(ACTIVATIONS)
            and mistake.cost is None
            and mistake.runs((3, 4, 2, 5))
        )
        assert_same_gradients(
            mistake.at(problem.parameters, problem.X, problem.Y, "tanh"),
            learner_backward(wrote, problem, "tanh"),
        )
        assert_same_gradients(learner_backward(fix, problem, "tanh"), right)
        assert mistake.alias((3, 4, 1, 1)) == ((None,), "m = 1: dividing by m changes nothing")
        assert mistake.alias((3, 4, 1, 5)) == ((), "")


def test_scaled_entries_multiply_the_named_gradients_by_their_factors() -> None:
    """A constant factor per block (the course's planted bug) and a factor of m (every block)."""
    problem = point("sigmoid")
    m = problem.shape[3]
    right = autograd.grad(problem.cost)(problem.parameters)
    assert_same_gradients(
        gradients_of("course_planted_2_and_4", problem, "sigmoid"),
        {**right, "W2": 2.0 * right["W2"], "b1": 4.0 * right["b1"]},
    )
    assert_same_gradients(
        gradients_of("missing_1_over_m_everywhere", problem, "sigmoid"),
        {name: m * right[name] for name in PARAMETER_NAMES},
    )


def test_entries_that_replace_a_step_build_it_from_the_point() -> None:
    """``dZ2 = Y - A2`` flips every gradient; ``dZ2 = (A2 - Y) / m`` divides every one by m."""
    problem = point("relu")
    m = problem.shape[3]
    right = autograd.grad(problem.cost)(problem.parameters)
    assert_same_gradients(
        gradients_of("sign_flipped_dZ2", problem, "relu"), {n: -right[n] for n in PARAMETER_NAMES}
    )
    assert_same_gradients(
        gradients_of("extra_1_over_m_everywhere", problem, "relu"), {n: right[n] / m for n in PARAMETER_NAMES}
    )


def test_entries_that_replace_one_block_compute_it_from_the_point_and_the_right_steps() -> None:
    """``np.dot(X, dZ1.T) / m`` is the right dW1 transposed, and ``np.sum(dZ1, axis=1) / m`` the
    right db1 without its second axis; the other blocks stay right."""
    problem = point("tanh")
    right = autograd.grad(problem.cost)(problem.parameters)
    assert_same_gradients(gradients_of("transposed_dW1", problem, "tanh"), {**right, "W1": right["W1"].T})
    assert_same_gradients(
        gradients_of("no_keepdims_db1", problem, "tanh"), {**right, "b1": right["b1"].reshape(-1)}
    )


def test_the_l2_entry_without_1_over_m_adds_lambda_times_the_weights() -> None:
    problem = point("leaky_relu")

    def l2_cost(p: dict[str, Any]) -> Any:
        # λ W is the gradient of (λ / 2)(‖W1‖² + ‖W2‖²)
        return problem.cost(p) + LAMBD / 2.0 * (anp.sum(p["W1"] ** 2) + anp.sum(p["W2"] ** 2))

    assert_same_gradients(
        gradients_of("l2_without_1_over_m", problem, "leaky_relu"),
        autograd.grad(l2_cost)(problem.parameters),
    )


@pytest.mark.parametrize(
    ("mistake", "n", "k", "what"), [("transposed_dW1", 0, 1, "W1"), ("transposed_dW2", 1, 2, "W2")]
)
def test_a_transpose_is_an_alias_only_for_a_1_by_1_matrix(mistake: str, n: int, k: int, what: str) -> None:
    """W1 is ``(n_h, n_x)`` and W2 ``(n_y, n_h)``: shape entries ``n`` and ``k`` of ``(n_x, n_h, n_y, m)``."""
    alias = fresh_catalog().get_mistake(mistake).alias
    for rows, columns in ((1, 1), (2, 1), (1, 2), (2, 2)):
        shape = [2, 2, 2, 3]
        shape[n], shape[k] = rows, columns
        expected = (
            ((None,), f"{what} is 1 x 1: its transpose is itself") if rows == columns == 1 else ((), "")
        )
        assert alias(tuple(shape)) == expected, shape


# -- gradcheck/compare.py ------------------------------------------------------------------------


def test_block_relative_error_of_float32_blocks_is_computed_in_float64() -> None:
    a = np.array([0.1, 0.2, 0.3], dtype=np.float32)
    n = np.array([0.1, 0.2, 0.31], dtype=np.float32)
    A, N = [float(x) for x in a], [float(x) for x in n]
    # float32 norms are off by ~1e-8 here
    expected = math.dist(A, N) / (math.hypot(*A) + math.hypot(*N))
    assert block_relative_error(a, n) == pytest.approx(expected, rel=1e-14)


def test_element_errors_of_entries_below_1() -> None:
    errors = element_relative_errors(np.array([0.1, 0.0, -0.25]), np.array([0.3, 0.0, 0.25]))
    np.testing.assert_allclose(errors, [0.2 / 0.4, 0.0, 1.0], rtol=1e-15)


def test_element_errors_of_infinite_entries_are_nan_without_a_warning() -> None:
    # inf against anything: |a - n| / (|a| + |n|) is inf / inf or NaN / inf, NaN, which is not a pass
    with np.errstate(all="raise"):
        errors = element_relative_errors(np.array([np.inf, 1.0, np.inf]), np.array([np.inf, 3.0, 1.0]))
    assert np.isnan(errors[0]) and np.isnan(errors[2])
    assert errors[1] == 0.5


def test_tolerance_by_hand() -> None:
    # τ = safety (e + ε_a (|a| + max(G, 1)))
    analytic, error = np.array([2.0, -3.0]), np.array([0.5, 0.0])
    small = tolerance(analytic, error, analytic_eps=0.25, scale=0.5, safety=2.0)
    np.testing.assert_array_equal(small, [2 * (0.5 + 0.25 * 3), 2 * (0.25 * 4)])
    large = tolerance(analytic, error, analytic_eps=0.25, scale=4.0, safety=2.0)
    np.testing.assert_array_equal(large, [2 * (0.5 + 0.25 * 6), 2 * (0.25 * 7)])


def test_compare_reports_the_largest_difference_when_nothing_fails() -> None:
    a = np.array([[1.0, 2.0], [3.0, 4.0]])
    n = np.array([[1.0, 2.5], [3.0, 2.0]])
    result = compare(a, n, np.inf)
    assert result.n_failed == 0
    assert result.worst_index == (1, 1)
    assert (result.worst_analytic, result.worst_other, result.worst_tolerance) == (4.0, 2.0, np.inf)
    assert result.worst_relative_error == pytest.approx(2.0 / 6.0, rel=1e-15)
    assert result.relative_error == pytest.approx(math.hypot(0.5, 2.0) / (math.sqrt(30.0) + 4.5), rel=1e-15)


def test_compare_reports_the_entry_most_beyond_its_tolerance() -> None:
    # |a - n| / τ = 2, 6 and 1.25: the second entry, though the third differs most
    result = compare(np.zeros(3), np.array([0.2, 0.3, 0.5]), np.array([0.1, 0.05, 0.4]))
    assert result.n_failed == 3 and result.worst_index == (1,)
    assert (result.worst_other, result.worst_tolerance) == (0.3, 0.05)


def test_compare_with_zero_tolerances_is_exact_and_warns_of_nothing() -> None:
    # a difference where τ = 0 is infinitely beyond it; 0 / 0 is never computed
    with np.errstate(all="raise"):
        result = compare(np.zeros(3), np.array([0.0, 1e-20, 5.0]), np.array([0.0, 0.0, 1.0]))
    assert result.failed.tolist() == [False, True, True]
    assert result.worst_index == (1,)


def kink(analytic: float, left: float, right: float, errors: float = 0.0, **rule: float) -> tuple[bool, bool]:
    options = {"analytic_eps": 0.0, "scale": 0.0, "safety": 1.0, **rule}
    kink, excess = kink_verdict(analytic, left, right, errors, errors, **options)
    return kink, excess <= 1.0


def test_kink_needs_one_sided_derivatives_beyond_ten_times_their_errors() -> None:
    assert kink(0.0, -1.0, 1.0, 0.001)[0]  # slopes -1 and 1: opposite, not equal
    assert not kink(0.0, 0.0, 0.0)[0]  # equal slopes, exact: no kink
    assert not kink(0.0, 0.0, 1.25, 0.0625)[0]  # |R - L| = 1.25 = 10 (e_L + e_R): not beyond
    assert kink(0.0, 0.0, 1.25, 0.0624)[0]
    assert not kink(0.0, 0.0, 1.0, 0.06)[0]
    for bad in (math.nan, math.inf):
        assert not kink(bad, 0.0, 1.0)[0]
        assert not kink(0.0, bad, 1.0)[0]


def test_kink_accepts_the_one_sided_derivatives_themselves_and_its_slack() -> None:
    assert kink(0.0, 0.0, 1.0) == (True, True)  # at L exactly
    assert kink(1.0, 0.0, 1.0) == (True, True)  # at R exactly
    assert kink(-1e-300, 0.0, 1.0) == (True, False)
    # slack = ε_a (|a| + max(G, 1)) with ε_a = 1/16, G = 1/2: 0.133 at a = 1.13, 0.134 at a = 1.14
    assert kink(1.13, 0.0, 1.0, analytic_eps=0.0625, scale=0.5) == (True, True)
    assert kink(1.14, 0.0, 1.0, analytic_eps=0.0625, scale=0.5) == (True, False)

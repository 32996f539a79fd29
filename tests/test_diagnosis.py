"""Diagnosis, tested by mutation: every catalog mistake, under every activation it applies to, on
hypothesis-drawn shapes and points, must be flagged on the gradients it changes with its own code.

What a mistake changes is decided independently of the checker: the mistake's gradients are
compared with autograd's gradient of the learner's cost (:meth:`Mistake.cost_fn`).
"""

from __future__ import annotations

import autograd
import numpy as np
import pytest
from hypothesis import assume, given, note, settings
from hypothesis import strategies as st

from gradcheck import DIAGNOSIS_CODES, GradcheckError, verify_gradients
from gradcheck.network.activations import get_activation
from gradcheck.network.mistakes import CATALOG, Context, Mistake, get_mistake
from gradcheck.network.two_layer import PARAMETER_NAMES, backward, forward
from gradcheck.strategies import Problem, activations, network_shapes, problems, reference_problem
from tests.cases import as_judged

#: Codes the generic route (any cost: no X, Y) can reach; the others need the catalog and X, Y.
GENERIC = {
    "missing_1_over_m",
    "extra_1_over_m",
    "sign_flipped",
    "scaled",
    "transposed",
    "shape_mismatch",
    "zero_gradient",
    "missing_regularization",
}
FACTORS = {"missing_1_over_m", "extra_1_over_m", "sign_flipped", "scaled"}
#: Without X, Y a change must also exceed this (absolute): ~40x the pass rule's tolerance for a
#: float64 cost of order 1 (100 σ/h with σ = 2e-16 and h = 6e-6), which finite differences resolve.
FD_FLOOR = 1e-7
#: A block is visibly changed beyond this fraction of the gradient's scale; identical below IDENTICAL.
VISIBLE, IDENTICAL = 1e-6, 1e-12
#: A fifth of the profile's examples per mistake (at least 10): 27 mistakes share the budget.
EXAMPLES = max(10, settings().max_examples // 5)

shapes = network_shapes(max_n_x=4, max_n_h=4, max_n_y=3, max_m=8)


def configurations(mistake: Mistake) -> st.SearchStrategy[Problem]:
    """Points where the mistake applies, weights large enough that g' differs from its approximations."""
    shape_filter = shapes.filter(mistake.runs)
    return problems(shape_filter, activations(mistake.activations), scales=st.floats(0.3, 1.5))


def changed_blocks(
    mistake: Mistake, problem: Problem, floor: float = 0.0
) -> tuple[dict[str, str], dict[str, np.ndarray], dict[str, bool]]:
    """Per parameter: "visible", "identical" or "borderline", from autograd of the learner's cost
    (a harmless shape compared reshaped, a wrong one "visible"); the mistake's gradients; and whether
    each is a constant multiple of the right one."""
    cost_fn = mistake.cost_fn(problem.X, problem.Y, problem.activation)
    exact = autograd.grad(cost_fn)({k: v.copy() for k, v in problem.parameters.items()})
    grads = mistake.at(problem.parameters, problem.X, problem.Y, problem.activation)
    scale = max(float(np.max(np.abs(g))) for g in exact.values())
    kinds, proportional = {}, {}
    for name in PARAMETER_NAMES:
        v = as_judged(grads[f"d{name}"], problem.parameters[name])  # (1,) for (1, 1): its values decide
        proportional[name] = False
        if v.shape != exact[name].shape:
            kinds[name] = "visible"
            continue
        norms = float(np.linalg.norm(v) * np.linalg.norm(exact[name]))
        proportional[name] = bool(norms) and abs(float(np.sum(v * exact[name]))) >= (1 - 1e-9) * norms
        gap = float(np.max(np.abs(v - exact[name])))
        visible = gap > max(VISIBLE * scale, floor)
        kinds[name] = "visible" if visible else "identical" if gap <= IDENTICAL * scale else "borderline"
    return kinds, grads, proportional


def check(mistake: Mistake, problem: Problem, *, with_data: bool) -> None:
    # finite differences alone resolve about 1e-9 absolute at these costs' scale (the pass rule's
    # tolerance): without the exact reference, smaller changes are out of any checker's reach
    kinds, grads, proportional = changed_blocks(mistake, problem, floor=0.0 if with_data else FD_FLOOR)
    assume(any(kind == "visible" for kind in kinds.values()) or mistake.code is None)
    cost_fn = mistake.cost_fn(problem.X, problem.Y, problem.activation)
    XY = (problem.X, problem.Y) if with_data else (None, None)
    report = verify_gradients(
        cost_fn,
        problem.parameters,
        grads,
        *XY,
        activation=problem.activation if with_data else None,
        m=problem.shape[3],
    )
    note(str(report))
    aliases, _ = mistake.alias(problem.shape)
    expected = {mistake.code, *aliases}
    if not with_data and mistake.code not in GENERIC:
        expected.add("unknown")  # g' and Z-for-A mistakes are named from the catalog, which needs X, Y
    accepted = set(expected)
    for name, kind in kinds.items():
        result = report[name]
        codes = set(expected)
        # where the numbers themselves say something else, that is a right answer of the generic route
        # (the catalog, when it matches, still names the mistake itself)
        if not np.any(grads[f"d{name}"]):
            codes.add("zero_gradient")  # e.g. ReLU's g' where every Z1 < 0
        if proportional[name]:
            codes |= FACTORS  # e.g. g'(Z1) when m = n_h = 1: a wrong step every entry shares is a factor
        accepted |= codes
        if kind == "visible":
            assert not result.passed, f"{mistake.name}: d{name} changed but passed"
            assert result.diagnosis is not None and result.diagnosis.code in codes, (
                f"{mistake.name}: d{name} diagnosed {result.diagnosis}, expected one of {codes}"
            )
        elif kind == "identical":
            assert result.passed, f"{mistake.name}: d{name} is unchanged but failed"
            assert result.diagnosis is None or result.diagnosis.code == "kink"
    if mistake.code is not None and not report.passed:
        assert report.diagnosis is not None
        assert report.diagnosis.code in accepted | {"unknown", "several"}  # several: each its own


CODED = [mistake for mistake in CATALOG if mistake.code is not None]


@pytest.mark.parametrize("with_data", [True, False], ids=["with_data", "for_any_cost"])
@pytest.mark.parametrize("mistake", CODED, ids=lambda m: m.name)
def test_each_mistake_is_named(mistake: Mistake, with_data: bool) -> None:
    """With X and Y (the learner's situation) the catalog is matched at the learner's point; for any
    cost, factors, shapes, zeros and L2 terms are still named and the rest is ``unknown``."""

    @settings(max_examples=EXAMPLES)
    @given(configurations(mistake))
    def run(problem: Problem) -> None:
        check(mistake, problem, with_data=with_data)

    run()


@settings(max_examples=EXAMPLES)
@given(problems(shapes.filter(lambda s: s[2] == 1), activations()))
def test_multiply_for_dot_is_an_alias_when_n_y_is_1(problem: Problem) -> None:
    mistake = get_mistake("multiply_for_dot")
    grads = mistake.at(problem.parameters, problem.X, problem.Y, problem.activation)
    report = verify_gradients(problem.cost, problem.parameters, grads, problem.X, problem.Y)
    assert report.passed and report.diagnosis is None


@settings(max_examples=EXAMPLES)
@given(
    problems(shapes, activations(("sigmoid", "tanh", "identity", "relu")), scales=st.floats(0.3, 1.5)),
    st.booleans(),
)
def test_correct_code_gets_no_diagnosis(problem: Problem, with_data: bool) -> None:
    XY = (problem.X, problem.Y) if with_data else (None, None)
    report = verify_gradients(problem.cost, problem.parameters, problem.gradients(), *XY, m=problem.shape[3])
    assert report.passed and report.diagnosis is None
    assert all(r.diagnosis is None or r.diagnosis.code == "kink" for r in report)


# -- the catalog itself, against autograd ------------------------------------------------------


@pytest.mark.parametrize("mistake", CATALOG, ids=lambda m: m.name)
def test_catalog_entries_change_exactly_their_blocks(mistake: Mistake) -> None:
    """At a generic point, a mistake changes the blocks it lists and no other (checked with autograd).
    With one output a (1,) db2 is a harmless shape, correct code: no_keepdims_db2's point has two."""
    shape = (3, 4, 2, 5) if mistake.name == "no_keepdims_db2" else (3, 4, 1, 5)
    activations = [get_activation(name) for name in mistake.activations]
    if "leaky_relu" in mistake.activations:  # a slope of its own: the default 0.01 is then a mistake
        activations.append(get_activation("leaky_relu", alpha=0.2))
    for g in activations:
        if not mistake.applies(g):
            continue
        problem = reference_problem(shape, g, seed=11, scale=0.8)
        kinds, _, _ = changed_blocks(mistake, problem)
        assert {n for n, kind in kinds.items() if kind == "visible"} == set(mistake.blocks), g
        assert all(kinds[n] == "identical" for n in PARAMETER_NAMES if n not in mistake.blocks), g
        assert mistake.code is None or mistake.code in DIAGNOSIS_CODES


def test_the_right_steps_are_the_reference_backward() -> None:

    problem = reference_problem((2, 3, 2, 4), get_activation("tanh"), seed=0, scale=1.0)
    _, cache = forward(problem.X, problem.parameters, "tanh")
    right = Context(problem.parameters, cache, problem.X, problem.Y, get_activation("tanh")).right()
    for key, value in backward(problem.parameters, cache, problem.X, problem.Y, "tanh").items():
        np.testing.assert_array_equal(right[key], value)


def test_unknown_mistake_name_lists_the_catalog() -> None:
    with pytest.raises(KeyError, match="derivative_is_A1"):
        get_mistake("no_such_mistake")


# -- what a learner reads ----------------------------------------------------------------------


def learner_report(mistake: str, activation: str = "tanh", m: int = 7, with_data: bool = True):  # type: ignore[no-untyped-def]

    problem = reference_problem((3, 4, 1, m), get_activation(activation), seed=3, scale=0.7)
    entry = get_mistake(mistake)
    grads = entry.at(problem.parameters, problem.X, problem.Y, activation)
    XY = (problem.X, problem.Y) if with_data else (None, None)
    return verify_gradients(
        entry.cost_fn(problem.X, problem.Y, activation), problem.parameters, grads, *XY, m=m
    )


def test_message_names_what_where_and_the_fix_for_a_wrong_derivative() -> None:
    report = learner_report("derivative_is_A1")
    message = report["dW1"].diagnosis.message
    assert "your g'(Z1) is A1" in message
    assert "For the tanh hidden layer g'(Z1) = (1 - np.power(A1, 2))" in message
    assert "Fix: dZ1 = np.dot(W2.T, dZ2) * (1 - np.power(A1, 2))" in message
    assert "dW1, db1" in message
    assert report.diagnosis.code == "wrong_activation_derivative"
    assert str(report).splitlines()[1].startswith("Likely mistake (wrong_activation_derivative)")


def test_message_gives_m_for_a_missing_1_over_m() -> None:
    report = learner_report("missing_1_over_m_dW2", m=7)
    message = report["dW2"].diagnosis.message
    assert "dW2 is exactly m = 7 times too large" in message
    assert "Fix: dW2 = np.dot(dZ2, A1.T) / m" in message
    assert report["dW1"].diagnosis is None


def test_message_gives_lambda_for_a_missing_l2_term() -> None:
    report = learner_report("l2_missing", m=7, with_data=False)
    message = report["dW1"].diagnosis.message
    assert "λ/m = 0.1 (λ = 0.7 with m = 7)" in message
    assert report["db1"].passed and report["db2"].passed


def test_factor_without_m_is_scaled_with_a_hint() -> None:
    problem = reference_problem((3, 4, 1, 7), get_activation("tanh"), seed=3, scale=0.7)
    grads = get_mistake("missing_1_over_m_dW2").at(problem.parameters, problem.X, problem.Y, "tanh")
    report = verify_gradients(problem.cost, problem.parameters, grads)
    diagnosis = report["dW2"].diagnosis
    assert diagnosis.code == "scaled" and "exactly 7 times" in diagnosis.message
    assert "If you have m = 7 examples, a 1/m is missing" in diagnosis.message


def test_every_gradient_scaled_is_summed_up_in_one_line() -> None:
    report = learner_report("sum_cost_mean_gradients", m=5)
    assert report.diagnosis.code == "extra_1_over_m"
    assert "the cost is a sum" in report.diagnosis.message
    assert report.to_dict()["diagnosis"]["code"] == "extra_1_over_m"


def test_two_mistakes_are_both_named() -> None:

    problem = reference_problem((3, 4, 1, 6), get_activation("tanh"), seed=5, scale=0.7)
    grads = get_mistake("derivative_is_A1").at(problem.parameters, problem.X, problem.Y, "tanh")
    grads["dW2"] = grads["dW2"] * 6  # and a missing 1/m in dW2
    report = verify_gradients(problem.cost, problem.parameters, grads, problem.X, problem.Y)
    codes = {r.name: r.diagnosis.code for r in report.failed}
    assert codes == {
        "W1": "wrong_activation_derivative",
        "b1": "wrong_activation_derivative",
        "W2": "missing_1_over_m",
    }
    assert report.diagnosis.code == "several" and "Several mistakes" in report.diagnosis.message


def test_unexplained_error_is_located() -> None:

    problem = reference_problem((3, 4, 1, 6), get_activation("tanh"), seed=5, scale=0.7)
    grads = problem.gradients()
    grads["dW1"] = grads["dW1"].copy()
    grads["dW1"][2, :] += 0.05  # one hidden unit's row wrong
    report = verify_gradients(problem.cost, problem.parameters, grads, problem.X, problem.Y)
    diagnosis = report["dW1"].diagnosis
    assert diagnosis.code == "unknown"
    assert "whole rows [2] of W1" in diagnosis.message and "3 of 12 entries are off" in diagnosis.message


def test_sum_over_the_wrong_axis_is_not_called_a_transpose_when_n_y_equals_m() -> None:
    # n_y = m: the wrong axis gives (1, 3) where (3, 1) belongs, the shape of a transpose

    problem = reference_problem((2, 3, 3, 3), get_activation("tanh"), seed=2, scale=0.7)
    grads = get_mistake("sum_wrong_axis_db2").at(problem.parameters, problem.X, problem.Y, "tanh")
    report = verify_gradients(problem.cost, problem.parameters, grads, problem.X, problem.Y)
    assert report["db2"].diagnosis.code == "shape_mismatch"
    assert "wrong axis" in report["db2"].diagnosis.message


def test_m_must_agree_with_X() -> None:

    problem = reference_problem((2, 3, 1, 4), get_activation("tanh"), seed=2, scale=0.7)
    with pytest.raises(GradcheckError, match="m=5 but X has 4 examples"):
        verify_gradients(problem.cost, problem.parameters, problem.gradients(), problem.X, problem.Y, m=5)
    with pytest.raises(GradcheckError, match="positive integer"):
        verify_gradients(problem.cost, problem.parameters, problem.gradients(), m=0)


@pytest.mark.parametrize(
    ("mistake", "codes"),
    [
        ("missing_1_over_m_dW1", {"W1": "missing_1_over_m"}),
        ("sign_flipped_dZ2", dict.fromkeys(PARAMETER_NAMES, "sign_flipped")),
        ("l2_missing", {"W1": "missing_regularization", "W2": "missing_regularization"}),
        ("course_planted_2_and_4", {"W2": "scaled", "b1": "scaled"}),
    ],
)
def test_generic_route_in_directional_mode(mistake: str, codes: dict[str, str]) -> None:
    """Without X, Y and with only random directions plus the entries group testing samples, the
    factor or L2 term is still measured (1 x 1 blocks seen along directions are still one value)."""
    problem = reference_problem((30, 20, 1, 50), get_activation("tanh"), seed=1, scale=0.5)
    entry = get_mistake(mistake)
    grads = entry.at(problem.parameters, problem.X, problem.Y, "tanh")
    cost_fn = entry.cost_fn(problem.X, problem.Y, "tanh")
    report = verify_gradients(cost_fn, problem.parameters, grads, mode="directional", m=50)
    assert {r.name: r.diagnosis.code for r in report.failed if r.diagnosis} == codes, str(report)
    assert all(r.mode == "directional" for r in report)


def test_with_x_and_y_but_no_reference_network_a_failure_gets_the_generic_diagnosis() -> None:
    """X and Y are given, but the cost is not the reference network: no catalog to match, only
    the generic diagnosis (here: the gradient is twice the right one on every entry)."""
    w = np.random.default_rng(0).uniform(0.5, 1.5, size=(3, 4))

    def cost_fn(p):  # type: ignore[no-untyped-def]
        return np.sum(p["w"] ** 3) / 3.0

    X, Y = np.ones((2, 5)), np.zeros((1, 5))
    report = verify_gradients(cost_fn, {"w": w}, {"dw": 2 * w**2}, X=X, Y=Y)
    assert report.reference is None
    assert not report.passed and report["w"].n_failed == 12
    assert report["w"].diagnosis is not None and report["w"].diagnosis.code == "scaled"
    assert report.diagnosis is not None and report.diagnosis.code == "scaled"


def test_every_gradient_m_times_too_large_is_named_with_m_in_every_block_and_in_the_summary() -> None:
    """m = 37 > 16: a 1-entry block (db2) alone fits any factor, so only pooled with the other
    blocks, with m known, is its factor named a missing 1/m; the summary line quotes m itself."""
    m = 37
    problem = reference_problem((3, 4, 1, m), get_activation("tanh"), seed=1, scale=0.8)
    right = autograd.grad(problem.cost)({k: v.copy() for k, v in problem.parameters.items()})
    wrong = {f"d{k}": v * m for k, v in right.items()}  # the planted change: x m everywhere
    report = verify_gradients(problem.cost, problem.parameters, wrong, m=m)
    assert {r.name: r.diagnosis.code for r in report if r.diagnosis} == dict.fromkeys(
        ("W1", "b1", "W2", "b2"), "missing_1_over_m"
    ), str(report)
    assert report.diagnosis is not None and report.diagnosis.code == "missing_1_over_m"
    assert f"Every gradient is exactly m = {m} times the right one" in report.diagnosis.message


def test_diagnosis_page_covers_the_catalog() -> None:
    from pathlib import Path

    text = (Path(__file__).resolve().parents[1] / "docs" / "diagnosis.md").read_text(encoding="utf-8")
    for mistake in CATALOG:
        assert f"`{mistake.name}`" in text, mistake.name
        if mistake.code is not None:
            assert f"#### `{mistake.name}` → `{mistake.code}`" in text, (
                f"no worked example for {mistake.name}"
            )


def test_an_all_zero_gradient_is_not_pinned_on_code_the_learner_may_not_have_written() -> None:
    """A ReLU mask ``(A1 > 1)`` that no unit passes zeroes dW1 and db1, exactly as a placeholder
    ``np.zeros`` would: the diagnosis says what the numbers show, and both possible causes."""
    X = np.array([[0.3, -1.2, 0.8, 0.5, -0.4, 0.9]])  # every A1 = relu(0.8 x + 0.1) <= 1
    Y = np.array([[1.0, 0.0, 1.0, 1.0, 0.0, 1.0]])
    P = {"W1": np.array([[0.8]]), "b1": np.array([[0.1]]), "W2": np.array([[1.2]]), "b2": np.array([[-0.1]])}

    def forward(X, p):  # type: ignore[no-untyped-def]
        Z1 = p["W1"] @ X + p["b1"]
        A1 = np.maximum(0, Z1)
        A2 = 1 / (1 + np.exp(-(p["W2"] @ A1 + p["b2"])))
        return A2, {"A1": A1, "A2": A2}

    def backward(p, c, X, Y):  # type: ignore[no-untyped-def]
        m = X.shape[1]
        dZ2 = c["A2"] - Y
        dZ1 = (p["W2"].T @ dZ2) * (c["A1"] > 1)  # the bug: no A1 here exceeds 1
        dW2, db2 = dZ2 @ c["A1"].T / m, dZ2.sum(axis=1, keepdims=True) / m
        return {"dW1": dZ1 @ X.T / m, "db1": dZ1.sum(axis=1, keepdims=True) / m, "dW2": dW2, "db2": db2}

    report = verify_gradients(forward=forward, backward=backward, parameters=P, X=X, Y=Y)
    assert [r.label for r in report.failed] == ["dW1", "db1"]
    assert report.diagnosis is not None and report.diagnosis.code == "zero_gradient"
    assert "Your code computes" not in report.diagnosis.message
    assert "np.zeros" in report.diagnosis.message and "a mask or a derivative" in report.diagnosis.message


def test_a_cost_without_its_1_over_m_gets_one_fix_everywhere() -> None:
    """Every gradient 1/m of the cost's: the summary blames the cost, and no gradient's own line
    tells the learner to divide by m again."""
    problem = reference_problem((3, 4, 1, 20), get_activation("tanh"), seed=3, scale=0.5)
    m = problem.X.shape[1]  # the cost summed over the examples: m times the course's mean
    report = verify_gradients(
        lambda p: m * problem.cost(p), problem.parameters, problem.gradients(), X=problem.X, Y=problem.Y
    )
    assert report.diagnosis is not None and report.diagnosis.code == "extra_1_over_m"
    assert "cost" in report.diagnosis.message
    assert all(r.diagnosis == report.diagnosis for r in report.failed)

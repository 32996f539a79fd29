"""verify_gradients: planted bugs flagged on the right entries, both call forms, and bad calls."""

import copy
import json
from dataclasses import dataclass

import autograd
import my_course_code as course
import numpy as np
import pytest
from hypothesis import given, note
from hypothesis import strategies as st

from gradcheck import GradcheckError, verify_gradients
from gradcheck.network.two_layer import forward
from gradcheck.strategies import Problem, activations, network_shapes, problems

shapes_with_examples = network_shapes(max_m=12).filter(lambda s: s[3] >= 2)


def setup(problem: Problem):  # type: ignore[no-untyped-def]
    """The cost, the hand-derived gradients and autograd's exact ones."""
    return problem.cost, problem.gradients(), autograd.grad(problem.cost)(problem.parameters)


def assert_flags_exactly(report, grads, buggy, exact) -> None:  # type: ignore[no-untyped-def]
    """Untouched gradients pass; a planted bug fails its gradient on every entry it clearly moved.

    "Clearly" is more than 1e-6 from autograd's exact value: hundreds of times the tolerance at
    these scales. A bug can move nothing (x m on a dead ReLU unit's all-zero dW2): then nothing
    is expected to fail.
    """
    for result in report:
        key = f"d{result.name}"
        if buggy[key] is grads[key]:
            assert result.passed, str(report)
            continue
        clearly_off = np.abs(buggy[key] - exact[result.name]) > 1e-6
        if clearly_off.any():
            assert not result.passed, str(report)
            assert result.n_failed >= np.count_nonzero(clearly_off), str(report)


@given(problems(shapes=shapes_with_examples))
def test_gradient_times_m_is_flagged_on_that_gradient_only(problem: Problem) -> None:
    cost_fn, grads, exact = setup(problem)
    m = problem.X.shape[1]
    buggy = {**grads, "dW2": grads["dW2"] * m}
    note(f"seed={problem.seed} shape={problem.shape}")
    assert_flags_exactly(verify_gradients(cost_fn, problem.parameters, buggy), grads, buggy, exact)


@given(problems())
def test_sign_flip_is_flagged_everywhere(problem: Problem) -> None:
    cost_fn, grads, exact = setup(problem)
    buggy = {k: -v for k, v in grads.items()}
    assert_flags_exactly(verify_gradients(cost_fn, problem.parameters, buggy), grads, buggy, exact)


@given(problems(shapes=network_shapes().filter(lambda s: s[0] != s[1])))
def test_transposed_dW1_is_a_shape_failure_that_says_so(problem: Problem) -> None:
    cost_fn, grads, _ = setup(problem)
    report = verify_gradients(cost_fn, problem.parameters, {**grads, "dW1": grads["dW1"].T})
    assert [r.name for r in report.failed] == ["W1"]
    result = report["dW1"]
    assert result.shape == problem.parameters["W1"].shape[::-1]
    assert result.n_failed == result.size
    assert result.diagnosis is not None and result.diagnosis.code == "transposed"
    assert "dW1 = np.dot(dZ1, X.T) / m" in result.diagnosis.message


@given(problems(shapes=network_shapes().filter(lambda s: s[1] > 1)))
def test_missing_keepdims_is_a_shape_failure_even_though_values_match(problem: Problem) -> None:
    """More than one hidden unit: (n_h,) for (n_h, 1) (one unit: a harmless shape, tests/test_shapes.py)."""
    cost_fn, grads, _ = setup(problem)
    report = verify_gradients(cost_fn, problem.parameters, {**grads, "db1": grads["db1"].ravel()})
    assert [r.name for r in report.failed] == ["b1"]
    diagnosis = report["db1"].diagnosis
    assert diagnosis is not None and diagnosis.code == "shape_mismatch"
    assert "did you forget keepdims=True?" in diagnosis.message
    assert "values are right once reshaped" in diagnosis.message


@given(problems(activation=activations(("tanh",)), scales=st.floats(0.3, 2.0)))
def test_tanh_derivative_written_as_A1_is_flagged_on_layer_one(problem: Problem) -> None:
    cost_fn, grads, exact = setup(problem)
    _, cache = forward(problem.X, problem.parameters, problem.activation)
    p, X, Y = problem.parameters, problem.X, problem.Y
    m = X.shape[1]
    dZ1 = p["W2"].T @ (cache["A2"] - Y) * cache["A1"]  # the mistake: g'(Z1) written as A1
    buggy = {**grads, "dW1": dZ1 @ X.T / m, "db1": dZ1.sum(axis=1, keepdims=True) / m}
    note(f"seed={problem.seed} shape={problem.shape}")
    assert_flags_exactly(verify_gradients(cost_fn, p, buggy), grads, buggy, exact)


@given(problems())
def test_correct_gradients_pass_for_every_activation_with_autograd_as_third_opinion(problem: Problem) -> None:
    cost_fn, grads, exact = setup(problem)
    report = verify_gradients(
        cost_fn, problem.parameters, grads, problem.X, problem.Y, activation=problem.activation
    )
    assert report.passed, str(report)
    assert report.reference is not None and problem.activation.name in report.reference
    for result in report:
        assert result.diagnosis is None
        assert result.reference_error is not None and result.numeric_reference_error is not None
    # the independent opinion passes the same rule: autograd's gradient is within tolerance of FD
    assert verify_gradients(cost_fn, problem.parameters, exact).passed


@given(problems(), st.sampled_from([np.float64, np.float32]))
def test_nothing_the_caller_passes_is_modified(problem: Problem, dtype) -> None:  # type: ignore[no-untyped-def]
    cost_fn, grads, _ = setup(problem)
    parameters = {k: v.astype(dtype) for k, v in problem.parameters.items()}
    gradients = {**{k: v.astype(dtype) for k, v in grads.items()}, "dZ1": np.ones(3)}
    X, Y = problem.X.astype(dtype), problem.Y.astype(dtype)
    before = copy.deepcopy((parameters, gradients, X, Y))

    def touchy_cost(p):  # type: ignore[no-untyped-def]
        value = cost_fn(p)
        for array in p.values():  # a hostile cost that scribbles on what it is given
            array += 1.0
        return value

    with pytest.raises(GradcheckError):  # it is not deterministic as seen from outside
        verify_gradients(touchy_cost, parameters, gradients, X, Y)
    verify_gradients(cost_fn, parameters, gradients, X, Y)
    for got, want in zip((parameters, gradients), before[:2], strict=True):
        for key in want:
            assert got[key].dtype == want[key].dtype
            np.testing.assert_array_equal(got[key], want[key])
    np.testing.assert_array_equal(X, before[2])
    np.testing.assert_array_equal(Y, before[3])


@dataclass
class CoursePoint:
    """Data, parameters and the course module's own cost and gradients at one point."""

    X: np.ndarray
    Y: np.ndarray
    parameters: dict[str, np.ndarray]
    cache: dict[str, np.ndarray]
    grads: dict[str, np.ndarray]

    def cost(self, q):  # type: ignore[no-untyped-def]
        return course.compute_cost(course.forward_propagation(self.X, q)[0], self.Y)


def course_point(seed: int, n_x: int, n_h: int, m: int, *, weight_factor: float = 1.0) -> CoursePoint:
    """The course module's network at a random point; ``weight_factor`` scales its 0.01-sized weights."""
    rng = np.random.default_rng(seed)
    X, Y = rng.standard_normal((n_x, m)), (rng.random((1, m)) < 0.5).astype(float)
    p = {k: v * weight_factor for k, v in course.initialize_parameters(n_x, n_h, 1).items()}
    _, cache = course.forward_propagation(X, p)
    return CoursePoint(X, Y, p, cache, course.backward_propagation(p, cache, X, Y))


def test_float32_gradients_of_correct_code_pass() -> None:
    rng = np.random.default_rng(0)
    X, Y = rng.standard_normal((3, 20)), (rng.random((1, 20)) < 0.5).astype(float)
    p = {k: v.astype(np.float32) for k, v in course.initialize_parameters(3, 4, 1).items()}
    report = verify_gradients(
        forward=course.forward_propagation, backward=course.backward_propagation, parameters=p, X=X, Y=Y
    )
    assert report.passed, str(report)


def test_keys_with_or_without_d_and_extra_keys() -> None:
    point = course_point(3, 2, 3, 8, weight_factor=50)
    p, cache, grads, cost_fn = point.parameters, point.cache, point.grads, point.cost
    plain = {k[1:]: v for k, v in grads.items()}

    for gradients in (grads, plain, {**grads, "dZ1": cache["Z1"], "dA1": 0}):
        report = verify_gradients(cost_fn, p, gradients)
        assert report.passed, str(report)
        assert report["W1"] is report["dW1"]
    assert verify_gradients(cost_fn, p, {**grads, "dZ1": 1}).ignored_keys == ("dZ1",)


def test_learner_form_on_course_style_code_and_a_planted_bug(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(1)
    X, Y = rng.standard_normal((2, 30)), (rng.random((1, 30)) < 0.5).astype(float)
    p = course.initialize_parameters(2, 4, 1)
    report = verify_gradients(
        forward=course.forward_propagation,
        backward=course.backward_propagation,
        parameters=p,
        X=X,
        Y=Y[0],  # (m,) works too
        compute_cost=course.compute_cost,
    )
    assert report.passed, str(report)
    assert report.reference == "reference network, tanh hidden layer (autograd)"

    def planted(parameters, cache, X, Y):  # type: ignore[no-untyped-def]
        grads = course.backward_propagation(parameters, cache, X, Y)
        return {**grads, "dW2": grads["dW2"] * 2, "db1": grads["db1"] * 4}  # the course's own exercise

    report = verify_gradients(forward=course.forward_propagation, backward=planted, parameters=p, X=X, Y=Y)
    assert {r.label for r in report.failed} == {"dW2", "db1"}
    assert report.headline() == "2 of 4 gradients are wrong: db1, dW2."
    text = str(report)
    assert "dW2: WRONG" in text and "db1: WRONG" in text and "dW1: WRONG" not in text


def test_learner_form_with_the_old_three_argument_compute_cost() -> None:
    rng = np.random.default_rng(2)
    X, Y = rng.standard_normal((2, 10)), (rng.random((1, 10)) < 0.5).astype(float)
    seen = []

    def compute_cost(A2, Y, parameters):  # type: ignore[no-untyped-def]
        seen.append(sorted(parameters))
        return course.compute_cost(A2, Y)

    report = verify_gradients(
        forward=course.forward_propagation,
        backward=course.backward_propagation,
        parameters=course.initialize_parameters(2, 3, 1),
        X=X,
        Y=Y,
        compute_cost=compute_cost,
    )
    assert report.passed and seen and seen[0] == ["W1", "W2", "b1", "b2"]


def test_report_is_json_and_readable() -> None:
    point = course_point(4, 2, 3, 6)
    report = verify_gradients(point.cost, point.parameters, {**point.grads, "db2": None})
    data = json.loads(json.dumps(report.to_dict()))
    assert data["passed"] is False
    assert data["gradients"]["b2"]["diagnosis"]["code"] == "invalid_gradient"
    assert data["gradients"]["W1"]["passed"] is True
    assert set(data["gradients"]) == {"W1", "b1", "W2", "b2"}
    assert "db2" in str(report) and "WRONG" in str(report)


def test_missing_zero_and_nan_gradients_are_failed_entries_not_exceptions() -> None:
    point = course_point(5, 2, 3, 6, weight_factor=100)
    grads = point.grads
    nan = grads["dW1"].copy()
    nan[0, 1] = np.nan
    buggy = {"dW1": nan, "db1": np.zeros_like(grads["db1"]), "dW2": grads["dW2"]}
    report = verify_gradients(point.cost, point.parameters, buggy)
    codes = {r.name: (r.diagnosis.code if r.diagnosis else None) for r in report}
    assert codes == {"W1": "non_finite", "b1": "zero_gradient", "W2": None, "b2": "missing_gradient"}
    assert report["W1"].n_failed >= 1 and not report["W1"].passed


def test_a_raising_learner_function_is_named_with_its_file_line_and_source() -> None:
    def forward_propagation(X, parameters):  # type: ignore[no-untyped-def]
        return parameters["W3"], {}

    line = forward_propagation.__code__.co_firstlineno + 1
    where = rf"forward_propagation \(test_verify\.py:{line}, `return parameters\[\"W3\"\], \{{\}}`\)"
    with pytest.raises(GradcheckError, match=rf"^{where} raised KeyError: 'W3'") as info:
        verify_gradients(
            forward=forward_propagation,
            backward=course.backward_propagation,
            parameters=course.initialize_parameters(2, 2, 1),
            X=np.ones((2, 3)),
            Y=np.ones((1, 3)),
        )
    assert isinstance(info.value.__cause__, KeyError)
    assert isinstance(info.value, ValueError)

"""Which gradient shapes are judged on their values: the shape rule of docs/diagnosis.md.

A gradient whose shape differs from its parameter's only so that ``θ − α·grad`` keeps ``θ``'s shape
(the same entries, leading axes of length 1 dropped), or that has one entry where the parameter has
one, is judged on its values in the parameter's shape: right values pass, with a note that names
``keepdims``; wrong values fail with the diagnosis of their values, which still mentions the shape.
Every other shape fails for its shape, as before (``(n,)`` for ``(n, 1)`` with ``n > 1``, a
transpose).

Right values come from autograd or from the learner's code as the course writes it; the shapes the
learner gets are built here (``np.sum(dZ2)`` for a scalar, leading axes dropped by hand).
"""

from __future__ import annotations

import copy
import json
from typing import Any

import autograd
import autograd.numpy as anp
import jsonschema
import numpy as np
import pytest
from hypothesis import assume, given, note
from hypothesis import strategies as st

from gradcheck import verify_gradients
from gradcheck.network.two_layer import forward
from gradcheck.strategies import Problem, network_shapes, problems
from gradcheck.sweep import load_schema
from gradcheck.testing import assert_gradients
from tests.cases import exact, exact_keys, tanh_problem

one_output = problems(shapes=network_shapes(max_m=8).filter(lambda s: s[2] == 1))
#: db2's note where the learner wrote ``db2 = np.sum(dZ2) / m`` (the quoted fix is the model's line).
DB2_NOTE = (
    "db2 has shape () where b2 has shape (1, 1); harmless here (b2 - learning_rate * db2 keeps b2's "
    "shape), but np.sum(dZ2, axis=1, keepdims=True) / m gives the parameter's shape"
)
schema = load_schema()
check_schema = jsonschema.Draft202012Validator({"$defs": schema["$defs"], "$ref": "#/$defs/check"})


def data(problem: Problem, with_data: bool = True) -> dict[str, Any]:
    """X, Y and the drawn activation, named as in tests/test_verify.py (left to recognition, a nearly
    flat leaky-ReLU cost can match another slope's reference), or nothing."""
    return {"X": problem.X, "Y": problem.Y, "activation": problem.activation} if with_data else {}


def learner_dZ2(problem: Problem) -> np.ndarray:
    """``dZ2 = A2 - Y``, as the course computes it."""
    _, cache = forward(problem.X, problem.parameters, problem.activation)
    dZ2: np.ndarray = cache["A2"] - problem.Y
    return dZ2


class Logistic:
    """Logistic regression, the course's first model: ``w`` (n, 1) and a scalar ``b``."""

    def __init__(self, b: Any, n: int = 3, m: int = 6, seed: int = 0) -> None:
        rng = np.random.default_rng(seed)
        self.X = rng.standard_normal((n, m))
        self.Y = (rng.random((1, m)) > 0.5).astype(float)
        self.parameters = {"w": 0.5 * rng.standard_normal((n, 1)), "b": b}

    def cost(self, p: dict[str, Any]) -> Any:
        A = 1.0 / (1.0 + anp.exp(-(anp.dot(p["w"].T, self.X) + p["b"])))
        return -anp.sum(self.Y * anp.log(A) + (1.0 - self.Y) * anp.log(1.0 - A)) / self.X.shape[1]

    def propagate(self) -> dict[str, np.ndarray]:
        """The course's ``propagate``, with ``keepdims=True`` on db: a (1, 1) db for the scalar b."""
        m = self.X.shape[1]
        dZ = 1.0 / (1.0 + np.exp(-(self.parameters["w"].T @ self.X + self.parameters["b"]))) - self.Y
        return {"dw": self.X @ dZ.T / m, "db": np.sum(dZ, axis=1, keepdims=True) / m}

    def exact(self) -> dict[str, Any]:
        point = {"w": self.parameters["w"].copy(), "b": np.float64(self.parameters["b"])}
        gradient: dict[str, Any] = autograd.grad(self.cost)(point)
        return gradient


def assert_noted(report: Any, name: str, note_text: str) -> None:
    """The note is in the result, in ``str(report)``, in ``to_dict()`` (valid against the schema)."""
    assert report[name].note == note_text
    assert f"note: {note_text}" in " ".join(str(report).split())  # wrapped at the terminal's width
    data = json.loads(json.dumps(report.to_dict(), allow_nan=False))
    check_schema.validate(data)
    assert data["gradients"][name]["note"] == note_text


# -- harmless shapes pass, with the note -----------------------------------------------------------


@given(one_output, st.booleans())
def test_a_numpy_scalar_db2_for_a_1_by_1_b2_passes_with_a_note_naming_keepdims(
    problem: Problem, with_data: bool
) -> None:
    note(f"seed={problem.seed} shape={problem.shape}")
    db2 = np.sum(learner_dZ2(problem)) / problem.shape[3]  # no axis: a numpy scalar, shape ()
    assert isinstance(db2, np.float64)
    grads = {**exact_keys(problem), "db2": db2}
    report = verify_gradients(problem.cost, problem.parameters, grads, **data(problem, with_data))
    assert report.passed, str(report)
    result = report["db2"]
    assert result.shape == () and result.expected_shape == (1, 1) and result.n_failed == 0
    assert result.diagnosis is None and result.mode == "exhaustive"
    assert_noted(report, "b2", DB2_NOTE)


KEEPS = "b2 - learning_rate * db2 keeps b2's shape"
KEEPDIMS = "np.sum(dZ2, axis=1, keepdims=True) / m"


@pytest.mark.parametrize(
    ("shape", "effect", "how"),
    [
        ((1,), KEEPS, KEEPDIMS),
        ((), KEEPS, KEEPDIMS),
        (
            (1, 1, 1),
            "b2 - learning_rate * db2 has shape (1, 1, 1) but one entry, as b2 has",
            "a sum without keepdims=True, or db2.reshape((1, 1)),",
        ),
    ],
)
def test_any_one_entry_db2_for_a_1_by_1_b2_passes_with_a_note(
    shape: tuple[int, ...], effect: str, how: str
) -> None:
    problem = tanh_problem()
    db2 = exact(problem)["b2"].reshape(shape)
    report = verify_gradients(
        problem.cost, problem.parameters, {**exact_keys(problem), "db2": db2}, problem.X, problem.Y
    )
    assert report.passed and report["b2"].shape == shape
    assert_noted(
        report,
        "b2",
        f"db2 has shape {shape} where b2 has shape (1, 1); harmless here ({effect}), but {how} gives the "
        "parameter's shape",
    )


SCALAR_B_NOTE = (
    "db has shape (1, 1) where b has shape (); harmless here (b - learning_rate * db has shape (1, 1) "
    "but one entry, as b has), but a sum without keepdims=True, or float(db), gives the parameter's shape"
)


@pytest.mark.parametrize("b", [np.float64(0.3), np.array(0.3), 0.3], ids=["float64", "0-d array", "float"])
def test_a_1_by_1_db_for_logistic_regressions_scalar_b_passes_with_a_note(b: Any) -> None:
    model = Logistic(b)
    grads = model.propagate()
    assert grads["db"].shape == (1, 1)
    for xy in ({}, {"m": model.X.shape[1]}):
        report = verify_gradients(model.cost, model.parameters, grads, **xy)
        assert report.passed, str(report)
        assert report["b"].shape == (1, 1) and report["b"].expected_shape == ()
        assert report["b"].worst_numeric == pytest.approx(float(model.exact()["b"]), rel=1e-6)
        assert_noted(report, "b", SCALAR_B_NOTE)
        assert "1x1 (want scalar)" in str(report)


def test_a_gradient_keyed_like_its_parameter_is_called_the_gradient_for_it_in_the_note() -> None:
    model = Logistic(np.float64(-0.2))
    grads = model.propagate()
    report = verify_gradients(model.cost, model.parameters, {"w": grads["dw"], "b": grads["db"]})
    assert report.passed
    assert report["b"].note == (
        "the gradient for b has shape (1, 1) where b has shape (); harmless here (b - learning_rate * "
        "grads['b'] has shape (1, 1) but one entry, as b has), but a sum without keepdims=True, or "
        "float(grads['b']), gives the parameter's shape"
    )


def test_a_flat_dW2_for_a_one_row_W2_passes_with_a_note_quoting_its_formula() -> None:
    """W2 is (n_y, n_h) = (1, 4): a (4,) dW2 keeps W2's shape in W2 − α·dW2."""
    problem = tanh_problem()
    grads = exact_keys(problem)
    report = verify_gradients(
        problem.cost, problem.parameters, {**grads, "dW2": grads["dW2"].reshape(-1)}, problem.X, problem.Y
    )
    assert report.passed and report["W2"].shape == (4,) and report["W2"].checked == 4
    assert_noted(
        report,
        "W2",
        "dW2 has shape (4,) where W2 has shape (1, 4); harmless here (W2 - learning_rate * dW2 keeps W2's "
        "shape), but np.dot(dZ2, A1.T) / m (or keepdims=True on a sum) gives the parameter's shape",
    )


@st.composite
def harmless_cases(draw: Any) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """``(θ's shape, the gradient's)``: leading axes of length 1 dropped, or one entry for one."""
    core = tuple(draw(st.lists(st.integers(2, 3), min_size=1, max_size=2)))
    if draw(st.booleans()):  # one entry each, in any number of axes
        theta, shape = ((1,) * draw(st.integers(0, 3)) for _ in range(2))
        assume(theta != shape)
        return theta, shape
    ones = draw(st.integers(1, 2))
    return (1,) * ones + core, (1,) * draw(st.integers(0, ones - 1)) + core


@given(harmless_cases(), st.integers(0, 2**32 - 1))
def test_harmless_shapes_pass_with_a_note_and_wrong_values_in_them_fail_saying_the_shape(
    case: tuple[tuple[int, ...], tuple[int, ...]], seed: int
) -> None:
    """``J = Σ c·exp(θ)``: the gradient is ``c·exp(θ)``, worked by hand."""
    theta_shape, shape = case
    note(f"theta {theta_shape}, gradient {shape}")
    rng = np.random.default_rng(seed)
    theta, c = rng.uniform(-1, 1, theta_shape), rng.uniform(0.5, 2.0, theta_shape)
    right = (c * np.exp(theta)).reshape(shape)
    assert np.shape(theta - 0.01 * right) == theta_shape or right.size == 1  # harmless, as drawn

    def cost(p: dict[str, np.ndarray]) -> float:
        return float(np.sum(c * np.exp(p["t"])))

    report = verify_gradients(cost, {"t": theta}, {"dt": right})
    assert report.passed and report["t"].shape == shape
    assert report["t"].note is not None and "keepdims" in report["t"].note
    assert report["t"].note.startswith(f"dt has shape {shape} where t has shape {theta_shape}; harmless here")
    wrong = verify_gradients(cost, {"t": theta}, {"dt": -right})["t"]
    assert not wrong.passed and wrong.n_failed == wrong.size and wrong.shape == shape
    assert wrong.diagnosis is not None and wrong.diagnosis.code == "sign_flipped"
    assert f"dt has shape {shape} where t has shape {theta_shape}" in wrong.diagnosis.message


# -- wrong values in a harmless shape fail, saying the shape ------------------------------------------


@given(one_output.filter(lambda p: p.shape[3] > 1), st.booleans())
def test_a_scalar_db2_missing_its_1_over_m_fails_as_such_and_says_its_shape(
    problem: Problem, with_data: bool
) -> None:
    note(f"seed={problem.seed} shape={problem.shape}")
    m, right = problem.shape[3], float(exact(problem)["b2"][0, 0])
    assume(abs((m - 1) * right) > 1e-6)  # clearly off (saturated outputs: every dZ2 near 0 moves nothing)
    db2 = np.sum(learner_dZ2(problem))  # no axis and no / m
    grads = {**exact_keys(problem), "db2": db2}
    report = verify_gradients(problem.cost, problem.parameters, grads, **data(problem, with_data), m=m)
    assert [r.label for r in report.failed] == ["db2"], str(report)
    result = report["db2"]
    assert result.shape == () and result.n_failed == 1 and result.worst_index == (0, 0)
    assert result.worst_analytic == pytest.approx(m * right)
    assert result.diagnosis is not None and result.diagnosis.code == "missing_1_over_m"
    assert "db2 has shape () where b2 has shape (1, 1)" in result.diagnosis.message
    assert report.diagnosis is not None and "db2 has shape ()" in report.diagnosis.message
    assert_noted(report, "b2", DB2_NOTE)


def test_a_sign_flipped_db_for_a_scalar_b_fails_as_such_and_says_its_shape() -> None:
    model = Logistic(np.float64(0.1))
    grads = model.propagate()
    report = verify_gradients(model.cost, model.parameters, {**grads, "db": -grads["db"]})
    result = report["b"]
    assert not result.passed and [r.name for r in report.failed] == ["b"]
    assert result.diagnosis is not None and result.diagnosis.code == "sign_flipped"
    assert "db has shape (1, 1) where b has shape ()" in result.diagnosis.message
    assert result.worst_numeric == pytest.approx(float(model.exact()["b"]), rel=1e-6)


def test_assert_gradients_gives_the_shape_the_entries_and_the_note_of_a_wrong_harmless_shape() -> None:
    problem = tanh_problem()
    grads = {**exact_keys(problem), "db2": 2.0 * exact(problem)["b2"].reshape(())}
    with pytest.raises(AssertionError) as raised:
        assert_gradients(problem.cost, problem.parameters, grads, X=problem.X, Y=problem.Y)
    message = str(raised.value)
    assert " shape (), expected (1, 1)" in message and " Mismatched elements: 1 / 1 (100%)" in message
    assert f"Note: {DB2_NOTE}" in message


# -- every other shape fails for its shape, as before -------------------------------------------------


@given(problems(shapes=network_shapes(max_m=8).filter(lambda s: s[1] > 1)))
def test_a_flat_db1_for_more_than_one_hidden_unit_still_fails_as_a_missing_keepdims(problem: Problem) -> None:
    """(n_h,) for (n_h, 1): ``b1 − α·db1`` would be (n_h, n_h)."""
    right = exact(problem)["b1"]
    assert np.shape(problem.parameters["b1"] - 0.01 * right.ravel()) == (problem.shape[1],) * 2
    report = verify_gradients(
        problem.cost, problem.parameters, {**exact_keys(problem), "db1": right.ravel()}, **data(problem)
    )
    result = report["db1"]
    assert [r.name for r in report.failed] == ["b1"] and result.mode == "none" and result.note is None
    assert result.n_failed == result.size and result.diagnosis is not None
    assert result.diagnosis.code == "shape_mismatch"
    assert result.diagnosis.message.startswith(
        f"db1 has shape ({problem.shape[1]},) but b1 has shape ({problem.shape[1]}, 1): "
        "did you forget keepdims=True? Its values are right once reshaped"
    )


@pytest.mark.parametrize(
    ("theta_shape", "shape", "code"),
    [
        ((3, 1), (3,), "shape_mismatch"),
        ((3, 1), (1, 3), "transposed"),
        ((1, 3), (3, 1), "transposed"),
        ((2, 3), (3, 2), "transposed"),
        ((2, 3), (6,), "shape_mismatch"),
        ((3,), (1, 3), "shape_mismatch"),
        ((), (2,), "shape_mismatch"),
    ],
)
def test_other_shapes_fail_for_their_shape_without_a_note(
    theta_shape: tuple[int, ...], shape: tuple[int, ...], code: str
) -> None:
    theta = np.linspace(-1.0, 1.0, int(np.prod(theta_shape))).reshape(theta_shape)
    gradient = np.resize(2.0 * theta, shape)  # J = Σ θ²: right where the entries line up

    def cost(p: dict[str, np.ndarray]) -> float:
        return float(np.sum(p["t"] ** 2))

    result = verify_gradients(cost, {"t": theta}, {"dt": gradient})["t"]
    assert not result.passed and result.mode == "none" and result.note is None
    assert result.diagnosis is not None and result.diagnosis.code == code


# -- the caller's arrays ------------------------------------------------------------------------------


@pytest.mark.parametrize("shape", [(), (1,)])
def test_the_callers_arrays_keep_their_shapes_and_values(shape: tuple[int, ...]) -> None:
    problem = tanh_problem()
    gradients = {**exact_keys(problem), "db2": exact(problem)["b2"].reshape(shape).copy()}
    parameters = {k: v.copy() for k, v in problem.parameters.items()}
    before = copy.deepcopy((parameters, gradients))
    for xy in ((problem.X, problem.Y), (None, None)):
        assert verify_gradients(problem.cost, parameters, gradients, *xy).passed
    for now, then in ((parameters, before[0]), (gradients, before[1])):
        assert list(now) == list(then)
        assert all(now[k].shape == then[k].shape and np.array_equal(now[k], then[k]) for k in now)
    assert gradients["db2"].shape == shape


def test_the_notebook_view_shows_the_note() -> None:
    problem = tanh_problem()
    grads = {**exact_keys(problem), "db2": exact(problem)["b2"].reshape(())}
    html = verify_gradients(problem.cost, problem.parameters, grads)._repr_html_()
    assert "note: db2 has shape () where b2 has shape (1, 1); harmless here" in html

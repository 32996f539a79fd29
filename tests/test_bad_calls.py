"""Bad calls: every one ends in a GradcheckError that says what is wrong, or in a failed entry.

Never another exception from inside gradcheck, and never a change to the caller's arrays: the
table below covers the calls learners really get wrong, and hypothesis throws junk at every
argument of ``verify_gradients`` (and at what the cost returns, call by call).
"""

# ruff: noqa: E501  (the table below is one row a line, to be read as a table)
from __future__ import annotations

import copy
import pickle
import sys
import warnings
from collections.abc import Callable
from typing import Any

import my_course_code as course
import numpy as np
import pytest
from hypothesis import event, given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from gradcheck import GradcheckError, GradcheckWarning, GradientReport, verify_gradients

RNG = np.random.default_rng(0)
X = RNG.standard_normal((2, 5))
Y = (RNG.random((1, 5)) > 0.5).astype(float)
PARAMETERS = {k: RNG.standard_normal(v.shape) for k, v in course.initialize_parameters(2, 3, 1).items()}
GRADIENTS = course.backward_propagation(PARAMETERS, course.forward_propagation(X, PARAMETERS)[1], X, Y)


def cost(p: dict[str, np.ndarray]) -> float:
    # Junk steps and parameters saturate the sigmoid to exactly 1, where the course's cross-entropy
    # takes log(1 - A2) = log(0): numpy's warning is the learner's code's, not gradcheck's, which
    # turns the cost's inf or nan into a GradcheckError. Silenced here, in the learner's cost only.
    with np.errstate(all="ignore"):
        return float(course.compute_cost(course.forward_propagation(X, p)[0], Y))


def with_cost(value: Callable[[dict[str, np.ndarray]], Any]) -> dict[str, Any]:
    return {"cost_fn": value}


class After:
    """A cost that is right for ``calls`` calls and then does ``then``.

    It counts its calls, so each run of a table row calls a copy (:func:`call`): the count starts
    at 0 also when pytest runs the table twice in one process, as mutmut does.
    """

    def __init__(self, calls: int, then: Callable[[dict[str, np.ndarray]], Any]) -> None:
        self.calls, self.then, self.count = calls, then, 0

    def __call__(self, p: dict[str, np.ndarray]) -> Any:
        self.count += 1
        return cost(p) if self.count <= self.calls else self.then(p)


def after(calls: int, then: Callable[[dict[str, np.ndarray]], Any]) -> After:
    return After(calls, then)


def raise_(error: BaseException) -> Callable[..., Any]:
    def raising(*args: Any) -> Any:
        raise error

    return raising


def scribble(p: dict[str, np.ndarray]) -> float:
    value = cost(p)
    p["W2"][0, 1] += 0.5  # an update step inside the cost
    return value


def replace(p: dict[str, np.ndarray]) -> float:
    value = cost(p)
    p["W1"] = p["W1"] * 0  # rebinding a key of the dict it got changes nothing of ours
    del p["b1"]
    return value


def backward_updating(parameters, cache, X, Y):  # type: ignore[no-untyped-def]
    grads = course.backward_propagation(parameters, cache, X, Y)
    parameters["W1"] -= 0.1 * grads["dW1"]
    return grads


def forward_updating(X, parameters):  # type: ignore[no-untyped-def]
    parameters["b2"] += 1.0
    return course.forward_propagation(X, parameters)


def as_arrays(p: dict[str, Any]) -> dict[str, np.ndarray]:
    return {k: np.asarray(v) for k, v in p.items()}


def grads(**changes: Any) -> dict[str, Any]:
    return {"gradients": {**GRADIENTS, **changes}}


def params(**changes: Any) -> dict[str, Any]:
    return {"parameters": {**PARAMETERS, **changes}}


def learner(**changes: Any) -> dict[str, Any]:
    call = {
        "forward": course.forward_propagation,
        "backward": course.backward_propagation,
        "parameters": PARAMETERS,
        "X": X,
        "Y": Y,
    }
    return {"learner": True, **call, **changes}


RAISES = "raises"
FAILS = "fails"
PASSES = "passes"

#: (what the caller does, keyword arguments over a correct general-form call, outcome, detail):
#: ``raises`` a GradcheckError matching the pattern, ``fails`` with these diagnosis codes, or
#: ``passes``.
TABLE: list[tuple[str, dict[str, Any], str, Any]] = [
    ("cost is a string", with_cost("cost"), RAISES, r"cost_fn must be callable .* got a str"),
    ("cost returns an array", with_cost(lambda p: np.ones(3)), RAISES, r"one real number.*shape \(3,\)"),
    ("cost returns NaN", with_cost(lambda p: float("nan")), RAISES, "returned nan at the given parameters"),
    ("cost returns inf", with_cost(lambda p: np.inf), RAISES, "returned inf.*log\\(0\\)"),
    ("cost returns a string", with_cost(lambda p: "0.69"), RAISES, "one real number.*returned a str"),
    ("cost returns a complex", with_cost(lambda p: 1 + 2j), RAISES, "one real number.*complex"),
    ("cost returns None", with_cost(lambda p: None), RAISES, "one real number.*NoneType"),
    ("cost returns a bool", with_cost(lambda p: True), RAISES, "one real number.*bool"),
    ("cost returns a (1, 1) array", with_cost(lambda p: np.array([[cost(p)]])), PASSES, None),
    ("cost returns NaN later", with_cost(after(2, lambda p: float("nan"))), RAISES, "returned nan (with|near)"),
    ("cost raises", with_cost(raise_(ZeroDivisionError("division by zero"))), RAISES, "raised ZeroDivision"),
    (
        "cost raises when an entry moves",
        with_cost(after(2, raise_(KeyError("W3")))),
        RAISES,
        r"raised KeyError: 'W3' \(called (with \w+\[[\d, ]+\] perturbed by|near)",
    ),
    ("cost calls sys.exit", with_cost(lambda p: sys.exit(3)), RAISES, r"called sys.exit\(3\)"),
    ("cost changes its parameters", with_cost(scribble), RAISES, r"changed parameters\['W2'\] in place: W2\[0, 1\]"),
    ("cost rebinds and deletes keys", with_cost(replace), PASSES, None),
    (
        "cost is nondeterministic",
        with_cost(lambda p: cost(p) + np.random.default_rng().random()),
        RAISES,
        "nondeterministic_cost",
    ),
    ("parameters is a list", {"parameters": [PARAMETERS["W1"]]}, RAISES, "parameters must be a dict.*list"),
    ("parameters is empty", {"parameters": {}}, RAISES, "parameters is empty"),
    ("parameters hold ints", params(W1=np.ones((3, 2), int)), RAISES, r"dtype int64.*W1.astype\(float\)"),
    ("parameters hold bools", params(W1=np.ones((3, 2), bool)), RAISES, r"dtype bool.*W1.astype\(float\)"),
    ("parameters hold objects", params(W1=np.array([[1.0, "a"]], object)), RAISES, "dtype object"),
    ("parameters hold a 0-size array", params(b2=np.zeros((1, 0))), RAISES, r"parameters\['b2'\] is empty"),
    ("parameters hold NaN", params(b1=np.full((3, 1), np.nan)), RAISES, r"nan at b1\[0, 0\].*finite parameters"),
    ("parameters hold inf", params(W2=np.full((1, 3), -np.inf)), RAISES, r"-inf at W2\[0, 0\]"),
    ("parameters hold a ragged list", params(W1=[[1.0], [1.0, 2.0]]), RAISES, r"parameters\['W1'\] is not an array"),
    ("parameters keyed by numbers", {"parameters": {1: PARAMETERS["W1"]}}, RAISES, "names must be strings"),
    ("gradients is a list", {"gradients": list(GRADIENTS.values())}, RAISES, "gradients must be a dict"),
    ("gradients miss a key", {"gradients": {k: v for k, v in GRADIENTS.items() if k != "db2"}}, FAILS, {"b2": "missing_gradient"}),
    ("gradients miss three keys and the fourth is zero", learner(backward=lambda *a: {"dW1": np.zeros((3, 2))}), FAILS, {"W1": "zero_gradient", "b1": "missing_gradient", "W2": "missing_gradient", "b2": "missing_gradient"}),
    ("gradients hold lists", grads(**{k: v.tolist() for k, v in GRADIENTS.items()}), PASSES, None),
    ("gradients hold NaN", grads(dW1=GRADIENTS["dW1"] * np.nan), FAILS, {"W1": "non_finite"}),
    ("gradients hold strings", grads(db1="0.0"), FAILS, {"b1": "invalid_gradient"}),
    ("gradients hold complex numbers", grads(dW2=GRADIENTS["dW2"] + 0j), FAILS, {"W2": "invalid_gradient"}),
    ("gradients hold bools", grads(db2=np.ones((1, 1), bool)), FAILS, {"b2": "invalid_gradient"}),
    ("gradients hold None", grads(dW1=None), FAILS, {"W1": "invalid_gradient"}),
    ("gradients of the wrong shape", grads(db1=GRADIENTS["db1"].ravel()), FAILS, {"b1": "shape_mismatch"}),
    ("gradients transposed", grads(dW1=GRADIENTS["dW1"].T), FAILS, {"W1": "transposed"}),
    ("gradients in float16", grads(db2=GRADIENTS["db2"].astype(np.float16)), PASSES, None),
    ("X without Y", {"X": X}, RAISES, "pass X and Y together"),
    ("Y as (m,)", {"X": X, "Y": Y.ravel()}, PASSES, None),
    ("Y of another m", {"X": X, "Y": Y[:, :3]}, RAISES, r"same m; got X \(2, 5\) and Y \(1, 3\)"),
    ("X with examples as rows", {"X": X.T, "Y": Y}, RAISES, "examples are columns"),
    ("X holding NaN", {"X": X * np.nan, "Y": Y}, RAISES, r"X holds nan at X\[0, 0\]"),
    ("X of strings", {"X": "abc", "Y": Y}, RAISES, "X and Y must be numeric arrays"),
    ("X of complex numbers", {"X": X + 0j, "Y": Y}, RAISES, r"X has dtype complex128; X and Y must be real numbers .*pass X.real"),
    ("Y of complex numbers", {"X": X, "Y": Y + 1j}, RAISES, r"Y has dtype complex128; X and Y must be real numbers"),
    ("unknown method", {"method": "backward"}, RAISES, "unknown method 'backward'; choose one of central"),
    ("negative step", {"step": -1e-6}, RAISES, "step must be a positive finite number"),
    ("step that is a string", {"step": "1e-6"}, RAISES, "step must be a positive finite number"),
    ("seed that is a float", {"seed": 1.5}, RAISES, "seed must be a non-negative integer"),
    ("negative seed", {"seed": -1}, RAISES, "seed must be a non-negative integer"),
    ("unknown activation", {"activation": "swish"}, RAISES, "unknown activation 'swish'"),
    ("unknown mode", {"mode": "fast"}, RAISES, "unknown mode 'fast'"),
    ("zero directions", {"directions": 0}, RAISES, "directions must be a positive integer"),
    ("safety of zero", {"safety": 0}, RAISES, "safety must be a positive number"),
    ("m that is not an integer", {"m": 2.5}, RAISES, "m .* must be a positive integer"),
    ("m that disagrees with X", {"X": X, "Y": Y, "m": 4}, RAISES, "m=4 but X has 5 examples"),
    ("compute_cost in the general form", {"compute_cost": course.compute_cost}, RAISES, "belongs to the learner form"),
    ("learner form without backward", learner(backward=None), RAISES, "missing: backward"),
    ("learner form and cost_fn", {**learner(), "cost_fn": cost}, RAISES, "not both"),
    ("forward that is not a function", learner(forward=3), RAISES, "forward must be a function, got a int"),
    ("forward returning A2 only", learner(forward=lambda X, p: np.ones((1, 5))), RAISES, r"must return \(A2, cache\)"),
    ("forward raising", learner(forward=raise_(KeyError("W3"))), RAISES, r"raising \(test_bad_calls\.py:\d+, `raise error`\) raised KeyError"),
    ("forward calling sys.exit", learner(forward=raise_(SystemExit(2))), RAISES, r"called sys.exit\(2\)"),
    ("forward updating parameters", learner(forward=forward_updating), RAISES, r"forward_updating.*changed parameters\['b2'\] in place"),
    ("backward updating parameters", learner(backward=backward_updating), RAISES, r"backward_updating changed parameters\['W1'\]"),
    ("backward returning a list", learner(backward=lambda *a: [1.0]), RAISES, "must return a dict such as"),
    ("backward returning lists", learner(backward=lambda *a: {k: v.tolist() for k, v in GRADIENTS.items()}), PASSES, None),
    ("compute_cost of 4 arguments", learner(compute_cost=lambda a, y, p, q: 1.0), RAISES, r"is not a compute_cost gradcheck knows; it takes compute_cost\(A2, Y\); compute_cost\(A2, Y, parameters\); compute_cost_with_regularization"),
    ("compute_cost returning NaN", learner(compute_cost=lambda a, y: np.nan), RAISES, r"the cost \(forward_propagation, then <lambda>\) returned nan"),
    ("learner parameters lacking b2", learner(parameters={k: v for k, v in PARAMETERS.items() if k != "b2"}), RAISES, r"forward_propagation \(my_course_code\.py:\d+, `b2 = parameters\[\"b2\"\]`\) raised KeyError: 'b2'"),
    ("learner Y as (m,)", learner(Y=Y.ravel()), PASSES, None),
    ("learner parameters as nested lists", learner(parameters={k: v.tolist() for k, v in PARAMETERS.items()}, forward=lambda X, p: course.forward_propagation(X, as_arrays(p)), backward=lambda p, c, x, y: course.backward_propagation(as_arrays(p), c, x, y)), PASSES, None),
    ("backward multiplying where it should dot", learner(backward=lambda p, c, x, y: {"dW2": np.multiply(c["A2"] - y, c["A1"].T)}), FAILS, dict.fromkeys(PARAMETERS, "shape_mismatch")),
    ("backward dotting without a transpose", learner(backward=lambda p, c, x, y: {"dW2": np.dot(c["A2"] - y, c["A1"])}), FAILS, dict.fromkeys(PARAMETERS, "shape_mismatch")),
]  # fmt: skip


def call(arguments: dict[str, Any]) -> GradientReport:
    arguments = {k: copy.copy(v) if isinstance(v, After) else v for k, v in arguments.items()}
    if arguments.pop("learner", False):
        return verify_gradients(**arguments)
    general = {"cost_fn": cost, "parameters": PARAMETERS, "gradients": GRADIENTS}
    return verify_gradients(**{**general, **arguments})


def frozen(arguments: dict[str, Any]) -> bytes:
    """The caller's data, byte for byte (functions left out: they cannot change)."""
    return pickle.dumps(
        {k: v for k, v in arguments.items() if not callable(v)} | {"all": (PARAMETERS, GRADIENTS, X, Y)}
    )


@pytest.mark.parametrize(("what", "arguments", "outcome", "detail"), TABLE, ids=[row[0] for row in TABLE])
def test_bad_call(what: str, arguments: dict[str, Any], outcome: str, detail: Any) -> None:
    before = frozen(arguments)
    if outcome == RAISES:
        with pytest.raises(GradcheckError, match=detail) as info:
            call(arguments)
        assert "\n" not in str(info.value).strip() or what.startswith("learner"), str(info.value)
    else:
        report = call(arguments)
        codes = {r.name: r.diagnosis.code for r in report if not r.passed and r.diagnosis is not None}
        if outcome == PASSES:
            assert report.passed, str(report)
        else:
            assert codes == detail, str(report)
            assert all(r.passed for r in report if r.name not in detail), str(report)
    assert frozen(arguments) == before, f"{what}: the caller's arrays changed"


@pytest.mark.parametrize("size", [0, 2])
@pytest.mark.parametrize("check", ["verify_gradients", "finite_differences"])
def test_an_array_in_place_of_the_parameters_dict_is_a_gradcheck_error(check: str, size: int) -> None:
    """As for an array of one entry: ``parameters must be a dict of arrays ... got a ndarray``."""
    from gradcheck.numerical import finite_differences

    parameters = np.ones(size)
    with pytest.raises(GradcheckError, match=r"^parameters must be a dict of arrays .*, got a ndarray$"):
        if check == "verify_gradients":
            verify_gradients(cost, parameters, GRADIENTS)
        else:
            finite_differences(cost, parameters)  # type: ignore[arg-type]


def test_a_raising_cost_is_the_cause_and_the_message_names_the_perturbed_entry() -> None:
    def fragile(p: dict[str, np.ndarray]) -> float:
        moved = [(k, i) for k in p for i in zip(*np.nonzero(p[k] != PARAMETERS[k]), strict=True)]
        if moved == [("W2", (0, 2))]:  # only when exactly this entry moves
            raise FloatingPointError("overflow in exp")
        return cost(p)

    with pytest.raises(GradcheckError) as info:
        verify_gradients(fragile, PARAMETERS, GRADIENTS, mode="exhaustive")
    message = str(info.value)
    assert "raised FloatingPointError: overflow in exp" in message
    assert "called with W2[0, 2] perturbed by " in message
    assert isinstance(info.value.__cause__, FloatingPointError)


def outcome(call: Callable[[], GradientReport], tag: str = "") -> GradcheckError | None:
    """Run ``call``: it must give a report that prints and serialises, or a GradcheckError with a
    message (returned, for further checks); anything else propagates and fails the test."""
    try:
        report = call()
    except GradcheckError as error:
        assert str(error).strip(), "a GradcheckError must say what is wrong"
        event(f"{tag}GradcheckError: {str(error)[:25]}")
        return error
    assert isinstance(report, GradientReport)
    event(f"{tag}report, passed={report.passed}")
    str(report)  # and it prints
    report.to_dict()
    return None


# ---- fuzzing: junk in every argument ---------------------------------------------------------

junk_arrays = hnp.arrays(
    dtype=st.sampled_from([np.float64, np.float32, np.int64, np.bool_, np.complex128, np.float16]),
    shape=hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=4),
)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-3, 10),
    st.floats(allow_nan=True, allow_infinity=True),
    st.complex_numbers(max_magnitude=10),
    st.text(max_size=5),
)
junk = st.one_of(scalars, junk_arrays, st.lists(scalars, max_size=3), st.just(object()))


def junk_dicts(keys: list[str]) -> st.SearchStrategy[Any]:
    """Dicts over the right keys (some missing, some junk), or junk in place of the dict."""
    return st.one_of(
        junk,
        st.dictionaries(
            st.sampled_from([*keys, "dZ1", "other", "1"]), st.one_of(junk, junk_arrays), max_size=5
        ),
    )


def valid_or(value: Any, strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Mostly the valid value, so that junk in one argument meets valid ones in the others."""
    return st.one_of(st.just(value), st.just(value), st.just(value), strategy)


@given(
    parameters=valid_or(PARAMETERS, junk_dicts(list(PARAMETERS))),
    gradients=valid_or(GRADIENTS, junk_dicts(list(GRADIENTS))),
    data=st.one_of(st.just((None, None)), st.just((X, Y)), st.tuples(junk, junk)),
    options=st.fixed_dictionaries(
        {},
        optional={
            "method": valid_or("richardson", junk),
            "step": valid_or(1e-5, junk),
            "safety": valid_or(10.0, junk),
            "mode": valid_or("directional", junk),
            "directions": valid_or(3, junk),
            "samples": valid_or(2, junk),
            "seed": valid_or(7, junk),
            "max_wrong": valid_or(1, junk),
            "m": valid_or(5, junk),
            "activation": valid_or("tanh", junk),
        },
    ),
)
def test_junk_arguments_give_a_report_or_a_gradcheck_error(
    parameters: Any, gradients: Any, data: tuple[Any, Any], options: dict[str, Any]
) -> None:
    arguments = {"parameters": parameters, "gradients": gradients, "X": data[0], "Y": data[1], **options}
    before = pickle.dumps(arguments)
    outcome(lambda: verify_gradients(cost, **arguments))
    assert pickle.dumps(arguments) == before, "the caller's arguments changed"


#: What a cost may do on one call: answer right, or return junk, raise, exit or scribble.
behaviours = st.sampled_from(["right", "right", "right", "junk", "raise", "exit", "scribble", "noise"])


@given(
    st.lists(behaviours, min_size=1, max_size=40), junk, st.sampled_from(["central", "richardson", "complex"])
)
def test_a_cost_that_misbehaves_on_any_call_gives_a_report_or_a_gradcheck_error(
    script: list[str], value: Any, method: str
) -> None:
    calls = [0]

    def scripted(p: dict[str, np.ndarray]) -> Any:
        what = script[calls[0] % len(script)]
        calls[0] += 1
        if what == "junk":
            return value
        if what == "raise":
            raise RuntimeError("learner's bug")
        if what == "exit":
            sys.exit(1)
        if what == "scribble":
            p["W1"] += 1.0
        if what == "noise":
            return cost(p) + 1e-3 * calls[0]
        return cost(p)

    parameters = {k: v.copy() for k, v in PARAMETERS.items()}
    before = pickle.dumps((parameters, GRADIENTS))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        error = outcome(lambda: verify_gradients(scripted, parameters, GRADIENTS, method=method))  # type: ignore[arg-type]
    # the one warning a check may give: the complex step, asked for, falls back (the cost's float())
    for warning in caught:
        assert method == "complex" and issubclass(warning.category, GradcheckWarning), str(warning.message)
        assert "the complex step was asked for, but the cost is not complex-safe" in str(warning.message)
    if error is not None and isinstance(error.__cause__, RuntimeError):
        assert "raised RuntimeError: learner's bug (called " in str(error)
    assert pickle.dumps((parameters, GRADIENTS)) == before


GENERAL = {"cost_fn": cost, "parameters": PARAMETERS, "gradients": GRADIENTS, "X": X, "Y": Y}
OPTIONS = [
    "method",
    "step",
    "safety",
    "mode",
    "directions",
    "samples",
    "seed",
    "max_wrong",
    "m",
    "activation",
]


@given(st.sampled_from([*GENERAL, *OPTIONS]), st.one_of(junk, junk_dicts(["W1", "b1", "dW1", "db1"])))
def test_junk_in_one_argument_of_a_valid_call(name: str, value: Any) -> None:
    arguments = {**GENERAL, name: value}
    before = pickle.dumps({k: v for k, v in arguments.items() if k != "cost_fn"})
    outcome(lambda: verify_gradients(**arguments), tag=f"{name}: ")
    assert pickle.dumps({k: v for k, v in arguments.items() if k != "cost_fn"}) == before


@given(
    forward_out=valid_or("valid", st.one_of(junk, st.tuples(st.one_of(junk, junk_arrays), junk))),
    backward_out=valid_or("valid", st.one_of(junk, junk_dicts(list(GRADIENTS)))),
    cost_out=valid_or(None, junk),
)
def test_learner_functions_returning_junk(forward_out: Any, backward_out: Any, cost_out: Any) -> None:
    def forward_propagation(X, parameters):  # type: ignore[no-untyped-def]
        return course.forward_propagation(X, parameters) if forward_out == "valid" else forward_out

    def backward_propagation(parameters, cache, X, Y):  # type: ignore[no-untyped-def]
        if backward_out == "valid":
            return course.backward_propagation(parameters, cache, X, Y)
        return backward_out

    def compute_cost(A2, Y):  # type: ignore[no-untyped-def]
        return course.compute_cost(A2, Y) if cost_out is None else cost_out

    before = pickle.dumps((PARAMETERS, X, Y))
    outcome(
        lambda: verify_gradients(
            forward=forward_propagation,
            backward=backward_propagation,
            compute_cost=compute_cost,
            parameters=PARAMETERS,
            X=X,
            Y=Y,
        )
    )
    assert pickle.dumps((PARAMETERS, X, Y)) == before

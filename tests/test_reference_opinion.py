"""The reference's opinion: with the reference network recognised, its exact gradient judges every entry.

Finite differences confirm, entry by entry, the worst of the reference's rejections (up to the
per-block budget ``MAX_INVESTIGATED``); an entry finite differences accept but cannot resolve from
the reference either is left to the reference ("blind"), with a note; at kinks the reference's
exact interval between the one-sided derivatives decides. Expected values come from autograd,
from central differences and tolerances worked out here by their documented formulas, or from the
planted change.
"""

from __future__ import annotations

import math
import re
from typing import Any

import autograd
import autograd.numpy as anp
import numpy as np
import pytest
from hypothesis import assume, given, note
from hypothesis import strategies as st

from gradcheck import verify_gradients
from gradcheck.network.activations import Activation, get_activation
from gradcheck.network.two_layer import cost as course_cost
from gradcheck.strategies import NetworkPoint, Problem, networks, reference_problem
from tests.budgets import BEYOND_INVESTIGATED, MAX_INVESTIGATED, pairs
from tests.cases import EPS, SAFETY, Recorder, central, exact, exact_keys, kink_message, tanh_problem


def beyond_the_budget() -> Problem:
    """A tanh network whose ``W1`` (6 columns) has more entries than the budget, with room to spare."""
    n_h = max(8, math.ceil(BEYOND_INVESTIGATED / 6))
    return reference_problem((6, n_h, 1, 10), get_activation("tanh"), seed=5, scale=0.8)


# -- finite differences confirm, one entry at a time, what the reference rejects -----------------


def test_an_error_below_fd_resolution_is_left_to_the_reference_and_fd_agrees() -> None:
    """The "blind" rule: 1e-11 off is far beyond the reference's rounding (~1e-14) but well within
    what finite differences resolve (~1e-8 entry by entry, ~1e-10 along the sensitive direction);
    FD, asked about the entry, accepts it."""
    problem = tanh_problem()
    grads = exact_keys(problem)
    dW1 = grads["dW1"].copy()
    dW1[1, 2] += 1e-11
    report = verify_gradients(
        problem.cost, problem.parameters, {**grads, "dW1": dW1}, X=problem.X, Y=problem.Y, mode="directional"
    )
    w1 = report["W1"]
    assert report.reference is not None
    assert not w1.passed and w1.n_failed == 1 and w1.worst_index == (1, 2)
    assert w1.fd_agrees is True and w1.reference_agrees is False
    assert w1.worst_numeric == pytest.approx(exact(problem)["W1"][1, 2], rel=1e-12)
    r = exact(problem)["W1"][1, 2]
    worst = abs(dW1[1, 2] - r) / max(abs(r), abs(dW1[1, 2]))
    assert (
        f"dW1: 1 entries differ from the exact reference gradient by less than finite differences can "
        f"resolve (up to {worst:.2g} relative); the reference (autograd, exact to rounding) decides them"
    ) in report.notes
    assert all(r.passed for r in report if r.name != "W1")


def test_fd_confirms_a_reference_rejection_with_the_callers_step_and_its_tolerance() -> None:
    """With ``step=0.1`` the entry's FD value is the central difference at 0.1 (visibly off the
    exact derivative), and its tolerance is ``safety·(σ/h + h²G + ε(|a| + max(G, 1)))``, where
    the h²G term dominates."""
    problem = tanh_problem()
    truth = exact(problem)
    grads = exact_keys(problem)
    dW1 = grads["dW1"].copy()
    dW1[2, 0] += 1.0
    h = 0.1
    report = verify_gradients(
        problem.cost,
        problem.parameters,
        {**grads, "dW1": dW1},
        X=problem.X,
        Y=problem.Y,
        mode="directional",
        step=h,
    )
    w1 = report["W1"]
    assert not w1.passed and w1.n_failed == 1 and w1.worst_index == (2, 0)
    expected = central(problem.cost, problem.parameters, "W1", (2, 0), h)
    assert abs(expected - truth["W1"][2, 0]) > 1e-6  # the step shows: a default step would not give it
    assert w1.worst_numeric == pytest.approx(expected, rel=1e-9)
    G = max(float(np.max(np.abs(g))) for g in truth.values())
    a = float(dW1[2, 0])
    tau = SAFETY * (h * h * G + EPS * (abs(a) + max(G, 1.0)))  # σ/h is ~1e-15 here
    assert w1.worst_tolerance == pytest.approx(tau, rel=1e-6)
    assert w1.fd_agrees is False and w1.reference_agrees is False


def test_fd_confirms_only_the_worst_rejections_within_the_budget_and_the_reference_decides_the_rest() -> None:
    """Directional mode with the reference: more entries of dW1 are off (1e-4 upwards) than the
    budget. FD looks at the ``MAX_INVESTIGATED`` the reference rejects most, one entry at a time; the
    others are failed on the reference's word, against its value and its (rounding-sized)
    tolerance."""
    problem = beyond_the_budget()
    truth = exact(problem)
    grads = {f"d{k}": v for k, v in truth.items()}
    dW1 = grads["dW1"].copy()
    dW1.reshape(-1)[:BEYOND_INVESTIGATED] += 1e-4 * 1.2 ** np.arange(BEYOND_INVESTIGATED)
    moved: list[tuple[str, tuple[int, ...]]] = []

    def cost_fn(p):  # type: ignore[no-untyped-def]
        changed = [(k, np.argwhere(p[k] != problem.parameters[k])) for k in p]
        changed = [(k, where) for k, where in changed if len(where)]
        if len(changed) == 1 and len(changed[0][1]) == 1:
            moved.append((changed[0][0], tuple(int(i) for i in changed[0][1][0])))
        return problem.cost(p)

    options: dict[str, Any] = {"X": problem.X, "Y": problem.Y, "mode": "directional"}
    assert verify_gradients(cost_fn, problem.parameters, grads, **options).passed
    before = set(moved)
    report = verify_gradients(cost_fn, problem.parameters, {**grads, "dW1": dW1}, **options)
    w1 = report["W1"]
    # all judged, the budget's worth by FD
    assert not w1.passed and w1.n_failed == BEYOND_INVESTIGATED and w1.checked == BEYOND_INVESTIGATED
    assert all(r.passed for r in report if r.name != "W1")
    # (b2, one entry, is moved alone by its own direction check after the joint one failed)
    confirmed = {(name, index) for name, index in set(moved) - before if name == "W1"}
    # the largest excesses |a − r| / τ_ref: the offsets grow 1.2-fold from one entry to the next,
    # far more than the reference's tolerance (ε-sized, ε(|a| + M + max(G, 1))) varies between them
    worst = set(range(BEYOND_INVESTIGATED - MAX_INVESTIGATED, BEYOND_INVESTIGATED))
    assert {int(np.ravel_multi_index(index, dW1.shape)) for _, index in confirmed} == worst
    # the worst entry is judged against the reference: its exact value, a tolerance of rounding size
    assert w1.worst_index is not None and ("W1", w1.worst_index) not in confirmed
    assert w1.worst_numeric == truth["W1"][w1.worst_index]
    assert w1.worst_tolerance is not None and w1.worst_tolerance < 1e-11
    assert w1.fd_agrees is False and w1.reference_agrees is False


def test_entries_below_fd_resolution_beyond_the_budget_still_fail_on_the_reference() -> None:
    """More entries of dW1 than the budget off by 1e-10 to 1e-9: the reference rejects them all, FD
    (asked about the ``MAX_INVESTIGATED`` worst) accepts them, not resolving the difference. FD
    vouching for them is no reason to let the others pass: they are smaller still, and the
    reference decides them all."""
    problem = beyond_the_budget()
    grads = exact_keys(problem)
    dW1 = grads["dW1"].copy()
    dW1.reshape(-1)[:BEYOND_INVESTIGATED] += np.linspace(1e-10, 1e-9, BEYOND_INVESTIGATED)
    report = verify_gradients(
        problem.cost, problem.parameters, {**grads, "dW1": dW1}, X=problem.X, Y=problem.Y, mode="directional"
    )
    w1 = report["W1"]
    assert not w1.passed and w1.n_failed == BEYOND_INVESTIGATED
    assert w1.reference_agrees is False  # (those FD never looked at count as FD-rejected too)
    assert any(
        note.startswith(f"dW1: {MAX_INVESTIGATED} entries differ from the exact reference gradient")
        for note in report.notes
    )


def test_sign_flipped_entries_beyond_the_budget_fail_on_the_reference() -> None:
    """More entries of dW1 than the budget with the wrong sign (a = −r): |a − r| = 2|r|, far beyond
    any tolerance."""
    problem = beyond_the_budget()
    grads = exact_keys(problem)
    dW1 = grads["dW1"].copy()
    assert np.all(np.abs(dW1.reshape(-1)[:BEYOND_INVESTIGATED]) > 1e-6)
    dW1.reshape(-1)[:BEYOND_INVESTIGATED] *= -1.0
    report = verify_gradients(
        problem.cost, problem.parameters, {**grads, "dW1": dW1}, X=problem.X, Y=problem.Y, mode="directional"
    )
    assert not report["W1"].passed and report["W1"].n_failed == BEYOND_INVESTIGATED


def test_with_the_reference_an_entry_both_opinions_reject_is_not_investigated_for_a_kink() -> None:
    """The reference's exact interval already decides at kinks: FD's step-by-step investigation is
    only for entries FD rejects and the reference does not. An entry both reject costs nothing
    beyond the exhaustive pass (θ ± h)."""
    problem = tanh_problem()
    grads = exact_keys(problem)
    dW1 = grads["dW1"].copy()
    dW1[0, 1] += 0.1
    cost_fn = Recorder(problem.cost, problem.parameters, "W1", (0, 1))
    report = verify_gradients(cost_fn, problem.parameters, {**grads, "dW1": dW1}, X=problem.X, Y=problem.Y)
    w1 = report["W1"]
    assert not w1.passed and w1.n_failed == 1 and w1.worst_index == (0, 1)
    assert w1.fd_agrees is False and w1.reference_agrees is False
    h = max(cost_fn.offsets)
    assert sorted(cost_fn.offsets) == pairs(h)


# -- at kinks, the reference's exact interval decides ----------------------------------------------


def relu_on_kinks() -> tuple[Problem, np.ndarray, np.ndarray]:
    """A ReLU network with ``b1 = 0`` and example 0 all zeros: ``Z1[:, 0] = 0``, every hidden unit
    on its kink there. Only ``b1`` feels it (``W1``'s entries multiply ``X[:, 0] = 0``; ``W2`` and
    ``b2`` see ``A1``, continuous): unit j's one-sided derivatives differ by
    ``jump_j = Σ_{examples on the kink} (W2ᵀ (A2 − Y))_j / m``, worked out here by hand."""
    problem = reference_problem((3, 4, 1, 6), get_activation("relu"), seed=11, scale=1.0)
    X = problem.X.copy()
    X[:, 0] = 0.0
    parameters = {k: v.copy() for k, v in problem.parameters.items()}
    parameters["b1"][:] = 0.0
    problem = Problem(X, problem.Y, parameters, problem.activation, problem.seed, problem.scale)
    Z1 = parameters["W1"] @ X + parameters["b1"]
    A1 = np.maximum(Z1, 0.0)
    A2 = 1.0 / (1.0 + np.exp(-(parameters["W2"] @ A1 + parameters["b2"])))
    C = parameters["W2"].T @ (A2 - problem.Y)
    jump = np.sum(np.where(Z1 == 0, C, 0.0), axis=1, keepdims=True) / X.shape[1]
    assert np.all(np.abs(jump) > 1e-3)  # every unit's kink shows
    end = problem.gradients()["db1"]  # the course's g'(0) = 0: one end of each unit's interval
    return problem, jump, end


def test_with_the_reference_only_entries_on_a_kink_count_as_kinks() -> None:
    problem, _, _ = relu_on_kinks()
    report = verify_gradients(problem.cost, problem.parameters, problem.gradients(), X=problem.X, Y=problem.Y)
    assert report.passed and report.reference is not None
    assert {r.name: r.n_kinks for r in report} == {"W1": 0, "b1": 4, "W2": 0, "b2": 0}
    assert report["b1"].diagnosis is not None and report["b1"].diagnosis.code == "kink"
    assert report["b1"].diagnosis.message == kink_message("4 entries of db1")
    assert all(r.diagnosis is None for r in report if r.name != "b1")


@pytest.mark.parametrize("outside", [False, True])
def test_with_the_reference_a_value_past_the_other_side_of_a_kink_fails(outside: bool) -> None:
    """``db1[j]`` moved by ``jump_j`` takes the other one-sided derivative (any convention passes);
    moved by ``2 jump_j`` it lies outside both and fails, whatever FD says."""
    problem, jump, db1 = relu_on_kinks()
    j = 2
    db1 = db1.copy()
    db1[j, 0] += (2.0 if outside else 1.0) * jump[j, 0]
    report = verify_gradients(
        problem.cost, problem.parameters, {**problem.gradients(), "db1": db1}, X=problem.X, Y=problem.Y
    )
    b1 = report["b1"]
    assert b1.passed is not outside
    if outside:
        assert b1.n_failed == 1 and b1.worst_index == (j, 0) and b1.reference_agrees is False
        assert b1.n_kinks == 3
    else:
        assert b1.n_kinks == 4 and b1.reference_agrees is True
        assert b1.diagnosis is not None and b1.diagnosis.message == kink_message("4 entries of db1")


def test_with_the_reference_a_value_halfway_between_the_sides_of_a_kink_is_a_kink() -> None:
    """db1 halfway between each unit's one-sided derivatives: inside every interval, so a pass,
    with the 4 entries counted as kinks."""
    problem, jump, db1 = relu_on_kinks()
    report = verify_gradients(
        problem.cost,
        problem.parameters,
        {**problem.gradients(), "db1": db1 + jump / 2.0},
        X=problem.X,
        Y=problem.Y,
    )
    assert report.passed and report["b1"].n_kinks == 4


def test_a_relu_network_in_its_linear_regime_passes_with_the_right_gradient() -> None:
    """With every hidden pre-activation near 0 a tanh network's cost is a ReLU network's to 3e-10
    (within recognition's 1e-9) and tanh comes first: the closest match must win, or tanh's
    gradient, 1e-5 off, rejects the right db2. Found by hypothesis (``multiply_for_dot`` with
    n_y = 1, correct code there): one example, one hidden unit, weights about 0.015."""
    X, Y = np.array([[0.12573022]]), np.array([[1.0]])
    parameters = {
        "W1": np.array([[0.01308086]]),
        "b1": np.array([[0.00327813]]),
        "W2": np.array([[-0.01656966]]),
        "b2": np.array([[-0.01673967]]),
    }

    def cost(p: dict[str, np.ndarray]) -> np.ndarray:
        A1 = anp.maximum(anp.dot(p["W1"], X) + p["b1"], 0.0)
        Z2 = anp.dot(p["W2"], A1) + p["b2"]
        return anp.mean(anp.logaddexp(0.0, Z2) - Y * Z2)

    right = {f"d{k}": v for k, v in autograd.grad(cost)(dict(parameters)).items()}
    report = verify_gradients(cost, parameters, right, X=X, Y=Y)
    assert report.passed, str(report)


# -- a flat cost names no reference it cannot tell apart ----------------------------------------


def course_code(g: Activation):  # type: ignore[no-untyped-def]
    """The course's forward and backward passes with hidden activation ``g``, as learners write them
    (``A2 = 1 / (1 + np.exp(-Z2))``, ``dZ2 = A2 - Y``)."""

    def forward_propagation(X, parameters):  # type: ignore[no-untyped-def]
        Z1 = np.dot(parameters["W1"], X) + parameters["b1"]
        A1 = g.forward(Z1)
        Z2 = np.dot(parameters["W2"], A1) + parameters["b2"]
        with np.errstate(over="ignore"):  # exp(-Z2) = inf: A2 = 0, as in the course's code
            A2 = 1 / (1 + np.exp(-Z2))
        return A2, {"Z1": Z1, "A1": A1, "Z2": Z2, "A2": A2}

    def backward_propagation(parameters, cache, X, Y):  # type: ignore[no-untyped-def]
        m = X.shape[1]
        dZ2 = cache["A2"] - Y
        dZ1 = np.dot(parameters["W2"].T, dZ2) * g.derivative(cache["Z1"])
        return {
            "dW1": np.dot(dZ1, X.T) / m,
            "db1": np.sum(dZ1, axis=1, keepdims=True) / m,
            "dW2": np.dot(dZ2, cache["A1"].T) / m,
            "db2": np.sum(dZ2, axis=1, keepdims=True) / m,
        }

    return forward_propagation, backward_propagation


@st.composite
def saturated_points(draw: st.DrawFn) -> NetworkPoint:
    """One hidden layer (tanh, ReLU or leaky ReLU) with weights up to 60: some outputs A2 round to
    exactly 0 or 1 in float64 (|Z2| above about 37), where a cost computed from A2 is flat."""
    point = draw(networks(hidden=st.sampled_from(SATURATING), min_layers=2, max_layers=2, weight_bound=60.0))
    forward_propagation, _ = course_code(point.network.hidden[0])
    A2, _ = forward_propagation(point.X, point.parameters)
    assume(bool(np.any((A2 == 0.0) | (A2 == 1.0))))
    return point


SATURATING = [get_activation(name) for name in ("tanh", "relu", "leaky_relu")]


def named_activation(report: Any) -> str | None:
    """The hidden activation of the reference the report names (None when it names none)."""
    if report.reference is None:
        return None
    found = re.search(r"(\w+)(?: \(alpha=[^)]*\))? hidden layer", report.reference)
    assert found is not None, report.reference
    return found.group(1)


def exact_gradient(point: NetworkPoint, g: Activation) -> dict[str, np.ndarray]:
    """Autograd's gradient of the one-hidden-layer network with hidden activation ``g``, from Z2."""

    def cost(p):  # type: ignore[no-untyped-def]
        Z2 = anp.dot(p["W2"], g.forward(anp.dot(p["W1"], point.X) + p["b1"])) + p["b2"]
        return anp.mean(anp.logaddexp(0.0, Z2) - point.Y * Z2)

    gradient: dict[str, np.ndarray] = autograd.grad(cost)(dict(point.parameters))
    return gradient


def assert_named_right(report: Any, point: NetworkPoint) -> None:
    """The reference named, if any, is the network's activation, or one that gives the same gradient
    here to rounding (a leaky ReLU whose negative units nothing depends on is a ReLU network here)."""
    name = named_activation(report)
    truth = point.network.hidden[0]
    if name is None or name == truth.name:
        return
    named = exact_gradient(point, get_activation(name))
    right = exact_gradient(point, truth)
    for key, value in right.items():
        scale = 64 * EPS * (1.0 + np.abs(value))
        assert np.all(np.abs(named[key] - value) <= scale), (name, truth.name, key, named[key], value)


@given(saturated_points())
def test_a_reference_is_named_on_saturated_outputs_only_when_the_cost_tells_it_apart(
    point: NetworkPoint,
) -> None:
    """The general form, with the course's cost on probabilities: where it is flat, several networks
    fit it and the one named must not be a guess."""
    g = point.network.hidden[0]
    forward_propagation, backward_propagation = course_code(g)
    _, cache = forward_propagation(point.X, point.parameters)
    gradients = backward_propagation(point.parameters, cache, point.X, point.Y)

    def cost_fn(p):  # type: ignore[no-untyped-def]
        return course_cost(forward_propagation(point.X, p)[0], point.Y)

    report = verify_gradients(cost_fn, point.parameters, gradients, X=point.X, Y=point.Y)
    note(f"{g.name}: Z2 = {cache['Z2']}, Y = {point.Y}\n{report}")
    assert_named_right(report, point)


@given(saturated_points())
def test_correct_code_in_the_learner_form_with_saturated_outputs_is_right(point: NetworkPoint) -> None:
    """The learner form without ``compute_cost``: gradcheck's own cross-entropy is taken from the
    logits in the learner's cache (``Z2``), not from ``A2``, so it is not flat where outputs round
    to 0 or 1, and finite differences follow the learner's right ``dZ2 = A2 - Y`` there."""
    g = point.network.hidden[0]
    forward_propagation, backward_propagation = course_code(g)
    report = verify_gradients(
        forward=forward_propagation,
        backward=backward_propagation,
        parameters=point.parameters,
        X=point.X,
        Y=point.Y,
    )
    note(f"{g.name}: Z2 = {forward_propagation(point.X, point.parameters)[1]['Z2']}, Y = {point.Y}\n{report}")
    assert report.passed
    assert_named_right(report, point)


def all_outputs_at_zero(b2: float) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]]:
    """X, Y and a leaky ReLU network whose every output rounds to 0 (Z2 from about b2 − 7800 to
    b2 − 360), some hidden units below 0: the course's cost is the same constant (the floored logs of
    the three examples with Y = 1) at the point and near it, whatever the hidden layer."""
    X = np.array([[-1.7, 0.3, 2.1, -0.4, 1.2], [0.6, -1.1, 0.2, 1.5, -0.8]])
    Y = np.array([[0.0, 0.0, 1.0, 1.0, 1.0]])
    parameters = {
        "W1": np.array([[40.0, -25.0], [-30.0, 45.0], [20.0, 35.0]]),
        "b1": np.array([[1.0], [-2.0], [0.5]]),
        "W2": np.array([[-30.0, -50.0, -40.0]]),
        "b2": np.array([[b2]]),
    }
    return X, Y, parameters


def flat_report(b2: float, derivative: str = "leaky_relu") -> Any:
    """The general form with the course's cost, on :func:`all_outputs_at_zero`; the backward pass
    takes the hidden layer's derivative from ``derivative``."""
    X, Y, parameters = all_outputs_at_zero(b2)
    forward_propagation, _ = course_code(get_activation("leaky_relu"))
    _, backward_propagation = course_code(get_activation(derivative))
    A2, cache = forward_propagation(X, parameters)
    assert np.all(A2 == 0.0)
    return verify_gradients(
        lambda p: course_cost(forward_propagation(X, p)[0], Y),
        parameters,
        backward_propagation(parameters, cache, X, Y),
        X=X,
        Y=Y,
    )


def test_a_cost_flat_at_the_point_names_the_network_where_its_outputs_are_moderate() -> None:
    """Flat at the point (b2 = −1000), the cost is not near the point scaled by 1/4 (b2 = −250,
    outputs about e⁻²⁵⁰ there, no longer 0): the leaky ReLU network is named there, and its exact
    gradient at the point passes the right code and fails the ReLU's derivative, which finite
    differences of a constant cannot do."""
    right = flat_report(-1000.0)
    assert right.passed, str(right)
    assert right.reference == "reference network, leaky_relu (alpha=0.01) hidden layer (autograd)"
    assert any("near them scaled by 0.25, where the outputs are moderate" in n for n in right.notes)
    wrong = flat_report(-1000.0, derivative="relu")
    assert not wrong.passed
    assert [result.name for result in wrong.failed] == ["W1", "b1"], str(wrong)


def test_a_cost_that_raises_at_the_scaled_points_breaks_no_tie_and_is_not_blamed() -> None:
    """A cost defined only near the point (it raises for b2 above −900): the tie near the point
    stays, and the check reports it as without a scaled point, with no error about the cost."""
    X, Y, parameters = all_outputs_at_zero(-1000.0)
    forward_propagation, backward_propagation = course_code(get_activation("leaky_relu"))
    _, cache = forward_propagation(X, parameters)

    def cost_fn(p):  # type: ignore[no-untyped-def]
        if float(p["b2"][0, 0]) > -900.0:
            raise ValueError("b2 out of range")
        return course_cost(forward_propagation(X, p)[0], Y)

    report = verify_gradients(cost_fn, parameters, backward_propagation(parameters, cache, X, Y), X=X, Y=Y)
    assert report.reference is None
    assert any(n.startswith("the cost takes the same value, to 1e-09 relative") for n in report.notes)


def test_a_flat_cost_names_no_reference_and_the_report_says_why() -> None:
    """Flat at the point and near it scaled by 1/4 and 1/16 (b2 = −10⁵: outputs round to 0 at all
    three): no reference is named and the note says so."""
    report = flat_report(-1e5)
    assert report.reference is None
    flat = [n for n in report.notes if n.startswith("the cost takes the same value, to 1e-09 relative")]
    assert (
        len(flat) == 1
        and "so none is taken and the gradients are checked by finite differences alone" in flat[0]
    )
    assert not any("matches none of them" in n for n in report.notes)

"""What a check measures before any verdict: the noise, the planned finite differences, the scale G.

The noise estimate is paid for up front only when enough entries are checked one by one (at least
``NOISE_UP_FRONT``, whose differences cost 8 times what it does) and no step is given; with fewer,
only once an entry disagrees, and the differences are taken again when the measured noise is larger
than the dtype's rounding (else they stand, with the noise they were taken at).
The scale ``G`` of every tolerance comes from the finite differences (or the reference), never
from the gradient under test. Expected evaluation counts come from ``tests/budgets.py``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import my_course_code
import numpy as np
import pytest
from hypothesis import assume, given, note
from hypothesis import strategies as st

from gradcheck import GradcheckError, verify_gradients
from gradcheck.setting import EXHAUSTIVE_UP_TO, NOISE_UP_FRONT
from tests.budgets import CENTRAL, NOISE, START, late_noise, off_kink_look


def exp_cost(p: dict[str, np.ndarray]) -> Any:
    """``J = Σ exp(w)``: smooth, gradient exp(w), rounding of about ε|J|."""
    return np.sum(np.exp(p["w"]))


def noisy(cost: Callable[[dict[str, np.ndarray]], Any]) -> Callable[[dict[str, np.ndarray]], float]:
    """``cost`` plus a deterministic ripple of amplitude 1e-9, far above float64 rounding: a cost
    noisier than its dtype."""

    def rippled(p: dict[str, np.ndarray]) -> float:
        phase = sum(float(np.sum(v * np.arange(1, v.size + 1).reshape(v.shape))) for v in p.values())
        return float(cost(p)) + 1e-9 * np.sin(1e9 * phase)

    return rippled


def point(size: int, seed: int = 1) -> np.ndarray:
    return np.random.default_rng(seed).uniform(-1, 1, size=size)


# -- when the noise is measured -------------------------------------------------------------------


@pytest.mark.parametrize("size", [1, NOISE_UP_FRONT - 1])
def test_fewer_entries_than_noise_up_front_skip_the_estimate_when_every_entry_agrees(size: int) -> None:
    w = point(size)
    report = verify_gradients(exp_cost, {"w": w}, {"dw": np.exp(w)})
    assert report.passed and report.notes == ()
    assert report.evaluations == START + CENTRAL * size


def test_noise_up_front_entries_measure_the_estimate_up_front() -> None:
    w = point(NOISE_UP_FRONT)
    report = verify_gradients(exp_cost, {"w": w}, {"dw": np.exp(w)})
    assert report.passed
    assert report.evaluations == START + NOISE + CENTRAL * NOISE_UP_FRONT


def test_a_callers_step_needs_no_noise_estimate() -> None:
    w = point(NOISE_UP_FRONT)
    right = verify_gradients(exp_cost, {"w": w}, {"dw": np.exp(w)}, step=1e-5)
    assert right.passed and right.evaluations == START + CENTRAL * NOISE_UP_FRONT
    few = point(NOISE_UP_FRONT - 1)
    bad = np.exp(few)
    bad[2] += 0.1
    wrong = verify_gradients(exp_cost, {"w": few}, {"dw": bad}, step=1e-5)
    assert not wrong.passed and wrong["w"].n_failed == 1
    assert wrong.evaluations == START + CENTRAL * few.size + len(off_kink_look(1.0))


def test_a_disagreeing_entry_among_few_measures_the_noise_and_keeps_the_differences_it_had() -> None:
    """The noise of ``Σ exp(w)`` is its rounding: measured, it is no larger than assumed, so the
    differences stand; the disagreement outlives it, so a staircase is looked for along the
    estimate's second line too, and the wrong entry then costs its kink investigation."""
    w = point(4)
    bad = np.exp(w)
    bad[2] += 0.1
    report = verify_gradients(exp_cost, {"w": w}, {"dw": bad})
    assert not report.passed and report["w"].n_failed == 1 and report["w"].worst_index == (2,)
    assert report.notes == ()
    assert report.evaluations == START + CENTRAL * w.size + late_noise(w.size) + len(off_kink_look(1.0))


def test_a_noisy_cost_with_few_entries_is_measured_and_its_differences_taken_again() -> None:
    """At the dtype's rounding the differences of a rippled cost disagree with the right gradient;
    the measured noise is larger, so they are taken again at its steps and agree. A gradient of the
    wrong shape, met first, does not stop the search for a disagreement."""
    w, v = point(4), point(2, seed=2)
    cost = noisy(lambda p: np.sum(np.exp(p["w"])) + np.sum(p["v"] ** 2))
    report = verify_gradients(cost, {"v": v, "w": w}, {"dv": 2 * v.reshape(1, 2), "dw": np.exp(w)})
    assert report["w"].passed and not report["v"].passed and report["v"].mode == "none"
    assert any(note.startswith("the cost is noisier than rounding alone") for note in report.notes)
    entries = v.size + w.size
    assert report.evaluations == START + CENTRAL * entries + NOISE + CENTRAL * entries


def test_a_noisy_cost_sampled_has_only_its_sampled_entries_taken_again() -> None:
    w = point(8)
    samples = 5
    report = verify_gradients(noisy(exp_cost), {"w": w}, {"dw": np.exp(w)}, mode="sampled", samples=samples)
    assert report.passed and report["w"].checked == samples
    assert any(note.startswith("the cost is noisier than rounding alone") for note in report.notes)
    assert report.evaluations == START + CENTRAL * samples + NOISE + CENTRAL * samples


def test_float32_gradients_among_few_entries_agree_at_their_own_precision() -> None:
    """Rounded to float32 (relative error up to 6e-8), the right gradient is judged with float32's ε:
    it agrees at once, and no noise estimate is needed."""
    w = point(4)
    report = verify_gradients(exp_cost, {"w": w}, {"dw": np.exp(w).astype(np.float32)})
    assert report.passed
    assert report.evaluations == START + CENTRAL * w.size


# -- which entries finite differences take ----------------------------------------------------------


def test_sampled_mode_takes_the_differences_of_distinct_sampled_entries_only() -> None:
    """7 of 8 entries: drawn with replacement, two would almost surely coincide (98%)."""
    w = point(8)
    samples = 7
    report = verify_gradients(exp_cost, {"w": w}, {"dw": np.exp(w)}, mode="sampled", samples=samples)
    result = report["w"]
    assert report.passed and result.mode == "sampled" and result.checked == samples
    assert report.evaluations == START + CENTRAL * samples  # fewer than NOISE_UP_FRONT: no estimate


@pytest.mark.parametrize(
    ("size", "mode"), [(EXHAUSTIVE_UP_TO, "exhaustive"), (EXHAUSTIVE_UP_TO + 1, "directional")]
)
def test_auto_mode_is_exhaustive_up_to_its_size_limit(size: int, mode: str) -> None:
    w = point(size)
    result = verify_gradients(exp_cost, {"w": w}, {"dw": np.exp(w)})["w"]
    assert result.passed and result.mode == mode
    assert result.checked == (size if mode == "exhaustive" else 0)


# -- the scale G ------------------------------------------------------------------------------------


def test_the_scale_comes_from_the_finite_differences_not_from_the_gradient_under_test() -> None:
    """One absurd entry (1e12) must not widen every other entry's tolerance, whose ``ε max(G, 1)``
    term it would make 2e-2: an entry 1e-3 off still fails beside it."""
    w = point(12).reshape(3, 4)
    bad = np.exp(w)
    bad[0, 0] = 1e12
    bad[2, 3] += 1e-3
    result = verify_gradients(exp_cost, {"w": w}, {"dw": bad})["w"]
    assert not result.passed and result.n_failed == 2


def test_a_check_along_directions_without_a_usable_gradient_still_reports() -> None:
    """No finite differences are taken entry by entry and no reference is known: the scale falls
    back to the gradients, of which none (or none finite) is usable."""
    w = point(12).reshape(3, 4)
    missing = verify_gradients(exp_cost, {"w": w}, {}, mode="directional")
    assert not missing.passed and missing["w"].diagnosis is not None
    assert missing["w"].diagnosis.code == "missing_gradient"
    nan = verify_gradients(exp_cost, {"w": w}, {"dw": np.full(w.shape, np.nan)}, mode="directional")
    assert not nan.passed and nan["w"].n_failed == w.size
    assert nan["w"].diagnosis is not None and nan["w"].diagnosis.code == "non_finite"


# -- where the error estimate must be measured, not assumed ---------------------------------------


@given(
    seed=st.integers(0, 2**32 - 1),
    logit=st.floats(14.0, 18.0),
    n_x=st.integers(1, 4),
    n_h=st.integers(1, 5),
)
def test_the_course_cost_of_one_confident_wrong_output_is_measured_as_noisy_as_it_is(
    seed: int, logit: float, n_x: int, n_h: int
) -> None:
    """The course's ``compute_cost`` with ``m = 1``, ``Y = 0`` and ``Z2`` of 14 to 18: ``log(1 − A2)``
    with ``A2`` within 1e-6 of 1 carries a rounding of ``ε / (1 − A2)``, 1e-10 to 1e-9, one
    operation's sawtooth. Correct code (the notebook's own backward pass) passes without ``X, Y``."""
    rng = np.random.default_rng(seed)
    X, Y = rng.standard_normal((n_x, 1)), np.zeros((1, 1))
    parameters = {
        "W1": rng.standard_normal((n_h, n_x)),
        "b1": 0.5 * rng.standard_normal((n_h, 1)),
        "W2": rng.standard_normal((1, n_h)),
        "b2": 0.5 * rng.standard_normal((1, 1)),
    }
    _, cache = my_course_code.forward_propagation(X, parameters)
    z2 = float(cache["Z2"][0, 0])
    assume(abs(z2) > 1e-3)
    parameters["W2"], parameters["b2"] = parameters["W2"] * (logit / z2), parameters["b2"] * (logit / z2)
    _, cache = my_course_code.forward_propagation(X, parameters)
    gradients = my_course_code.backward_propagation(parameters, cache, X, Y)

    def cost_fn(p: dict[str, np.ndarray]) -> float:
        return float(my_course_code.compute_cost(my_course_code.forward_propagation(X, p)[0], Y))

    report = verify_gradients(cost_fn, parameters, gradients)
    note(str(report))
    assert report.passed


@given(
    seed=st.integers(0, 2**32 - 1),
    log_k=st.floats(3.0, 3.1),
    size=st.integers(1, 6),
    planted=st.integers(0, 5),
)
def test_a_cost_curved_far_beyond_its_gradients_scale_is_judged_at_its_measured_truncation(
    seed: int, log_k: float, size: int, planted: int
) -> None:
    """``J = Σ softplus(k w_i) / k`` with k of 1e3 to 1.26e3 and ``k w`` in ±2: the gradient
    ``σ(k w)`` is at most 1, its third derivative ``k² σ″`` up to 1.5e5, so the central difference's
    truncation ``h² J‴ / 6`` is far beyond ``h² G``. The right gradient passes; one entry off by
    1e-4 of itself still fails. (Beyond k of about 1.5e3 the one-sided pairs of the kink climb
    see a kink in such curvature and pass the wrong entry, before and after the truncation is
    measured: a limit of the climb, not of this measurement.)"""
    rng = np.random.default_rng(seed)
    k = 10.0**log_k
    w = rng.uniform(-2.0, 2.0, size) / k

    def cost_fn(p: dict[str, np.ndarray]) -> float:
        return float(np.sum(np.logaddexp(0.0, k * p["w"])) / k)

    right = 1.0 / (1.0 + np.exp(-k * w))  # σ(k w), written here
    report = verify_gradients(cost_fn, {"w": w}, {"dw": right})
    note(str(report))
    assert report.passed
    wrong = right.copy()
    wrong[planted % size] *= 1.0 + 1e-4
    assert not verify_gradients(cost_fn, {"w": w}, {"dw": wrong}).passed


# -- a step that leaves the cost's finite values ---------------------------------------------------


def walled(wall: float) -> Callable[[dict[str, np.ndarray]], float]:
    """``Σ w²`` in float32, returned as a Python float (a default step of about 4e-3), and infinite
    past ``w[0] = wall``: as a float32 output pushed to ``log 0`` by a step."""

    def cost(p: dict[str, np.ndarray]) -> float:
        w = p["w"].astype(np.float32)
        return float("inf") if w[0] > wall else float(np.sum(w * w))

    return cost


def test_an_entry_whose_default_step_meets_an_infinite_cost_is_differenced_at_a_smaller_one() -> None:
    """Finite at the point, infinite 1e-3 above it: the default step (about 4e-3) is cut by
    ``FINITE_SHRINK`` until both sides are finite, and the right gradient passes."""
    w = np.array([0.5, -0.25, 0.75])
    report = verify_gradients(walled(0.501), {"w": w}, {"dw": 2 * w})
    assert report.passed and report["w"].checked == w.size


def test_a_cost_infinite_however_near_the_point_or_at_the_callers_step_still_raises() -> None:
    w = np.array([0.5, -0.25, 0.75])
    with pytest.raises(GradcheckError, match=r"returned inf (near|with w\[0\] perturbed)"):
        verify_gradients(walled(0.5 + 1e-12), {"w": w}, {"dw": 2 * w})
    with pytest.raises(GradcheckError, match=r"returned inf with w\[0\] perturbed by \+0\.01"):
        verify_gradients(walled(0.501), {"w": w}, {"dw": 2 * w}, step=1e-2)

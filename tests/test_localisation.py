"""Locating the wrong entries of a block checked along directions, without a reference.

When a block's own direction fails, group testing narrows the failure down to entries, and each
entry found is confirmed by its own finite difference; beyond ``max_wrong`` wrong places the search
gives up and a sample of entries is checked one by one; an error spread too thin for any entry to
show is told from a fluke by one fresh direction. Expected values come from the planted change and
from derivatives known in closed form.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from gradcheck import verify_gradients
from tests.budgets import directions_taken
from tests.cases import EPS, SAFETY, Cost

#: Where the planted block is wrong (flat indices).
PLANTED = [3, 10, 17, 30, 41]


def cubic_block() -> tuple[Cost, np.ndarray, np.ndarray]:
    """``J = Σ w³/3`` on a 6×8 block (gradient w²) with the ``PLANTED`` entries off by 0.5."""
    w = np.random.default_rng(0).uniform(0.5, 1.5, size=(6, 8))
    bad = w**2
    bad.reshape(-1)[PLANTED] += 0.5
    return (lambda p: np.sum(p["w"] ** 3) / 3.0), w, bad


def test_group_testing_finds_the_wrong_entries_and_fd_checks_just_those() -> None:
    cost_fn, w, bad = cubic_block()
    report = verify_gradients(cost_fn, {"w": w}, {"dw": bad}, mode="directional")
    result = report["w"]
    assert not result.passed and result.n_failed == len(PLANTED) and result.checked == len(PLANTED)


def test_beyond_max_wrong_group_testing_gives_up_and_checks_a_sample() -> None:
    """Five wrong entries, ``max_wrong=3``: the search stops and ``samples`` entries are checked one
    by one; with ``samples`` the block's size, every entry is, once."""
    cost_fn, w, bad = cubic_block()
    report = verify_gradients(cost_fn, {"w": w}, {"dw": bad}, mode="directional", max_wrong=3)
    assert not report.passed and report["w"].checked >= 16  # the default number of samples
    every = verify_gradients(cost_fn, {"w": w}, {"dw": bad}, mode="directional", max_wrong=3, samples=w.size)
    result = every["w"]
    assert result.checked == w.size and result.n_failed == len(PLANTED)
    assert result.worst_numeric is not None


def test_a_wrong_entry_located_by_directions_is_confirmed_with_the_complex_step() -> None:
    """No reference: directions fail, group testing finds the entry, and its confirmation takes the
    derivative with the asked method (the complex step, whose error needs the value and ε)."""
    rng = np.random.default_rng(0)
    w = rng.uniform(0.5, 1.5, size=(6, 5))

    def cost_fn(p):  # type: ignore[no-untyped-def]
        return np.sum(p["w"] ** 3) / 3.0  # complex-safe; gradient w²

    g = w**2
    g[3, 1] += 0.5
    report = verify_gradients(cost_fn, {"w": w}, {"dw": g}, mode="directional", method="complex")
    result = report["w"]
    assert report.method == "complex"
    assert not result.passed and result.n_failed == 1 and result.worst_index == (3, 1)
    assert result.worst_numeric == pytest.approx(w[3, 1] ** 2, rel=1e-12)
    # the complex step's error estimate 4ε(|n| + max(G, 1)) sits inside the tolerance
    G = float(np.max(np.abs(g)))
    floor = SAFETY * (4 * EPS * (w[3, 1] ** 2 + max(G, 1.0)) + EPS * (abs(g[3, 1]) + max(G, 1.0)))
    assert result.worst_tolerance == pytest.approx(floor, rel=1e-6)


def test_a_diffuse_error_no_entry_shows_alone_fails_on_a_fresh_direction() -> None:
    """Every entry 3e-9 too large (relative): the sensitive direction fails (the Gaussian ones
    cannot resolve so small an error), group testing along it locates no entry (each half stays
    within its tolerance), and one fresh sensitive direction decides between a fluke and a diffuse
    error: it fails too, so the block fails with no entry named, after the joint directions, the
    block's own and one fresh; the report says that no entry was located."""
    w = np.random.default_rng(0).uniform(0.5, 1.5, size=(6, 8))

    def cost_fn(p):  # type: ignore[no-untyped-def]
        return np.sum(p["w"] ** 3) / 3.0

    joint = 2
    report = verify_gradients(
        cost_fn, {"w": w}, {"dw": w**2 * (1 + 3e-9)}, mode="directional", directions=joint
    )
    result = report["w"]
    assert not result.passed and result.n_failed == 0 and result.checked == 0
    assert result.directions == directions_taken(joint) + 1 + 1
    assert "no single entry of 48 located" in result.summary()
    assert "at least 0" not in result.summary() and "at least 0" not in str(report)


@given(st.floats(1e-9, 1e-6), st.integers(0, 2**32 - 1))
def test_a_wrong_block_says_how_many_entries_were_found_wrong_or_that_none_was(
    relative: float, seed: int
) -> None:
    """Issue 17: "at least 0 of 27 entries beyond tolerance" beside WRONG. A block wrong along
    directions either names the entries found wrong or says that none was located."""
    w = np.random.default_rng(seed).uniform(0.5, 1.5, size=(6, 8))
    report = verify_gradients(
        lambda p: np.sum(p["w"] ** 3) / 3.0, {"w": w}, {"dw": w**2 * (1 + relative)}, mode="directional"
    )
    result = report["w"]
    if result.passed:
        return
    for text in (result.summary(), str(report)):
        assert " 0 of 48 entries beyond tolerance" not in text, text
    assert (result.n_failed == 0) == ("no single entry of 48 located" in result.summary()), result.summary()

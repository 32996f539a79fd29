"""Blocks checked along random directions: first all together, then, when a joint direction fails,
each block alone along its own part of that direction.

A direction tests a whole block at the cost of one difference; a NaN entry keeps its block out of
the joint directions (it fails anyway). Expected values come from the cost's own calls (the
offsets it was evaluated at) or from the planted change.
"""

from __future__ import annotations

import numpy as np
import pytest

from gradcheck import verify_gradients


def cubes(seed: int, shape: tuple[int, int]) -> np.ndarray:
    """A point of ``J = Σ w³/3`` (gradient w²) away from 0."""
    return np.random.default_rng(seed).uniform(0.5, 1.5, size=shape)


def test_after_a_joint_direction_fails_each_block_is_measured_alone_along_that_same_direction() -> None:
    """Blocks w (wrong) and v (right) are first moved together; when that direction fails, w is
    moved alone along its part of the same direction, so that the joint miss is split, not
    re-drawn."""
    w, v = cubes(0, (6, 8)), cubes(1, (5, 7))
    deltas: list[dict[str, np.ndarray]] = []

    def cost_fn(p):  # type: ignore[no-untyped-def]
        deltas.append({"w": p["w"] - w, "v": p["v"] - v})
        return np.sum(p["w"] ** 3) / 3.0 + np.sum(p["v"] ** 3) / 3.0

    bad = 2 * w**2
    report = verify_gradients(cost_fn, {"w": w, "v": v}, {"dw": bad, "dv": v**2}, mode="directional")
    assert not report["w"].passed and report["v"].passed
    joint = next(d["w"] for d in deltas if np.any(d["w"]) and np.any(d["v"]))
    alone = next(d["w"] for d in deltas if np.count_nonzero(d["w"]) > 1 and not np.any(d["v"]))
    cosine = float(np.sum(joint * alone) / (np.linalg.norm(joint) * np.linalg.norm(alone)))
    assert abs(cosine) == pytest.approx(1.0, abs=1e-9)


def test_a_block_with_a_nan_entry_is_not_checked_along_directions() -> None:
    w = cubes(0, (6, 8))

    def cost_fn(p):  # type: ignore[no-untyped-def]
        return np.sum(p["w"] ** 3) / 3.0 + np.sum(p["v"] ** 3) / 3.0

    nan = w**2
    nan[0, 0] = np.nan
    report = verify_gradients(cost_fn, {"w": w, "v": w.copy()}, {"dw": nan, "dv": w**2}, mode="directional")
    assert not report["w"].passed and report["w"].n_failed == 1
    assert report["w"].directions == 0 and report["w"].checked == 0
    assert report["v"].passed and report["v"].directions == 2  # the default number of directions


def test_a_block_checked_along_directions_reports_their_relative_error() -> None:
    """No reference and no entry checked alone: the relative error comes from the directions, so
    it is that of finite differences, small but not 0."""
    w = cubes(0, (6, 8))
    report = verify_gradients(lambda p: np.sum(p["w"] ** 3) / 3.0, {"w": w}, {"dw": w**2}, mode="directional")
    assert report.passed and report["w"].checked == 0
    assert 0.0 < report["w"].relative_error < 1e-7

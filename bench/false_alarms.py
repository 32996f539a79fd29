"""False alarms on correct code, and detection of a planted one-entry error, beside the course's check.

The code under test is correct: the course's one-hidden-layer network written by hand
(``bench/course_network.py``: forward_propagation / compute_cost / backward_propagation, any
hidden activation, sigmoid output, cross-entropy), held to autograd by
``tests/test_false_alarms_bench.py``. Two measurements:

1. **False alarms.** For each kind of problem (:data:`KINDS`: float64 and float32, the general form
   with and without ``X, Y`` and the learner form, saturated outputs, ReLU kinks near the point,
   ``W1 = 0``, large logits, ``m = 1``, directional mode), random problems drawn from a seed, each
   checked once by ``gradcheck.verify_gradients`` with the gradients the correct code returns. A
   false alarm is ``not report.passed`` (or a ``GradcheckError`` raised on the correct call). Calls
   that fall in a case the documentation declares out of reach (docs/judging.md: saturated outputs
   without ``X, Y``; several kinks meeting on one coordinate, where correct code returns a value
   outside the one-sided derivatives, without ``X, Y``, when every failing entry is such a value)
   are counted apart as "documented" and left out of the rate.
2. **Detection.** One entry of one gradient multiplied by ``1 + δ``, δ in 1e-1 … 1e-5, in each mode
   (exhaustive: at most 1,000 parameters; directional: more than 1,000, the course's ``randn *
   0.01`` initialisation). Checked by gradcheck without ``X, Y`` (finite differences alone), with
   ``X, Y`` (the learner's situation), and by the course's ``gradient_check_n`` (2P loop,
   ``epsilon = 1e-7``, a mistake when the relative difference exceeds 2e-7). The gradient is chosen
   uniformly among the four; the entry uniformly among its nonzero entries within 10× of the median
   magnitude of its nonzero entries whose error at δ = 1e-4 is at least 1e-8 (``TYPICAL``,
   ``VISIBLE``, as in ``bench/directional_sensitivity.py``: a typical entry, since one far below the
   block's size is below any checker's resolution and one far above is the easy case; and an error
   about twice what the entry-by-entry check resolves, 4e-9, since a smaller one is below finite
   differences' reach in every mode).

Every false alarm (and every miss of gradcheck at δ ≥ 1e-4) is written with its exact call to
``--cases PATH``; ``--replay PATH`` runs those calls again and says which still go wrong::

    python bench/false_alarms.py                                   # about a minute
    python bench/false_alarms.py --calls 20000 --jobs 2 --write docs/benchmarks.md
    python bench/false_alarms.py --calls 3000 --jobs 2 --cases bench/false_alarm_cases.json
    python bench/false_alarms.py --replay bench/false_alarm_cases.json
    python bench/false_alarms.py --kinds kink_near_relu,w1_zero --calls 500
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
import warnings
import zlib
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import numpy as np

BENCH = str(Path(__file__).resolve().parent)
if BENCH not in sys.path:  # appended: bench/distributed.py must not hide Dask's distributed in a test run
    sys.path.append(BENCH)

from course_network import (  # noqa: E402
    ACTIVATION_NAMES,
    COURSE_COSTS,
    COURSE_THRESHOLD,
    KEYS,
    TYPICAL,
    VISIBLE,
    CourseNetwork,
)
from markdown_block import replace_block  # noqa: E402  (bench/, beside this script)

from gradcheck import GradcheckError, verify_gradients  # noqa: E402

__all__ = [
    "DELTAS",
    "DETECTION_MODES",
    "KINDS",
    "Call",
    "Kind",
    "Outcome",
    "course_gradients",
    "detection_problem",
    "planted_entry",
    "run_call",
    "run_course_check",
]

#: Planted relative errors of the detection table.
DELTAS: tuple[float, ...] = (1e-1, 1e-2, 1e-3, 1e-4, 1e-5)
#: The planted error the target is set at (issue 17: ≥ 95% in every mode): the entry must be visible
#: at it (:data:`course_network.VISIBLE`); the smaller δ show where detection falls off.
TARGET_DELTA = 1e-4
#: gradcheck's misses at these δ and above go to the cases file.
MISS_RECORDED_FROM = TARGET_DELTA


# --------------------------------------------------------------------------------------------------
# One call: everything needed to rebuild it exactly, and running it
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Call:
    """One ``verify_gradients`` call on the course's network: the reproducer of a case.

    Attributes
    ----------
    kind : str
        The kind of problem (a key of :data:`KINDS`, or ``detect_<mode>``).
    seed, index : int
        The run's ``--seed`` and the call's number: ``numpy.random.default_rng([crc32(kind), seed,
        index])`` drew it.
    activation : str
        Hidden activation (``sigmoid``, ``tanh``, ``relu``, ``leaky_relu``, ``identity``).
    form : {"general", "learner"}
        ``verify_gradients(cost_fn, parameters, gradients, ...)`` or ``verify_gradients(forward=,
        backward=, compute_cost=, ...)``.
    cost : {"course", "course_dtype", "logits", "default"}
        The cost: Week 3's ``compute_cost`` on ``A2`` (a Python float), Week 4's (``np.squeeze``,
        the dtype kept), the cross-entropy from the logits ``(1/m) Σ logaddexp(0, Z2) − Y Z2``
        (smooth at any ``Z2``), or the learner form's default (``compute_cost=None``).
    with_data : bool
        Whether ``X, Y`` go to the general form (the learner form always takes them).
    arrays : dict of str to ndarray
        ``X`` (n_x, m), ``Y`` (1, m), ``W1`` (n_h, n_x), ``b1`` (n_h, 1), ``W2`` (1, n_h), ``b2``
        (1, 1), in their dtypes; the cost computes in the dtype of ``W1``.
    planted : tuple or None
        ``(gradient key, flat index, δ)``: that entry of the correct gradient times ``1 + δ``.
    alpha : float
        Leaky ReLU's slope.
    """

    kind: str
    seed: int
    index: int
    activation: str
    form: str
    cost: str
    with_data: bool
    arrays: dict[str, np.ndarray] = field(repr=False)
    planted: tuple[str, int, float] | None = None
    alpha: float = 0.01

    @property
    def parameters(self) -> dict[str, np.ndarray]:
        return {key: self.arrays[key] for key in KEYS}

    @property
    def network(self) -> CourseNetwork:
        return CourseNetwork(self.activation, self.alpha)

    def to_json(self) -> dict[str, Any]:
        """The call as JSON: what draws it again (kind, seed, index), the options set on it, and the
        SHA-256 of its arrays (:func:`digest`), which :meth:`from_json` checks."""
        return {
            "kind": self.kind,
            "seed": self.seed,
            "index": self.index,
            "activation": self.activation,
            "alpha": self.alpha,
            "form": self.form,
            "cost": self.cost,
            "with_data": self.with_data,
            "planted": None if self.planted is None else list(self.planted),
            "digest": digest(self.arrays),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Call:
        """The call :meth:`to_json` wrote, exactly: drawn again, with its options.

        Raises
        ------
        ValueError
            When the arrays drawn again do not match the digest: the generator changed since (replay
            with the bench of the commit that wrote the cases).
        """
        kind, seed, index, planted = data["kind"], data["seed"], data["index"], data["planted"]
        drawn = (
            detection_problem(kind.removeprefix("detect_"), seed, index)
            if kind.startswith("detect_")
            else draw_call(kind, seed, index)
        )
        if digest(drawn.arrays) != data["digest"]:
            raise ValueError(
                f"{kind} seed {seed} index {index} draws other arrays now: the generator changed"
            )
        return replace(
            drawn,
            activation=data["activation"],
            alpha=data["alpha"],
            form=data["form"],
            cost=data["cost"],
            with_data=data["with_data"],
            planted=None if planted is None else (planted[0], int(planted[1]), float(planted[2])),
        )


def digest(arrays: dict[str, np.ndarray]) -> str:
    """SHA-256 of the arrays' names, dtypes, shapes and bytes, in name order."""
    sha = hashlib.sha256()
    for name in sorted(arrays):
        a = np.ascontiguousarray(arrays[name])
        sha.update(f"{name}:{a.dtype.str}:{a.shape};".encode())
        sha.update(a.tobytes())
    return sha.hexdigest()


def logits_cost(Z2: np.ndarray, Y: np.ndarray) -> Any:
    """The cross-entropy from the logits, as a learner writes it: ``(1/m) Σ logaddexp(0, Z2) − Y Z2``.

    Equal to the course's cost on ``A2 = σ(Z2)``, without its rounding where ``A2`` nears 0 or 1;
    ``dZ2 = A2 − Y`` is its exact gradient at every ``Z2``. ``Z2`` and ``Y`` are (1, m).
    """
    m = Y.shape[1]
    return np.sum(np.logaddexp(0, Z2) - Y * Z2) / m


def cost_function(call: Call) -> Callable[[dict[str, np.ndarray]], Any]:
    """The general form's ``cost_fn(parameters)``: the parameters cast to the code's dtype, the
    forward pass, then the call's cost."""
    network, X, Y = call.network, call.arrays["X"], call.arrays["Y"]
    dtype = call.arrays["W1"].dtype

    def cost_fn(parameters: dict[str, np.ndarray]) -> Any:
        A2, cache = network.forward_propagation(
            X, {k: np.asarray(v, dtype=dtype) for k, v in parameters.items()}
        )
        if call.cost == "logits":
            return logits_cost(cache["Z2"], Y)
        return COURSE_COSTS[call.cost](A2, Y)

    return cost_fn


def course_gradients(call: Call) -> dict[str, np.ndarray]:
    """The correct code's gradients at the call's point (its backward pass), with the planted error."""
    network, X, Y = call.network, call.arrays["X"], call.arrays["Y"]
    with np.errstate(all="ignore"):
        _, cache = network.forward_propagation(X, call.parameters)
        grads = network.backward_propagation(call.parameters, cache, X, Y)
    grads = {key: np.array(value) for key, value in grads.items()}
    if call.planted is not None:
        key, flat, delta = call.planted
        grads[key].flat[flat] *= 1 + delta
    return grads


@dataclass(frozen=True)
class Outcome:
    """What one call gave: passed or not, why it is documented (or None), and one line to show."""

    call: Call
    passed: bool
    documented: str | None
    message: str


def message_of(report: Any) -> str:
    """The report's headline and its first failing gradient's summary, on one line."""
    failed = report.failed
    detail = failed[0].summary() if failed else ""
    return f"{report.headline()} {detail}".strip()


def run_call(call: Call) -> Outcome:
    """Run ``verify_gradients`` as the call says; a ``GradcheckError`` counts as not passed."""
    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            report = check(call)
    except GradcheckError as error:
        message = f"raised GradcheckError: {str(error).splitlines()[0]}"
        return Outcome(call, False, documented_case(call, None), message)
    return Outcome(call, report.passed, documented_case(call, failing_entries(report)), message_of(report))


def check(call: Call) -> Any:
    """The ``verify_gradients`` call itself."""
    X, Y = call.arrays["X"], call.arrays["Y"]
    network = call.network
    if call.form == "learner":
        compute_cost = None if call.cost == "default" else COURSE_COSTS[call.cost]
        return verify_gradients(
            forward=network.forward_propagation,
            backward=network.backward_propagation,
            compute_cost=compute_cost,
            parameters=call.parameters,
            X=X,
            Y=Y,
        )
    data = (X, Y) if call.with_data else (None, None)
    return verify_gradients(cost_function(call), call.parameters, course_gradients(call), *data)


def run_course_check(call: Call) -> bool:
    """True when the course's ``gradient_check_n`` says "there is a mistake" (difference > 2e-7)."""
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        difference = call.network.gradient_check_n(
            call.parameters, course_gradients(call), call.arrays["X"], call.arrays["Y"]
        )
    return not difference <= COURSE_THRESHOLD  # a nan difference is "a mistake" too


# --------------------------------------------------------------------------------------------------
# Documented cases: out of reach by docs/judging.md, counted apart
# --------------------------------------------------------------------------------------------------

#: An output is saturated in its dtype when ``1 − A2`` holds fewer than this many of the dtype's
#: values (their spacing just below 1 is ``epsneg``: 2⁻²⁴ in float32, 2⁻⁵³ in float64):
#: ``log(1 − A2)`` is then a staircase of steps of 1/2048 (5e-4) or more that no finite difference
#: follows. From ``Z2`` of about 9 in float32, 29 in float64.
SATURATED_VALUES = 2048


def saturated(A2: np.ndarray) -> bool:
    """Is an output 0, or within :data:`SATURATED_VALUES` of its dtype's values of 1?"""
    steps = SATURATED_VALUES * np.finfo(A2.dtype).epsneg
    return bool(np.any((A2 == 0) | (1 - A2 < steps)))


def documented_case(call: Call, failing: dict[str, np.ndarray] | None) -> str | None:
    """Why the call is a case docs/judging.md declares out of reach, or None.

    * "saturated outputs without X, Y": a cost on ``A2`` (not the logits) where some ``A2`` rounds to
      exactly 0, or is saturated in its dtype (:func:`saturated`: 1 included), checked without
      ``X, Y`` (judging.md, "Three opinions").
    * "a leaky ReLU's alpha a float32 cost cannot pin": with ``X, Y``, a leaky ReLU network whose
      float32 cost on ``A2`` has a saturated output (judging.md, "Three opinions"; the report's
      note says so).
    * "the cost is not finite at the point": the learner's own cost returns NaN or inf there
      (``log(0)`` of an output rounded to 0 or 1), where nothing can be checked and gradcheck raises
      a ``GradcheckError`` saying so (README, docs/quickstart.md).
    * "kinks meeting, value outside the one-sided derivatives": ReLU-like units with several
      pre-activations exactly 0 on one coordinate's line, correct code's value outside
      ``[min(D−, D+), max(D−, D+)]`` there, without ``X, Y`` (judging.md, "Kinks"): when some entry
      is (:func:`outside_one_sided`) and every entry that failed is one of them. ``failing`` maps a
      parameter's name to the mask of its entries beyond tolerance (None: a call that raised).
    """
    if call.form == "learner":
        return None
    with np.errstate(all="ignore"):
        A2, cache = call.network.forward_propagation(call.arrays["X"], call.parameters)
    A2 = np.asarray(A2)
    on_probabilities = call.cost != "logits"
    near = saturated(A2)
    if not call.with_data and on_probabilities and near:
        return "saturated outputs without X, Y"
    leaky32 = A2.dtype == np.float32 and call.activation == "leaky_relu"
    if call.with_data and on_probabilities and near and leaky32:
        return "a leaky ReLU's alpha a float32 cost cannot pin"
    if not _finite_cost(call):
        return "the cost is not finite at the point"
    if call.with_data:
        return None
    if call.activation not in ("relu", "leaky_relu"):
        return None
    outside = outside_one_sided(call, cache)
    if not any(np.any(mask) for mask in outside.values()):
        return None
    explained = failing is not None and all(
        not np.any(mask & ~outside.get(name, np.zeros_like(mask))) for name, mask in failing.items()
    )
    return "kinks meeting, value outside the one-sided derivatives" if explained else None


def _finite_cost(call: Call) -> bool:
    """Whether the general form's cost is a finite number at the call's point."""
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        return bool(np.isfinite(float(np.squeeze(cost_function(call)(call.parameters)))))


def failing_entries(report: Any) -> dict[str, np.ndarray]:
    """Each failed gradient's entries beyond tolerance (``excess > 1``; every entry where the report
    keeps no per-entry map), by parameter name, in the parameter's shape."""
    masks = {}
    for result in report.failed:
        if result.excess is not None and result.excess.shape == result.expected_shape:
            masks[result.name] = np.nan_to_num(result.excess, nan=0.0) > 1
        else:
            masks[result.name] = np.ones(result.expected_shape, dtype=bool)
    return masks


def outside_one_sided(call: Call, cache: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The entries of correct code's ``dW1`` and ``db1`` that lie outside the one-sided derivatives,
    on the units whose lines cross two kinks or more at once: ``{"W1": (n_h, n_x), "b1": (n_h, 1)}``
    boolean masks.

    Moving ``W1[i, j]`` by ``t`` moves ``Z1[i, k]`` by ``t v_k`` with ``v = X[j, :]`` (``v = 1`` for
    ``b1[i]``). With ``C = W2ᵀ (A2 − Y)`` (n_h, m) and ``s(u) = 1`` for ``u > 0``, ``α`` otherwise
    (0 for ReLU), the one-sided derivatives at a point where ``Z1[i, k] = 0`` for the examples
    ``k`` in ``K`` are::

        D± = (1/m) [ Σ_{k ∉ K} C[i, k] g'(Z1[i, k]) v_k  +  Σ_{k ∈ K} C[i, k] v_k s(±v_k) ]

    (``X[j, :]`` for ``dW1``, summed over ``k`` for ``db1``). A value outside them, beyond 1e-12 of
    their scale, is documented as out of reach without ``X, Y``.
    """
    X, Y, W2 = call.arrays["X"].astype(float), call.arrays["Y"], call.arrays["W2"].astype(float)
    Z1, A2 = cache["Z1"].astype(float), cache["A2"].astype(float)
    alpha = 0.0 if call.activation == "relu" else call.alpha
    m = X.shape[1]
    C = W2.T @ (A2 - Y)
    on_kink = Z1 == 0
    crowded = on_kink.sum(axis=1) >= 2  # (n_h,): units whose lines cross two kinks or more at once
    slope = np.where(Z1 > 0, 1.0, alpha)
    grads = course_gradients(call)
    values = np.hstack([grads["db1"].reshape(-1, 1), grads["dW1"]]).astype(float)  # (n_h, 1 + n_x)
    velocities = [np.ones(m), *X]  # b1's, then W1's columns

    def derivative(v: np.ndarray, sign: float) -> np.ndarray:
        """D+ (sign 1) or D− (sign −1) of every unit along velocity ``v``: (n_h,)."""
        at_kink = np.where(sign * v > 0, 1.0, alpha)
        return np.asarray((C * np.where(on_kink, at_kink, slope) * v).sum(axis=1) / m)

    right = np.stack([derivative(v, 1.0) for v in velocities], axis=1)
    left = np.stack([derivative(v, -1.0) for v in velocities], axis=1)
    low, high = np.minimum(left, right), np.maximum(left, right)
    slack = 1e-12 * np.maximum(np.maximum(np.abs(low), np.abs(high)), 1e-300)
    outside = ((values < low - slack) | (values > high + slack)) & crowded[:, None]
    return {"W1": outside[:, 1:], "b1": outside[:, :1]}


# --------------------------------------------------------------------------------------------------
# Kinds of problem
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Kind:
    """A kind of problem: what it stresses, and the draw of one call from a generator."""

    name: str
    description: str
    draw: Callable[[np.random.Generator], dict[str, Any]]


def shapes(rng: np.random.Generator, *, m: tuple[int, int] = (2, 10)) -> tuple[int, int, int]:
    """``(n_x, n_h, m)``: n_x in 1…4, n_h in 1…5, m in the range given (both ends included)."""
    return int(rng.integers(1, 5)), int(rng.integers(1, 6)), int(rng.integers(m[0], m[1] + 1))


def data(rng: np.random.Generator, n_x: int, m: int) -> dict[str, np.ndarray]:
    """``X ~ N(0, 1)`` (n_x, m) and labels ``Y`` in {0, 1} (1, m), float64."""
    return {"X": rng.standard_normal((n_x, m)), "Y": (rng.random((1, m)) < 0.5).astype(np.float64)}


def weights(rng: np.random.Generator, n_x: int, n_h: int, scale: float, bias: float) -> dict[str, np.ndarray]:
    """``W ~ scale · N(0, 1)`` and ``b ~ bias · N(0, 1)`` for (n_x, n_h, 1)."""
    return {
        "W1": scale * rng.standard_normal((n_h, n_x)),
        "b1": bias * rng.standard_normal((n_h, 1)),
        "W2": scale * rng.standard_normal((1, n_h)),
        "b2": bias * rng.standard_normal((1, 1)),
    }


def ordinary(rng: np.random.Generator, *, m: tuple[int, int] = (2, 10)) -> dict[str, np.ndarray]:
    """A well-conditioned problem: weights 0.3 to 1.5 × N(0, 1), biases 0.5 × N(0, 1)."""
    n_x, n_h, n_m = shapes(rng, m=m)
    return {**data(rng, n_x, n_m), **weights(rng, n_x, n_h, float(rng.uniform(0.3, 1.5)), 0.5)}


def logits_up_to(
    arrays: dict[str, np.ndarray], largest: float, network: CourseNetwork
) -> dict[str, np.ndarray]:
    """``W2, b2`` rescaled (``Z2`` scales with them, sign included) so that the logit of largest
    magnitude becomes ``+largest``: ``max Z2 = max |Z2| = largest``, where ``A2`` nears 1."""
    _, cache = network.forward_propagation(arrays["X"], {k: arrays[k] for k in KEYS})
    Z2 = cache["Z2"].ravel()
    extreme = float(Z2[int(np.argmax(np.abs(Z2)))])
    factor = largest / (extreme if abs(extreme) > 1e-12 else 1e-12)
    return {**arrays, "W2": arrays["W2"] * factor, "b2": arrays["b2"] * factor}


def as_dtype(arrays: dict[str, np.ndarray], names: Iterable[str], dtype: type) -> dict[str, np.ndarray]:
    return {k: (v.astype(dtype) if k in names else v) for k, v in arrays.items()}


def pick(rng: np.random.Generator, names: tuple[str, ...] = ACTIVATION_NAMES) -> str:
    return str(names[int(rng.integers(len(names)))])


def general(activation: str, cost: str, with_data: bool, arrays: dict[str, np.ndarray]) -> dict[str, Any]:
    return {
        "activation": activation,
        "form": "general",
        "cost": cost,
        "with_data": with_data,
        "arrays": arrays,
    }


def draw_float64(activation: str) -> Callable[[np.random.Generator], dict[str, Any]]:
    def draw(rng: np.random.Generator) -> dict[str, Any]:
        return general(activation, "course", True, ordinary(rng))

    return draw


def draw_learner(rng: np.random.Generator) -> dict[str, Any]:
    return {**general(pick(rng), "course", True, ordinary(rng)), "form": "learner"}


def draw_float32_x_w(rng: np.random.Generator) -> dict[str, Any]:
    arrays = as_dtype(ordinary(rng), ("X", *KEYS), np.float32)
    return general(pick(rng), "course", True, arrays)


def draw_float32_python_float(rng: np.random.Generator) -> dict[str, Any]:
    arrays = as_dtype(ordinary(rng), ("X", "Y", *KEYS), np.float32)
    return general(pick(rng), "course", False, arrays)


def draw_float32_large_z2(rng: np.random.Generator) -> dict[str, Any]:
    activation = pick(rng)
    arrays = logits_up_to(ordinary(rng), float(rng.uniform(8.0, 14.0)), CourseNetwork(activation))
    return general(activation, "course_dtype", True, as_dtype(arrays, ("X", "Y", *KEYS), np.float32))


def draw_learner_saturated(rng: np.random.Generator) -> dict[str, Any]:
    activation = pick(rng)
    arrays = logits_up_to(ordinary(rng), float(rng.uniform(40.0, 60.0)), CourseNetwork(activation))
    return {**general(activation, "default", True, arrays), "form": "learner"}


def draw_kink_near(activation: str) -> Callable[[np.random.Generator], dict[str, Any]]:
    """ReLU-like units with a pre-activation 1e-9 to 3e-6 from the kink (inside the step, not on it).

    For each hidden unit (one at least), with probability 1/2, one example ``k`` gets
    ``Z1[i, k] = ±δ``, ``log10 δ ~ U(-9, -5.5)``, by setting ``b1[i] = ±δ − W1[i] · X[:, k]``.
    """

    def draw(rng: np.random.Generator) -> dict[str, Any]:
        arrays = ordinary(rng)
        n_h, m = arrays["W1"].shape[0], arrays["X"].shape[1]
        units = {int(i) for i in np.flatnonzero(rng.random(n_h) < 0.5)} | {int(rng.integers(n_h))}
        for i in sorted(units):
            k = int(rng.integers(m))
            delta = float(rng.choice([-1.0, 1.0]) * 10 ** rng.uniform(-9.0, -5.5))
            arrays["b1"][i, 0] = delta - float(arrays["W1"][i] @ arrays["X"][:, k])
        return general(activation, "course", False, arrays)

    return draw


def draw_w1_zero(rng: np.random.Generator) -> dict[str, Any]:
    """``W1 = 0`` and ``b1 = 0`` (every hidden unit on its kink for every example), no ``X, Y``."""
    arrays = ordinary(rng)
    arrays["W1"] = np.zeros_like(arrays["W1"])
    arrays["b1"] = np.zeros_like(arrays["b1"])
    return general(pick(rng, ("relu", "leaky_relu")), "course", False, arrays)


def draw_smooth_large_z2(rng: np.random.Generator) -> dict[str, Any]:
    activation = pick(rng)
    arrays = logits_up_to(ordinary(rng), float(rng.uniform(50.0, 200.0)), CourseNetwork(activation))
    return general(activation, "logits", False, arrays)


def draw_course_m1(rng: np.random.Generator) -> dict[str, Any]:
    activation = pick(rng)
    arrays = logits_up_to(ordinary(rng, m=(1, 1)), float(rng.uniform(14.0, 18.0)), CourseNetwork(activation))
    return general(activation, "course", False, arrays)


def draw_course_wide(rng: np.random.Generator) -> dict[str, Any]:
    """The course's cost, no ``X, Y``: the largest logit ``Z2`` of 20 to 28 on an example of label 0,
    whose ``log(1 − A2)`` steps by its float64 rounding only every 5e-8 to 2e-4 of ``Z2`` (6e3 to 2e7
    values of ``1 − A2``: more than the documented 2,048)."""
    activation = pick(rng)
    network = CourseNetwork(activation)
    arrays = logits_up_to(ordinary(rng), float(rng.uniform(20.0, 28.0)), network)
    _, cache = network.forward_propagation(arrays["X"], {k: arrays[k] for k in KEYS})
    labels = arrays["Y"].copy()
    labels[0, int(np.argmax(cache["Z2"][0]))] = 0.0
    return general(activation, "course", False, {**arrays, "Y": labels})


def course_initialised(rng: np.random.Generator) -> dict[str, np.ndarray]:
    """More than 1,000 parameters, the course's ``randn * 0.01`` weights and zero biases.

    n_x in 20…40, n_h in 30…50 (P = n_h (n_x + 2) + 1 ≥ 661… so drawn again until P > 1,000), m in
    10…50, ``X ~ N(0, 1)``.
    """
    while True:
        n_x, n_h, m = int(rng.integers(20, 41)), int(rng.integers(30, 51)), int(rng.integers(10, 51))
        if n_h * (n_x + 2) + 1 > 1000:
            break
    arrays = {**data(rng, n_x, m), **weights(rng, n_x, n_h, 0.01, 0.0)}
    return arrays


def draw_directional(with_data: bool) -> Callable[[np.random.Generator], dict[str, Any]]:
    def draw(rng: np.random.Generator) -> dict[str, Any]:
        return general(pick(rng), "course", with_data, course_initialised(rng))

    return draw


def kinds() -> dict[str, Kind]:
    """Every kind of problem, by name."""
    table = [
        *(
            Kind(
                f"float64_{name}", f"float64, {name} hidden layer, general form with X, Y", draw_float64(name)
            )
            for name in ACTIVATION_NAMES
        ),
        Kind("learner_form", "float64, learner form (forward=, backward=, compute_cost=)", draw_learner),
        Kind(
            "float32_x_w_float64_y",
            "float32 X and W, float64 Y, general form with X, Y",
            draw_float32_x_w,
        ),
        Kind(
            "float32_python_float",
            "float32 throughout, cost returned as a Python float, no X, Y",
            draw_float32_python_float,
        ),
        Kind(
            "float32_large_z2",
            "float32 throughout, max Z2 = max |Z2| 8 to 14, cost kept in float32, with X, Y",
            draw_float32_large_z2,
        ),
        Kind(
            "learner_saturated",
            "learner form, compute_cost=None, max Z2 = max |Z2| 40 to 60 (A2 rounds to 1)",
            draw_learner_saturated,
        ),
        Kind("kink_near_relu", "ReLU, a kink 1e-9 to 3e-6 from the point, no X, Y", draw_kink_near("relu")),
        Kind(
            "kink_near_leaky",
            "leaky ReLU, a kink 1e-9 to 3e-6 from the point, no X, Y",
            draw_kink_near("leaky_relu"),
        ),
        Kind("w1_zero", "ReLU or leaky ReLU, W1 = 0 and b1 = 0, no X, Y", draw_w1_zero),
        Kind(
            "smooth_large_z2",
            "cost from the logits, max Z2 = max |Z2| 50 to 200, no X, Y",
            draw_smooth_large_z2,
        ),
        Kind("course_m1", "the course's cost, m = 1, Z2 14 to 18, no X, Y", draw_course_m1),
        Kind(
            "course_wide",
            "the course's cost, an output at Z2 20 to 28 against label 0, no X, Y",
            draw_course_wide,
        ),
        Kind("directional", "P > 1,000, the course's 0.01 initialisation, no X, Y", draw_directional(False)),
        Kind(
            "directional_xy", "P > 1,000, the course's 0.01 initialisation, with X, Y", draw_directional(True)
        ),
    ]
    return {kind.name: kind for kind in table}


KINDS: dict[str, Kind] = kinds()


def generator(kind: str, seed: int, index: int) -> np.random.Generator:
    """The generator that draws call ``index`` of ``kind`` in a run with ``--seed seed``."""
    return np.random.default_rng([zlib.crc32(kind.encode()), seed, index])


def draw_call(kind: str, seed: int, index: int) -> Call:
    """Call ``index`` of ``kind``: the same call for the same three numbers."""
    spec = KINDS[kind].draw(generator(kind, seed, index))
    return Call(kind=kind, seed=seed, index=index, **spec)


# --------------------------------------------------------------------------------------------------
# Detection: a planted one-entry error
# --------------------------------------------------------------------------------------------------

#: The modes of the detection table, and the problems each is measured on.
DETECTION_MODES: dict[str, str] = {
    "exhaustive": "P ≤ 1,000: the float64 ordinary problems, any activation",
    "directional": "P > 1,000: the course's 0.01 initialisation, any activation",
}


def detection_problem(mode: str, seed: int, index: int) -> Call:
    """The correct call of trial ``index`` of ``mode`` (general form, the course's cost, no X, Y)."""
    kind = f"detect_{mode}"
    rng = generator(kind, seed, index)
    arrays = ordinary(rng) if mode == "exhaustive" else course_initialised(rng)
    return Call(kind=kind, seed=seed, index=index, **general(pick(rng), "course", False, arrays))


def planted_entry(call: Call, rng: np.random.Generator) -> tuple[str, int] | None:
    """The gradient (uniformly among those with such an entry) and the entry (uniformly among its
    typical entries visible at :data:`TARGET_DELTA`: nonzero, within ``TYPICAL``× of the median
    magnitude of its nonzero entries, ``TARGET_DELTA |a_i| ≥ VISIBLE``) to plant an error in; None
    when no gradient has one."""
    grads = course_gradients(call)
    found: dict[str, np.ndarray] = {}
    for key in ("dW1", "db1", "dW2", "db2"):
        size = np.abs(grads[key]).ravel()
        if not np.any(size > 0):
            continue
        median = float(np.median(size[size > 0]))
        typical = (size > 0) & (size >= median / TYPICAL) & (size <= median * TYPICAL)
        candidates = np.flatnonzero(typical & (TARGET_DELTA * size >= VISIBLE))
        if candidates.size:
            found[key] = candidates
    if not found:
        return None
    key = list(found)[int(rng.integers(len(found)))]
    return key, int(found[key][int(rng.integers(len(found[key])))])


@dataclass(frozen=True)
class Trial:
    """One detection problem at every δ: gradcheck without and with ``X, Y``, and the course's check."""

    mode: str
    call: Call
    entry: tuple[str, int] | None
    gradcheck: dict[float, bool]
    gradcheck_xy: dict[float, bool]
    course: dict[float, bool]
    misses: list[Call]


def run_trial(mode: str, seed: int, index: int) -> Trial:
    """Trial ``index`` of ``mode``: δ = 0 (the correct code) and every δ of :data:`DELTAS`."""
    call = detection_problem(mode, seed, index)
    entry = planted_entry(call, generator(f"plant_{mode}", seed, index))
    detected: dict[str, dict[float, bool]] = {"gradcheck": {}, "gradcheck_xy": {}, "course": {}}
    misses = []
    if entry is not None:
        for delta in (0.0, *DELTAS):
            planted = replace(call, planted=(entry[0], entry[1], delta))
            for with_data, name in ((False, "gradcheck"), (True, "gradcheck_xy")):
                outcome = run_call(replace(planted, with_data=with_data))
                detected[name][delta] = not outcome.passed
                if delta >= MISS_RECORDED_FROM and outcome.passed:
                    misses.append(outcome.call)
            detected["course"][delta] = run_course_check(planted)
    return Trial(
        mode, call, entry, detected["gradcheck"], detected["gradcheck_xy"], detected["course"], misses
    )


# --------------------------------------------------------------------------------------------------
# Running many, tables, cases
# --------------------------------------------------------------------------------------------------


def run_drawn(task: tuple[str, int, int]) -> Outcome:
    return run_call(draw_call(*task))


def run_detection(task: tuple[str, int, int]) -> Trial:
    return run_trial(*task)


def mapped(function: Callable[[Any], Any], tasks: list[Any], jobs: int) -> Iterator[Any]:
    """``map(function, tasks)``, over ``jobs`` forked processes when ``jobs > 1``."""
    if jobs <= 1:
        yield from map(function, tasks)
        return
    with ProcessPoolExecutor(max_workers=jobs, mp_context=get_context("fork")) as pool:
        yield from pool.map(function, tasks, chunksize=max(1, len(tasks) // (jobs * 16)))


def cell(text: str, width: int = 240) -> str:
    """Text for a Markdown table cell: pipes escaped, cut to ``width`` characters."""
    text = " ".join(text.split()).replace("|", "\\|")
    return text if len(text) <= width else text[: width - 1] + "…"


def false_alarm_table(outcomes: list[Outcome], names: list[str]) -> str:
    """Kind, description, calls, documented, false alarms, rate and one example message."""
    lines = [
        "| kind | problems | calls | documented | false alarms | rate | example |",
        "|---|---|---:|---:|---:|---:|---|",
    ]
    total = alarms = 0
    for name in names:
        mine = [o for o in outcomes if o.call.kind == name]
        documented = [o for o in mine if o.documented is not None]
        wrong = [o for o in mine if o.documented is None and not o.passed]
        judged = len(mine) - len(documented)
        total += judged
        alarms += len(wrong)
        rate = f"{100 * len(wrong) / judged:.1f}%" if judged else "-"
        example = wrong[0] if wrong else next((o for o in documented if not o.passed), None)
        shown = "-" if example is None else cell(example.message)
        if example is not None and example.documented is not None:
            shown = f"(documented: {example.documented}) {shown}"
        lines.append(
            f"| `{name}` | {cell(KINDS[name].description)} | {len(mine)} | {len(documented)} | {len(wrong)} "
            f"| {rate} | {shown} |"
        )
    share = f"{100 * alarms / total:.2f}%" if total else "-"
    lines.append(f"| **all** | | **{len(outcomes)}** | | **{alarms}** | **{share}** | |")
    return "\n".join(lines)


def detection_table(trials: list[Trial]) -> str:
    """Mode × δ → how often each checker says the gradient is wrong, with counts."""
    lines = [
        "| mode | δ | trials | gradcheck, no X, Y | gradcheck, with X, Y | course's gradient_check_n |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for mode in DETECTION_MODES:
        mine = [t for t in trials if t.mode == mode and t.entry is not None]
        for delta in (0.0, *DELTAS):
            n = len(mine)
            counts = [
                sum(getattr(t, name)[delta] for t in mine) for name in ("gradcheck", "gradcheck_xy", "course")
            ]
            shown = [f"{100 * c / n:.1f}% ({c})" if n else "-" for c in counts]
            label = "0 (correct)" if delta == 0 else f"{delta:g}"
            lines.append(f"| {mode} | {label} | {n} | {' | '.join(shown)} |")
    return "\n".join(lines)


def write_cases(path: Path, outcomes: list[Outcome], misses: list[Call], command: str) -> int:
    """The reproducers of every false alarm (``"expect": "pass"``) and every recorded miss
    (``"expect": "wrong"``), as JSON; returns how many."""
    cases = [
        {**o.call.to_json(), "expect": "pass", "message": cell(o.message, 200)}
        for o in outcomes
        if o.documented is None and not o.passed
    ]
    cases += [{**call.to_json(), "expect": "wrong", "message": "passed"} for call in misses]
    rows = ",\n".join(json.dumps(case, ensure_ascii=False) for case in cases)  # one case a line
    path.write_text(f'{{"command": {json.dumps(command)}, "cases": [\n{rows}\n]}}\n', encoding="utf-8")
    return len(cases)


def replay(path: Path) -> int:
    """Run the cases of ``path`` again; print each one's verdict now. Returns how many still go wrong (a
    correct call that now fails in a documented case does not: it is no false alarm)."""
    cases = json.loads(path.read_text(encoding="utf-8"))["cases"]
    lines = [
        "| kind | seed | index | planted | expected | now | message |",
        "|---|---:|---:|---|---|---|---|",
    ]
    still = 0
    for case in cases:
        call = Call.from_json(case)
        outcome = run_call(call)
        # a correct call that fails in a documented case is not a false alarm (write_cases)
        expected_pass = case["expect"] == "pass"
        right = outcome.passed == expected_pass or (expected_pass and outcome.documented is not None)
        still += not right
        planted = (
            "-"
            if call.planted is None
            else f"{call.planted[0]}[{call.planted[1]}] × (1 + {call.planted[2]:g})"
        )
        now = (
            "passed" if outcome.passed else f"wrong ({outcome.documented})" if outcome.documented else "wrong"
        )
        lines.append(
            f"| {call.kind} | {call.seed} | {call.index} | {planted} | {case['expect']} | "
            f"{now}{'' if right else ' ✗'} | {cell(outcome.message, 160)} |"
        )
    print("\n".join(lines))
    print(f"\n{len(cases) - still} of {len(cases)} cases now get the right verdict; {still} still do not.")
    return still


#: The planted errors of ``--blind-spot``: (label, gradient, relative error) on its largest entry.
BLIND_SPOT_ERRORS = (("with its sign flipped", "dW1", -2.0), ("10% off", "dW2", 0.1))


def run_blind_spot(task: tuple[str, int, int]) -> tuple[bool, ...]:
    """One call of a kind, right and with each of :data:`BLIND_SPOT_ERRORS` planted: did each get
    its right verdict (pass, fail, fail)?"""
    call = draw_call(*task)
    grads = course_gradients(call)
    verdicts = [run_call(call).passed]
    for _, key, delta in BLIND_SPOT_ERRORS:
        flat = int(np.argmax(np.abs(grads[key])))
        verdicts.append(not run_call(replace(call, planted=(key, flat, delta))).passed)
    return tuple(verdicts)


def blind_spot_table(kind: str, rows: list[tuple[bool, ...]]) -> str:
    """How well a kind's problems are judged: right code passing, each planted error caught."""
    counts = np.sum(np.asarray(rows, dtype=bool), axis=0)
    labels = ["right code passes"]
    labels += [f"largest `{key}` entry {label}: caught" for label, key, _ in BLIND_SPOT_ERRORS]
    lines = [f"| `{kind}`, {len(rows)} calls | count | rate |", "|---|---:|---:|"]
    for label, n in zip(labels, counts, strict=True):
        lines.append(f"| {label} | {int(n)} | {100 * n / len(rows):.1f}% |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument(
        "--calls", type=int, default=2000, help="false-alarm calls in all (at least), spread over the kinds"
    )
    parser.add_argument(
        "--trials",
        type=int,
        default=None,
        help="detection problems per mode (default: calls / 100, at least 20)",
    )
    parser.add_argument("--kinds", default=None, help="comma-separated kinds (default: all)")
    parser.add_argument("--seed", type=int, default=0, help="the run's seed (default 0)")
    parser.add_argument("--jobs", type=int, default=1, help="processes (default 1)")
    parser.add_argument("--cases", type=Path, default=None, help="write the false alarms' reproducers here")
    parser.add_argument("--replay", type=Path, default=None, help="run the cases of this file again")
    parser.add_argument("--no-detection", action="store_true", help="skip the detection table")
    parser.add_argument("--write", type=Path, default=None, help="replace the <!-- false-alarms --> block")
    parser.add_argument(
        "--blind-spot",
        default=None,
        metavar="KIND",
        help="instead: right code and planted errors in --calls problems of KIND (block <!-- blind-spot -->)",
    )
    args = parser.parse_args(argv)
    if args.replay is not None:
        return 1 if replay(args.replay) else 0
    command = "python bench/false_alarms.py " + " ".join(sys.argv[1:] if argv is None else argv)
    if args.blind_spot is not None:
        if args.blind_spot not in KINDS:
            parser.error(f"unknown kind {args.blind_spot}; choose from {', '.join(KINDS)}")
        start = time.perf_counter()
        tasks = [(args.blind_spot, args.seed, i) for i in range(args.calls)]
        table = blind_spot_table(args.blind_spot, list(mapped(run_blind_spot, tasks, args.jobs)))
        text = f"{table}\n\n{time.perf_counter() - start:.0f} s, `{command.strip()}`"
        print(text)
        if args.write is not None:
            replace_block(args.write, "blind-spot", text)
        return 0
    names = list(KINDS) if args.kinds is None else [k.strip() for k in args.kinds.split(",") if k.strip()]
    unknown = [k for k in names if k not in KINDS]
    if unknown:
        parser.error(f"unknown kinds {', '.join(unknown)}; choose from {', '.join(KINDS)}")
    per_kind = max(1, -(-args.calls // len(names)))  # at least --calls in all
    trials = args.trials if args.trials is not None else max(20, args.calls // 100)
    start = time.perf_counter()
    tasks = [(name, args.seed, i) for name in names for i in range(per_kind)]
    outcomes = list(mapped(run_drawn, tasks, args.jobs))
    text = [false_alarm_table(outcomes, names)]
    detections: list[Trial] = []
    if not args.no_detection:
        jobs = [(mode, args.seed, i) for mode in DETECTION_MODES for i in range(trials)]
        detections = list(mapped(run_detection, jobs, args.jobs))
        text += ["", detection_table(detections)]
    seconds = time.perf_counter() - start
    footer = (
        f"{len(outcomes)} calls, {len(detections)} detection problems, {seconds:.0f} s, `{command.strip()}`"
    )
    print("\n\n".join([*text, footer]))
    if args.cases is not None:
        misses = [call for t in detections for call in t.misses]
        written = write_cases(args.cases, outcomes, misses, command.strip())
        print(f"\n{written} cases written to {args.cases}")
    if args.write is not None:
        replace_block(args.write, "false-alarms", "\n\n".join([*text, footer]))
    return 0


if __name__ == "__main__":
    sys.exit(main())

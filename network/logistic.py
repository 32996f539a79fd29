"""Logistic regression as the course writes it (Week 2), and as a reference model on the seam.

Shapes: ``w`` (n_x, 1), ``b`` a scalar (the course's ``initialize_with_zeros`` returns ``b = 0``),
``X`` (n_x, m), ``Y`` (1, m)::

    A  = σ(wᵀ X + b)
    J  = −(1/m) Σ [Y log A + (1 − Y) log(1 − A)]
    dw = (1/m) X (A − Y)ᵀ          (n_x, 1)
    db = (1/m) Σ (A − Y)           a scalar

It is the L-layer network with one layer and ``W1 = wᵀ``, ``b1 = [[b]]``: the reference
(:class:`LogisticReference`) is that network (:mod:`.deep_model`) seen through the names ``w``,
``b``, with a catalog of its own written in Week 2's words.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import autograd.numpy as anp
import numpy as np

from .activations import sigmoid
from .deep import Network
from .deep_model import DeepReference
from .interface import Dropout, Hints, Parameters, Reference, WrongVariant

__all__ = ["FORMULAS", "LOGISTIC", "LogisticModel", "LogisticReference", "propagate"]

#: The right line for each gradient, as Week 2 writes it.
FORMULAS: dict[str, str] = {"w": "dw = np.dot(X, (A - Y).T) / m", "b": "db = np.sum(A - Y) / m"}


def propagate(
    w: np.ndarray, b: Any, X: np.ndarray, Y: np.ndarray, *, dZ: Callable[..., np.ndarray] | None = None
) -> tuple[dict[str, Any], float]:
    """The course's ``propagate``: ``({"dw": dw, "db": db}, cost)``.

    ``dZ(A, Y, Z)``, when given, replaces ``A − Y`` (the catalog's mistakes).
    """
    m = X.shape[1]
    Z = np.dot(w.T, X) + b
    A = sigmoid(Z)
    tiny = np.finfo(np.float64).tiny
    cost = float(-np.sum(Y * np.log(np.maximum(A, tiny)) + (1 - Y) * np.log(np.maximum(1 - A, tiny))) / m)
    dw, db = _gradients(X, A - Y if dZ is None else dZ(A, Y, Z), m)
    return {"dw": dw, "db": db}, cost


def _gradients(X: np.ndarray, dz: np.ndarray, m: int) -> tuple[np.ndarray, Any]:
    """``dw = X dzᵀ / m``, ``db = Σ dz / m``."""
    return np.dot(X, dz.T) / m, np.sum(dz) / m


def _as_network(parameters: Parameters) -> dict[str, Any]:
    """``W1 = wᵀ``, ``b1 = [[b]]`` (autograd traces through)."""
    return {"W1": anp.transpose(parameters["w"]), "b1": anp.reshape(parameters["b"], (1, 1))}


class _Hints:
    """Week 2's hints: its formulas; no steps (one layer)."""

    parameter_names: tuple[str, ...] = ("w", "b")
    formulas: Mapping[str, str] = FORMULAS

    def step_hint(self, failed: frozenset[str]) -> str:
        return "Both gradients are off: look at dz = A - Y." if failed == {"w", "b"} else ""

    def everywhere(self, code: str, m: int | None) -> str | None:
        if code == "missing_1_over_m":
            return f"dw and db are exactly m = {m} times the right ones: divide both by m."
        return None


HINTS = _Hints()

# (name, code, dz or None, (dw, db) from (X, dz, m), meaning, wrote, fix)
_Variant = tuple[str, str, Callable[..., Any], Callable[..., tuple[Any, Any]], str, str, str]
_RIGHT_DZ: Callable[..., Any] = lambda A, Y, Z: A - Y  # noqa: E731
_RIGHT: Callable[..., tuple[Any, Any]] = _gradients
CATALOG: tuple[_Variant, ...] = (
    ("sign_flipped_dz", "sign_flipped", lambda A, Y, Z: Y - A, _RIGHT,
     "dz has the wrong sign, and both gradients inherit it", "dw = np.dot(X, (Y - A).T) / m", FORMULAS["w"]),
    ("Z_in_dz", "preactivation_used", lambda A, Y, Z: Z - Y, _RIGHT,
     "dz uses Z where A = sigmoid(Z) belongs", "dw = np.dot(X, (Z - Y).T) / m", FORMULAS["w"]),
    ("missing_1_over_m_everywhere", "missing_1_over_m", _RIGHT_DZ, lambda X, dz, m: (X @ dz.T, np.sum(dz)),
     "neither gradient divides by m", "dw = np.dot(X, (A - Y).T); db = np.sum(A - Y)",
     "; ".join(FORMULAS.values())),
    ("missing_1_over_m_dw", "missing_1_over_m", _RIGHT_DZ, lambda X, dz, m: (X @ dz.T, np.sum(dz) / m),
     "dw lacks its 1/m", "dw = np.dot(X, (A - Y).T)", FORMULAS["w"]),
    ("missing_1_over_m_db", "missing_1_over_m", _RIGHT_DZ, lambda X, dz, m: (X @ dz.T / m, np.sum(dz)),
     "db lacks its 1/m", "db = np.sum(A - Y)", FORMULAS["b"]),
    ("transposed_dw", "transposed", _RIGHT_DZ, lambda X, dz, m: (dz @ X.T / m, np.sum(dz) / m),
     "the product's operands are swapped", "dw = np.dot(A - Y, X.T) / m", FORMULAS["w"]),
    ("zero_dw", "zero_gradient", _RIGHT_DZ, lambda X, dz, m: (np.zeros((X.shape[0], 1)), np.sum(dz) / m),
     "dw was left as a placeholder", "dw = np.zeros(w.shape)", FORMULAS["w"]),
    ("mean_for_sum_db", "extra_1_over_m", _RIGHT_DZ, lambda X, dz, m: (X @ dz.T / m, np.mean(dz) / m),
     "db divides by m twice", "db = np.mean(A - Y) / m", FORMULAS["b"]),
)  # fmt: skip


@dataclass(frozen=True)
class LogisticReference:
    """Logistic regression on ``X``, ``Y``: the one-layer network ``inner`` under the names ``w``, ``b``."""

    inner: DeepReference

    @property
    def description(self) -> str:
        extra = f", L2 lambd={self.inner.network.lambd:.6g}" if self.inner.network.lambd else ""
        return f"reference logistic regression{extra}"

    @property
    def hints(self) -> Hints:
        return HINTS

    @property
    def hidden(self) -> tuple[str, ...]:
        return ()

    def cost(self, parameters: Any) -> Any:
        return self.inner.cost(_as_network(parameters))

    def written_cost(self, parameters: Parameters, dtype: np.dtype[Any]) -> Any:
        return self.inner.written_cost(_as_network(parameters), dtype)

    def fit(
        self, points: Sequence[Parameters], costs: Sequence[float], rtol: float
    ) -> LogisticReference | None:
        inner = self.inner.fit([_as_network(p) for p in points], costs, rtol)
        return None if inner is None else replace(self, inner=inner)

    def rounding_magnitude(self, parameters: Parameters) -> dict[str, np.ndarray]:
        M = self.inner.rounding_magnitude(_as_network(parameters))
        return {"w": M["W1"].T, "b": M["b1"].reshape(np.shape(parameters["b"]))}

    def kinked(self, parameters: Parameters) -> int:
        return 0

    def kink_interval(self, parameters: Parameters) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        return {}

    def wrong_variants(self, parameters: Parameters) -> Iterator[WrongVariant]:
        X, Y = self.inner.X, self.inner.Y
        w, b = np.asarray(parameters["w"], dtype=np.float64), np.asarray(parameters["b"], dtype=np.float64)
        Z = w.T @ X + b
        A = sigmoid(Z)
        lambd = self.inner.network.lambd / X.shape[1]
        for name, code, dz_of, grads_of, meaning, wrote, fix in CATALOG:
            dw, db = grads_of(X, dz_of(A, Y, Z), X.shape[1])
            gradients = {
                "w": np.asarray(dw + (lambd * w if dw.shape == w.shape else 0.0)),
                "b": np.asarray(db),
            }
            if gradients["b"].size == 1:
                gradients["b"] = gradients["b"].reshape(b.shape)
            yield WrongVariant(name, code, gradients, meaning, wrote, fix)


@dataclass(frozen=True)
class LogisticModel:
    """Week 2's logistic regression: parameters ``w`` (n_x, 1) and a scalar ``b``."""

    name: str = "logistic"

    def hints(self, names: Collection[str]) -> Hints | None:
        return HINTS if names and set(names) <= {"w", "b"} else None

    def references(
        self,
        parameters: Parameters,
        X: np.ndarray,
        Y: np.ndarray,
        *,
        activation: Any = None,
        dropout: Dropout | None = None,
    ) -> list[Reference]:
        if dropout is not None or set(parameters) != {"w", "b"} or X.ndim != 2 or Y.shape != (1, X.shape[1]):
            return []
        if np.shape(parameters["w"]) != (X.shape[0], 1) or np.size(parameters["b"]) != 1:
            return []
        return [LogisticReference(DeepReference(X, Y, Network((), "sigmoid")))]

    def example(self, seed: int) -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray]:
        rng = np.random.default_rng(seed)
        X = rng.standard_normal((4, 7))
        Y = (rng.random((1, 7)) < 0.5).astype(np.float64)
        return {"w": 0.5 * rng.standard_normal((4, 1)), "b": np.array(0.1)}, X, Y


#: Logistic regression, as registered in :data:`gradcheck.network.models.MODELS`.
LOGISTIC = LogisticModel()

"""The model seam: every registered model is recognised and differentiated exactly, and a new model
plugs in through the registry alone, with no edit of the engine.

Expected values come from autograd on costs written here, never from the engine.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import autograd
import autograd.numpy as anp
import numpy as np
import pytest

from gradcheck import verify_gradients
from gradcheck.network import models
from gradcheck.network.interface import Model, Reference, WrongVariant

MODELS = sorted(models.MODELS)


@pytest.mark.parametrize("name", MODELS)
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_every_model_recognises_its_own_cost_and_differentiates_it_exactly(name: str, seed: int) -> None:
    model = models.MODELS[name]
    parameters, X, Y = model.example(seed)
    candidates = model.references(parameters, X, Y)
    assert candidates, f"{name} does not fit its own example"
    for reference in candidates:
        exact = autograd.grad(reference.cost)({k: v.copy() for k, v in parameters.items()})
        report = verify_gradients(reference.cost, parameters, exact, X=X, Y=Y)
        assert report.passed, str(report)
        assert report.reference == f"{reference.description} (autograd)"
        assert all(result.reference_agrees for result in report)
        # learners write the cost on probabilities: the same function where nothing saturates
        written = reference.written_cost(parameters, np.dtype(np.float64))
        assert float(written) == pytest.approx(float(reference.cost(parameters)), rel=1e-12)


@pytest.mark.parametrize("name", MODELS)
def test_every_model_fits_only_its_own_shapes(name: str) -> None:
    model = models.MODELS[name]
    parameters, X, Y = model.example(0)
    assert model.references(parameters, X[:, :-1], Y) == []  # X and Y of different m
    renamed = {f"{key}_other": value for key, value in parameters.items()}
    assert model.references(renamed, X, Y) == []


@pytest.mark.parametrize("name", MODELS)
def test_every_models_rounding_magnitude_bounds_the_gradient(name: str) -> None:
    """``M`` is the backward pass on absolute values: it can never be below the gradient itself."""
    model = models.MODELS[name]
    parameters, X, Y = model.example(3)
    for reference in model.references(parameters, X, Y):
        exact = autograd.grad(reference.cost)({k: v.copy() for k, v in parameters.items()})
        magnitude = reference.rounding_magnitude(parameters)
        for key, value in exact.items():
            assert np.all(np.abs(value) <= magnitude[key] * (1 + 1e-12)), key


# -- a model that is not in the package: logistic regression, plugged in by a test ----------------


def sigmoid(z: Any) -> Any:
    return 1.0 / (1.0 + anp.exp(-z))


@dataclass(frozen=True)
class Logistic:
    """A ∘ σ(wᵀX + b) with the cross-entropy; ``w`` (n_x, 1), ``b`` (1, 1)."""

    X: np.ndarray
    Y: np.ndarray

    description = "logistic regression"

    @property
    def hints(self) -> LogisticModel:
        return LogisticModel()

    def cost(self, parameters: Any) -> Any:
        z = anp.dot(parameters["w"].T, self.X) + parameters["b"]
        return anp.mean(anp.logaddexp(0.0, z) - self.Y * z)

    def written_cost(self, parameters: Mapping[str, Any], dtype: np.dtype[Any]) -> Any:
        A = sigmoid(np.dot(parameters["w"].T.astype(dtype), self.X.astype(dtype)) + parameters["b"])
        return -np.mean(self.Y * np.log(A) + (1 - self.Y) * np.log(1 - A))

    def rounding_magnitude(self, parameters: Mapping[str, Any]) -> dict[str, np.ndarray]:
        A = sigmoid(parameters["w"].T @ self.X + parameters["b"])
        S = np.abs(A) + np.abs(self.Y)
        m = self.X.shape[1]
        return {"w": np.abs(self.X) @ S.T / m, "b": np.sum(S, axis=1, keepdims=True) / m}

    def kinked(self, parameters: Mapping[str, Any]) -> int:
        return 0

    def kink_interval(self, parameters: Mapping[str, Any]) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        raise AssertionError("no kinks: the engine must not ask")

    def wrong_variants(self, parameters: Mapping[str, Any]) -> Iterator[WrongVariant]:
        right = autograd.grad(self.cost)(dict(parameters))
        m = self.X.shape[1]
        yield WrongVariant(
            "missing_1_over_m_dw",
            "missing_1_over_m",
            {"w": right["w"] * m, "b": right["b"]},
            meaning="dw lacks its 1/m",
            wrote="dw = np.dot(X, (A - Y).T)",
            fix="dw = np.dot(X, (A - Y).T) / m",
        )


@dataclass(frozen=True)
class LogisticModel:
    name: str = "logistic_toy"
    parameter_names: tuple[str, ...] = ("w", "b")

    @property
    def formulas(self) -> Mapping[str, str]:
        return {"w": "dw = np.dot(X, (A - Y).T) / m", "b": "db = np.sum(A - Y) / m"}

    def references(
        self, parameters: Mapping[str, Any], X: np.ndarray, Y: np.ndarray, *, activation: Any = None
    ) -> list[Reference]:
        shapes = {k: np.shape(v) for k, v in parameters.items()}
        if shapes != {"w": (X.shape[0], 1), "b": (1, 1)} or Y.shape != (1, X.shape[1]):
            return []
        return [Logistic(X, Y)]

    def example(self, seed: int) -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray]:
        rng = np.random.default_rng(seed)
        X = rng.standard_normal((3, 9))
        Y = (rng.random((1, 9)) < 0.5).astype(float)
        return {"w": rng.standard_normal((3, 1)) * 0.5, "b": np.array([[0.1]])}, X, Y

    def step_hint(self, failed: frozenset[str]) -> str:
        return ""

    def everywhere(self, code: str, m: int | None) -> str | None:
        return None


@pytest.fixture
def with_logistic(monkeypatch: pytest.MonkeyPatch) -> Model:
    model = LogisticModel()
    monkeypatch.setitem(models.MODELS, model.name, model)
    return model


def test_a_new_model_is_recognised_through_the_registry_alone(with_logistic: Model) -> None:
    parameters, X, Y = with_logistic.example(0)
    reference = Logistic(X, Y)
    exact = autograd.grad(reference.cost)({k: v.copy() for k, v in parameters.items()})
    report = verify_gradients(reference.cost, parameters, {"dw": exact["w"], "db": exact["b"]}, X=X, Y=Y)
    assert report.passed, str(report)
    assert report.reference == "logistic regression (autograd)"
    assert report["dw"].reference_agrees and report["db"].reference_agrees


def test_a_new_models_catalog_names_the_mistake_in_its_own_words(with_logistic: Model) -> None:
    parameters, X, Y = with_logistic.example(1)
    reference = Logistic(X, Y)
    exact = autograd.grad(reference.cost)({k: v.copy() for k, v in parameters.items()})
    m = X.shape[1]
    report = verify_gradients(reference.cost, parameters, {"dw": exact["w"] * m, "db": exact["b"]}, X=X, Y=Y)
    assert [r.label for r in report.failed] == ["dw"]
    diagnosis = report["dw"].diagnosis
    assert diagnosis is not None and diagnosis.code == "missing_1_over_m"
    assert diagnosis.message == (
        f"dw is exactly m = {m} times too large: dw lacks its 1/m. Your code computes "
        "`dw = np.dot(X, (A - Y).T)`, which reproduces dw exactly. Fix: dw = np.dot(X, (A - Y).T) / m."
    )


def test_without_data_the_model_naming_the_parameters_lends_its_formulas(with_logistic: Model) -> None:
    parameters, X, Y = with_logistic.example(2)
    reference = Logistic(X, Y)
    exact = autograd.grad(reference.cost)({k: v.copy() for k, v in parameters.items()})
    wrong = exact["w"].copy()
    wrong[0, 0] += 0.3
    report = verify_gradients(reference.cost, parameters, {"dw": wrong, "db": exact["b"]})
    assert report.reference is None
    diagnosis = report["dw"].diagnosis
    assert diagnosis is not None and diagnosis.code == "unknown"
    assert diagnosis.message.endswith("The right formula: dw = np.dot(X, (A - Y).T) / m.")

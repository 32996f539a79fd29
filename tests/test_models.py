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


# -- a model that is not in the package: least squares, plugged in by a test ---------------------


@dataclass(frozen=True)
class LeastSquares:
    """``J = (1/2m) Σ (θᵀX + c − Y)²``; ``theta`` (n_x, 1), ``c`` (1, 1)."""

    X: np.ndarray
    Y: np.ndarray

    description = "least squares"

    @property
    def hints(self) -> LeastSquaresModel:
        return LeastSquaresModel()

    def cost(self, parameters: Any) -> Any:
        r = anp.dot(parameters["theta"].T, self.X) + parameters["c"] - self.Y
        return anp.sum(r**2) / (2 * self.X.shape[1])

    def written_cost(self, parameters: Mapping[str, Any], dtype: np.dtype[Any]) -> Any:
        return self.cost({k: np.asarray(v, dtype=dtype) for k, v in parameters.items()})

    def fit(self, points: Any, costs: Any, rtol: float) -> LeastSquares:
        return self

    def rounding_magnitude(self, parameters: Mapping[str, Any]) -> dict[str, np.ndarray]:
        S = np.abs(parameters["theta"].T) @ np.abs(self.X) + np.abs(parameters["c"]) + np.abs(self.Y)
        m = self.X.shape[1]
        return {"theta": np.abs(self.X) @ S.T / m, "c": np.sum(S, axis=1, keepdims=True) / m}

    def kinked(self, parameters: Mapping[str, Any]) -> int:
        return 0

    def kink_interval(self, parameters: Mapping[str, Any]) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        raise AssertionError("no kinks: the engine must not ask")

    def wrong_variants(self, parameters: Mapping[str, Any]) -> Iterator[WrongVariant]:
        right = autograd.grad(self.cost)(dict(parameters))
        m = self.X.shape[1]
        yield WrongVariant(
            "missing_1_over_m_dtheta",
            "missing_1_over_m",
            {"theta": right["theta"] * m, "c": right["c"]},
            meaning="dtheta lacks its 1/m",
            wrote="dtheta = np.dot(X, (Yhat - Y).T)",
            fix="dtheta = np.dot(X, (Yhat - Y).T) / m",
        )


@dataclass(frozen=True)
class LeastSquaresModel:
    name: str = "least_squares_toy"
    parameter_names: tuple[str, ...] = ("theta", "c")

    @property
    def formulas(self) -> Mapping[str, str]:
        return {"theta": "dtheta = np.dot(X, (Yhat - Y).T) / m", "c": "dc = np.sum(Yhat - Y) / m"}

    def hints(self, names: Any) -> LeastSquaresModel | None:
        return self if set(names) <= set(self.parameter_names) else None

    def references(
        self,
        parameters: Mapping[str, Any],
        X: np.ndarray,
        Y: np.ndarray,
        *,
        activation: Any = None,
        dropout: Any = None,
    ) -> list[Reference]:
        shapes = {k: np.shape(v) for k, v in parameters.items()}
        if (
            dropout is not None
            or shapes != {"theta": (X.shape[0], 1), "c": (1, 1)}
            or Y.shape != (1, X.shape[1])
        ):
            return []
        return [LeastSquares(X, Y)]

    def example(self, seed: int) -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray]:
        rng = np.random.default_rng(seed)
        X = rng.standard_normal((3, 9))
        Y = rng.standard_normal((1, 9))
        return {"theta": rng.standard_normal((3, 1)) * 0.5, "c": np.array([[0.1]])}, X, Y

    def step_hint(self, failed: frozenset[str]) -> str:
        return ""

    def everywhere(self, code: str, m: int | None) -> str | None:
        return None


@pytest.fixture
def with_toy(monkeypatch: pytest.MonkeyPatch) -> Model:
    model = LeastSquaresModel()
    monkeypatch.setitem(models.MODELS, model.name, model)
    return model


def test_a_new_model_is_recognised_through_the_registry_alone(with_toy: Model) -> None:
    parameters, X, Y = with_toy.example(0)
    reference = LeastSquares(X, Y)
    exact = autograd.grad(reference.cost)({k: v.copy() for k, v in parameters.items()})
    report = verify_gradients(
        reference.cost, parameters, {"dtheta": exact["theta"], "dc": exact["c"]}, X=X, Y=Y
    )
    assert report.passed, str(report)
    assert report.reference == "least squares (autograd)"
    assert report["dtheta"].reference_agrees and report["dc"].reference_agrees


def test_a_new_models_catalog_names_the_mistake_in_its_own_words(with_toy: Model) -> None:
    parameters, X, Y = with_toy.example(1)
    reference = LeastSquares(X, Y)
    exact = autograd.grad(reference.cost)({k: v.copy() for k, v in parameters.items()})
    m = X.shape[1]
    report = verify_gradients(
        reference.cost, parameters, {"dtheta": exact["theta"] * m, "dc": exact["c"]}, X=X, Y=Y
    )
    assert [r.label for r in report.failed] == ["dtheta"]
    diagnosis = report["dtheta"].diagnosis
    assert diagnosis is not None and diagnosis.code == "missing_1_over_m"
    assert diagnosis.message == (
        f"dtheta is exactly m = {m} times too large: dtheta lacks its 1/m. Your code computes "
        "`dtheta = np.dot(X, (Yhat - Y).T)`, which reproduces dtheta exactly. "
        "Fix: dtheta = np.dot(X, (Yhat - Y).T) / m."
    )


def test_without_data_the_model_naming_the_parameters_lends_its_formulas(with_toy: Model) -> None:
    parameters, X, Y = with_toy.example(2)
    reference = LeastSquares(X, Y)
    exact = autograd.grad(reference.cost)({k: v.copy() for k, v in parameters.items()})
    wrong = exact["theta"].copy()
    wrong[0, 0] += 0.3
    report = verify_gradients(reference.cost, parameters, {"dtheta": wrong, "dc": exact["c"]})
    assert report.reference is None
    diagnosis = report["dtheta"].diagnosis
    assert diagnosis is not None and diagnosis.code == "unknown"
    assert diagnosis.message.endswith("The right formula: dtheta = np.dot(X, (Yhat - Y).T) / m.")

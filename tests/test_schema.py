"""report.json and ``GradientReport.to_dict()`` against the JSON Schema shipped with the package."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import jsonschema
import numpy as np
import pytest

from gradcheck import verify_gradients
from gradcheck.cli import main
from gradcheck.network.activations import get_activation
from gradcheck.network.mistakes import CATALOG
from gradcheck.network.models import MODELS
from gradcheck.strategies import reference_problem
from gradcheck.sweep import SCHEMA_PATH, SCHEMA_VERSION, load_schema

problem = reference_problem((3, 4, 1, 7), get_activation("relu"), seed=3, scale=0.7)
schema = load_schema()
report_validator = jsonschema.Draft202012Validator(schema)
check_validator = jsonschema.Draft202012Validator({"$defs": schema["$defs"], "$ref": "#/$defs/check"})


def test_the_schema_is_a_valid_draft_2020_12_schema_shipped_in_the_package() -> None:
    jsonschema.Draft202012Validator.check_schema(schema)
    assert SCHEMA_PATH.parent.parent.name == "gradcheck"
    assert schema["$defs"]["sweep"]["properties"]["schema_version"]["const"] == SCHEMA_VERSION


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    out = tmp_path_factory.mktemp("report")
    assert main(["report", "--seeds", "1", "--out", str(out)]) == 0
    data: dict[str, object] = json.loads((Path(out) / "report.json").read_text(encoding="utf-8"))
    return data


def test_report_json_is_valid(written: dict[str, object]) -> None:
    report_validator.validate(written)
    cases = written["cases"]
    assert isinstance(cases, list) and {case["model"] for case in cases} == set(MODELS)
    assert {case["keep_prob"] for case in cases} == {1.0, 0.8}
    assert {case["lambd"] for case in cases} == {0, 0.7}


@pytest.mark.parametrize("mistake", CATALOG, ids=lambda m: m.name)
def test_every_kind_of_check_result_is_valid(mistake) -> None:  # type: ignore[no-untyped-def]
    """Wrong values, wrong shapes, scalars, diagnoses of every code the catalog reaches."""
    grads = mistake.at(problem.parameters, problem.X, problem.Y, "relu")
    for xy in ((problem.X, problem.Y), (None, None)):
        data = verify_gradients(
            mistake.cost_fn(problem.X, problem.Y, "relu"), problem.parameters, grads, *xy
        ).to_dict()
        check_validator.validate(json.loads(json.dumps(data, allow_nan=False)))


def test_missing_and_invalid_gradients_and_directional_mode_are_valid() -> None:
    grads = {"dW1": "not an array", "db1": np.zeros((4, 1)), "dW2": problem.gradients()["dW2"]}
    data = verify_gradients(problem.cost, problem.parameters, grads, mode="directional").to_dict()
    check_validator.validate(json.loads(json.dumps(data, allow_nan=False)))
    assert data["gradients"]["b2"]["diagnosis"]["code"] == "missing_gradient"


def test_a_harmless_shapes_note_is_valid_and_optional() -> None:
    grads = {**problem.gradients(), "db2": problem.gradients()["db2"].reshape(())}
    data = json.loads(json.dumps(verify_gradients(problem.cost, problem.parameters, grads).to_dict()))
    assert "keepdims" in data["gradients"]["b2"]["note"] and data["gradients"]["W1"]["note"] is None
    check_validator.validate(data)
    del data["gradients"]["b2"]["note"]  # a document written before the key existed
    check_validator.validate(data)
    data["gradients"]["b2"]["note"] = 1
    with pytest.raises(jsonschema.ValidationError):
        check_validator.validate(data)


@pytest.mark.parametrize(
    "break_it",
    [
        lambda d: d.update(extra_key=1),  # keys are stable
        lambda d: d.update(schema_version=SCHEMA_VERSION + 1),
        lambda d: d["cases"][0]["report"]["gradients"]["W1"].update(passed="yes"),
        lambda d: d["cases"][0]["report"]["gradients"]["W1"].update(
            diagnosis={"code": "renamed", "message": ""}
        ),
        lambda d: d["cases"][0]["report"].pop("method"),
        lambda d: d["cases"][0].pop("model"),  # every row says which network it is
        lambda d: d["cases"][-1].update(output="tanh"),
        lambda d: d["cases"][-1].update(keep_prob=0),
        lambda d: d["cases"][-1]["autograd_errors"].update(W1="small"),
        lambda d: d["cases"][-1].update(shape=[3, 20]),
        lambda d: d["settings"].pop("models"),
    ],
)
def test_the_schema_rejects_changed_documents(written: dict[str, object], break_it) -> None:  # type: ignore[no-untyped-def]
    document = copy.deepcopy(written)
    break_it(document)
    with pytest.raises(jsonschema.ValidationError):
        report_validator.validate(document)

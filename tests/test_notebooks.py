"""Every notebook's functions as learners write them: the learner form and ``gradcheck check``.

The modules are a learner's completed notebooks (``tests/fixtures/course/``, every gradient checked
against autograd when they were written); the mistakes are planted edits of them
(``tests/fixtures/course_mistakes.py``), each with the code a grader expects.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

from gradcheck import GradcheckError, verify_gradients
from gradcheck.learner import check_module
from gradcheck.learner_form import FIXED_RANDOM_NOTE
from gradcheck.notebooks import NOTEBOOKS, draw
from tests.fixtures import course_mistakes

#: Mistakes whose learner code cannot run at the module's own layers_dims: gradcheck can only
#: report the shape error (the mistake's own code is named at the shapes where it runs).
RUNS_ONLY_AT_EQUAL_WIDTHS = {"w4_wrong_cache_index": (3, 3, 3, 3, 8)}


@pytest.fixture
def course(tmp_path: Path) -> Iterator[Path]:
    """The course's folder copied, on sys.path as the notebooks have it; modules imported from it are
    forgotten after the test."""
    folder = course_mistakes.write_correct(tmp_path, "week2_logistic.py").parent
    sys.path.insert(0, str(folder))
    yield folder
    sys.path.remove(str(folder))
    for name in [*course_mistakes.MODULES, *course_mistakes.HELPERS, "mine"]:
        sys.modules.pop(name.removesuffix(".py"), None)


def imported(name: str) -> ModuleType:
    return importlib.import_module(name)


def problem(key: str, shape: tuple[int, ...], seed: int = 0) -> tuple[dict, np.ndarray, np.ndarray]:  # type: ignore[type-arg]
    return draw(NOTEBOOKS[key], shape, seed)


# -- the learner form, with each notebook's functions passed as they are -----------------------


def test_week2_propagate_with_the_courses_b_0(course: Path) -> None:
    w2 = imported("week2_logistic")
    w, b = w2.initialize_with_zeros(3)
    assert b == 0 and isinstance(b, int)
    w = w + 0.3  # away from the zero point, where every logistic regression is right
    X = np.random.default_rng(0).standard_normal((3, 7))
    Y = (X[:1] > 0).astype(float)
    report = verify_gradients(propagate=w2.propagate, parameters={"w": w, "b": b}, X=X, Y=Y)
    assert report.passed and report.reference == "reference logistic regression (autograd)", str(report)


def test_week4_L_model_functions(course: Path) -> None:
    w4 = imported("week4_deep")
    parameters, X, Y = problem("week4", (4, 3, 2, 1, 9))
    report = verify_gradients(
        forward=w4.L_model_forward, backward=w4.L_model_backward, compute_cost=w4.compute_cost,
        parameters=parameters, X=X, Y=Y,
    )  # fmt: skip
    assert report.passed and "3 layers: relu hidden layers, sigmoid output" in str(report.reference)


def test_course2_gradient_checking_functions(course: Path) -> None:
    gc = imported("c2_gradient_checking")
    parameters, X, Y = problem("gradient_checking", (4, 5, 3, 1, 6))
    report = verify_gradients(
        forward=gc.forward_propagation_n, backward=gc.backward_propagation_n, parameters=parameters, X=X, Y=Y
    )
    assert report.passed and report.reference is not None, str(report)


def test_course2_l2_functions_with_lambd(course: Path) -> None:
    reg = imported("c2_regularization")
    parameters, X, Y = problem("l2", (4, 5, 3, 1, 6))
    report = verify_gradients(
        forward=reg.forward_propagation,
        backward=reg.backward_propagation_with_regularization,
        compute_cost=reg.compute_cost_with_regularization,
        lambd=0.7,
        parameters=parameters,
        X=X,
        Y=Y,
    )
    assert report.passed and "L2 lambd=0.7" in str(report.reference), str(report)


def test_course2_dropout_functions_hold_the_masks_fixed_and_leave_the_random_state(course: Path) -> None:
    reg = imported("c2_regularization")
    parameters, X, Y = problem("dropout", (4, 5, 3, 1, 6))
    np.random.seed(123)  # noqa: NPY002 (the course's global random state)
    state = np.random.get_state()  # noqa: NPY002
    report = verify_gradients(
        forward=reg.forward_propagation_with_dropout,
        backward=reg.backward_propagation_with_dropout,
        compute_cost=reg.compute_cost,
        keep_prob=0.86,
        parameters=parameters,
        X=X,
        Y=Y,
    )
    assert report.passed and "dropout keep_prob=0.86" in str(report.reference), str(report)
    assert FIXED_RANDOM_NOTE.format(name="forward_propagation_with_dropout") in report.notes
    after = np.random.get_state()  # noqa: NPY002
    assert after[2] == state[2] and np.array_equal(after[1], state[1])


def edited(course: Path, module: str, old: str, new: str) -> ModuleType:
    """``module`` of the course with ``old`` replaced by ``new``, imported as ``mine``."""
    text = (course / f"{module}.py").read_text(encoding="utf-8")
    assert text.count(old) == 1
    (course / "mine.py").write_text(text.replace(old, new), encoding="utf-8")
    sys.modules.pop("mine", None)
    return imported("mine")


def _seeded() -> None:
    np.random.seed(5)  # noqa: NPY002 (the course's global random state)


def _gaussian_cached() -> None:
    np.random.seed(5)  # noqa: NPY002
    np.random.randn(1)  # noqa: NPY002 (one of a pair drawn: the other is cached)


def _another_generator() -> None:
    np.random.set_bit_generator(np.random.PCG64(5))


@pytest.mark.parametrize("state", [_seeded, _gaussian_cached, _another_generator])
def test_dropout_drawn_without_a_seed_of_its_own_passes_too(course: Path, state: Callable[[], None]) -> None:
    """The course seeds inside forward_propagation_with_dropout; a learner who removed the seed
    still gets the same masks at every point, whatever the caller's random state, which is left
    exactly as it was."""
    mine = edited(course, "c2_regularization", "    np.random.seed(1)\n", "")
    parameters, X, Y = problem("dropout", (3, 4, 4, 1, 7))
    generator = np.random.get_bit_generator()
    try:
        state()
        before = np.random.get_state(legacy=False)  # noqa: NPY002
        report = verify_gradients(
            forward=mine.forward_propagation_with_dropout,
            backward=mine.backward_propagation_with_dropout,
            keep_prob=0.8,
            parameters=parameters,
            X=X,
            Y=Y,
        )
        after = np.random.get_state(legacy=False)  # noqa: NPY002
    finally:
        np.random.set_bit_generator(generator)
    assert report.passed and "dropout keep_prob=0.8" in str(report.reference), str(report)
    assert FIXED_RANDOM_NOTE.format(name="forward_propagation_with_dropout") in report.notes
    assert repr(after) == repr(before)


def test_a_function_of_no_known_form_is_told_the_forms(course: Path) -> None:
    w3 = imported("week3_planar")
    parameters, X, Y = problem("week3", (2, 4, 1, 40))

    def backward(cache, grads):  # type: ignore[no-untyped-def]
        return {}

    with pytest.raises(
        GradcheckError,
        match=r"backward\(cache, grads\) is not a backward gradcheck knows; it "
        r"takes backward_propagation\(parameters, cache, X, Y\); L_model_backward\(AL, Y, caches\)",
    ):
        verify_gradients(forward=w3.forward_propagation, backward=backward, parameters=parameters, X=X, Y=Y)


def test_lambd_is_asked_for_when_a_function_takes_it(course: Path) -> None:
    reg = imported("c2_regularization")
    parameters, X, Y = problem("l2", (4, 5, 3, 1, 6))
    with pytest.raises(GradcheckError, match=r"take lambd: pass lambd= with the value your notebook uses"):
        verify_gradients(
            forward=reg.forward_propagation,
            backward=reg.backward_propagation_with_regularization,
            compute_cost=reg.compute_cost_with_regularization,
            parameters=parameters,
            X=X,
            Y=Y,
        )


def test_X_is_read_only_and_a_write_names_the_line(course: Path) -> None:
    w3 = imported("week3_planar")
    parameters, X, Y = problem("week3", (2, 4, 1, 40))

    def forward_propagation(X, parameters):  # type: ignore[no-untyped-def]
        X -= X.mean()
        return w3.forward_propagation(X, parameters)

    with pytest.raises(
        GradcheckError,
        match=r"forward_propagation \(test_notebooks\.py:\d+, `X -= X\.mean\(\)`\) "
        r"tried to change an input in place",
    ):
        verify_gradients(
            forward=forward_propagation, backward=w3.backward_propagation, parameters=parameters, X=X, Y=Y
        )
    assert X.flags.writeable, "the caller's own array stays writeable"


def test_a_failing_assert_in_linear_backward_is_a_wrong_gradient_naming_the_line(course: Path) -> None:
    mine = edited(
        course,
        "week4_deep",
        "db = 1.0 / m * np.sum(dZ, axis=1, keepdims=True)",
        "db = 1.0 / m * np.sum(dZ, axis=1)",
    )
    line = 1 + next(
        i for i, s in enumerate((course / "mine.py").read_text().splitlines()) if "assert db.shape" in s
    )
    parameters, X, Y = problem("week4", (4, 3, 2, 1, 9))
    report = verify_gradients(
        forward=mine.L_model_forward, backward=mine.L_model_backward, parameters=parameters, X=X, Y=Y
    )
    assert not report.passed and report.diagnosis is not None and report.diagnosis.code == "shape_mismatch"
    where = (
        f"L_model_backward → linear_activation_backward → linear_backward (mine.py:{line}, `assert db.shape"
    )
    assert report.diagnosis.message.startswith(where), report.diagnosis.message
    assert "raised AssertionError" in report.diagnosis.message


# -- gradcheck check: finding each notebook's functions in a module -----------------------------


@pytest.mark.parametrize(
    ("module", "found"),
    [
        ("week2_logistic.py", ["week2"]),
        ("week3_planar.py", ["week3"]),
        ("week4_deep.py", ["week4"]),
        ("week4_two_layer.py", ["week4_two_layer"]),
        ("c2_gradient_checking.py", ["gradient_checking"]),  # not the 1-D forward_propagation(x, theta)
        ("c2_regularization.py", ["l2", "dropout"]),  # not reg_utils' imported backward_propagation
    ],
)
def test_every_notebook_module_is_found_and_right(tmp_path: Path, module: str, found: list[str]) -> None:
    result = check_module(course_mistakes.write_correct(tmp_path, module), seeds=(0,))
    assert result.verdict == "right", result.problem or [str(c.report) for c in result.configurations]
    assert list(dict.fromkeys(c.notebook for c in result.configurations)) == found
    assert [n.split(" (")[0] for n in result.notebooks] == [NOTEBOOKS[k].title for k in found]


def test_the_modules_layers_dims_are_used(tmp_path: Path) -> None:
    result = check_module(course_mistakes.write_correct(tmp_path, "week4_deep.py"), seeds=(0,))
    assert [c.shape[:-1] for c in result.configurations] == [(12288, 20, 7, 5, 1)]


def test_without_layers_dims_several_shapes_width_1_among_them(tmp_path: Path) -> None:
    result = check_module(course_mistakes.write_correct(tmp_path, "c2_gradient_checking.py"), seeds=(0,))
    widths = {n for c in result.configurations for n in c.shape[1:-2]}
    assert len(result.configurations) >= 3 and 1 in widths


@pytest.mark.parametrize("name", list(course_mistakes.MISTAKES))
def test_every_planted_mistake_is_flagged_and_named(tmp_path: Path, name: str) -> None:
    mistake = course_mistakes.MISTAKES[name]
    result = check_module(course_mistakes.write(tmp_path, name), seeds=(0,))
    assert result.verdict == "wrong", result.problem
    codes = {c.report.diagnosis.code for c in result.configurations if c.report and c.report.diagnosis}
    if name in RUNS_ONLY_AT_EQUAL_WIDTHS:
        assert codes == {"shape_mismatch"}
        result = check_module(
            course_mistakes.write(tmp_path / "equal", name), shapes=[RUNS_ONLY_AT_EQUAL_WIDTHS[name]]
        )
        codes = {c.report.diagnosis.code for c in result.configurations if c.report and c.report.diagnosis}
    assert mistake.code in codes, [str(c.report) for c in result.configurations]


def test_the_command_line_grades_a_batch_mixing_notebooks(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Isolated, as a grader runs it: each module's sets found, shown, and in report.json."""
    import json

    import jsonschema

    from gradcheck.cli import main
    from gradcheck.sweep import load_schema

    modules = ["week2_logistic.py", "c2_regularization.py"]
    paths = [course_mistakes.write_correct(tmp_path, module) for module in modules]
    paths.append(course_mistakes.write(tmp_path, "gc_planted_both"))
    out = tmp_path / "out"
    assert main(["report", *map(str, paths), "--seeds", "1", "--out", str(out)]) == 1
    printed = " ".join(capsys.readouterr().out.split())
    assert "2 right, 1 wrong, 0 unusable." in printed
    markdown = (out / "report.md").read_text(encoding="utf-8")
    assert "| c2_regularization.py | C2 L2 regularization, C2 dropout | RIGHT |" in markdown
    data = json.loads((out / "report.json").read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator(load_schema()).validate(data)
    found = {Path(s["path"]).name: s["notebooks"] for s in data["submissions"]}
    assert found["week2_logistic.py"] == ["Course 1 Week 2, logistic regression (propagate)"]
    assert [n.split(" (")[0] for n in found["c2_regularization.py"]] == [
        "Course 2 Week 1, L2 regularization",
        "Course 2 Week 1, dropout",
    ]
    wrong = data["submissions"][2]
    assert {c["notebook"] for c in wrong["configurations"]} == {"gradient_checking"}
    assert {
        c["report"]["diagnosis"]["code"] for c in wrong["configurations"] if not c["report"]["passed"]
    } == {"scaled"}
    assert main(["check", str(paths[1]), "--seeds", "1"]) == 0
    printed = capsys.readouterr().out
    assert "Found Course 2 Week 1, L2 regularization (forward_propagation, " in " ".join(printed.split())
    assert "RIGHT: every gradient" in printed


def test_modules_checked_in_one_process_import_their_own_helpers(tmp_path: Path) -> None:
    """Two submissions with a dnn_utils.py each: the second must not get the first's."""
    right = course_mistakes.write_correct(tmp_path, "week4_deep.py")
    helper = course_mistakes.write_correct(tmp_path / "other", "week4_deep.py").parent / "dnn_utils.py"
    broken = helper.read_text(encoding="utf-8").replace("dZ[Z <= 0] = 0", "dZ[Z <= 0] = 0\n    dZ = 2 * dZ")
    helper.write_text(broken, encoding="utf-8")
    first, second = (check_module(path, seeds=(0,)) for path in (right, helper.parent / "week4_deep.py"))
    assert first.verdict == "right" and second.verdict == "wrong"
    assert check_module(right, seeds=(0,)).verdict == "right"

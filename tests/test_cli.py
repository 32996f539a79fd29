"""The gradcheck command."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from gradcheck.cli import main, reference_sweep
from gradcheck.network.activations import ACTIVATIONS
from gradcheck.sweep import SCHEMA_VERSION


def test_report_on_the_reference_network_passes_for_every_activation(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    assert main(["report", "--seeds", "1", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    for name in ACTIVATIONS:
        assert name in out
    checks = 4 * 3 * len(ACTIVATIONS)  # 4 shapes x 1 seed x 3 methods (central, forward, richardson)
    assert f"{checks} of {checks} checks passed" in out and "WRONG" not in out


def test_report_writes_json_markdown_and_self_contained_html(tmp_path: Path) -> None:
    assert main(["report", "--seeds", "1", "--method", "central", "--out", str(tmp_path)]) == 0
    data = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    assert data["schema_version"] == SCHEMA_VERSION and data["passed"] is True
    assert len(data["cases"]) == 4 * len(ACTIVATIONS)  # 4 shapes x 1 seed x 1 method
    case = data["cases"][0]
    assert set(case) == {"activation", "shape", "seed", "method", "report"}
    assert case["report"]["reference"] is not None and set(case["report"]["gradients"]) == {
        "W1",
        "b1",
        "W2",
        "b2",
    }
    assert len(data["step_size"]["h"]) == len(data["step_size"]["richardson"])
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert html.count('<img src="data:image/png;base64,') == 2  # the figures travel with the file
    assert 'src="figures/' not in html and html.count('<tr class="ok">') == 4 * len(ACTIVATIONS)
    markdown = (tmp_path / "report.md").read_text(encoding="utf-8")
    assert "![Relative error against the step h, per method](figures/step_size.png)" in markdown
    assert (tmp_path / "figures" / "step_size.png").read_bytes().startswith(b"\x89PNG")
    assert markdown.count("| central |") == 4 * len(ACTIVATIONS)


def test_step_size_curves_show_each_method_near_its_accuracy(tmp_path: Path) -> None:
    """The V of each method: its best step reaches the accuracy the engine claims for it."""
    from gradcheck.figures import step_size_curves
    from gradcheck.network.activations import get_activation
    from gradcheck.strategies import reference_problem

    curves = step_size_curves(reference_problem((2, 4, 1, 40), get_activation("tanh"), seed=0, scale=0.5))
    best = {method: min(curves[method]) for method in ("forward", "central", "richardson", "complex")}
    assert best["complex"] < 1e-15 < best["richardson"] < best["central"] < best["forward"] < 1e-7


def test_sweep_compares_with_autograd_everywhere() -> None:
    cases = reference_sweep(shapes=[(2, 3, 1, 5)], seeds=[0])
    assert len(cases) == len(ACTIVATIONS)
    for case in cases:
        assert case.report.passed
        assert case.report.reference is not None and case.activation in case.report.reference
        assert all(r.reference_error is not None and r.reference_error < 1e-12 for r in case.report)


def test_console_script_module_and_bad_arguments() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "gradcheck", "report", "--seeds", "0"], capture_output=True, text=True
    )
    assert done.returncode == 2 and "--seeds must be at least 1" in done.stderr
    done = subprocess.run([sys.executable, "-m", "gradcheck"], capture_output=True, text=True)
    assert done.returncode == 2 and "report" in done.stderr


# -- gradcheck check LEARNER.py ---------------------------------------------------------------

COURSE = (Path(__file__).parent / "fixtures" / "my_course_code.py").read_text(encoding="utf-8")


def learner(tmp_path: Path, name: str, old: str = "", new: str = "") -> Path:
    """The course's module with one line changed (``old`` must occur in it)."""
    assert old in COURSE
    path = tmp_path / f"{name}.py"
    path.write_text(COURSE.replace(old, new), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("name", "old", "new", "code", "expected"),
    [
        ("correct", "", "", 0, "RIGHT"),
        (
            "cost_with_parameters",
            "def compute_cost(A2, Y):",
            "def compute_cost(A2, Y, parameters):",
            0,
            "RIGHT",
        ),
        (
            "value_bug",
            "dW2 = (1 / m) * np.dot(dZ2, A1.T)",
            "dW2 = np.dot(dZ2, A1.T)",
            1,
            "dW2 is exactly m = 40 times too large",
        ),
        (
            "shape_bug",
            "db1 = (1 / m) * np.sum(dZ1, axis=1, keepdims=True)",
            "db1 = (1 / m) * np.sum(dZ1, axis=1)",
            1,
            "did you forget keepdims=True?",
        ),
        ("derivative_bug", "* (1 - np.power(A1, 2))", "* A1", 1, "your g'(Z1) is A1"),
        ("syntax_error", "def compute_cost(A2, Y):", "def compute_cost(A2, Y:", 2, "syntax error"),
        ("returns_a_list", "    return grads\n", "    return [grads]\n", 2, "must return a dict"),
        (
            "no_backward",
            "def backward_propagation(",
            "def backward_propagation_v2(",
            2,
            "no function backward",
        ),
        (
            "raises",
            "    dZ2 = A2 - Y\n",
            "    dZ2 = A2 - Y\n    raise RuntimeError('unfinished')\n",
            2,
            "unfinished",
        ),
        (
            "exits_at_import",
            "import numpy as np\n",
            "import numpy as np\nimport sys\nsys.exit(3)\n",
            2,
            "exits_at_import.py:8: called sys.exit(3) while importing it",
        ),
    ],
)
def test_check_gives_the_exit_code_and_says_why(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    name: str,
    old: str,
    new: str,
    code: int,
    expected: str,
) -> None:
    path = learner(tmp_path, name, old, new)
    assert main(["check", str(path), "--seeds", "1"]) == code
    out = capsys.readouterr().out
    assert expected in " ".join(out.split()), out


def test_check_as_a_console_command(tmp_path: Path) -> None:
    path = learner(tmp_path, "value_bug", "dW2 = (1 / m) * np.dot(dZ2, A1.T)", "dW2 = np.dot(dZ2, A1.T)")
    done = subprocess.run(
        [sys.executable, "-m", "gradcheck", "check", str(path), "--seeds", "1"],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 1 and "missing_1_over_m" in done.stdout


# -- gradcheck report LEARNER.py ... (graders) -------------------------------------------------


def submissions(tmp_path: Path) -> list[Path]:
    return [
        learner(tmp_path, "right"),
        learner(tmp_path, "wrong", "dW2 = (1 / m) * np.dot(dZ2, A1.T)", "dW2 = np.dot(dZ2, A1.T)"),
        learner(tmp_path, "broken", "def compute_cost(A2, Y):", "def compute_cost(A2, Y:"),
        learner(tmp_path, "derivative", "* (1 - np.power(A1, 2))", "* A1"),
    ]


@pytest.mark.parametrize("workers", [1, 2])
def test_grading_reports_every_submission(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], workers: int
) -> None:
    import jsonschema

    from gradcheck.sweep import load_schema

    paths = submissions(tmp_path)
    out = tmp_path / "out"
    code = main(["report", *map(str, paths), "--seeds", "1", "--workers", str(workers), "--out", str(out)])
    assert code == 2  # the worst submission's: one is unusable
    printed = " ".join(capsys.readouterr().out.split())
    assert "1 right, 2 wrong, 1 unusable (1 raised or broke a contract)." in printed
    data = json.loads((out / "report.json").read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator(load_schema()).validate(data)
    verdicts = {Path(s["path"]).stem: (s["verdict"], s["exit_code"]) for s in data["submissions"]}
    assert verdicts == {
        "right": ("right", 0),
        "wrong": ("wrong", 1),
        "broken": ("unusable", 2),
        "derivative": ("wrong", 1),
    }
    codes = {
        Path(s["path"]).stem: {
            c["report"]["diagnosis"]["code"] for c in s["configurations"] if c["report"]["diagnosis"]
        }
        for s in data["submissions"]
        if s["verdict"] == "wrong"
    }
    assert codes == {"wrong": {"missing_1_over_m"}, "derivative": {"wrong_activation_derivative"}}
    markdown = (out / "report.md").read_text(encoding="utf-8")
    assert "| broken.py | UNUSABLE |" in markdown and "syntax error" in markdown
    html = (out / "report.html").read_text(encoding="utf-8")
    assert html.count('<tr class="WRONG">') == 2 and "Element error map" in html


def test_grading_through_any_executor(tmp_path: Path) -> None:
    """The Python API takes any concurrent.futures.Executor (Dask's and Ray's plug in the same way)."""
    from concurrent.futures import ThreadPoolExecutor

    from gradcheck.grading import check_modules

    paths = submissions(tmp_path)
    with ThreadPoolExecutor(2) as pool:
        pooled = check_modules(paths, executor=pool, seeds=[0])
    alone = check_modules(paths, seeds=[0])
    assert (
        [r.verdict for r in pooled] == [r.verdict for r in alone] == ["right", "wrong", "unusable", "wrong"]
    )


def test_a_failed_check_in_the_report_gets_its_element_error_map(tmp_path: Path) -> None:
    from gradcheck.network.activations import get_activation
    from gradcheck.strategies import reference_problem
    from gradcheck.sweep import Sweep, SweepCase, write_report
    from gradcheck.verify import verify_gradients

    problem = reference_problem((3, 4, 1, 7), get_activation("tanh"), seed=3, scale=0.7)
    grads = problem.gradients()
    grads["dW1"] = grads["dW1"].copy()
    grads["dW1"][1, 2] += 0.01
    report = verify_gradients(problem.cost, problem.parameters, grads, problem.X, problem.Y)
    right = verify_gradients(problem.cost, problem.parameters, problem.gradients(), problem.X, problem.Y)
    cases = [SweepCase("tanh", (3, 4, 1, 7), 3, report), SweepCase("tanh", (3, 4, 1, 7), 4, right)]
    curves = {"h": [1e-3, 1e-6], **{m: [1e-6, 1e-9] for m in ("central", "forward", "richardson", "complex")}}
    paths = write_report(Sweep(cases, curves, "default", 0.1, {}), tmp_path)
    maps = sorted((tmp_path / "figures").glob("map_*.png"))
    assert [p.name for p in maps] == ["map_central_tanh_3x4x1x7_3_W1.png"]
    html = paths["html"].read_text(encoding="utf-8")
    assert html.count('<img src="data:image/png;base64,') == 3 and "1 of 2 checks passed" in html
    assert "Element error map of dW1" in html

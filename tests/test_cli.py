"""The gradcheck command."""

import json
import re
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import matplotlib.pyplot as plt
import pytest

from gradcheck import verify_gradients
from gradcheck.cli import main, reference_sweep
from gradcheck.figures import chosen_steps, step_size_curves, step_size_plot
from gradcheck.network.activations import ACTIVATIONS, get_activation
from gradcheck.network.models import MODELS
from gradcheck.strategies import reference_problem
from gradcheck.sweep import (
    BUILDERS,
    MODEL_CASES,
    SCHEMA_VERSION,
    ModelCase,
    Sweep,
    SweepCase,
    model_sweep,
    run_sweep,
    sweep_rows,
    sweep_summary,
    write_report,
)

#: Checks per seed and method of the default grid: 4 shapes per activation, then the model cases.
DEFAULT_CASES = 4 * len(ACTIVATIONS) + len(MODEL_CASES["default"])
#: Stand-in step-size curves for reports written from hand-made cases.
CURVES = {"h": [1e-3, 1e-6], **{m: [1e-6, 1e-9] for m in ("central", "forward", "richardson", "complex")}}


def test_report_on_the_reference_models_passes_for_every_activation_and_model(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "200")  # wide: a column per option
    assert main(["report", "--seeds", "1", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    for name in (*ACTIVATIONS, *MODELS, "softmax"):
        assert f" {name} " in out
    checks = DEFAULT_CASES * 3  # x 1 seed x 3 methods (central, forward, richardson)
    assert f"{checks} of {checks} checks passed" in out and "WRONG" not in out
    header = next(line for line in out.splitlines() if "method" in line and "model" in line).split()
    assert header[:6] == ["method", "model", "hidden", "output", "lambd", "keep_prob"]
    # every row says which network it is: the L-layer network with L2 and dropout, say
    assert any(line.split()[1:6] == ["deep", "relu", "sigmoid", "0.7", "0.8"] for line in out.splitlines()), (
        out
    )


def test_report_writes_json_markdown_and_self_contained_html(tmp_path: Path) -> None:
    assert main(["report", "--seeds", "1", "--method", "central", "--out", str(tmp_path)]) == 0
    data = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    assert data["schema_version"] == SCHEMA_VERSION and data["passed"] is True
    assert len(data["cases"]) == DEFAULT_CASES  # x 1 seed x 1 method
    assert data["settings"]["models"] == list(MODELS)
    case = data["cases"][0]
    assert set(case) == {
        "model",
        "network",
        "activation",
        "output",
        "lambd",
        "keep_prob",
        "shape",
        "seed",
        "method",
        "autograd_errors",
        "report",
    }
    assert case["model"] == "two_layer" and case["network"] == "sigmoid hidden, sigmoid output"
    assert case["report"]["reference"] is not None and set(case["report"]["gradients"]) == {
        "W1",
        "b1",
        "W2",
        "b2",
    }
    assert set(case["autograd_errors"]) == set(case["report"]["gradients"])
    deepest = [c for c in data["cases"] if c["model"] == "deep" and len(c["shape"]) == 6]
    assert {c["output"] for c in deepest} == {"sigmoid", "softmax"}
    assert all(len(c["report"]["gradients"]) == 8 for c in deepest)  # W1, b1, ..., W4, b4
    assert len(data["step_size"]["h"]) == len(data["step_size"]["richardson"])
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert html.count('<img src="data:image/png;base64,') == 2  # the figures travel with the file
    assert 'src="figures/' not in html and html.count('<tr class="ok">') == DEFAULT_CASES
    assert '<td class="text">logistic</td>' in html and "<th>keep_prob</th>" in html
    markdown = (tmp_path / "report.md").read_text(encoding="utf-8")
    assert "![Step size](figures/step_size.png)" in markdown
    assert (tmp_path / "figures" / "step_size.png").read_bytes().startswith(b"\x89PNG")
    assert markdown.count("| central |") == DEFAULT_CASES
    # the step-size figure and its caption show the one method run, and the step gradcheck took
    assert "(central h = " in markdown and "forward h =" not in markdown and "richardson h =" not in markdown
    assert "| central | deep | relu | sigmoid | 0.7 | 0.8 | 3,4,3,3,1,20 | 0 |" in markdown


# -- every model of the registry, from a table of cases ----------------------------------------


def test_every_registered_model_has_a_builder_and_is_in_every_grid() -> None:
    assert set(BUILDERS) == set(MODELS)
    for grid, cases in MODEL_CASES.items():
        assert {"two_layer", *(case.model for case in cases)} == set(MODELS), grid


@pytest.mark.parametrize("grid", sorted(MODEL_CASES))
def test_the_grids_cover_depths_outputs_hidden_activations_l2_and_dropout(grid: str) -> None:
    deep = [case for case in MODEL_CASES[grid] if case.model == "deep"]
    for output in ("sigmoid", "softmax"):
        relu = [case for case in deep if case.output == output and case.hidden in (None, "relu")]
        depths = {len(case.dims) - 1 for case in relu}
        assert depths >= {1, 2, 3, 4}, (grid, output)
    assert {case.hidden for case in deep} >= set(ACTIVATIONS)
    assert any(case.lambd == 0.7 and case.keep_prob == 1 for case in deep)
    assert any(case.keep_prob == 0.8 and case.lambd == 0 for case in deep)
    assert any(case.keep_prob == 0.8 and case.lambd == 0.7 for case in deep)
    assert len({(case.model, case.network, case.shape) for case in MODEL_CASES[grid]}) == len(
        MODEL_CASES[grid]
    )


@pytest.fixture(scope="module")
def model_cases() -> list[SweepCase]:
    return model_sweep(MODEL_CASES["default"], seeds=[0], methods=["central"])


def test_every_model_case_passes_and_agrees_with_autograd(model_cases: list[SweepCase]) -> None:
    for case in model_cases:
        assert case.report.passed, (case.model, case.network, case.shape, str(case.report))
        errors = case.autograd_errors
        assert set(errors) == {result.name for result in case.report}
        assert all(e is not None and e < 1e-12 for e in errors.values()), (case.network, errors)


def test_the_engine_recognises_each_network_unless_its_masks_are_hidden(model_cases: list[SweepCase]) -> None:
    for case in model_cases:
        reference = case.report.reference
        if case.keep_prob < 1:  # no cost reveals its masks: the sweep compares with autograd itself
            assert reference is None and case.autograd is not None
            continue
        assert reference is not None and case.autograd is None, case.network
        if case.model == "logistic":
            assert reference == "reference logistic regression (autograd)"
        elif len(case.shape) != 4 or case.output == "softmax":  # the L-layer network, named with its options
            L = len(case.shape) - 2
            assert f"{L} layer" in reference and f"{case.output} output" in reference, reference
            assert ("L2 lambd=0.7" in reference) == bool(case.lambd), reference
        else:  # two layers, sigmoid output, no L2: the one-hidden-layer network, tried first
            assert reference == f"reference network, {case.activation} hidden layer (autograd)"


def test_a_wrong_gradient_of_the_deep_network_is_a_wrong_row_with_its_options(tmp_path: Path) -> None:
    from gradcheck.sweep import Sweep, write_report
    from gradcheck.verify import verify_gradients

    case = ModelCase("deep", (4, 5, 4, 3, 3), 20, "relu", "softmax", 0.7)
    problem = BUILDERS["deep"](case, 0, 0.5)
    grads = dict(problem.gradients)
    grads["dW2"] = grads["dW2"] * 1.01
    report = verify_gradients(problem.cost, problem.parameters, grads, problem.X, problem.Y)
    assert not report.passed and [r.label for r in report.failed] == ["dW2"]
    wrong = SweepCase("relu", case.shape, 0, report, "central", "deep", "softmax", 0.7)
    curves = {"h": [1e-3, 1e-6], **{m: [1e-6, 1e-9] for m in ("central", "forward", "richardson", "complex")}}
    paths = write_report(Sweep([wrong], curves, "default", 0.1, {}), tmp_path)
    (figure,) = (tmp_path / "figures").glob("map_*.png")
    assert figure.name == "map_deep_relu-hidden-softmax-output-lambd=0.7_central_relu_4x5x4x3x3x20_0_W2.png"
    markdown = paths["md"].read_text(encoding="utf-8")
    assert "| central | deep | relu | softmax | 0.7 | - | 4,5,4,3,3,20 | 0 |" in markdown
    assert "| dW2 |" in markdown and "| WRONG |" in markdown
    assert "| deep | relu hidden, softmax output, lambd=0.7 | 0 of 1 **WRONG** |" in markdown  # the summary
    assert (
        "## Failed: central, deep, 4,5,4,3,3,20, seed 0\n\nrelu hidden, softmax output, lambd=0.7."
        in markdown
    )
    json_case = json.loads(paths["json"].read_text(encoding="utf-8"))["cases"][0]
    assert json_case["autograd_errors"]["W2"] > 1e-3 and json_case["autograd_errors"]["W1"] < 1e-12


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
    assert done.returncode == 2 and done.stderr.startswith("usage: gradcheck report ")
    assert (
        "gradcheck report: error: argument --seeds: expected a whole number of seeds, 1 or more"
        in done.stderr
    )
    done = subprocess.run([sys.executable, "-m", "gradcheck"], capture_output=True, text=True)
    assert done.returncode == 2 and "report" in done.stderr


# -- the report explains itself: a summary first, kinks and tolerances, short headings ------------


@pytest.fixture(scope="module")
def small_sweep() -> Sweep:
    return run_sweep(seeds=(1,), methods=("central", "richardson"))


def test_the_summary_counts_agree_with_the_cases(small_sweep: Sweep) -> None:
    summary = sweep_summary(small_sweep)
    assert sum(cell["checks"] for row in summary for cell in row["methods"].values()) == len(
        small_sweep.cases
    )
    for row in summary:
        assert set(row["methods"]) == {"central", "richardson"}
        for method, cell in row["methods"].items():
            cases = [
                c
                for c in small_sweep.cases
                if (c.model, c.network, c.method) == (row["model"], row["network"], method)
            ]
            assert cell["checks"] == len(cases) > 0
            assert cell["passed"] == sum(c.report.passed for c in cases)
            assert cell["kinks"] == sum(c.report.n_kinks for c in cases)
            worst = max(r.relative_error for c in cases for r in c.report)
            assert cell["worst"] == f"{worst:.1e}"


def test_a_right_gradient_beyond_its_tolerance_is_explained_in_its_row(small_sweep: Sweep) -> None:
    """An "ok" whose worst entry misses its finite difference says why: kinks, or autograd's word."""
    for row in sweep_rows(small_sweep):
        if row["passed"] and row["beyond_tolerance"]:
            assert row["kinks_text"] == f"{row['kinks']}, bracketed" or row["fd_disagrees"], row


def test_a_kink_at_the_point_is_counted_in_the_kinks_column(tmp_path: Path) -> None:
    """A ReLU unit exactly at its kink for one example: its row's entries pass, bracketed, counted."""
    problem = reference_problem((2, 4, 1, 40), get_activation("relu"), seed=0, scale=0.5)
    parameters = {name: value.copy() for name, value in problem.parameters.items()}
    parameters["b1"][0, 0] = -(parameters["W1"][0] @ problem.X[:, 0])  # Z1[0, 0] = 0
    problem = replace(problem, parameters=parameters)
    report = verify_gradients(problem.cost, parameters, problem.gradients(), problem.X, problem.Y)
    assert report.passed and report.n_kinks > 0
    case = SweepCase("relu", problem.shape, 0, report)
    (row,) = sweep_rows(Sweep([case], CURVES, "default", 0.1, {}))
    assert row["kinks_text"] == f"{report.n_kinks}, bracketed" and set(row["kinks_by_gradient"]) == {
        "dW1",
        "db1",
    }
    assert row["beyond_tolerance"] and row["entry_at"].startswith(("dW1[0, ", "db1[0, "))
    paths = write_report(Sweep([case], CURVES, "default", 0.1, {}), tmp_path)
    markdown = paths["md"].read_text(encoding="utf-8")
    assert f"| {row['tolerance']} | {report.n_kinks}, bracketed | " in markdown
    summary = f"| 1 of 1 | {row['worst']} {row['worst_gradient']} | {report.n_kinks} |"
    assert f"| two_layer | relu hidden, sigmoid output {summary}" in markdown


def test_the_summary_comes_first_and_headings_are_short(tmp_path: Path) -> None:
    problem = reference_problem((3, 4, 1, 7), get_activation("tanh"), seed=3, scale=0.7)
    grads = {**problem.gradients(), "dW2": 2 * problem.gradients()["dW2"]}
    report = verify_gradients(problem.cost, problem.parameters, grads, problem.X, problem.Y)
    paths = write_report(
        Sweep([SweepCase("tanh", problem.shape, 3, report)], CURVES, "default", 0.1, {}), tmp_path
    )
    markdown = paths["md"].read_text(encoding="utf-8")
    headings = [line for line in markdown.splitlines() if line.startswith("#")]
    assert headings[1] == "## Summary" and headings[-1].startswith("## Failed: central, two_layer, 3,4,1,7")
    assert all(len(h.split()) <= 8 and len(h) <= 60 for h in headings), headings
    # each figure's explanation is a paragraph below its image, not its heading
    assert "## Step size\n\n![Step size](figures/step_size.png)\n\nThe relative error of each" in markdown
    html = paths["html"].read_text(encoding="utf-8")
    assert (
        html.index("<h2>Summary</h2>") < html.index("<h2>Step size</h2>") < html.index("<h2>Every check</h2>")
    )
    assert all(len(h.split()) <= 8 for h in re.findall(r"<h[12]>(.*?)</h[12]>", html))


def test_the_step_size_figure_draws_only_the_methods_run_and_marks_the_chosen_step() -> None:
    problem = reference_problem((2, 4, 1, 40), get_activation("tanh"), seed=0, scale=0.5)
    curves = step_size_curves(problem)
    chosen = chosen_steps(problem, ("central",))
    figure = step_size_plot(curves, ("central",), chosen)
    try:
        (axes,) = figure.axes
        labels = [text.get_text() for text in axes.get_legend().get_texts()]
        assert labels == ["central", "float64 ε", "gradcheck's step", "tolerance there"]
        circle = [line for line in axes.get_lines() if line.get_marker() == "o"]
        assert [line.get_xdata()[0] for line in circle] == [chosen["central"].h]
    finally:
        plt.close(figure)
    # the step the engine takes: a right value there is within the tolerance, near the V's bottom
    choice = chosen["central"]
    assert choice.error < choice.tolerance
    assert choice.error < 100 * min(e for e in curves["central"] if e > 0)


# -- the command line: help, version, usage errors ---------------------------------------------


def usage_exit(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """``gradcheck ARGV`` when argparse ends it: the exit status, stdout, stderr."""
    with pytest.raises(SystemExit) as ended:
        main(list(argv))
    code = ended.value.code
    assert isinstance(code, int)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize(
    ("argv", "examples", "exit_status"),
    [
        (
            [],
            [
                "gradcheck report",
                "gradcheck report submissions/*.py --workers 4 --out grading",
                "gradcheck check my_code.py",
            ],
            ["0 right", "1 a gradient is wrong", "2 a module is unusable"],
        ),
        (
            ["report"],
            ["gradcheck report", "gradcheck report submissions/*.py --workers 4 --out grading"],
            [
                "0 every check passed, 1 one failed",
                "0 all right, 1 a gradient is wrong, 2 a module is unusable",
            ],
        ),
        (
            ["check"],
            ["gradcheck check my_code.py"],
            ["0 every gradient is right", "1 a gradient is wrong", "2 the module is unusable"],
        ),
    ],
    ids=["gradcheck", "report", "check"],
)
def test_help_says_what_each_command_does_with_examples_and_exit_status(
    capsys: pytest.CaptureFixture[str], argv: list[str], examples: list[str], exit_status: list[str]
) -> None:
    code, out, _ = usage_exit(capsys, *argv, "--help")
    assert code == 0
    lines = [line.strip() for line in out.splitlines()]
    assert "examples:" in lines and "exit status:" in lines
    commands = {line.split("  ")[0] for line in lines}  # an example, then maybe what it does
    assert all(example in commands for example in examples), out
    flowing = " ".join(out.split())
    assert all(status in flowing for status in exit_status), out
    assert "``" not in out and "The gradcheck command." not in flowing  # no reST, no placeholder


def test_top_level_help_describes_every_command(capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = usage_exit(capsys, "--help")
    flowing = " ".join(out.split())
    assert "gradcheck report check gradcheck's own reference models" in flowing
    assert "gradcheck report FILE.py ... grade learners' modules" in flowing
    assert "gradcheck check FILE.py check one learner's module" in flowing


def test_version_prints_the_package_version() -> None:
    import gradcheck

    done = subprocess.run([sys.executable, "-m", "gradcheck", "--version"], capture_output=True, text=True)
    assert done.returncode == 0 and done.stdout == f"gradcheck {gradcheck.__version__}\n"
    assert re.fullmatch(r"\d+\.\d+\.\d+\S*", gradcheck.__version__)


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (
            ["check", "x.py", "--seeds", "0"],
            "argument --seeds: expected a whole number of seeds, 1 or more; got '0'",
        ),
        (["check", "x.py", "--seeds", "two"], "argument --seeds: expected a whole number of seeds"),
        (["check", "x.py", "--timeout", "0"], "argument --timeout: expected a positive number of seconds"),
        (["check", "x.py", "--timeout", "inf"], "argument --timeout: expected a positive number of seconds"),
        (
            ["check", "x.py", "--memory-limit", "-1"],
            "argument --memory-limit: expected a whole number of megabytes",
        ),
        (["report", "--seeds", "0"], "argument --seeds: expected a whole number of seeds, 1 or more"),
        (
            ["report", "a.py", "--workers", "0"],
            "argument --workers: expected a whole number of processes, 1 or more",
        ),
        (
            ["report", "a.py", "--output-limit", "0"],
            "argument --output-limit: expected a whole number of bytes",
        ),
    ],
)
def test_a_bad_number_gets_the_commands_own_usage_and_exit_2(
    capsys: pytest.CaptureFixture[str], argv: list[str], says: str
) -> None:
    code, _, err = usage_exit(capsys, *argv)
    command = argv[0]
    assert code == 2
    assert err.startswith(f"usage: gradcheck {command} [-h]"), err
    assert f"gradcheck {command}: error: {says}" in err, err


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (["report", "a.py", "--thorough"], "--thorough chooses how gradcheck's own reference models"),
        (["report", "a.py", "--method", "central"], "--method chooses how gradcheck's own reference"),
        (["report", "--workers", "4"], "--workers applies to grading learners' modules: give them"),
        (["report", "--timeout", "5", "--fresh"], "--fresh, --timeout apply to grading learners' modules"),
        (["report", "--dask", "local"], "--dask applies to grading learners' modules"),
    ],
)
def test_an_option_of_the_other_kind_of_report_is_a_usage_error(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, argv: list[str], says: str
) -> None:
    """``gradcheck report``'s options for the reference models do nothing to a grading run, and
    the grading options nothing to the reference models: each is refused, not ignored."""
    code, _, err = usage_exit(capsys, *argv, "--out", str(tmp_path / "out"))
    assert code == 2
    assert err.startswith("usage: gradcheck report [-h]"), err
    assert f"gradcheck report: error: {says}" in " ".join(err.split()), err
    assert not (tmp_path / "out").exists()


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
            "defines none of the course's sets of functions",
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


# -- a function named almost like the course's ----------------------------------------------


def misspelled(name: str, expected: str) -> str:
    """How the warning about a near miss begins, as a learner reads it."""
    return f"defines {name} but no {expected}: did you mean {expected}?"


def test_check_warns_about_a_misspelled_cost_it_did_not_check(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """compute_cots is not found by name: the gradients are checked against the built-in cost and
    are right, but the learner is told their cost was not checked."""
    path = learner(tmp_path, "cots", "def compute_cost(A2, Y):", "def compute_cots(A2, Y):")
    assert main(["check", str(path), "--seeds", "1"]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "RIGHT: every gradient" in out
    assert f"WARNING: {path} {misspelled('compute_cots', 'compute_cost')}" in out, out
    assert "so compute_cots was not checked" in out


def test_a_misspelled_required_function_is_named_in_the_unusable_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = learner(tmp_path, "propogation", "def backward_propagation(", "def backward_propogation(")
    assert main(["check", str(path), "--seeds", "1"]) == 2
    out = " ".join(capsys.readouterr().out.split())
    assert f"UNUSABLE {path}: {path} defines none of the course's sets of functions." in out, out
    assert out.count(misspelled("backward_propogation", "backward_propagation")) == 1, out  # not twice


@pytest.mark.parametrize(
    ("module", "old", "new", "verdict"),
    [
        ("week4_deep.py", "def L_model_backward(", "def L_model_backwards(", "right"),  # the two-layer model
        (
            "c2_regularization.py",
            "def compute_cost_with_regularization(",
            "def compute_cost_with_regularisation(",
            "right",  # its dropout functions
        ),
        ("week3_planar.py", "def forward_propagation(", "def foward_propagation(", "unusable"),
    ],
)
def test_near_misses_in_the_courses_notebooks(
    tmp_path: Path, module: str, old: str, new: str, verdict: str
) -> None:
    from gradcheck.learner import check_module
    from tests.fixtures.course_mistakes import write_correct

    path = write_correct(tmp_path, module)
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1
    path.write_text(text.replace(old, new), encoding="utf-8")
    result = check_module(path, seeds=[0])
    name, expected = new.removeprefix("def ").rstrip("("), old.removeprefix("def ").rstrip("(")
    assert result.verdict == verdict, result.problem
    assert [w.split("?")[0] + "?" for w in result.warnings] == [misspelled(name, expected)]


def test_the_courses_own_notebooks_get_no_warning(tmp_path: Path) -> None:
    """Their many other functions (linear_backward, L_layer_model, gradient_check_n, ...) are not near
    misses: a warning there would be noise on every submission."""
    from gradcheck.grading import check_modules
    from tests.fixtures.course_mistakes import MODULES, write_correct

    paths = [write_correct(tmp_path, module) for module in MODULES]
    results = check_modules(paths, seeds=[0], isolate=False)
    assert [(Path(r.path).name, r.warnings) for r in results] == [(Path(p).name, ()) for p in paths]


def test_near_misses_are_in_the_grading_report_and_its_json(tmp_path: Path) -> None:
    import jsonschema

    from gradcheck.sweep import load_schema

    paths = [
        learner(tmp_path, "right"),
        learner(tmp_path, "cots", "def compute_cost(A2, Y):", "def compute_cots(A2, Y):"),
        learner(tmp_path, "propogation", "def backward_propagation(", "def backward_propogation("),
    ]
    out = tmp_path / "out"
    assert main(["report", *map(str, paths), "--seeds", "1", "--out", str(out)]) == 2
    data = json.loads((out / "report.json").read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator(load_schema()).validate(data)
    assert data["schema_version"] == 5
    warnings = {Path(s["path"]).stem: s["warnings"] for s in data["submissions"]}
    assert warnings["right"] == []
    assert [w.split("?")[0] + "?" for w in warnings["cots"]] == [misspelled("compute_cots", "compute_cost")]
    (said,) = warnings["propogation"]
    assert said.startswith(misspelled("backward_propogation", "backward_propagation"))
    markdown = (out / "report.md").read_text(encoding="utf-8")
    rows = {line.split(" | ")[0].strip("| "): line for line in markdown.splitlines()}
    assert f"Warning: {misspelled('compute_cots', 'compute_cost')}" in rows["cots.py"]
    assert rows["propogation.py"].count(misspelled("backward_propogation", "backward_propagation")) == 1


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
    assert "| broken.py | - | UNUSABLE |" in markdown and "syntax error" in markdown
    assert "| right.py | Week 3, one hidden layer | RIGHT |" in markdown
    html = (out / "report.html").read_text(encoding="utf-8")
    assert html.count('<tr class="WRONG">') == 2 and "Element error map" in html


KEEPDIMS = ("db1 = (1 / m) * np.sum(dZ1, axis=1, keepdims=True)", "db1 = (1 / m) * np.sum(dZ1, axis=1)")
ONE_OVER_M = ("dW2 = (1 / m) * np.dot(dZ2, A1.T)", "dW2 = np.dot(dZ2, A1.T)")


def test_the_largest_relative_error_is_the_failing_blocks(tmp_path: Path) -> None:
    """A lost keepdims has no relative error (its shape is wrong): the row says n/a, not the tiny
    error of a block that passed. dW2 without its 1/m is m·dW2: ‖m·g − g‖/(‖m·g‖ + ‖g‖) = (m − 1)/(m + 1),
    largest at the largest m Week 3 is checked at (40): 39/41."""
    both = learner(tmp_path, "both", *KEEPDIMS).read_text(encoding="utf-8").replace(*ONE_OVER_M)
    (tmp_path / "both.py").write_text(both, encoding="utf-8")
    paths = [learner(tmp_path, "keepdims", *KEEPDIMS), learner(tmp_path, "one_over_m", *ONE_OVER_M)]
    out = tmp_path / "out"
    assert (
        main(["report", *map(str, paths), str(tmp_path / "both.py"), "--seeds", "1", "--out", str(out)]) == 1
    )
    markdown = (out / "report.md").read_text(encoding="utf-8")
    row = {line.split(" | ")[0].strip("| "): line.split(" | ") for line in markdown.splitlines()}
    largest = f"{39 / 41:.1e}"
    assert row["keepdims.py"][3:6] == ["db1", "shape_mismatch", "n/a"], row["keepdims.py"]
    assert row["one_over_m.py"][3:6] == ["dW2", "missing_1_over_m", largest], row["one_over_m.py"]
    assert row["both.py"][3] == "dW2, db1" and row["both.py"][5] == largest, row["both.py"]


def test_the_grading_report_names_submissions_without_absolute_paths(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Below the current directory a submission is its relative path (two learners' week3.py stay
    apart), elsewhere its file name: in the table, the failure headings and the problems."""
    for learner_name in ("alice", "bob", "carol"):
        (tmp_path / "batch" / learner_name).mkdir(parents=True)
    alice = learner(tmp_path / "batch" / "alice", "week3", *ONE_OVER_M)
    bob = learner(tmp_path / "batch" / "bob", "week3", *KEEPDIMS)
    carol = learner(
        tmp_path / "batch" / "carol", "week3", "def compute_cost(A2, Y):", "def compute_cost(A2, Y:"
    )
    outside = learner(tmp_path, "outside", *ONE_OVER_M)
    monkeypatch.chdir(tmp_path / "batch")
    paths = [str(p.resolve()) for p in (alice, bob, carol, outside)]  # absolute, as a grader's glob gives
    assert main(["report", *paths, "--seeds", "1", "--out", str(tmp_path / "out")]) == 2
    markdown = (tmp_path / "out" / "report.md").read_text(encoding="utf-8")
    html = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    for text in (markdown, html):
        assert str(tmp_path) not in text and str(tmp_path.resolve()) not in text
    for shown in ("alice/week3.py", "bob/week3.py", "outside.py"):
        assert f"| {shown} | Week 3, one hidden layer | WRONG |" in markdown
        assert f"## {shown}: first failure in Course 1 Week 3, one hidden layer" in markdown
        assert f"<h2>{shown}: first failure in" in html
    assert "| carol/week3.py | - | UNUSABLE |" in markdown and "carol/week3.py:" in markdown
    data = json.loads((tmp_path / "out" / "report.json").read_text(encoding="utf-8"))
    assert [s["path"] for s in data["submissions"]] == paths  # the JSON keeps the paths as given


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


@pytest.mark.parametrize("columns", [80, 200])
def test_every_table_fits_the_terminal_and_keeps_every_number(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, columns: int
) -> None:
    """At 80 columns as at 200: no line wider than the terminal, no number cut short."""
    monkeypatch.setenv("COLUMNS", str(columns))
    assert main(["report", "--seeds", "1", "--method", "central", "--out", str(tmp_path / "sweep")]) == 0
    sweep = capsys.readouterr().out
    paths = submissions(tmp_path)
    main(["report", *map(str, paths), "--seeds", "1", "--out", str(tmp_path / "grading")])
    grading = capsys.readouterr().out
    main(["check", str(paths[1]), "--seeds", "1"])  # a wrong one: the table, then the failing report
    check = capsys.readouterr().out
    for out in (sweep, grading, check):
        assert max(len(line) for line in out.splitlines()) <= columns, out
        assert "…" not in out.replace("n_x,…,n_L,m", "").replace("(n_x, …, n_L, m)", "").replace("…,", ""), (
            out
        )
    data = json.loads((tmp_path / "grading" / "report.json").read_text(encoding="utf-8"))
    said = " ".join(grading.split())
    for problem in (s["problem"] for s in data["submissions"] if s["problem"]):
        words = [w for w in problem.split() if len(w) <= 20 and "/" not in w]
        assert words and all(w in said for w in words), (problem, grading)  # wrapped at words, whole
    rows = [line.split() for line in sweep.splitlines() if line.split()[:1] == ["central"]]
    assert rows and all(re.fullmatch(r"\d\.\de[+-]\d\d", row[-4]) for row in rows), sweep
    assert all(re.fullmatch(r"\d\.\de[+-]\d\d|-", row[-2]) for row in rows), sweep
    errors = re.findall(r"\s(\d\.\d\de[+-]\d\d)\s", check)
    assert len(errors) >= 4, check  # each gradient's relative error, whole

"""How gradcheck sits in a user's environment: names it installs, what importing it costs, its layers.

Each check runs in a fresh interpreter (a subprocess), since this test session has imported
everything already.
"""

from __future__ import annotations

import ast
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).resolve().parent / "fixtures"
#: Libraries only rendering, plotting and testing need: a check must not pay for them.
HEAVY = ("matplotlib", "jinja2", "hypothesis", "pytest")


def run_python(code: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], cwd=cwd, capture_output=True, text=True, timeout=120
    )


A_CHECK = """
    import sys
    import numpy as np
    from gradcheck import verify_gradients
    from gradcheck.network.problems import reference_problem
    from gradcheck.network.activations import get_activation

    problem = reference_problem((3, 4, 1, 7), get_activation("tanh"), seed=0, scale=0.7)
    report = verify_gradients(problem.cost, problem.parameters, problem.gradients(), X=problem.X, Y=problem.Y)
    print("PASSED", report.passed, report.reference)
    print("LOADED", sorted(name for name in {heavy} if name in sys.modules))
"""


def test_a_learners_own_network_py_does_not_hide_the_reference_models(tmp_path: Path) -> None:
    (tmp_path / "network.py").write_text("def forward(X):\n    return X\n")
    (tmp_path / "test_mine.py").write_text(
        "from network import forward\n\ndef test_mine():\n    assert forward(3) == 3\n"
    )
    checked = run_python(A_CHECK.format(heavy=HEAVY), tmp_path)
    assert checked.returncode == 0, checked.stderr
    assert "PASSED True reference network, tanh hidden layer (autograd)" in checked.stdout
    # pytest loads gradcheck's plugin in every session of this environment: the learner's
    # network.py must neither break it nor be shadowed by it
    session = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_mine.py"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert session.returncode == 0, session.stdout + session.stderr
    assert "1 passed" in session.stdout


def test_installing_gradcheck_adds_no_top_level_network_module(tmp_path: Path) -> None:
    probe = run_python(
        """
        import importlib.util
        print("FOUND", importlib.util.find_spec("network") is not None)
        """,
        tmp_path,
    )
    assert probe.stdout.split() == ["FOUND", "False"], probe.stderr


def test_a_check_loads_no_rendering_plotting_or_testing_library(tmp_path: Path) -> None:
    checked = run_python(A_CHECK.format(heavy=HEAVY), tmp_path)
    assert checked.returncode == 0, checked.stderr
    assert "LOADED []" in checked.stdout


def test_checking_a_learners_module_needs_no_hypothesis(tmp_path: Path) -> None:
    checked = run_python(
        f"""
        import sys
        from gradcheck.learner import check_module

        result = check_module({str(FIXTURES / "my_course_code.py")!r}, seeds=[0])
        print("VERDICT", result.verdict)
        print("LOADED", sorted(name for name in {HEAVY} if name in sys.modules))
        """,
        tmp_path,
    )
    assert checked.returncode == 0, checked.stderr
    assert "VERDICT right" in checked.stdout
    assert "LOADED []" in checked.stdout


def test_grading_here_loads_neither_dask_nor_ray(tmp_path: Path) -> None:
    graded = run_python(
        f"""
        import sys
        from gradcheck.cli import main
        import gradcheck.remote

        code = main(["report", {str(FIXTURES / "my_course_code.py")!r}, "--seeds", "1"])
        print("CODE", code)
        print("LOADED", sorted(name for name in ("dask", "distributed", "ray") if name in sys.modules))
        """,
        tmp_path,
    )
    assert graded.returncode == 0, graded.stderr
    assert "CODE 0" in graded.stdout and "LOADED []" in graded.stdout


def test_the_pytest_plugin_imports_nothing_but_pytest_until_its_fixture_is_used(tmp_path: Path) -> None:
    loaded = run_python(
        """
        import sys
        import gradcheck.plugin
        print("LOADED", sorted(m for m in sys.modules if m.split(".")[0] in ("numpy", "autograd", "rich")))
        """,
        tmp_path,
    )
    assert loaded.returncode == 0, loaded.stderr
    assert "LOADED []" in loaded.stdout


# -- layers: the imports between modules, read from the source -------------------------------------


def imports_of(path: Path) -> set[str]:
    """Every gradcheck module ``path`` imports, at the top or inside a function (``TYPE_CHECKING``
    blocks aside: they never run)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skipped: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skipped |= {id(inner) for inner in ast.walk(node)}
    package = module_name(path) if path.name == "__init__.py" else module_name(path).rsplit(".", 1)[0]
    found = set()
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: from .x (level 1) is a sibling, from ..x (level 2) an uncle
                parts = package.split(".")
                base = ".".join([*parts[: len(parts) - node.level + 1], base])
            found |= {base} | {f"{base}.{alias.name}" for alias in node.names}
        elif isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
    modules = {module_name(p) for p in sources()}
    return {name.rstrip(".") for name in found if name.rstrip(".") in modules} - {"gradcheck"}


def module_name(path: Path) -> str:
    relative = path.relative_to(ROOT).with_suffix("")
    parts = list(relative.parts)
    if parts[0] == "network":
        parts = ["gradcheck", *parts]
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def sources() -> list[Path]:
    return sorted([*(ROOT / "gradcheck").glob("*.py"), *(ROOT / "network").glob("*.py")])


def test_no_module_imports_itself_back_through_another() -> None:
    graph = {module_name(path): imports_of(path) for path in sources()}
    state: dict[str, str] = {}

    def visit(module: str, trail: list[str]) -> None:
        state[module] = "open"
        for other in sorted(graph.get(module, ())):
            if state.get(other) == "open":
                pytest.fail("import cycle: " + " -> ".join([*trail[trail.index(other) :], other]))
            if other not in state:
                visit(other, [*trail, other])
        state[module] = "done"

    for module in sorted(graph):
        if module not in state:
            visit(module, [module])


def test_the_reference_models_know_nothing_of_the_engine() -> None:
    for path in (ROOT / "network").glob("*.py"):
        engine = {name for name in imports_of(path) if not name.startswith("gradcheck.network")}
        assert not engine, f"{path.name} imports {sorted(engine)}"


#: The engine's stages. They reach the reference models through the seam only: the interface, the
#: registry, and the activation registry (for the ``activation=`` option).
ENGINE = ("verify", "arguments", "setting", "judge", "kinks", "recognise", "diagnose", "numerical")
ENGINE += ("directional", "compare", "report", "render", "errors")
SEAM = {"gradcheck.network", "gradcheck.network.interface", "gradcheck.network.models"}
SEAM |= {"gradcheck.network.activations"}


@pytest.mark.parametrize("stage", ENGINE)
def test_the_engine_knows_no_network_only_the_model_seam(stage: str) -> None:
    imported = imports_of(ROOT / "gradcheck" / f"{stage}.py")
    networks = {name for name in imported if name.startswith("gradcheck.network")} - SEAM
    assert not networks, (
        f"gradcheck/{stage}.py imports {sorted(networks)}: go through gradcheck.network.models"
    )

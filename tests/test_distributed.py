"""Grading on a cluster (``gradcheck.remote``): a local Dask cluster of two worker processes, and
Ray where it is installed. Each submission travels as its source; a changed file is graded again;
a worker that dies costs its own submission's verdict and no other.
"""

from __future__ import annotations

import importlib.util
import json
import os
import socket
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
import submissions

from gradcheck.cli import ENGINE_LOST, main
from gradcheck.grading import check_modules
from gradcheck.isolation import Limits
from gradcheck.journal import Journal
from gradcheck.learner import ModuleCheck, check_module
from gradcheck.remote import MAX_HELPERS, DaskExecutor, EngineError, dask_executor, run_shipment, ship

COURSE = Path(__file__).parent / "fixtures" / "course"
needs_dask = pytest.mark.skipif(
    importlib.util.find_spec("distributed") is None,
    reason="Dask's distributed is not installed: pip install -e '.[dev]' (or gradcheck[dask])",
)
#: Kinds for a batch: right, wrong, unusable in the module and in the isolated child.
MIXED = ["right", "missing_1_over_m", "sign", "syntax_error", "raises", "os_exit", "segfault"]
#: Prints the folder it is imported from, before the course's code.
WHERE = "import os as _os\nprint('imported from', _os.path.dirname(_os.path.abspath(__file__)))\n"


@pytest.fixture(scope="module")
def cluster() -> Iterator[DaskExecutor]:
    """A local cluster of two worker processes, one thread each, shared by this file's tests."""
    with dask_executor("local", workers=2) as executor:
        yield executor


def expect(result: ModuleCheck, kind: str) -> None:
    """``result`` is the verdict, cause and message ``kind`` must get."""
    wanted = submissions.KINDS[kind]
    assert (result.verdict, result.failure) == (wanted.verdict, wanted.failure), result.problem
    if wanted.verdict == "unusable":
        assert wanted.says in (result.problem or "")
    if wanted.verdict == "wrong":
        codes = {c.report.diagnosis.code for c in result.configurations if c.report and c.report.diagnosis}
        assert codes == {wanted.says}


def test_a_submission_ships_with_the_helpers_it_imports_and_no_other_file(tmp_path: Path) -> None:
    for name in ("week4_deep.py", "dnn_utils.py", "week3_planar.py"):
        (tmp_path / name).write_bytes((COURSE / name).read_bytes())
    (tmp_path / "mine.py").write_text("import helper_a\n\ndef f():\n    from os import path\n")
    (tmp_path / "helper_a.py").write_text("def g():\n    import helper_b\n")
    (tmp_path / "helper_b.py").write_text("import mine\nX = 1\n")
    (tmp_path / "unrelated.py").write_text("X = 2\n")

    deep = ship(tmp_path / "week4_deep.py")
    assert (deep.path, deep.name) == (str(tmp_path / "week4_deep.py"), "week4_deep.py")
    assert deep.source == (COURSE / "week4_deep.py").read_bytes()
    assert deep.helpers == {"dnn_utils.py": (COURSE / "dnn_utils.py").read_bytes()}
    # imports inside functions count, and the helpers' own; the submission is not its own helper
    assert sorted(ship(tmp_path / "mine.py").helpers) == ["helper_a.py", "helper_b.py"]
    missing = ship(tmp_path / "gone.py")
    assert (missing.source, missing.helpers) == (None, {})


def test_a_shipment_is_bounded_and_a_missing_file_is_named_as_the_grader_gave_it(tmp_path: Path) -> None:
    names = [f"m{i}" for i in range(1, MAX_HELPERS + 10)]
    (tmp_path / "many.py").write_text(f"import {', '.join(names)}\n")
    for name in names:
        (tmp_path / f"{name}.py").write_text("X = 1\n")
    assert len(ship(tmp_path / "many.py").helpers) == MAX_HELPERS

    gone = tmp_path / "gone.py"
    result = run_shipment(check_module, ship(gone))
    assert (result.path, result.verdict, result.problem) == (str(gone), "unusable", f"{gone}: no such file")


@needs_dask
def test_a_mixed_batch_on_two_worker_processes_gets_every_verdict(
    tmp_path: Path, cluster: DaskExecutor
) -> None:
    paths = [submissions.write(tmp_path, kind, kind) for kind in MIXED]
    where = submissions.write(tmp_path, "where", "right")
    where.write_text(WHERE + where.read_text(encoding="utf-8"), encoding="utf-8")
    learner = tmp_path / "learner"
    learner.mkdir()
    for name in ("week4_deep.py", "dnn_utils.py"):  # a course notebook and the helper it imports
        (learner / name).write_bytes((COURSE / name).read_bytes())

    batch = [*paths, where, learner / "week4_deep.py"]
    results = check_modules(batch, executor=cluster, seeds=(0,), limits=Limits(timeout=20))

    assert [r.path for r in results] == [str(p) for p in batch]
    for kind, result in zip(MIXED, results[: len(MIXED)], strict=True):
        expect(result, kind)
    syntax = results[MIXED.index("syntax_error")].problem or ""
    assert syntax.startswith(f"{tmp_path / 'syntax_error.py'}:"), syntax  # the grader's path
    # the worker checked a copy in a folder of its own, not the grader's file
    assert results[-2].verdict == "right"
    folder = results[-2].output.split("imported from ", 1)[1].split()[0]
    assert Path(folder) != tmp_path and "gradcheck-shipped-" in folder
    assert results[-1].verdict == "right", results[-1].problem  # dnn_utils.py travelled with it
    assert results[-1].notebooks[0].startswith("Course 1 Week 4, L layers")


@needs_dask
def test_a_file_changed_at_the_same_path_is_graded_again(tmp_path: Path, cluster: DaskExecutor) -> None:
    first = submissions.write(tmp_path, "first", "right")
    second = submissions.write(tmp_path, "second", "right")
    assert [r.verdict for r in check_modules([first], executor=cluster, seeds=(0,))] == ["right"]
    submissions.write(tmp_path, "first", "sign")  # the learner hands in again, at the same path
    assert [r.verdict for r in check_modules([first], executor=cluster, seeds=(0,))] == ["wrong"]

    journal = Journal.in_folder(tmp_path / "out")
    graded: list[ModuleCheck] = []
    run = check_modules(
        [first, second], executor=cluster, seeds=(0,), journal=journal, progress=graded.append
    )
    assert [r.verdict for r in run] == ["wrong", "right"] and len(graded) == 2
    submissions.write(tmp_path, "first", "missing_1_over_m")
    graded.clear()
    run = check_modules(
        [first, second], executor=cluster, seeds=(0,), journal=journal, progress=graded.append
    )
    assert [r.verdict for r in run] == ["wrong", "right"]
    assert run[0].configurations[0].report.diagnosis.code == "missing_1_over_m"
    assert [r.path for r in graded] == [str(first)]  # the journal answered for the unchanged one


@needs_dask
def test_a_worker_that_dies_costs_its_own_verdict_and_no_other(tmp_path: Path, cluster: DaskExecutor) -> None:
    # checked without isolation, os._exit ends the worker process itself, twice (allowed_failures=1)
    kinds = ["right", "os_exit", "missing_1_over_m", "sign", "raises", "chatty"]
    paths = [submissions.write(tmp_path, f"{i}_{kind}", kind) for i, kind in enumerate(kinds)]
    results = check_modules(paths, executor=cluster, seeds=(0,), isolate=False)

    died = results[1]
    assert (died.verdict, died.failure, died.path) == ("unusable", "crash", str(paths[1]))
    assert "the worker checking it died (KilledWorker" in (died.problem or "")
    for kind, result in zip(kinds, results, strict=True):
        if kind != "os_exit":
            assert (result.verdict, result.failure) == (
                submissions.KINDS[kind].verdict,
                "error" if kind == "raises" else None,
            )
    # the cluster's nannies started new workers: the next batch is graded
    assert [r.verdict for r in check_modules(paths[:1], executor=cluster, seeds=(0,))] == ["right"]


@needs_dask
def test_a_lost_scheduler_stops_the_batch_and_the_journal_keeps_its_verdicts(tmp_path: Path) -> None:
    from distributed import Client, LocalCluster

    paths = [submissions.write(tmp_path, f"s{i}", "right") for i in range(12)]
    journal = Journal.in_folder(tmp_path / "out")
    graded: list[ModuleCheck] = []
    options = {"threads_per_worker": 1, "host": "127.0.0.1", "dashboard_address": ":0"}
    with LocalCluster(n_workers=1, **options) as cluster, Client(cluster) as client:

        def progress(result: ModuleCheck) -> None:
            graded.append(result)
            if len(graded) == 2:
                cluster.close()

        with pytest.raises(EngineError, match=r"the Dask cluster stopped before it checked .*s\d+\.py"):
            check_modules(
                paths, executor=DaskExecutor(client), seeds=(0,), journal=journal, progress=progress
            )
    assert 2 <= len(journal.load()) < len(paths)  # what was decided stays: a new run resumes


@needs_dask
def test_a_scheduler_that_does_not_answer_ends_the_command_with_a_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import dask

    path = submissions.write(tmp_path, "right", "right")
    with socket.socket() as unused:  # a port nothing listens on
        unused.bind(("127.0.0.1", 0))
        address = f"tcp://127.0.0.1:{unused.getsockname()[1]}"
    with dask.config.set({"distributed.comm.timeouts.connect": "1s"}):
        code = main(["report", str(path), "--dask", address, "--out", str(tmp_path / "out")])
    out = capsys.readouterr().out
    assert code == ENGINE_LOST == 3
    said = " ".join(out.split())
    assert f"gradcheck: no Dask scheduler answered at {address}" in said
    assert "dask scheduler" in said and "--dask local" in said
    assert "Traceback" not in out


@needs_dask
def test_gradcheck_report_dask_local(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    kinds = ["right", "sign", "os_exit"]
    paths = [submissions.write(tmp_path, kind, kind) for kind in kinds]
    out = tmp_path / "out"
    code = main(
        ["report", *map(str, paths), "--seeds", "1", "--dask", "local", "--workers", "2", "--out", str(out)]
    )
    assert code == 2
    data = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert [(s["path"], s["verdict"]) for s in data["submissions"]] == [
        (str(paths[0]), "right"),
        (str(paths[1]), "wrong"),
        (str(paths[2]), "unusable"),
    ]
    assert "1 right, 1 wrong, 1 unusable (1 exited)." in " ".join(capsys.readouterr().out.split())


def test_dask_or_ray_missing_is_a_usage_error(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = submissions.write(tmp_path, "right", "right")
    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name, *a: None if name in ("distributed", "ray") else real(name, *a),
    )
    for option, extra in (("--dask", "dask"), ("--ray", "ray")):
        with pytest.raises(SystemExit) as stopped:
            main(["report", str(path), option, "local", "--out", str(tmp_path / "out")])
        assert stopped.value.code == 2
        assert f"pip install 'gradcheck[{extra}]'" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


RAY_SCRIPT = """
    import json, sys
    from gradcheck.grading import check_modules
    from gradcheck.remote import ray_executor
    isolated, trusted = json.loads(sys.argv[1]), json.loads(sys.argv[2])
    with ray_executor("local", workers=2) as executor:
        first = check_modules(isolated, executor=executor, seeds=(0,))
        second = check_modules(trusted, executor=executor, seeds=(0,), isolate=False)
    print("RESULTS", json.dumps([[r.path, r.verdict, r.failure, r.problem] for r in first + second]))
"""


@pytest.mark.skipif(
    importlib.util.find_spec("ray") is None, reason="Ray is not installed: pip install -e '.[ray]'"
)
def test_ray_local_grades_a_batch_and_contains_a_dead_worker(tmp_path: Path) -> None:
    isolated = [str(submissions.write(tmp_path, kind, kind)) for kind in ("right", "sign", "os_exit")]
    trusted = [str(submissions.write(tmp_path, f"t_{kind}", kind)) for kind in ("right", "os_exit", "sign")]
    # Ray on the loopback only, and no usage statistics sent
    env = {**os.environ, "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0", "RAY_USAGE_STATS_ENABLED": "0"}
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(RAY_SCRIPT), json.dumps(isolated), json.dumps(trusted)],
        capture_output=True,
        text=True,
        timeout=180,
        env=env,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    line = next(line for line in done.stdout.splitlines() if line.startswith("RESULTS "))
    results = json.loads(line.removeprefix("RESULTS "))
    assert [r[:3] for r in results] == [
        [isolated[0], "right", None],
        [isolated[1], "wrong", None],
        [isolated[2], "unusable", "exit"],
        [trusted[0], "right", None],
        [trusted[1], "unusable", "crash"],
        [trusted[2], "wrong", None],
    ]
    assert "the worker checking it died (WorkerCrashedError" in results[4][3]

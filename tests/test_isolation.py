"""Isolated grading: a module that hangs, crashes, exits, floods or hogs memory is a verdict.

Every kind of submission in ``tests/fixtures/submissions.py`` is graded in one batch, two at a
time, and each must get its own verdict and cause; nothing is lost and the grader survives.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import submissions

from gradcheck import forkserver
from gradcheck.cli import main
from gradcheck.grading import check_modules
from gradcheck.isolation import FAILURES, KEPT_OUTPUT, START_METHOD, Limits, check_isolated

can_fork = pytest.mark.skipif(not forkserver.AVAILABLE, reason="no fork server on this platform")


@pytest.fixture(params=[pytest.param("fork", marks=can_fork), "spawn"])
def start(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Each test with this fixture runs with children forked from a warm server, then spawned."""
    monkeypatch.setenv(START_METHOD, request.param)
    return str(request.param)


@pytest.mark.usefixtures("start")
def test_a_batch_of_every_kind_gets_every_verdict(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import jsonschema

    from gradcheck.sweep import load_schema

    paths = [submissions.write(tmp_path, kind, kind) for kind in submissions.KINDS]
    out = tmp_path / "out"
    options = ["--seeds", "1", "--workers", "2", "--timeout", "4", "--memory-limit", "300"]
    code = main(["report", *map(str, paths), *options, "--out", str(out)])
    assert code == 2
    data = json.loads((out / "report.json").read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator(load_schema()).validate(data)
    assert [Path(s["path"]).stem for s in data["submissions"]] == list(submissions.KINDS)  # nothing lost
    for entry in data["submissions"]:
        kind = submissions.KINDS[Path(entry["path"]).stem]
        assert (entry["verdict"], entry["failure"]) == (kind.verdict, kind.failure), entry["problem"]
        if kind.verdict == "unusable":
            assert kind.says in entry["problem"], entry["problem"]
        if kind.verdict == "wrong":
            codes = {
                c["report"]["diagnosis"]["code"] for c in entry["configurations"] if not c["report"]["passed"]
            }
            assert codes == {kind.says}, entry
        assert entry["seconds"] is not None and entry["seconds"] < 4 + 10  # bounded by the timeout
    expected = {
        v: sum(k.verdict == v for k in submissions.KINDS.values()) for v in ("right", "wrong", "unusable")
    }
    because = {f: sum(k.failure == f for k in submissions.KINDS.values()) for f in FAILURES}
    assert data["counts"] == {**expected, "unusable_because": because}
    printed = " ".join(capsys.readouterr().out.split())
    assert (
        f"{expected['unusable']} unusable ({because['timeout']} timed out, {because['crash']} crashed"
        in printed
    )


@pytest.mark.usefixtures("start")
def test_check_stops_a_hanging_forward_within_seconds(tmp_path: Path) -> None:
    path = submissions.write(tmp_path, "hangs", "hangs")
    start = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "gradcheck", "check", str(path), "--timeout", "2"],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=120,
    )
    assert done.returncode == 2
    assert "timed out after 2 s in forward_propagation" in " ".join(done.stdout.split())
    assert time.monotonic() - start < 30  # 2 s and the start of two Python processes, not a hang


@pytest.mark.usefixtures("start")
@pytest.mark.parametrize(
    ("kind", "failure"), [("segfault", "crash"), ("os_exit", "exit"), ("floods", "output")]
)
def test_check_gives_exit_code_2_for_crashes_exits_and_floods(
    tmp_path: Path, kind: str, failure: str
) -> None:
    path = submissions.write(tmp_path, kind, kind)
    result = check_isolated(path, seeds=[0], limits=Limits(timeout=20))
    assert (result.verdict, result.failure, result.exit_code) == ("unusable", failure, 2)
    assert submissions.KINDS[kind].says in (result.problem or "")


@pytest.mark.usefixtures("start")
def test_output_is_captured_and_capped(tmp_path: Path) -> None:
    chatty = check_isolated(submissions.write(tmp_path, "chatty", "chatty"), seeds=[0])
    assert chatty.verdict == "right" and chatty.output.startswith("cost so far: 0.69\n")
    flood = check_isolated(
        submissions.write(tmp_path, "floods", "floods"), seeds=[0], limits=Limits(output_bytes=50_000)
    )
    assert flood.failure == "output" and "printed more than 50,000 bytes in forward_propagation" in (
        flood.problem or ""
    )
    assert len(flood.output) < KEPT_OUTPUT + 100 and "more bytes]" in flood.output


@pytest.mark.usefixtures("start")
def test_the_grader_keeps_its_working_directory_and_stdin(tmp_path: Path) -> None:
    """The module runs in a scratch directory of its own: files it writes do not land in ours."""
    path = submissions.write(tmp_path, "writes", "right")
    path.write_text(path.read_text() + "\nopen('stray.txt', 'w').write('x')\n")
    assert check_isolated(path, seeds=[0]).verdict == "right"
    assert not (tmp_path / "stray.txt").exists() and not Path("stray.txt").exists()


def test_in_process_checks_remain_for_trusted_code(tmp_path: Path) -> None:
    paths = [submissions.write(tmp_path, k, k) for k in ("right", "missing_1_over_m", "raises")]
    isolated = check_modules(paths, seeds=[0])
    here = check_modules(paths, seeds=[0], isolate=False)
    assert [r.verdict for r in isolated] == [r.verdict for r in here] == ["right", "wrong", "unusable"]
    assert [r.failure for r in isolated] == [r.failure for r in here] == [None, None, "error"]


@pytest.mark.parametrize(
    "arguments",
    [["--timeout", "0"], ["--memory-limit", "-1"], ["--output-limit", "0"]],
)
def test_bad_limits_are_refused(
    tmp_path: Path, arguments: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as info:
        main(["check", str(submissions.write(tmp_path, "right", "right")), *arguments])
    err = capsys.readouterr().err
    assert info.value.code == 2 and f"gradcheck check: error: argument {arguments[0]}: expected a" in err
    for bad in ({"timeout": 0}, {"timeout": float("inf")}, {"memory_mb": 1.5}, {"output_bytes": "1"}):
        with pytest.raises(ValueError, match="must be positive"):
            Limits(**bad)  # type: ignore[arg-type]


@pytest.mark.usefixtures("start")
def test_a_forged_result_file_cannot_run_code_in_the_grader(tmp_path: Path) -> None:
    """The child's result file is in the module's reach; the grader loads only a check's classes."""
    marker = tmp_path / "ran-in-the-grader"
    path = submissions.write(tmp_path, "forger", "right")
    path.write_text(
        path.read_text()
        + f"""
import atexit, json, pickle, sys

class Payload:
    def __reduce__(self):
        return (open, ({str(marker)!r}, "w"))

def forge():
    with open(json.loads(sys.argv[2])["result"], "wb") as file:
        pickle.dump(Payload(), file)

atexit.register(forge)
"""
    )
    result = check_isolated(path, seeds=[0])
    assert (result.verdict, result.failure) == ("unusable", "error")
    assert "left a result gradcheck cannot read" in (result.problem or "")
    assert "io.open is not part of a check's result" in (result.problem or "")
    assert not marker.exists()


@pytest.mark.usefixtures("start")
def test_a_timeout_also_stops_the_processes_the_module_started(tmp_path: Path) -> None:
    pid_file = tmp_path / "grandchild.pid"
    path = submissions.write(tmp_path, "spawner", "hangs")
    path.write_text(
        "import subprocess\n_sleeper = subprocess.Popen(['sleep', '600'])\n"
        f"open({str(pid_file)!r}, 'w').write(str(_sleeper.pid))\n" + path.read_text()
    )
    result = check_isolated(path, seeds=[0], limits=Limits(timeout=2))
    assert result.failure == "timeout"
    status = Path(f"/proc/{int(pid_file.read_text())}/stat")
    deadline = time.monotonic() + 10
    while status.exists() and status.read_text().split()[2] not in ("Z", "X") and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not status.exists() or status.read_text().split()[2] in ("Z", "X")  # gone, or dead and unreaped


# ---- children forked from a warm server (GRADCHECK_ISOLATION=fork) ------------------------------

#: What a module sees of the process it runs in, printed as one JSON line at import.
LOOK = """
import json as _json, os as _os, sys as _sys, threading as _threading
import numpy as _numpy
import gradcheck.learner as _learner
print("seen", _json.dumps({
    "dot": float(_numpy.dot(_numpy.ones(2), _numpy.ones(2))),
    "verify_gradients": _learner.verify_gradients.__name__,
    "cwd": _os.path.basename(_os.getcwd()),
    "variable": _os.environ.get("LEFT_BY_A_MODULE"),
    "path": "/left/by/a/module" in _sys.path,
    "threads": _threading.active_count(),
    "random": _numpy.random.rand(),
    "parent": _os.getppid(),
}))
"""
#: A module that changes everything a module can reach in its process, then looks.
SPOIL = """
import os, subprocess, sys, threading, time
import numpy
import gradcheck.learner
numpy.dot = lambda *a: 0
gradcheck.learner.verify_gradients = lambda **k: None
os.chdir("/")
os.environ["LEFT_BY_A_MODULE"] = "1"
sys.path.insert(0, "/left/by/a/module")
threading.Thread(target=time.sleep, args=(600,), daemon=True).start()
_left = subprocess.Popen(["sleep", "60"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
open(os.environ["LEFT_PID_FILE"], "w").write(str(_left.pid))
"""


def seen(output: str) -> dict[str, object]:
    """What :data:`LOOK` printed."""
    line = next(line for line in output.splitlines() if line.startswith("seen "))
    return dict(json.loads(line.removeprefix("seen ")))


def looking(tmp_path: Path, name: str, kind: str, before: str = "") -> Path:
    path = submissions.write(tmp_path, name, kind)
    path.write_text(before + LOOK + path.read_text())
    return path


@pytest.mark.parametrize("start", [pytest.param("fork", marks=can_fork), "spawn"], indirect=True)
def test_a_module_that_spoils_its_process_leaves_the_next_one_untouched(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, start: str
) -> None:
    left_pid = tmp_path / "left.pid"
    monkeypatch.setenv("LEFT_PID_FILE", str(left_pid))
    probe, sign = looking(tmp_path, "probe", "right"), looking(tmp_path, "sign", "sign")
    spoiler = looking(tmp_path, "spoiler", "right", before=SPOIL)
    try:
        clean = [check_isolated(probe, seeds=[0]), check_isolated(sign, seeds=[0])]
        spoiled = check_isolated(spoiler, seeds=[0])
        after = [check_isolated(probe, seeds=[0]), check_isolated(sign, seeds=[0])]
    finally:
        if left_pid.exists():
            os.kill(int(left_pid.read_text()), signal.SIGKILL)
    assert [r.verdict for r in clean] == [r.verdict for r in after] == ["right", "wrong"]
    assert after[1].configurations[0].report.diagnosis.code == "sign_flipped"
    expected = {"dot": 2.0, "verify_gradients": "verify_gradients", "cwd": "cwd", "variable": None}
    expected |= {"path": False, "threads": 1}
    assert {k: seen(spoiled.output)[k] for k in expected} == {
        "dot": 0.0,
        "verify_gradients": "<lambda>",
        "cwd": "",
        "variable": "1",
        "path": True,
        "threads": 2,
    }  # the spoiler did spoil its own process
    for result in [*clean, *after]:
        assert {k: seen(result.output)[k] for k in expected} == expected, result.output
    parents = {seen(r.output)["parent"] for r in [*clean, spoiled, *after]}
    if start == "fork":  # all five were forked from one server, the spoiler's own parent
        assert len(parents) == 1 and parents != {os.getpid()}
    else:  # all five were started by this process
        assert parents == {os.getpid()}


@pytest.mark.usefixtures("start")
def test_each_module_draws_its_own_unseeded_random_numbers(tmp_path: Path) -> None:
    """A fork copies numpy's global random state: each child must draw it anew, as a fresh Python does."""
    probe = looking(tmp_path, "probe", "right")
    draws = [seen(check_isolated(probe, seeds=[0]).output)["random"] for _ in range(3)]
    assert len(set(draws)) == 3, draws


@pytest.mark.usefixtures("start")
def test_a_child_ends_as_python_does_threads_joined_atexit_run(tmp_path: Path) -> None:
    """A forked child skips the teardown of its modules, not what a module can see of its end."""
    path = submissions.write(tmp_path, "ends", "right")
    path.write_text(
        "import atexit, threading, time\n"
        "atexit.register(print, 'atexit ran')\n"
        "threading.Thread(target=lambda: (time.sleep(1), print('thread done'))).start()\n" + path.read_text()
    )
    result = check_isolated(path, seeds=[0])
    assert result.verdict == "right"
    assert result.output.splitlines()[-2:] == ["thread done", "atexit ran"], result.output


def test_the_fork_servers_warm_up_is_a_right_module(tmp_path: Path) -> None:
    """Each server checks it once before forking: it must take the path a right submission takes."""
    from gradcheck.isolation import WARM_UP
    from gradcheck.learner import check_module

    path = tmp_path / "warm_up.py"
    path.write_text(WARM_UP)
    result = check_module(path, seeds=[0])
    assert result.verdict == "right" and result.configurations, result.problem


def test_the_start_method_falls_back_and_refuses_nonsense(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    probe = looking(tmp_path, "probe", "right")
    monkeypatch.setenv(START_METHOD, "fork")
    monkeypatch.setattr(forkserver, "AVAILABLE", False)  # a platform without fork
    result = check_isolated(probe, seeds=[0])
    assert result.verdict == "right" and seen(result.output)["parent"] == os.getpid()
    monkeypatch.setenv(START_METHOD, "thread")
    with pytest.raises(ValueError, match="GRADCHECK_ISOLATION must be fork or spawn, got 'thread'"):
        check_isolated(probe, seeds=[0])


def test_a_server_with_blas_threads_is_not_forked(tmp_path: Path) -> None:
    """Forking copies one thread: a server whose numpy started more is not used (the child spawns)."""
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "2", START_METHOD: "fork"}
    count = "import os, numpy; print(len(os.listdir('/proc/self/task')))"
    threads = subprocess.run([sys.executable, "-c", count], env=env, capture_output=True, text=True)
    if threads.returncode != 0 or threads.stdout.strip() == "1":
        pytest.skip("numpy starts no BLAS threads here (or no /proc)")
    probe = looking(tmp_path, "probe", "right")
    grader = f"""
import os
from gradcheck.isolation import check_isolated
result = check_isolated({str(probe)!r}, seeds=[0])
print(result.verdict, os.getpid(), result.output)
"""
    done = subprocess.run(
        [sys.executable, "-c", grader], env=env, capture_output=True, text=True, timeout=120
    )
    verdict, pid, output = done.stdout.split(maxsplit=2)
    assert verdict == "right" and seen(output)["parent"] == int(pid)


@can_fork
def test_reset_ends_the_idle_fork_servers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(START_METHOD, "fork")
    probe = looking(tmp_path, "probe", "right")
    before = seen(check_isolated(probe, seeds=[0]).output)["parent"]
    assert isinstance(before, int) and before != os.getpid()
    forkserver.reset()
    with pytest.raises(ProcessLookupError):
        os.kill(before, 0)  # ended and reaped
    after = seen(check_isolated(probe, seeds=[0]).output)["parent"]
    assert after not in (before, os.getpid())


@can_fork
def test_a_module_that_kills_its_fork_server_is_a_crash_and_the_next_gets_another(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(START_METHOD, "fork")
    killer = submissions.write(tmp_path, "killer", "right")
    killer.write_text(
        "import os, signal, time\n"
        "print('server', os.getppid())\n"
        f"if os.getppid() != {os.getpid()}:  # never the grader, should the child have been spawned\n"
        "    os.kill(os.getppid(), signal.SIGKILL)\n"
        "time.sleep(5)\n" + killer.read_text()
    )
    result = check_isolated(killer, seeds=[0], limits=Limits(timeout=60))
    assert (result.verdict, result.failure) == ("unusable", "crash")
    assert "crashed (signal SIGKILL, killed) while importing killer.py" in (result.problem or "")
    assert result.seconds is not None and result.seconds < 5  # stopped, not waited for
    server = int(result.output.split()[1])
    after = check_isolated(looking(tmp_path, "probe", "right"), seeds=[0])
    assert after.verdict == "right" and seen(after.output)["parent"] not in (server, os.getpid())


@pytest.mark.skipif(not hasattr(os, "pidfd_open"), reason="the server watches its child by a pidfd")
@can_fork
def test_a_grader_that_dies_takes_its_forked_child_along(tmp_path: Path) -> None:
    pid_file = tmp_path / "child.pid"
    path = submissions.write(tmp_path, "hangs", "hangs")
    path.write_text(f"import os\nopen({str(pid_file)!r}, 'w').write(str(os.getpid()))\n" + path.read_text())
    check = f"from gradcheck.isolation import check_isolated; check_isolated({str(path)!r}, seeds=[0])"
    grader = subprocess.Popen([sys.executable, "-c", check], env={**os.environ, START_METHOD: "fork"})
    deadline = time.monotonic() + 60
    while not (pid_file.exists() and pid_file.read_text()) and time.monotonic() < deadline:
        time.sleep(0.05)
    child = int(pid_file.read_text())
    grader.kill()  # no clean-up of its own: SIGKILL
    grader.wait()
    status = Path(f"/proc/{child}/stat")
    deadline = time.monotonic() + 10
    try:
        while status.exists() and status.read_text().split()[2] not in ("Z", "X"):
            assert time.monotonic() < deadline, "the forked child outlived its grader"
            time.sleep(0.05)
    finally:
        if status.exists():
            os.kill(child, signal.SIGKILL)

"""Isolated grading: a module that hangs, crashes, exits, floods or hogs memory is a verdict.

Every kind of submission in ``tests/fixtures/submissions.py`` is graded in one batch, two at a
time, and each must get its own verdict and cause; nothing is lost and the grader survives.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
import submissions

from gradcheck.cli import main
from gradcheck.grading import check_modules
from gradcheck.isolation import FAILURES, KEPT_OUTPUT, Limits, check_isolated


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

"""Resumable, lossless batches: verdicts appended as they are decided, a batch started again
grades only what is missing (``gradcheck.journal``)."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from gradcheck.grading import check_modules
from gradcheck.journal import JOURNAL_NAME, Journal
from gradcheck.sweep import write_submissions_report
from tests.fixtures import submissions

#: Kinds that are safe to check in the test's own process (no hang, crash, exit or flood).
IN_PROCESS = [
    "right",
    "chatty",
    "missing_1_over_m",
    "tanh_derivative",
    "keepdims",
    "sign",
    "syntax_error",
    "raises",
]
BATCH = 200


def batch(folder: Path, n: int) -> list[Path]:
    """``n`` submissions of the in-process kinds, each file different (a learner's own comment)."""
    paths = []
    for i in range(n):
        path = submissions.write(folder, f"s{i:03d}", IN_PROCESS[i % len(IN_PROCESS)])
        path.write_text(path.read_text(encoding="utf-8") + f"# submission {i}\n", encoding="utf-8")
        paths.append(path)
    return paths


def lines(journal: Path) -> list[dict[str, object]]:
    out = []
    for line in journal.read_text(encoding="utf-8").splitlines():
        try:
            out.append(json.loads(line))
        except ValueError:
            pass  # the line being written when the batch was killed
    return out


def test_a_batch_killed_half_way_loses_nothing_and_grades_nothing_twice(tmp_path: Path) -> None:
    (tmp_path / "submissions").mkdir()
    paths = batch(tmp_path / "submissions", BATCH)
    out = tmp_path / "out"
    script = textwrap.dedent(
        f"""
        import sys
        sys.path.insert(0, {str(Path(__file__).parent / "fixtures")!r})
        from gradcheck.grading import check_modules
        from gradcheck.journal import Journal
        paths = {[str(p) for p in paths]!r}
        check_modules(paths, isolate=False, seeds=(0,), journal=Journal.in_folder({str(out)!r}))
        """
    )
    process = subprocess.Popen([sys.executable, "-c", script])
    journal = out / JOURNAL_NAME
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not (journal.is_file() and len(lines(journal)) >= BATCH // 2):
        if process.poll() is not None:
            break
        time.sleep(0.01)
    process.send_signal(signal.SIGKILL)
    process.wait()
    before = lines(journal)
    assert BATCH // 2 <= len(before) < BATCH, "the batch was not killed half-way: make it longer"

    graded = []
    results = check_modules(
        paths, isolate=False, seeds=(0,), journal=Journal(journal), progress=graded.append
    )
    after = lines(journal)
    assert len(graded) == BATCH - len(before)  # only what was missing
    assert len(after) == BATCH and len({entry["key"] for entry in after}) == BATCH  # each once
    assert [r.path for r in results] == [str(p) for p in paths]
    for path, result in zip(paths, results, strict=True):
        kind = submissions.KINDS[IN_PROCESS[int(path.stem[1:]) % len(IN_PROCESS)]]
        assert result.verdict == kind.verdict, (path.name, result.problem)

    # the same report as a batch never interrupted
    clean = check_modules(paths, isolate=False, seeds=(0,))
    resumed_json = write_submissions_report(results, tmp_path / "resumed")["json"].read_text(encoding="utf-8")
    clean_json = write_submissions_report(clean, tmp_path / "clean")["json"].read_text(encoding="utf-8")
    assert resumed_json == clean_json


def test_a_changed_file_is_graded_again_and_the_same_file_twice_once(tmp_path: Path) -> None:
    right = submissions.write(tmp_path, "learner", "right")
    journal = Journal.in_folder(tmp_path / "out")
    graded: list[object] = []
    first = check_modules([right, right], isolate=False, seeds=(0,), journal=journal, progress=graded.append)
    assert [r.verdict for r in first] == ["right", "right"] and len(graded) == 1
    submissions.write(tmp_path, "learner", "missing_1_over_m")  # the same path, now a bug
    graded.clear()
    again = check_modules([right], isolate=False, seeds=(0,), journal=journal, progress=graded.append)
    assert [r.verdict for r in again] == ["wrong"] and len(graded) == 1
    graded.clear()
    other_seeds = check_modules([right], isolate=False, seeds=(1,), journal=journal, progress=graded.append)
    assert other_seeds[0].verdict == "wrong" and len(graded) == 1  # other settings: not reused


def test_a_journal_line_that_is_not_a_check_is_ignored_not_loaded(tmp_path: Path) -> None:
    """A line whose pickle names anything but a check's classes is not unpickled (the journal sits
    in a folder a submission could write to)."""
    import base64
    import pickle

    journal = Journal.in_folder(tmp_path)
    forged = base64.b64encode(pickle.dumps(print)).decode()
    journal.path.write_text(json.dumps({"key": "k", "result": forged}) + "\n{cut sh", encoding="utf-8")
    assert journal.load() == {}


def test_the_command_line_resumes_and_says_so(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from gradcheck.cli import main

    paths = [submissions.write(tmp_path, name, kind) for name, kind in (("a", "right"), ("b", "sign"))]
    out = tmp_path / "out"
    assert main(["report", *map(str, paths), "--seeds", "1", "--out", str(out)]) == 1
    first = (out / "report.json").read_text(encoding="utf-8")
    capsys.readouterr()
    journal = out / JOURNAL_NAME
    journal.write_text(journal.read_text(encoding="utf-8").splitlines()[0] + "\n", encoding="utf-8")
    assert main(["report", *map(str, paths), "--seeds", "1", "--out", str(out)]) == 1
    printed = " ".join(capsys.readouterr().out.split())
    assert f"1 verdicts taken from {journal}, 1 graded now" in printed
    data, before = json.loads((out / "report.json").read_text(encoding="utf-8")), json.loads(first)
    for entry in (*data["submissions"], *before["submissions"]):
        entry.pop("seconds")  # the one regraded took its own time
    assert data == before
    assert main(["report", *map(str, paths), "--seeds", "1", "--out", str(out), "--fresh"]) == 1
    assert "graded now" not in capsys.readouterr().out and len(lines(journal)) == 2


def test_ctrl_c_stops_a_batch_at_once_and_keeps_what_was_decided(tmp_path: Path) -> None:
    """Ctrl-C during ``gradcheck report FILE.py ...``: the modules being checked are stopped, not
    waited for until their timeouts; the command says where the verdicts are and exits 130."""
    from gradcheck.cli import INTERRUPTED

    right = [submissions.write(tmp_path, f"a{i}", "right") for i in range(4)]
    hanging = [submissions.write(tmp_path, f"b{i}", "hangs") for i in range(4)]
    out = tmp_path / "out"
    command = [sys.executable, "-m", "gradcheck", "report", *map(str, right + hanging)]
    command += ["--workers", "2", "--timeout", "600", "--seeds", "1", "--out", str(out)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    journal = out / JOURNAL_NAME
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not (journal.is_file() and len(lines(journal)) >= len(right)):
        time.sleep(0.05)
    time.sleep(0.5)  # the hanging modules are running now
    process.send_signal(signal.SIGINT)
    printed, _ = process.communicate(timeout=120)  # far below the 600 s the hanging ones may take
    assert process.returncode == INTERRUPTED == 130, printed
    assert "Traceback" not in printed
    said = "".join(printed.split())  # a path longer than the terminal is folded
    assert said.startswith("Interrupted.")
    kept = f"({len(right)} in this run) are kept in {journal}: the same command grades the rest"
    assert "".join(kept.split()) in said
    assert sorted(entry["path"] for entry in lines(journal)) == sorted(map(str, right))

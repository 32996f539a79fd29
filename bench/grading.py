"""Grading at scale: a batch of generated submissions graded two at a time, every verdict accounted for.

Generates ``--submissions`` learners' modules from the kinds of ``tests/fixtures/submissions.py``
(right, gradient bugs, and modules that hang, crash, exit, flood their output or hog memory),
grades them exactly as a grader would::

    gradcheck report SUBMISSION.py ... --workers 2 --timeout 5 --out DIR

and checks that ``report.json`` has every submission, each with the verdict and cause its kind
must get. The same batch is graded once per way of starting the children (``--mode``): ``spawn``,
a fresh Python per submission, and ``fork``, a child forked from a warm server per worker
(``GRADCHECK_ISOLATION``, see :mod:`gradcheck.isolation`), in the same run: the batch is cut in
``--rounds`` parts, and the ways take turns on each part, so a machine's changing load weighs on both.
Prints a table per kind with each way's seconds, the wall times against the bound the timeouts
set, the hours 100,000 submissions would take one core, and the check's own seconds without
isolation (what no way of starting a child removes), and draws the seconds per submission::

    python bench/grading.py --submissions 1000 --workers 2 --timeout 5 --write docs/benchmarks.md
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

for _threads in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_threads, "1")  # as in a child: one BLAS thread, set before numpy loads
import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "fixtures"))
import submissions  # noqa: E402  (the kinds live with the tests' fixtures)
from markdown_block import replace_block  # noqa: E402  (bench/, beside this script)

#: Share of the batch per group of kinds: most submissions run, a third misbehave.
MIX = {"right": 0.30, "chatty": 0.05, "wrong": 0.30, "unusable": 0.35}
#: How children start, in the order graded (the ``GRADCHECK_ISOLATION`` values).
MODES = ("spawn", "fork")


def generate(directory: Path, n: int, seed: int) -> list[tuple[Path, str]]:
    """``n`` submissions drawn by :data:`MIX`, kinds within a group uniformly; seeded."""
    rng = np.random.default_rng(seed)
    groups = {
        "right": ["right"],
        "chatty": ["chatty"],
        "wrong": [k for k, v in submissions.KINDS.items() if v.verdict == "wrong"],
        "unusable": [k for k, v in submissions.KINDS.items() if v.verdict == "unusable"],
    }
    drawn = rng.choice(list(MIX), size=n, p=list(MIX.values()))
    made = []
    for i, group in enumerate(drawn):
        kind = str(rng.choice(groups[str(group)]))
        made.append((submissions.write(directory, f"s{i:03d}_{kind}", kind), kind))
    return made


def figure(rows: dict[str, list[dict[str, object]]], timeout: float, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    first = next(iter(rows.values()))
    kinds = sorted({str(r["kind"]) for r in first}, key=list(submissions.KINDS).index)
    fig, ax = plt.subplots(figsize=(8, 0.38 * len(kinds) + 1.4))
    rng = np.random.default_rng(0)
    for offset, (mode, mine) in zip((-0.18, 0.18), rows.items(), strict=False):
        for y, kind in enumerate(kinds):
            seconds = [float(r["seconds"]) for r in mine if r["kind"] == kind]  # type: ignore[arg-type]
            dots = y + offset + rng.uniform(-0.12, 0.12, len(seconds))
            ax.scatter(seconds, dots, s=7, alpha=0.6, color="C0" if mode == "spawn" else "C1", label=mode)
    handles, labels = ax.get_legend_handles_labels()
    ax.legend([handles[labels.index(m)] for m in rows], list(rows), loc="lower right", fontsize=8)
    ax.axvline(timeout, color="k", linestyle="--", linewidth=1)
    ax.text(timeout, len(kinds) - 0.4, f" --timeout {timeout:g} s", va="top", fontsize=8)
    ax.set_xscale("log")
    ax.set_yticks(range(len(kinds)), kinds, fontsize=8)
    ax.set_xlabel("seconds per submission, child process start to verdict (log scale)")
    ax.set_title("Grading a batch: every submission's time, by kind, spawned and forked children")
    ax.grid(axis="x", alpha=0.3)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)


def grade(made: list[tuple[Path, str]], mode: str, args: argparse.Namespace, out: Path) -> dict[str, Any]:
    """``gradcheck report`` over the batch with children started the ``mode`` way: one row per
    submission, the wall time, the summary line and the exit status."""
    command = [sys.executable, "-m", "gradcheck", "report", *(str(path) for path, _ in made)]
    command += ["--workers", str(args.workers), "--timeout", str(args.timeout), "--out", str(out)]
    env = {**os.environ, "GRADCHECK_ISOLATION": mode}
    start = time.monotonic()
    done = subprocess.run(command, capture_output=True, text=True, stdin=subprocess.DEVNULL, env=env)
    wall = time.monotonic() - start
    data = json.loads((out / "report.json").read_text(encoding="utf-8"))
    by_path = {s["path"]: s for s in data["submissions"]}
    rows = []
    for path, kind in made:
        entry = by_path.get(str(path))
        expected = submissions.KINDS[kind]
        rows.append(
            {
                "kind": kind,
                "found": entry is not None,
                "as_expected": entry is not None
                and (entry["verdict"], entry["failure"]) == (expected.verdict, expected.failure),
                "seconds": entry["seconds"] if entry else math.nan,
                "verdict": f"{expected.verdict}" + (f" ({expected.failure})" if expected.failure else ""),
            }
        )
    return {"rows": rows, "wall": wall, "counts": data["counts"], "done": done, "reported": len(by_path)}


def grade_in_turns(
    made: list[tuple[Path, str]], modes: tuple[str, ...], args: argparse.Namespace, scratch: Path
) -> dict[str, dict[str, Any]]:
    """Each mode grades the batch in ``--rounds`` parts, the modes taking turns (which goes first
    alternates), so that the machine's load changing during the run weighs on every mode alike."""
    runs: dict[str, dict[str, Any]] = {
        m: {"rows": [], "wall": 0.0, "counts": Counter(), "because": Counter(), "done": [], "reported": 0}
        for m in modes
    }
    size = math.ceil(len(made) / args.rounds)
    for number, first in enumerate(range(0, len(made), size)):
        part = made[first : first + size]
        for mode in modes if number % 2 == 0 else modes[::-1]:
            one = grade(part, mode, args, scratch / f"out-{mode}-{number}")
            run = runs[mode]
            run["rows"] += one["rows"]
            run["wall"] += one["wall"]
            run["reported"] += one["reported"]
            run["done"].append(one["done"])
            run["because"].update(one["counts"].pop("unusable_because"))
            run["counts"].update(one["counts"])
    return runs


def summary(run: dict[str, Any]) -> str:
    """The line ``gradcheck report`` prints, for the counts of every part of a mode's run."""
    from gradcheck.isolation import FAILURES

    counts, because = run["counts"], run["because"]
    why = ", ".join(f"{because[kind]} {text}" for kind, text in FAILURES.items() if because[kind])
    return f"{counts['right']} right, {counts['wrong']} wrong, {counts['unusable']} unusable ({why})."


def in_process(made: list[tuple[Path, str]], limit: int = 50) -> float:
    """Median seconds of the check of a right submission in this process, without isolation."""
    from gradcheck.learner import check_module

    right = [path for path, kind in made if kind == "right"][:limit]
    if not right:
        return math.nan
    check_module(right[0], seeds=range(2))  # the first call in a process pays for warming up
    seconds = []
    for path in right:
        start = time.perf_counter()
        check_module(path, seeds=range(2))
        seconds.append(time.perf_counter() - start)
    return float(np.median(seconds))


def kinds_table(graded: dict[str, dict[str, Any]]) -> list[str]:
    """One row per kind: its count and verdict, then per mode how many got it and the seconds."""
    modes = list(graded)
    lines = [
        "| kind | submissions | verdict it must get | "
        + " | ".join(f"got it, {m} | median s, {m} | max s, {m}" for m in modes)
        + " |",
        "|---|---:|---|" + "---:|---:|---:|" * len(modes),
    ]
    first = graded[modes[0]]["rows"]
    counts = Counter(str(r["kind"]) for r in first)
    for kind in sorted(counts, key=list(submissions.KINDS).index):
        cells = []
        for mode in modes:
            mine = [r for r in graded[mode]["rows"] if r["kind"] == kind]
            seconds = [float(r["seconds"]) for r in mine]
            got = sum(bool(r["as_expected"]) for r in mine)
            cells.append(f"{got} | {np.median(seconds):.3f} | {max(seconds):.2f}")
        verdict = next(r["verdict"] for r in first if r["kind"] == kind)
        lines.append(f"| `{kind}` | {counts[kind]} | {verdict} | " + " | ".join(cells) + " |")
    return lines


def times_table(
    graded: dict[str, dict[str, Any]], made: list[tuple[Path, str]], args: argparse.Namespace
) -> list[str]:
    """Each mode's wall time against what the submissions' seconds and the timeouts predict."""
    modes = list(graded)
    timeouts = sum(submissions.KINDS[k].failure == "timeout" for _, k in made)
    expected = []
    for mode in modes:
        rows = graded[mode]["rows"]
        others = sum(
            float(r["seconds"]) for r in rows if submissions.KINDS[str(r["kind"])].failure != "timeout"
        )
        expected.append(f"{(timeouts * args.timeout + others) / args.workers:.1f}")
    bound = args.submissions * args.timeout / args.workers
    return [
        "| time | " + " | ".join(f"seconds, {m}" for m in modes) + " |",
        "|---|" + "---:|" * len(modes),
        "| wall time of the whole batch (its parts') | "
        + " | ".join(f"**{graded[m]['wall']:.1f}**" for m in modes)
        + " |",
        f"| expected: (timeouts × {args.timeout:g} s + the other submissions' seconds) / workers | "
        + " | ".join(expected)
        + " |",
        f"| bound the timeouts set: submissions × {args.timeout:g} s / workers | "
        + " | ".join(f"{bound:.0f}" for _ in modes)
        + " |",
    ]


#: The batch size the projection is for.
PROJECTED = 100_000


def projection_table(graded: dict[str, dict[str, Any]], args: argparse.Namespace) -> list[str]:
    """Hours one core would take for :data:`PROJECTED` submissions: the batch's own mix at its
    measured wall time (workers × wall / submissions core-seconds each, start-up and reports
    included), and the same without the submissions that hang until the timeout."""
    modes = list(graded)
    hours = {}
    for mode in modes:
        rows = graded[mode]["rows"]
        per = args.workers * graded[mode]["wall"] / len(rows)
        ending = [float(r["seconds"]) for r in rows if submissions.KINDS[str(r["kind"])].failure != "timeout"]
        hours[mode] = (per * PROJECTED / 3600, float(np.mean(ending)) * PROJECTED / 3600)
    return [
        f"| {PROJECTED:,} submissions on one core | " + " | ".join(f"hours, {m}" for m in modes) + " |",
        "|---|" + "---:|" * len(modes),
        "| this batch's mix, at its wall time per submission × workers | "
        + " | ".join(f"**{hours[m][0]:.1f}**" for m in modes)
        + " |",
        f"| without those that hang until the {args.timeout:g} s timeout: their mean seconds | "
        + " | ".join(f"{hours[m][1]:.1f}" for m in modes)
        + " |",
    ]


def report(
    graded: dict[str, dict[str, Any]], made: list[tuple[Path, str]], args: argparse.Namespace, floor: float
) -> str:
    """The Markdown the run prints (and writes into the grading section with ``--write``)."""
    lines = [
        f"{args.submissions} submissions, --workers {args.workers}, --timeout {args.timeout:g} s, "
        f"seed {args.seed}, graded once per way of starting the children ({', '.join(graded)}), "
        f"in {args.rounds} parts each, the ways taking turns:"
    ]
    for mode, run in graded.items():
        lost = sum(not r["found"] for r in run["rows"])
        other = sum(r["found"] and not r["as_expected"] for r in run["rows"])
        statuses = ", ".join(map(str, sorted({done.returncode for done in run["done"]})))
        lines += [
            "",
            f"- `{mode}`: exit status {statuses}, {run['reported']} in report.json, "
            f"{lost} lost, {other} with another verdict than their kind's: {summary(run)}",
        ]
    right = {
        m: np.median([float(r["seconds"]) for r in run["rows"] if r["kind"] == "right"])
        for m, run in graded.items()
    }
    lines += ["", "| a right submission, median | seconds |", "|---|---:|"]
    lines += [f"| isolated, `{m}` | **{value:.3f}** |" for m, value in right.items()]
    lines += [f"| its check alone, in one process, no isolation | {floor:.3f} |"]
    if set(MODES) <= set(right):
        lines += [
            "",
            f"`fork` takes {right['spawn'] / right['fork']:.1f}× less than `spawn` per right submission.",
        ]
    tables = [*kinds_table(graded), "", *times_table(graded, made, args), "", *projection_table(graded, args)]
    return "\n".join([*lines, "", *tables])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--submissions", type=int, default=200)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--timeout", type=float, default=5.0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--mode", choices=[*MODES, "both"], default="both", help="how children start")
    parser.add_argument("--rounds", type=int, default=10, help="parts of the batch, the modes taking turns")
    parser.add_argument("--write", type=Path, help="update the grading section of this Markdown file")
    args = parser.parse_args()
    modes = MODES if args.mode == "both" else (args.mode,)
    with tempfile.TemporaryDirectory(prefix="gradcheck-grading-") as scratch:
        made = generate(Path(scratch), args.submissions, args.seed)
        graded = grade_in_turns(made, modes, args, Path(scratch))
        floor = in_process(made)
    text = report(graded, made, args, floor)
    print(text)
    for run in graded.values():
        bad = any(not r["found"] or not r["as_expected"] for r in run["rows"])
        if bad or any(done.returncode not in (0, 1, 2) for done in run["done"]):
            done = max(run["done"], key=lambda done: done.returncode not in (0, 1, 2))
            print(done.stdout[-3000:], done.stderr[-3000:], file=sys.stderr)
            raise SystemExit(1)
    if args.write:
        figure(
            {m: run["rows"] for m, run in graded.items()},
            args.timeout,
            ROOT / "docs" / "images" / "grading.png",
        )
        replace_block(args.write, "grading", text)


if __name__ == "__main__":
    main()

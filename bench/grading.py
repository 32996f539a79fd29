"""Grading at scale: a batch of generated submissions graded two at a time, every verdict accounted for.

Generates ``--submissions`` learners' modules from the kinds of ``tests/fixtures/submissions.py``
(right, gradient bugs, and modules that hang, crash, exit, flood their output or hog memory),
grades them exactly as a grader would::

    gradcheck report SUBMISSION.py ... --workers 2 --timeout 5 --out DIR

and checks that ``report.json`` has every submission, each with the verdict and cause its kind
must get. Prints a table per kind, the wall time against the bound the timeouts set, and draws the
seconds per submission::

    python bench/grading.py --submissions 200 --workers 2 --timeout 5 --write docs/benchmarks.md
"""

from __future__ import annotations

import argparse
import json
import math
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "fixtures"))
import submissions  # noqa: E402  (the kinds live with the tests' fixtures)

#: Share of the batch per group of kinds: most submissions run, a third misbehave.
MIX = {"right": 0.30, "chatty": 0.05, "wrong": 0.30, "unusable": 0.35}


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


def figure(rows: list[dict[str, object]], timeout: float, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    kinds = sorted({str(r["kind"]) for r in rows}, key=list(submissions.KINDS).index)
    fig, ax = plt.subplots(figsize=(8, 0.32 * len(kinds) + 1.2))
    rng = np.random.default_rng(0)
    for y, kind in enumerate(kinds):
        seconds = [float(r["seconds"]) for r in rows if r["kind"] == kind]  # type: ignore[arg-type]
        ax.scatter(seconds, y + rng.uniform(-0.2, 0.2, len(seconds)), s=9, alpha=0.7)
    ax.axvline(timeout, color="k", linestyle="--", linewidth=1)
    ax.text(timeout, len(kinds) - 0.4, f" --timeout {timeout:g} s", va="top", fontsize=8)
    ax.set_yticks(range(len(kinds)), kinds, fontsize=8)
    ax.set_xlabel("seconds per submission (child process start to verdict)")
    ax.set_title("Grading a batch: every submission's time, by kind")
    ax.grid(axis="x", alpha=0.3)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--submissions", type=int, default=200)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--timeout", type=float, default=5.0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--write", type=Path, help="update the grading section of this Markdown file")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="gradcheck-grading-") as scratch:
        made = generate(Path(scratch), args.submissions, args.seed)
        out = Path(scratch) / "out"
        command = [
            sys.executable,
            "-m",
            "gradcheck",
            "report",
            *(str(path) for path, _ in made),
            "--workers",
            str(args.workers),
            "--timeout",
            str(args.timeout),
            "--out",
            str(out),
        ]
        start = time.monotonic()
        done = subprocess.run(command, capture_output=True, text=True, stdin=subprocess.DEVNULL)
        wall = time.monotonic() - start
        data = json.loads((out / "report.json").read_text(encoding="utf-8"))
    summary = next((line for line in done.stdout.splitlines() if " right, " in line), "")
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
    lost = sum(not r["found"] for r in rows)
    wrong = [r for r in rows if r["found"] and not r["as_expected"]]
    timeouts = sum(submissions.KINDS[k].failure == "timeout" for _, k in made)
    others = sum(float(r["seconds"]) for r in rows if submissions.KINDS[str(r["kind"])].failure != "timeout")  # type: ignore[arg-type]
    bound = args.submissions * args.timeout / args.workers
    lines = [
        f"{args.submissions} submissions, --workers {args.workers}, --timeout {args.timeout:g} s, "
        f"seed {args.seed}: "
        f"exit status {done.returncode}, {len(data['submissions'])} in report.json, {lost} lost, "
        f"{len(wrong)} with another verdict than their kind's.",
        "",
        f"`gradcheck report` said: {summary.strip()}",
        "",
        "| kind | submissions | verdict it must get | got it | median s | max s |",
        "|---|---:|---|---:|---:|---:|",
    ]
    counts = Counter(str(r["kind"]) for r in rows)
    for kind in sorted(counts, key=list(submissions.KINDS).index):
        mine = [r for r in rows if r["kind"] == kind]
        seconds = [float(r["seconds"]) for r in mine]  # type: ignore[arg-type]
        got = sum(bool(r["as_expected"]) for r in mine)
        lines.append(
            f"| `{kind}` | {len(mine)} | {mine[0]['verdict']} | {got} | "
            f"{np.median(seconds):.2f} | {max(seconds):.2f} |"
        )
    lines += [
        "",
        "| time | seconds |",
        "|---|---:|",
        f"| wall time of the whole batch | **{wall:.1f}** |",
        f"| expected: (timeouts × {args.timeout:g} s + the other submissions' seconds) / workers | "
        f"{(timeouts * args.timeout + others) / args.workers:.1f} |",
        f"| bound the timeouts set: submissions × {args.timeout:g} s / workers | {bound:.0f} |",
    ]
    text = "\n".join(lines)
    print(text)
    if done.returncode not in (0, 1, 2) or lost or wrong:
        print(done.stdout[-3000:], done.stderr[-3000:], file=sys.stderr)
        raise SystemExit(1)
    if args.write:
        figure(rows, args.timeout, ROOT / "docs" / "images" / "grading.png")
        document = args.write.read_text(encoding="utf-8")
        start_marker, end_marker = "<!-- grading -->", "<!-- /grading -->"
        head, rest = document.split(start_marker, 1)
        _, tail = rest.split(end_marker, 1)
        args.write.write_text(f"{head}{start_marker}\n{text}\n{end_marker}{tail}", encoding="utf-8")


if __name__ == "__main__":
    main()

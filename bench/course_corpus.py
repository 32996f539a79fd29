"""Every notebook of the course through ``gradcheck check``: correct modules and planted mistakes.

The modules are a learner's completed notebooks (``tests/fixtures/course/``); the mistakes are
the planted edits of ``tests/fixtures/course_mistakes.py``, each with the diagnosis code a grader
expects. Each module is checked as ``gradcheck check`` checks it (:func:`gradcheck.learner.check_module`:
the notebook's functions found in it, at its ``layers_dims`` or the notebook's shapes, two seeds),
in this process. Printed: the verdict of every correct module, and for every mistake the verdict,
the codes named and whether the expected one is among them.

    python bench/course_corpus.py --write docs/benchmarks.md
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "fixtures"))

import course_mistakes  # noqa: E402 (a fixture module, found through the path set above)
from markdown_block import replace_block  # noqa: E402  (bench/, beside this script)

from gradcheck.learner import ModuleCheck, check_module  # noqa: E402


def codes(result: ModuleCheck) -> list[str]:
    return sorted({c.report.diagnosis.code for c in result.configurations if c.report and c.report.diagnosis})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--write", type=Path, default=None, help="replace the <!-- course-corpus --> block of this file"
    )
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp())
    lines = ["| module | found | verdict | seconds |", "|---|---|---|---:|"]
    for module in course_mistakes.MODULES:
        start = time.perf_counter()
        result = check_module(course_mistakes.write_correct(folder, module))
        found = "; ".join(n.split(" (")[0] for n in result.notebooks)
        lines.append(f"| `{module}` | {found} | {result.verdict} | {time.perf_counter() - start:.1f} |")
    lines += ["", "| mistake | expected | verdict | named | |", "|---|---|---|---|---|"]
    flagged = named = 0
    for name, mistake in course_mistakes.MISTAKES.items():
        result = check_module(course_mistakes.write(folder, name))
        got = codes(result)
        flagged += result.verdict == "wrong"
        named += mistake.code in got
        mark = "yes" if mistake.code in got else "**no**"
        lines.append(f"| `{name}` | `{mistake.code}` | {result.verdict} | {', '.join(got) or '-'} | {mark} |")
    total = len(course_mistakes.MISTAKES)
    summary = f"{flagged} of {total} mistakes flagged wrong, {named} of {total} named with the expected code."
    text = "\n".join([summary, "", *lines])
    print(text)
    if args.write is not None:
        replace_block(args.write, "course-corpus", f"```\npython bench/course_corpus.py\n```\n\n{text}")


if __name__ == "__main__":
    main()

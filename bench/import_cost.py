"""What installing gradcheck costs a pytest session, and what ``import gradcheck`` costs a check.

pytest loads gradcheck's plugin (entry point ``pytest11``) in every session of an environment where
gradcheck is installed, also in projects that never check a gradient. This measures, in one run,
alternating so that the machine's noise falls on both alike:

* a bare pytest session (one trivial test) with the plugin and without it (``-p no:gradcheck``):
  the median difference is what the plugin costs;
* ``import gradcheck`` alone, then with one ``verify_gradients`` call, and which of the heavy
  libraries (matplotlib, jinja2, hypothesis, pytest, rich) each has loaded.

    python bench/import_cost.py --repeats 15 --write docs/benchmarks.md
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from markdown_block import replace_block  # bench/, beside this script

ROOT = Path(__file__).resolve().parent.parent
HEAVY = ("matplotlib", "jinja2", "hypothesis", "pytest", "rich", "autograd", "numpy")
SNIPPETS = {
    "import gradcheck": "import gradcheck",
    "import gradcheck, one verify_gradients call": (
        "import numpy as np\n"
        "from gradcheck import verify_gradients\n"
        "verify_gradients(lambda p: float(np.sum(p['w'] ** 2)), {'w': np.ones(3)}, {'dw': 2 * np.ones(3)})"
    ),
}


def seconds(command: list[str], cwd: Path) -> float:
    start = time.perf_counter()
    subprocess.run(command, cwd=cwd, check=True, capture_output=True)
    return time.perf_counter() - start


def loaded(code: str, cwd: Path) -> list[str]:
    report = f"{code}\nimport sys\nprint(sorted(m for m in {HEAVY!r} if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", report], cwd=cwd, check=True, capture_output=True, text=True)
    return list(eval(out.stdout.strip()))  # a list of names printed by the line above


def plugin_import_ms(cwd: Path, repeats: int) -> float:
    """The plugin's own import time once pytest is loaded (``-X importtime``: gradcheck's modules' self
    times, in microseconds there), median over ``repeats``."""
    totals = []
    for _ in range(repeats):
        out = subprocess.run(
            [sys.executable, "-X", "importtime", "-c", "import pytest; import gradcheck.plugin"],
            cwd=cwd,
            check=True,
            capture_output=True,
            text=True,
        )
        rows = [line.split("|") for line in out.stderr.splitlines() if line.startswith("import time:")]
        totals.append(sum(int(r[0].split(":")[1]) for r in rows if r[2].strip().startswith("gradcheck")))
    return statistics.median(totals) / 1e3


def measure(repeats: int) -> tuple[list[dict[str, str]], float]:
    with tempfile.TemporaryDirectory() as scratch:
        cwd = Path(scratch)
        (cwd / "test_trivial.py").write_text("def test_trivial():\n    assert True\n")
        pytest = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_trivial.py"]
        with_plugin, without = [], []
        for _ in range(repeats):
            with_plugin.append(seconds(pytest, cwd))
            without.append(seconds([*pytest, "-p", "no:gradcheck"], cwd))
        python = [seconds([sys.executable, "-c", "pass"], cwd) for _ in range(repeats)]
        own = plugin_import_ms(cwd, repeats)
        rows = [
            {
                "what": "pytest session, plugin disabled (-p no:gradcheck)",
                "median ms": f"{1e3 * statistics.median(without):.0f}",
                "loads": "-",
            },
            {
                "what": "pytest session, gradcheck's plugin loaded",
                "median ms": f"{1e3 * statistics.median(with_plugin):.0f}",
                "loads": "-",
            },
        ]
        for label, code in SNIPPETS.items():
            times = [seconds([sys.executable, "-c", code], cwd) for _ in range(repeats)]
            rows.append(
                {
                    "what": f"python -c '{label}' (python alone: {1e3 * statistics.median(python):.0f} ms)",
                    "median ms": f"{1e3 * statistics.median(times):.0f}",
                    "loads": ", ".join(loaded(code, cwd)) or "none of them",
                }
            )
        rows.append(
            {
                "what": "the plugin's own modules, pytest already loaded (-X importtime)",
                "median ms": f"{own:.1f}",
                "loads": "-",
            }
        )
        plugin_cost = statistics.median(w - o for w, o in zip(with_plugin, without, strict=True))
    return rows, plugin_cost


def table(rows: list[dict[str, str]], plugin_cost: float, repeats: int) -> str:
    lines = [
        "| what | median ms | of matplotlib, jinja2, hypothesis, pytest, rich, autograd, numpy it loads |",
        "|---|---:|---|",
    ]
    lines += [f"| {r['what']} | {r['median ms']} | {r['loads']} |" for r in rows]
    lines.append("")
    lines.append(
        f"The plugin costs a pytest session **{1e3 * plugin_cost:+.0f} ms** (median of {repeats} paired "
        "differences; the target is under 50 ms)."
    )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--write", type=Path, help="replace the <!-- import-cost --> block of this file")
    options = parser.parse_args()
    rows, plugin_cost = measure(options.repeats)
    text = table(rows, plugin_cost, options.repeats)
    print(text)
    if options.write:
        replace_block(options.write, "import-cost", text)


if __name__ == "__main__":
    main()

"""Memory of a check in the learner form against the general form, at a large input.

The learner form hands the learner's ``forward_propagation`` and ``backward_propagation`` the
input ``X``; a copy per call would cost one ``X`` per call alive at once. This measures, each in a
fresh Python process so that nothing is shared, the peak memory numpy allocates during one
``verify_gradients`` call (``tracemalloc``: numpy reports its array buffers to it), above what was
allocated before the call (``X``, ``Y`` and the parameters), for

* the general form: ``verify_gradients(cost_fn, parameters, gradients, X=X, Y=Y)`` with the same
  functions composed by hand (the gradients computed before the call);
* the learner form: ``verify_gradients(forward=..., backward=..., compute_cost=..., ...)``;

on the course's one-hidden-layer network (``tests/fixtures/my_course_code.py``), and reports
numpy's peak (``tracemalloc``) and the growth of the peak resident memory (``ru_maxrss``, from a
run without tracing). The figure of merit is ``(learner − general) / size of X``: issue 14's target
is at most 1. Another checkout is measured by putting it first on the path:
``PYTHONPATH=/path/to/checkout python bench/learner_memory.py``.

    python bench/learner_memory.py --n-x 100000 --m 200 --write docs/benchmarks.md
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

from markdown_block import replace_block  # bench/, beside this script

ROOT = Path(__file__).resolve().parent.parent

CHILD = """
import json, sys, tracemalloc
sys.path.insert(0, {fixtures!r})
import numpy as np
from gradcheck import verify_gradients
import my_course_code as course

n_x, n_h, m, form = {n_x}, {n_h}, {m}, {form!r}
rng = np.random.default_rng(0)
X = rng.standard_normal((n_x, m))
Y = (rng.random((1, m)) < 0.5).astype(np.float64)
parameters = {{
    "W1": rng.standard_normal((n_h, n_x)) / np.sqrt(n_x), "b1": 0.5 * rng.standard_normal((n_h, 1)),
    "W2": rng.standard_normal((1, n_h)), "b2": 0.5 * rng.standard_normal((1, 1)),
}}
if form == "general":
    def cost_fn(p):
        return course.compute_cost(course.forward_propagation(X, p)[0], Y)
    gradients = course.backward_propagation(parameters, course.forward_propagation(X, parameters)[1], X, Y)
    call = lambda: verify_gradients(cost_fn, parameters, gradients, X=X, Y=Y)
else:
    call = lambda: verify_gradients(
        forward=course.forward_propagation, backward=course.backward_propagation,
        compute_cost=course.compute_cost, parameters=parameters, X=X, Y=Y,
    )
import resource
rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
if {traced}:
    tracemalloc.start()
before = tracemalloc.get_traced_memory()[0]
report = call()
peak = tracemalloc.get_traced_memory()[1] - before
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 - rss_before
print(json.dumps({{"peak": peak, "rss": rss, "x_bytes": X.nbytes, "passed": report.passed}}))
"""


def measure(form: str, n_x: int, n_h: int, m: int) -> dict[str, float]:
    """``peak`` from a traced run (numpy's allocations), ``rss`` (the growth of the peak resident
    memory during the call) from an untraced one."""
    result: dict[str, float] = {}
    for traced in (True, False):
        code = CHILD.format(
            fixtures=str(ROOT / "tests" / "fixtures"), n_x=n_x, n_h=n_h, m=m, form=form, traced=traced
        )
        out = subprocess.run(  # from a neutral folder: PYTHONPATH may name another checkout to compare
            [sys.executable, "-c", code],
            check=True,
            capture_output=True,
            text=True,
            cwd=tempfile.gettempdir(),
        )
        measured = json.loads(out.stdout.strip().splitlines()[-1])
        result.update({"peak": measured["peak"]} if traced else measured | {"peak": result["peak"]})
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-x", type=int, default=100_000)
    parser.add_argument("--n-h", type=int, default=4)
    parser.add_argument("--m", type=int, default=200)
    parser.add_argument(
        "--write", type=Path, default=None, help="replace the <!-- learner-memory --> block of this file"
    )
    args = parser.parse_args()
    general = measure("general", args.n_x, args.n_h, args.m)
    learner = measure("learner", args.n_x, args.n_h, args.m)
    x_mb = general["x_bytes"] / 2**20
    x = general["x_bytes"]
    extra = {key: (learner[key] - general[key]) / x for key in ("peak", "rss")}

    def row(form: str, r: dict[str, float]) -> str:
        return (
            f"| {form} | {r['peak'] / 2**20:.0f} ({r['peak'] / x:.2f} X) | {r['rss'] / 2**20:.0f} "
            f"({r['rss'] / x:.2f} X) | {'right' if r['passed'] else 'wrong'} |"
        )

    lines = [
        f"X is ({args.n_x:,}, {args.m}) float64: {x_mb:.0f} MiB; n_h = {args.n_h}.",
        "",
        "| form | numpy's peak above the inputs, MiB | peak resident memory's growth, MiB | verdict |",
        "|---|---:|---:|---|",
        row("general", general),
        row("learner", learner),
        "",
        f"Learner form − general form: **{extra['peak']:+.2f} X** (numpy's peak), **{extra['rss']:+.2f} X** "
        "(resident); the target is at most +1 X.",
    ]
    text = "\n".join(lines)
    print(text)
    if args.write is not None:
        command = f"python bench/learner_memory.py --n-x {args.n_x} --m {args.m}"
        replace_block(args.write, "learner-memory", f"```\n{command}\n```\n\n{text}")


if __name__ == "__main__":
    main()

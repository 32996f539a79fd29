"""Grading throughput on one machine: threads, a local Dask cluster, a Dask scheduler and worker
started as on a real cluster (on 127.0.0.1), and local Ray (when installed).

Generates ``--submissions`` learners' modules from the kinds of ``tests/fixtures/submissions.py``
that end by themselves (right, gradient bugs, syntax errors, raises, ``os._exit``, segfaults: no
timeouts, so the rate is the checks' own), each file different, and grades the same batch with
each engine as a grader would::

    gradcheck report S000.py ... --workers 2
    gradcheck report S000.py ... --dask local --workers 2
    dask scheduler --host 127.0.0.1 --port P & dask worker tcp://127.0.0.1:P --nthreads 2 &
    gradcheck report S000.py ... --dask tcp://127.0.0.1:P
    gradcheck report S000.py ... --ray local --workers 2

checks that every submission got its kind's verdict, and prints submissions per second, per core
(the wall time includes starting the engine)::

    python bench/distributed.py --submissions 200 --write docs/benchmarks.md
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "fixtures"))
import submissions  # noqa: E402  (the kinds live with the tests' fixtures)
from markdown_block import replace_block  # noqa: E402  (bench/, beside this script)

KINDS = [
    "right",
    "chatty",
    "missing_1_over_m",
    "sign",
    "keepdims",
    "syntax_error",
    "raises",
    "os_exit",
    "segfault",
]
BIN = Path(sys.executable).parent
#: Ray on the loopback only, and no usage statistics sent.
RAY_ENV = {"RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0", "RAY_USAGE_STATS_ENABLED": "0"}


def generate(folder: Path, n: int) -> list[tuple[Path, str]]:
    """``n`` submissions, the kinds in turn, each file made different by a comment."""
    made = []
    for i in range(n):
        kind = KINDS[i % len(KINDS)]
        path = submissions.write(folder, f"s{i:03d}_{kind}", kind)
        path.write_text(path.read_text(encoding="utf-8") + f"# submission {i}\n", encoding="utf-8")
        made.append((path, kind))
    return made


@contextmanager
def dask_processes(workers: int) -> Iterator[str]:
    """``dask scheduler`` and one ``dask worker`` of ``workers`` threads, on 127.0.0.1."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    address = f"tcp://127.0.0.1:{port}"
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    scheduler = subprocess.Popen(
        [BIN / "dask", "scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard"], **quiet
    )
    worker = subprocess.Popen(
        [
            BIN / "dask",
            "worker",
            address,
            "--nthreads",
            str(workers),
            "--host",
            "127.0.0.1",
            "--no-dashboard",
        ],
        **quiet,
    )
    try:
        yield address
    finally:
        for process in (worker, scheduler):
            process.terminate()
            process.wait(timeout=30)


def grade(made: list[tuple[Path, str]], options: list[str], out: Path) -> tuple[float, int]:
    """Seconds the command took, and how many submissions got another verdict than their kind's."""
    command = [str(BIN / "gradcheck"), "report", *(str(p) for p, _ in made), *options, "--out", str(out)]
    start = time.monotonic()
    done = subprocess.run(
        command, capture_output=True, text=True, stdin=subprocess.DEVNULL, env={**os.environ, **RAY_ENV}
    )
    wall = time.monotonic() - start
    if not (out / "report.json").is_file():
        raise SystemExit(f"{' '.join(options)}: no report.json\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
    got = {s["path"]: s for s in json.loads((out / "report.json").read_text(encoding="utf-8"))["submissions"]}
    wrong = 0
    for path, kind in made:
        entry, expected = got.get(str(path)), submissions.KINDS[kind]
        wrong += entry is None or (entry["verdict"], entry["failure"]) != (expected.verdict, expected.failure)
    return wall, wrong


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--submissions", type=int, default=200)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--write", type=Path, help="update the distributed section of this Markdown file")
    args = parser.parse_args()
    n, w = args.submissions, args.workers
    engines: list[tuple[str, list[str]]] = [
        (f"threads here (`--workers {w}`)", ["--workers", str(w)]),
        (f"local Dask cluster (`--dask local --workers {w}`)", ["--dask", "local", "--workers", str(w)]),
        (
            f"`dask scheduler` + `dask worker --nthreads {w}` (`--dask tcp://127.0.0.1:P`)",
            ["--dask", "PROCESSES"],
        ),
    ]
    if importlib.util.find_spec("ray") is not None:
        engines.append((f"local Ray (`--ray local --workers {w}`)", ["--ray", "local", "--workers", str(w)]))
    lines = [
        f"{n} submissions ({', '.join(KINDS)} in turn), 2 seeds, {os.cpu_count()} cores, "
        f"{w} checks at a time:",
        "",
        "| engine | wall s | submissions/s | per core | verdicts not their kind's |",
        "|---|---:|---:|---:|---:|",
    ]
    with tempfile.TemporaryDirectory(prefix="gradcheck-distributed-") as scratch:
        made = generate(Path(scratch), n)
        for i, (name, options) in enumerate(engines):
            out = Path(scratch) / f"out{i}"
            if options[-1] == "PROCESSES":
                with dask_processes(w) as address:
                    wall, wrong = grade(made, ["--dask", address], out)
            else:
                wall, wrong = grade(made, options, out)
            lines.append(f"| {name} | {wall:.1f} | {n / wall:.2f} | {n / wall / w:.2f} | {wrong} |")
            print(lines[-1], flush=True)
    text = "\n".join(lines)
    print(text)
    if args.write:
        replace_block(args.write, "distributed", text)


if __name__ == "__main__":
    main()

"""Checking a learner's module in a child process, with time, memory and output limits.

A grader runs code nobody has read. :func:`check_isolated` runs :func:`gradcheck.learner.check_module`
in a child process of its own and turns whatever the module does into a verdict instead of a hang
or a crash of the grader:

==========================  =====================================================================
the module ...              verdict (``ModuleCheck.failure``, ``problem``)
==========================  =====================================================================
runs longer than            ``timeout``: "timed out after 5 s in forward_propagation"
``Limits.timeout``
dies by a signal            ``crash``: "crashed (signal SIGSEGV, segmentation fault) in
(segfault, abort)           backward_propagation"
ends the process            ``exit``: "exited with status 3 during backward_propagation" (``os._exit``);
                            "called sys.exit(3) while importing it" (caught in the child)
allocates beyond            ``memory``: "ran out of memory (limit 1024 MB) in forward_propagation"
``Limits.memory_mb``
prints more than            ``output``: "printed more than 1,000,000 bytes in forward_propagation"
``Limits.output_bytes``
raises, lacks a function,   ``error``: the message of :func:`gradcheck.learner.check_module`
returns the wrong thing
==========================  =====================================================================

The child gets no stdin (``/dev/null``), its stdout and stderr are captured together (the first
:data:`KEPT_OUTPUT` characters are kept in ``ModuleCheck.output``), it runs in a temporary working
directory of its own and in a session of its own, so that a timeout kills whatever it started.
Memory is capped with ``RLIMIT_AS`` (address space) beyond what the child had after importing
gradcheck, on systems with the :mod:`resource` module (Linux, macOS). The child notes which
learner function it is in, in a small file of the scratch folder that it maps into memory (one
memory write per call, no system call), and the grader reads it once the child has ended, so every
verdict says where it happened.

How the child starts is chosen by the environment variable ``GRADCHECK_ISOLATION``
(:data:`START_METHOD`):

``fork`` (the default on Linux)
    The grader keeps a warm server (:mod:`gradcheck.forkserver`) per check running at once (one
    per worker), a Python that has imported numpy, autograd and gradcheck once, and forks it per
    module: a child costs a fork, not a Python's start. Each child is a copy of the clean
    server, so what a module changes in its process (numpy or gradcheck patched, the working
    directory, the environment, threads) never reaches the next module; the child is given the
    environment, working directory and ``sys.argv`` a spawned child has, and draws numpy's global
    random state anew.
``spawn`` (the default elsewhere)
    A fresh Python per module (``python -m gradcheck.isolation``), importing everything anew.

Where there is no :func:`os.fork` (Windows), or the server cannot be used (it did not start, or
it runs more than one thread, as numpy with ``OPENBLAS_NUM_THREADS`` above 1 does), children are
spawned. Both ways give the same verdicts and messages.

This is isolation against accidents, not a sandbox: the child runs with the grader's user, files
and network. See ``SECURITY.md``.
"""

from __future__ import annotations

import io
import json
import math
import mmap
import os
import pickle
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import IO, Any, Protocol

import numpy as np

from gradcheck import forkserver
from gradcheck.learner import ModuleCheck, check_module

__all__ = [
    "FAILURES",
    "KEPT_OUTPUT",
    "START_METHOD",
    "Limits",
    "check_isolated",
    "kill_running",
    "start_method",
    "unpickle_result",
]

#: Why a module is unusable, and how the summary counts it.
FAILURES: dict[str, str] = {
    "timeout": "timed out",
    "crash": "crashed",
    "exit": "exited",
    "memory": "out of memory",
    "output": "flooded its output",
    "error": "raised or broke a contract",
}
#: Characters of the child's output kept in the verdict.
KEPT_OUTPUT = 4000
#: Bytes of the file the child notes its phase in (a learner function's name, cut to fit).
PHASE_BYTES = 256
#: The environment variable that chooses how each child starts: ``fork`` (from a warm server per
#: worker; the default on Linux) or ``spawn`` (a fresh Python; the default elsewhere).
START_METHOD = "GRADCHECK_ISOLATION"
_ROOT = str(Path(__file__).resolve().parent.parent)  # the folder that holds the gradcheck package
_RUNNING: set[Any] = set()  # the children checking a module now, from any thread (kill_running)
_RUNNING_LOCK = threading.Lock()
#: Starts a fork server (its socket's descriptor is appended): see gradcheck.forkserver.
_SERVER = [
    sys.executable,
    "-c",
    "import sys; from gradcheck.forkserver import serve; "
    "from gradcheck.isolation import _forked_child, _warm_up; "
    "serve(int(sys.argv[1]), _forked_child, _warm_up)",
]
#: A right Week 3 module, checked once by each fork server before its first fork: what a check
#: does slowly the first time in a process (numpy's, autograd's and gradcheck's first calls) is
#: then done, and every child forked afterwards starts warm.
WARM_UP = """
import numpy as np


def forward_propagation(X, parameters):
    A1 = np.tanh(np.dot(parameters["W1"], X) + parameters["b1"])
    A2 = 1 / (1 + np.exp(-(np.dot(parameters["W2"], A1) + parameters["b2"])))
    return A2, {"A1": A1, "A2": A2}


def compute_cost(A2, Y):
    return float(-np.mean(Y * np.log(A2) + (1 - Y) * np.log(1 - A2)))


def backward_propagation(parameters, cache, X, Y):
    m = X.shape[1]
    A1, dZ2 = cache["A1"], cache["A2"] - Y
    dZ1 = np.dot(parameters["W2"].T, dZ2) * (1 - A1**2)
    return {
        "dW1": np.dot(dZ1, X.T) / m,
        "db1": np.sum(dZ1, axis=1, keepdims=True) / m,
        "dW2": np.dot(dZ2, A1.T) / m,
        "db2": np.sum(dZ2, axis=1, keepdims=True) / m,
    }
"""


@dataclass(frozen=True)
class Limits:
    """What one submission may use.

    Attributes
    ----------
    timeout : float, default 60
        Wall-clock seconds for the whole check of the module (importing it included).
    memory_mb : int or None, default 1024
        Megabytes of address space the learner's code may add to the child's (``RLIMIT_AS``);
        None for no limit.
    output_bytes : int, default 1_000_000
        Bytes of stdout and stderr together before the child is stopped.
    """

    timeout: float = 60.0
    memory_mb: int | None = 1024
    output_bytes: int = 1_000_000

    def __post_init__(self) -> None:
        def positive(value: object, integer: bool) -> bool:
            kinds = (int,) if integer else (int, float)
            return isinstance(value, kinds) and not isinstance(value, bool) and value > 0

        if not (positive(self.timeout, False) and math.isfinite(self.timeout)):
            raise ValueError(f"timeout must be positive seconds, got {self.timeout!r}")
        if self.memory_mb is not None and not positive(self.memory_mb, True):
            raise ValueError(
                f"memory_mb must be positive megabytes (an integer) or None, got {self.memory_mb!r}"
            )
        if not positive(self.output_bytes, True):
            raise ValueError(f"output_bytes must be positive (an integer), got {self.output_bytes!r}")


def check_isolated(
    path: str | Path,
    *,
    seeds: Sequence[int] = (0, 1),
    shapes: Sequence[tuple[int, ...]] | None = None,
    limits: Limits = Limits(),
) -> ModuleCheck:
    """:func:`gradcheck.learner.check_module` in a child process, within ``limits``.

    The child is forked from a warm server, or spawned as a fresh Python, as
    ``GRADCHECK_ISOLATION`` chooses (:func:`start_method`); platforms without fork always spawn.

    Parameters
    ----------
    path : str or Path
        The learner's ``.py`` file.
    seeds, shapes
        As for :func:`gradcheck.learner.check_module`.
    limits : Limits

    Returns
    -------
    ModuleCheck
        With ``failure`` (a key of :data:`FAILURES`) when unusable, the captured ``output`` and
        the ``seconds`` the check took (with starting a fork server, when no idle one was
        left). Never raises for anything the module does.

    Raises
    ------
    ValueError
        When ``GRADCHECK_ISOLATION`` is set to neither ``fork`` nor ``spawn``.
    """
    start = time.monotonic()
    path = Path(path)
    # the module may leave files it made unremovable: that must not fail the grader
    with tempfile.TemporaryDirectory(prefix="gradcheck-", ignore_cleanup_errors=True) as scratch:
        result_path = Path(scratch) / "result.pickle"
        cwd = Path(scratch) / "cwd"
        cwd.mkdir()
        job = {
            "path": str(path.resolve()),
            "seeds": [int(s) for s in seeds],
            "shapes": None if shapes is None else [list(s) for s in shapes],
            "memory_mb": limits.memory_mb,
            "result": str(result_path),
        }
        phase_path = Path(scratch) / "phase"
        phase_path.write_bytes(bytes(PHASE_BYTES))
        phase_fd = os.open(phase_path, os.O_RDWR)
        try:
            process = _start(job, cwd, phase_fd)
        finally:
            os.close(phase_fd)
        watch = _Watch(process, limits.output_bytes)
        with _RUNNING_LOCK:
            _RUNNING.add(process)
        try:
            process.wait(timeout=limits.timeout)
            timed_out = False
        except subprocess.TimeoutExpired:
            timed_out = True
            _kill(process)
            process.wait()
        except BaseException:  # Ctrl-C in the grader: leave no child behind
            _kill(process)
            raise
        finally:
            with _RUNNING_LOCK:
                _RUNNING.discard(process)
        watch.finish()
        seconds = time.monotonic() - start
        output = watch.kept()
        where = _where(_phase(phase_path), path)
        failure, problem = None, ""
        if watch.flooded:
            failure = "output"
            problem = (
                f"printed more than {limits.output_bytes:,} bytes {where}; stopped (limit: --output-limit)"
            )
        elif timed_out:
            failure, problem = "timeout", f"timed out after {limits.timeout:g} s {where}"
        elif process.returncode < 0:
            failure, problem = "crash", f"crashed ({_signal_name(-process.returncode)}) {where}"
        elif process.returncode != 0 or not result_path.is_file():
            failure = "exit"
            problem = f"exited with status {process.returncode} {where.replace('in ', 'during ', 1)}"
        if failure is not None:
            tail = output.strip().splitlines()[-3:]
            if tail and failure != "output":
                problem += "; its last output: " + " | ".join(line.strip() for line in tail)
            return ModuleCheck(str(path), "unusable", problem, [], failure, output, seconds)
        try:
            with result_path.open("rb") as file:
                result = _ResultUnpickler(file).load()
        except (pickle.UnpicklingError, EOFError, AttributeError, TypeError, ValueError) as error:
            problem = f"left a result gradcheck cannot read ({type(error).__name__}: {error}); it was changed"
            return ModuleCheck(str(path), "unusable", problem, [], "error", output, seconds)
        # the child checked the resolved path: its messages name the file as the caller did
        said = result.problem and result.problem.replace(str(path.resolve()), str(path))
        return replace(result, path=str(path), problem=said, output=output, seconds=seconds)


class _Child(Protocol):
    """What :func:`check_isolated` uses of its child: a :class:`subprocess.Popen` or a
    :class:`gradcheck.forkserver.Forked`."""

    pid: int

    @property
    def stdout(self) -> IO[bytes] | None: ...

    @property
    def returncode(self) -> int | Any: ...

    def wait(self, timeout: float | None = None) -> int: ...

    def kill(self) -> None: ...


def _start(job: dict[str, Any], cwd: Path, control_fd: int) -> _Child:
    """The child, in a session of its own, noting its phases in the file ``control_fd``: forked from a
    warm server when :data:`START_METHOD` says ``fork`` and one can be had, else a fresh Python."""
    env = _child_environment()
    if start_method() == "fork":
        request = {"cwd": str(cwd), "env": env, "job": job}
        forked = forkserver.start(_SERVER, env, _ROOT, request, control_fd)
        if forked is not None:
            return forked
    return subprocess.Popen(
        [sys.executable, "-m", "gradcheck.isolation", str(control_fd), json.dumps(job)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        pass_fds=(control_fd,),
        cwd=cwd,
        env=env,
        start_new_session=True,  # its own process group: a timeout kills all it started
    )


def start_method() -> str:
    """How the next child starts: ``"fork"`` or ``"spawn"``, as :data:`START_METHOD` chooses.

    Raises
    ------
    ValueError
        When the variable holds anything else.
    """
    default = "fork" if forkserver.AVAILABLE and sys.platform.startswith("linux") else "spawn"
    chosen = os.environ.get(START_METHOD) or default
    if chosen not in ("fork", "spawn"):
        raise ValueError(f"{START_METHOD} must be fork or spawn, got {chosen!r}")
    return chosen if forkserver.AVAILABLE else "spawn"


class _ResultUnpickler(pickle.Unpickler):
    """Loads only what a :class:`ModuleCheck` is made of: the child's result file is in reach of
    the module it ran, and an unrestricted unpickler would run any code that file names."""

    ALLOWED = frozenset(
        {
            ("gradcheck.learner", "ModuleCheck"),
            ("gradcheck.learner", "Configuration"),
            ("gradcheck.report", "GradientReport"),
            ("gradcheck.report", "GradientResult"),
            ("gradcheck.report", "Diagnosis"),
            ("numpy", "ndarray"),
            ("numpy", "dtype"),
            ("numpy._core.multiarray", "_reconstruct"),
            ("numpy.core.multiarray", "_reconstruct"),
        }
    )

    def find_class(self, module: str, name: str) -> type:
        if (module, name) not in self.ALLOWED:
            raise pickle.UnpicklingError(f"{module}.{name} is not part of a check's result")
        found: type = super().find_class(module, name)
        return found

    def load(self) -> ModuleCheck:
        result = super().load()
        if not isinstance(result, ModuleCheck):
            raise pickle.UnpicklingError(f"a {type(result).__name__}, not a ModuleCheck")
        return result


def unpickle_result(data: bytes) -> ModuleCheck:
    """A pickled :class:`ModuleCheck`, loaded with the restricted unpickler of isolated results
    (nothing but a check's own classes; anything else is a :class:`pickle.UnpicklingError`)."""
    return _ResultUnpickler(io.BytesIO(data)).load()


def _child_environment() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([_ROOT, *filter(None, [env.get("PYTHONPATH")])])
    for threads in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        env.setdefault(threads, "1")  # one core per submission: --workers decides the parallelism
    env["MPLBACKEND"] = "Agg"
    env["PYTHONUNBUFFERED"] = "1"
    return env


def kill_running() -> int:
    """Kill the child (its whole process group) of every isolated check running in this process.

    For a grader stopped by Ctrl-C: the checks waiting in other threads then end at once, with a
    verdict nobody should keep, instead of at their timeouts.

    Returns
    -------
    int
        How many children were killed.
    """
    with _RUNNING_LOCK:
        running = list(_RUNNING)
    for process in running:
        _kill(process)
    return len(running)


def _kill(process: _Child) -> None:
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        process.kill()


def _signal_name(number: int) -> str:
    try:
        name = signal.Signals(number).name
    except ValueError:
        return f"signal {number}"
    what = {"SIGSEGV": "segmentation fault", "SIGABRT": "abort", "SIGKILL": "killed", "SIGBUS": "bus error"}
    return f"signal {name}, {what[name]}" if name in what else f"signal {name}"


def _where(phase: str | None, path: Path) -> str:
    if phase in (None, "start"):
        return "while starting"
    if phase == "import":
        return f"while importing {path.name}"
    if phase == "-":
        return "in gradcheck, between calls to the module's functions"
    return f"in {phase}"


def _phase(path: Path) -> str | None:
    """Where the child last was, as it noted in its phase file (None: nowhere yet)."""
    try:
        noted = path.read_bytes().partition(b"\0")[0]
    except OSError:
        return None
    return noted.decode(errors="replace") or None


class _Watch:
    """Reads the child's output (capped) in a daemon thread."""

    def __init__(self, process: _Child, limit: int) -> None:
        self.process, self.limit = process, limit
        self.flooded = False
        self.size = 0
        self._kept = bytearray()
        assert process.stdout is not None
        self._threads = [threading.Thread(target=self._output, args=(process.stdout,), daemon=True)]
        for thread in self._threads:
            thread.start()

    def _output(self, stream: IO[bytes]) -> None:
        while chunk := stream.read1(65536):  # type: ignore[attr-defined]
            self.size += len(chunk)
            if len(self._kept) < KEPT_OUTPUT:
                self._kept += chunk[: KEPT_OUTPUT - len(self._kept)]
            if self.size > self.limit and not self.flooded:
                self.flooded = True
                _kill(self.process)
        stream.close()

    def finish(self) -> None:
        """Wait briefly for the output to end (a grandchild outside the group may hold it)."""
        for thread in self._threads:
            thread.join(timeout=2.0)

    def kept(self) -> str:
        text = self._kept.decode(errors="replace")
        return text + (
            f"\n[... {self.size - len(self._kept):,} more bytes]" if self.size > len(self._kept) else ""
        )


# ---- the child -------------------------------------------------------------------------------


def _child(control_fd: int, job: dict[str, object]) -> None:
    """Check one module and pickle the :class:`ModuleCheck` to ``job["result"]``, noting each phase
    in the file ``control_fd`` (:data:`PHASE_BYTES`, NUL-terminated)."""
    noted = mmap.mmap(control_fd, PHASE_BYTES)

    def trace(phase: str | None) -> None:
        name = (phase or "-").encode()[: PHASE_BYTES - 1] + b"\0"
        noted[: len(name)] = name

    memory_mb = job["memory_mb"]
    if isinstance(memory_mb, int):
        _limit_memory(memory_mb)
    trace("start")
    seeds = [int(s) for s in job["seeds"]]  # type: ignore[attr-defined]
    given: Any = job["shapes"]
    shapes = None if given is None else [tuple(int(n) for n in s) for s in given]
    result = check_module(str(job["path"]), seeds=seeds, shapes=shapes, trace=trace)
    if result.verdict == "unusable" and result.problem is not None:
        failure = _classify(result.problem)
        problem = result.problem
        if "raised EOFError" in problem:
            problem += " (a checked module gets no input: remove input() calls)"
        if failure == "memory":
            problem = f"ran out of memory (limit: {memory_mb} MB beyond gradcheck's own): {problem}"
        result = replace(result, failure=failure, problem=problem)
    trace("-")
    with open(str(job["result"]), "wb") as file:
        pickle.dump(result, file)


def _forked_child(control_fd: int, job: dict[str, object]) -> None:
    """:func:`_child` in a child forked from a warm server, given first what a fresh Python has
    and a fork does not: its own command line, and numpy's global random state drawn anew."""
    sys.argv = [__file__, str(control_fd), json.dumps(job)]  # as `python -m gradcheck.isolation`
    np.random.seed()  # noqa: NPY002 (the global state a learner's unseeded draws use)
    _child(control_fd, job)


def _warm_up() -> None:
    """Check :data:`WARM_UP` in this process (a fork server's, before it forks)."""
    with tempfile.TemporaryDirectory(prefix="gradcheck-warm-up-") as folder:
        path = Path(folder) / "warm_up.py"
        path.write_text(WARM_UP, encoding="utf-8")
        with warnings.catch_warnings():  # leaves no warning marked as shown for the children
            check_module(path, seeds=[0])


def _classify(problem: str) -> str:
    if re.search(r"raised \w*MemoryError", problem):
        return "memory"
    if "called sys.exit(" in problem:
        return "exit"
    return "error"


def _limit_memory(megabytes: int) -> None:
    """Cap the address space at what the process has now plus ``megabytes``."""
    try:
        import resource
    except ImportError:  # pragma: no cover (Windows: no limit)
        return
    now = _address_space()
    limit = now + megabytes * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # no core files from a crash


def _address_space() -> int:
    """Bytes of address space this process holds now (0 where /proc is missing)."""
    try:
        status = Path("/proc/self/status").read_text()
    except OSError:
        return 0
    match = re.search(r"^VmSize:\s+(\d+) kB", status, re.MULTILINE)
    return int(match.group(1)) * 1024 if match else 0


if __name__ == "__main__":
    _child(int(sys.argv[1]), json.loads(sys.argv[2]))

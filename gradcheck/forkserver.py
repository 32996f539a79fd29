"""A warm parent process that forks a fresh child per job: the fast start of an isolated check.

Starting Python and importing numpy, autograd and gradcheck is most of what an isolated check of
a learner's module costs. A fork server pays for it once per worker: it starts like a child of
:func:`gradcheck.isolation.check_isolated` would (same environment, one BLAS thread), imports what
a check needs, and then forks one child per job the grader sends it. Each child is a copy of the
clean server, never of an earlier child, so nothing a module does (patch numpy or gradcheck,
change the working directory or the environment, start threads or processes) reaches the next.

The grader and a server talk over a Unix socket pair, one job at a time:

1. the server says ``ready THREADS`` once it has imported everything (a server with more than
   one thread is not used: forking it could copy a lock another thread holds);
2. the grader sends a job (one JSON line) with the write end of the child's output pipe and
   its phase file attached (:func:`socket.send_fds`), so it reads both exactly as it reads a spawned
   child's;
3. the server forks and answers ``pid PID``; the child makes itself a session, takes ``/dev/null``
   as stdin and the output pipe as stdout and stderr, moves into its scratch directory, takes the
   job's environment and runs the job;
4. the server waits for the child (it is its parent) and answers ``exit CODE``, ``-SIGNAL`` for
   a signal, as :attr:`subprocess.Popen.returncode`.

The grader may kill the child's process group meanwhile (a timeout, a flood). When the grader
goes away during a job, the server kills the child's group itself (Linux: it watches the child
through a pidfd) and exits; an idle server exits when the grader closes the socket.

Only where :func:`os.fork` and :func:`socket.send_fds` exist (Unix); the caller falls back to
starting a fresh Python per job otherwise. Nothing here imports the rest of gradcheck: the work a
child does is named by the command that starts the server.
"""

from __future__ import annotations

import atexit
import gc
import json
import os
import select
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from typing import IO, Any

__all__ = ["AVAILABLE", "Forked", "RefusedError", "Server", "reset", "serve", "start"]

#: Whether this platform can run a fork server at all.
AVAILABLE = hasattr(os, "fork") and hasattr(socket, "send_fds") and hasattr(os, "setsid")
#: Seconds a server may take to import what a check needs before it is given up.
STARTUP_SECONDS = 60.0


class RefusedError(Exception):
    """A server did not start or is unfit to fork (more than one thread); the reason is the message."""


class _GoneError(Exception):
    """The server's end of the socket closed."""


# ---- the grader's side ---------------------------------------------------------------------------


class Server:
    """One fork server, run by one grader thread at a time.

    Parameters
    ----------
    command : list of str
        Starts the server: a Python that calls :func:`serve` with the socket's descriptor, which
        is appended to the command.
    env : dict of str to str
        The server's environment (one BLAS thread set here takes effect: numpy loads after it).
    cwd : str
        The server's working directory (its children move to their own).

    Raises
    ------
    RefusedError
        When the server does not say it is ready within :data:`STARTUP_SECONDS`, or has threads.
    """

    def __init__(self, command: list[str], env: dict[str, str], cwd: str) -> None:
        ours, theirs = socket.socketpair()
        try:
            self.process = subprocess.Popen(
                [*command, str(theirs.fileno())],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                pass_fds=(theirs.fileno(),),
                cwd=cwd,
                env=env,
                start_new_session=True,  # a Ctrl-C meant for the grader does not reach it
            )
        except BaseException:
            ours.close()
            raise
        finally:
            theirs.close()
        self.socket, self._buffer = ours, b""
        try:
            word, threads = self.line(STARTUP_SECONDS).split()
        except (_GoneError, TimeoutError, ValueError) as error:
            self.close()
            raise RefusedError(f"the fork server did not start ({type(error).__name__})") from error
        if word != "ready" or threads != "1":
            self.close()
            raise RefusedError(f"the fork server has {threads} threads, and would fork them")

    def line(self, timeout: float | None) -> str:
        """The server's next line; TimeoutError after ``timeout`` s, :class:`_GoneError` at its end."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while b"\n" not in self._buffer:
            left = None if deadline is None else deadline - time.monotonic()
            if left is not None and left <= 0:
                raise TimeoutError
            self.socket.settimeout(left)
            chunk = self.socket.recv(4096)
            if not chunk:
                raise _GoneError
            self._buffer += chunk
        line, _, self._buffer = self._buffer.partition(b"\n")
        return line.decode()

    def fork(self, request: dict[str, Any], fds: list[int]) -> int:
        """Send a job with ``fds`` (the child's output pipe and phase file); the child's pid."""
        data = json.dumps(request).encode() + b"\n"
        self.socket.settimeout(None)
        sent = socket.send_fds(self.socket, [data], fds)
        self.socket.sendall(data[sent:])
        word, _, value = self.line(None).partition(" ")
        if word != "pid":
            raise _GoneError(value)  # the fork failed: this server is no use
        return int(value)

    def close(self) -> None:
        """Hang up: the server exits (killing a child it still runs)."""
        self.socket.close()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


class Forked:
    """A forked child, with what :func:`gradcheck.isolation.check_isolated` uses of a
    :class:`subprocess.Popen`: ``pid``, ``stdout``, ``wait``, ``returncode`` and ``kill``.

    Waiting reads the child's exit status from the server, which goes back to the pool once the
    child is reaped.
    """

    def __init__(self, server: Server, pid: int, stdout: IO[bytes]) -> None:
        self.server, self.pid, self.stdout = server, pid, stdout
        self.returncode: int | None = None

    def wait(self, timeout: float | None = None) -> int:
        """The child's exit code (``-N`` for signal N); TimeoutExpired after ``timeout`` s."""
        if self.returncode is not None:
            return self.returncode
        try:
            word, _, value = self.server.line(timeout).partition(" ")
        except TimeoutError:
            raise subprocess.TimeoutExpired(f"child {self.pid}", timeout or 0.0) from None
        except (_GoneError, OSError):  # the server was killed: no status to read, so stop the child
            _kill_group(self.pid)
            self.server.close()
            self.returncode = -signal.SIGKILL
            return self.returncode
        except BaseException:  # Ctrl-C: hanging up makes the server stop the child
            self.server.close()
            raise
        self.returncode = int(value) if word == "exit" else -signal.SIGKILL
        _POOL.give_back(self.server)
        return self.returncode

    def kill(self) -> None:
        """SIGKILL the child (not its group: :func:`os.killpg` on ``pid`` does that)."""
        try:
            os.kill(self.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass


class _Pool:
    """Idle servers, shared by the grader's threads; each thread takes one for a job."""

    def __init__(self) -> None:
        self.idle: list[Server] = []
        self.lock = threading.Lock()
        self.refused: str | None = None  # why no server can be had here (then always None)

    def take(self, command: list[str], env: dict[str, str], cwd: str) -> Server | None:
        with self.lock:
            if self.idle:
                return self.idle.pop()
            if self.refused is not None:
                return None
        try:
            return Server(command, env, cwd)
        except (RefusedError, OSError) as error:
            self.refused = str(error)
            return None

    def give_back(self, server: Server) -> None:
        with self.lock:
            self.idle.append(server)

    def close(self) -> None:
        with self.lock:
            idle, self.idle = self.idle, []
        for server in idle:
            server.close()


_POOL = _Pool()


def start(
    command: list[str], env: dict[str, str], cwd: str, request: dict[str, Any], control_fd: int
) -> Forked | None:
    """Fork a child for ``request`` from an idle server (started on first need); None when none
    can be had, and then the caller starts a child its own way.

    Parameters
    ----------
    command, env, cwd
        Start a server when none is idle (see :class:`Server`).
    request : dict
        As :func:`serve` reads it: the child's working directory ``cwd``, its environment
        ``env`` and the ``job`` its work is given (JSON).
    control_fd : int
        The phase file the child notes where it is in (the caller keeps and closes its own).

    Returns
    -------
    Forked or None
    """
    for _ in range(2):  # a server that died while idle is replaced once
        server = _POOL.take(command, env, cwd)
        if server is None:
            return None
        read_fd, write_fd = os.pipe()
        try:
            pid = server.fork(request, [write_fd, control_fd])
        except (_GoneError, OSError):
            os.close(read_fd)
            server.close()
            continue
        except BaseException:
            os.close(read_fd)
            server.close()
            raise
        finally:
            os.close(write_fd)
        return Forked(server, pid, open(read_fd, "rb"))  # the watcher closes it
    return None


def reset() -> None:
    """Close every idle server and forget why servers were refused (the next job starts anew)."""
    _POOL.close()
    _POOL.refused = None


def _after_fork_in_child() -> None:
    global _POOL
    _POOL = _Pool()  # a process forked from the grader must not share its servers


@atexit.register
def _close_pool() -> None:
    _POOL.close()


if AVAILABLE:
    os.register_at_fork(after_in_child=_after_fork_in_child)


def _kill_group(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        try:
            os.kill(pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass


# ---- the server's side ---------------------------------------------------------------------------


def serve(fd: int, work: Callable[[int, Any], None], warm_up: Callable[[], None] | None = None) -> None:
    """Run the server on the socket ``fd``: fork a child per job, until the grader hangs up.

    A child ends after ``work(control_fd, job)`` as a freshly started Python would, with its
    other threads joined, its ``atexit`` handlers run and its output flushed, exit status 0, but
    without tearing down the modules it copied from the server (:func:`_exit`). When ``work``
    raises, it leaves this function and the interpreter ends the usual way (1 with the traceback,
    or the status of a ``SystemExit``).

    Parameters
    ----------
    fd : int
        This process's end of the socket pair.
    work : callable
        What a child does with its phase file's descriptor and the request's ``job``.
    warm_up : callable, optional
        Run once before the first fork, so that what is slow the first time in a process is done
        here and not in every child; if it raises, the server serves cold.
    """
    channel = socket.socket(fileno=fd)
    if warm_up is not None:
        try:
            warm_up()
        except Exception:  # a cold server still gives every verdict
            pass
    gc.freeze()  # children's collections leave the server's objects, and so its pages, alone
    channel.sendall(f"ready {_threads()}\n".encode())
    while (received := _receive(channel)) is not None:
        request, fds = received
        try:
            pid = os.fork()
        except OSError as error:
            _close(fds)
            channel.sendall(f"error {error}\n".encode())
            continue
        if pid == 0:
            control_fd = _become_child(channel, request, fds)
            work(control_fd, request["job"])
            _exit()
            return
        _close(fds)
        channel.sendall(f"pid {pid}\n".encode())
        status = _reap(pid, channel)
        if status is None:
            return
        channel.sendall(f"exit {os.waitstatus_to_exitcode(status)}\n".encode())


def _threads() -> int:
    """This process's threads (all of them on Linux, Python's own elsewhere)."""
    try:
        return len(os.listdir("/proc/self/task"))
    except OSError:
        return threading.active_count()


def _receive(channel: socket.socket) -> tuple[dict[str, Any], list[int]] | None:
    """The next job and its two descriptors; None when the grader hung up."""
    data, fds, _, _ = socket.recv_fds(channel, 1 << 16, 2)
    while data and not data.endswith(b"\n"):
        more = channel.recv(1 << 16)
        data += more
        if not more:
            data = b""
    if not data or len(fds) != 2:
        _close(fds)
        return None
    return json.loads(data), fds


def _become_child(channel: socket.socket, request: dict[str, Any], fds: list[int]) -> int:
    """Make this fresh fork what a spawned child is; the descriptor of its phase file."""
    output_fd, control_fd = fds
    channel.close()
    os.setsid()  # its own session and process group: a timeout kills all it started
    stdin = os.open(os.devnull, os.O_RDONLY)
    os.dup2(stdin, 0)
    os.dup2(output_fd, 1)
    os.dup2(output_fd, 2)
    _close([stdin, output_fd])
    os.set_inheritable(control_fd, True)  # as a spawned child's pass_fds
    os.chdir(request["cwd"])
    if sys.path and sys.path[0] == "":  # `python -c`: as `python -m`, the working directory first
        sys.path[0] = request["cwd"]
    os.environ.clear()
    os.environ.update(request["env"])
    return control_fd


def _exit() -> None:
    """End this child with status 0 as the interpreter's own exit would, less its slowest part:
    tearing down every module (a third of a check's time). Returns only where Python lacks the
    two steps it takes from that exit (then the interpreter ends the usual way)."""
    join_threads = getattr(threading, "_shutdown", None)
    run_atexit = getattr(atexit, "_run_exitfuncs", None)
    if join_threads is None or run_atexit is None:
        return
    join_threads()  # non-daemon threads keep a child running, as they keep a Python running
    run_atexit()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (AttributeError, OSError, ValueError):  # replaced, or closed, by the module
            pass
    os._exit(0)


def _reap(pid: int, channel: socket.socket) -> int | None:
    """Wait for the child; its wait status, or None when the grader hung up (the group killed)."""
    try:
        child = os.pidfd_open(pid)
    except (AttributeError, OSError):  # no pidfd (before Linux 5.3, macOS): wait blind
        return os.waitpid(pid, 0)[1]
    try:
        ready, _, _ = select.select([child, channel.fileno()], [], [])
    finally:
        os.close(child)
    if child not in ready:  # the grader sends nothing during a job: it hung up
        _kill_group(pid)
        os.waitpid(pid, 0)
        return None
    return os.waitpid(pid, 0)[1]


def _close(fds: list[int]) -> None:
    for fd in fds:
        os.close(fd)

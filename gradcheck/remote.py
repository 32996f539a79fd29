"""Grading on other machines: executors for :func:`gradcheck.grading.check_modules` that send
each submission's source, over a Dask cluster (:class:`DaskExecutor`) or Ray (:class:`RayExecutor`).

``check_modules(paths, executor=DaskExecutor(client))`` grades as on one machine (the journal, the
progress, the order of the results are :func:`~gradcheck.grading.check_modules`' own), except
that each submission travels as bytes, not as a path:

- the grader reads the file and the helper modules it imports from its own folder
  (``import dnn_utils`` beside ``week4.py``: :func:`ship`); the worker writes them into a scratch
  folder of its own and checks that copy, isolated in a child process within the limits, then
  names the grader's path in the verdict. The workers need gradcheck (the same version), not the
  files. What a submission reads at run time other than those modules (data files, packages in
  sub-folders) is not sent;
- every task is new: Dask's are submitted with ``pure=False`` and Ray never caches one, so a file
  changed at the same path is graded again, never answered with an earlier verdict;
- a worker that dies while it checks a submission (Dask's ``KilledWorker``, Ray's
  ``WorkerCrashedError``) costs that submission alone: its verdict is unusable, failure
  ``"crash"``, the problem saying the worker died, and the rest of the batch is graded. Any other
  error of the engine (the scheduler lost, a task cancelled, Ray shut down) is raised by the
  future as an :class:`EngineError` naming the engine and the submission; the verdicts decided
  until then stay in the journal. So is a scheduler or cluster that cannot be reached.

Neither Dask nor Ray is imported until an executor is made (``pip install gradcheck[dask]``,
``gradcheck[ray]``). ``gradcheck report FILE.py ... --dask ADDRESS`` and ``--ray ADDRESS`` use
:func:`dask_executor` and :func:`ray_executor`.
"""

from __future__ import annotations

import ast
import concurrent.futures
import functools
import importlib
import logging
import tempfile
import threading
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, Future
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar, cast

from gradcheck.errors import GradcheckError
from gradcheck.learner import ModuleCheck

if TYPE_CHECKING:
    from distributed import Client

__all__ = [
    "LOCAL",
    "MAX_HELPERS",
    "DaskExecutor",
    "EngineError",
    "RayExecutor",
    "Shipment",
    "dask_executor",
    "ray_executor",
    "run_shipment",
    "ship",
    "worker_died",
]

_T = TypeVar("_T")
#: Helper modules sent with one submission at most (its imports, theirs, ...).
MAX_HELPERS = 50


@dataclass(frozen=True)
class Shipment:
    """A submission as it travels to a worker.

    Attributes
    ----------
    path : str
        The grader's path, as given: only a name for the verdict, never opened by the worker.
    name : str
        The file's name (``week4.py``): the module is imported under its stem, as at the grader's.
    source : bytes or None
        The file's bytes; None when the grader could not read it (the check then says the file
        is missing).
    helpers : dict of str to bytes
        The modules it imports from its own folder, by file name (:func:`ship`).
    """

    path: str
    name: str
    source: bytes | None
    helpers: dict[str, bytes] = field(default_factory=dict)


def ship(path: str | Path) -> Shipment:
    """Read a submission and the helper modules it imports from its folder, for a worker.

    A helper is a ``NAME.py`` beside the submission that it imports (``import NAME``, ``from NAME
    import ...``, at any depth of the code), and those the helpers import in turn, up to
    :data:`MAX_HELPERS`; the submission's other neighbours (other learners' files) are not sent.

    Parameters
    ----------
    path : str or Path
        The submission, as the grader names it.

    Returns
    -------
    Shipment
    """
    given = Path(path)
    try:
        source = given.read_bytes()
    except OSError:
        return Shipment(str(path), given.name, None)
    helpers: dict[str, bytes] = {}
    todo = [source]
    while todo and len(helpers) < MAX_HELPERS:
        for name in sorted(_imported(todo.pop())):
            neighbour = given.parent / f"{name}.py"
            if neighbour.name in helpers or neighbour.name == given.name or len(helpers) >= MAX_HELPERS:
                continue
            try:
                helpers[neighbour.name] = neighbour.read_bytes()
            except OSError:  # not there (a library's name), or unreadable: the check will say
                continue
            todo.append(helpers[neighbour.name])
    return Shipment(str(path), given.name, source, helpers)


def _imported(source: bytes) -> set[str]:
    """The top-level names of the absolute imports in ``source`` (none when it does not parse)."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return set()
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def run_shipment(check: Callable[[str], ModuleCheck], shipment: Shipment) -> ModuleCheck:
    """On the worker: write the submission and its helpers into a scratch folder, ``check`` the
    copy, and return the verdict naming the grader's path (in ``path``, ``problem``, ``output``).

    Parameters
    ----------
    check : callable
        Checks one module by its path, e.g. :func:`gradcheck.isolation.check_isolated` with the
        batch's seeds and limits.
    shipment : Shipment

    Returns
    -------
    ModuleCheck
    """
    with tempfile.TemporaryDirectory(prefix="gradcheck-shipped-", ignore_cleanup_errors=True) as scratch:
        folder = Path(scratch)
        for name, data in shipment.helpers.items():
            (folder / Path(name).name).write_bytes(data)
        copy = folder / Path(shipment.name).name
        if shipment.source is not None:
            copy.write_bytes(shipment.source)
        result = check(str(copy))
    problem = result.problem and result.problem.replace(str(copy), shipment.path)
    output = result.output.replace(str(copy), shipment.path)
    return replace(result, path=shipment.path, problem=problem, output=output)


class EngineError(GradcheckError):
    """The engine (a Dask scheduler, Ray) cannot be reached or stopped grading: no verdict of a
    submission, but the batch's; the verdicts decided before it stay in the journal."""


def worker_died(path: str, why: str) -> ModuleCheck:
    """The verdict on a submission whose worker died while checking it: unusable, a crash."""
    problem = (
        f"the worker checking it died ({why}); a module checked without isolation can end it "
        "(os._exit, a crash), else look at the worker's machine (memory, a lost node)"
    )
    return ModuleCheck(path, "unusable", problem, [], "crash")


class _ShippingExecutor(Executor):
    """What both executors share: ``submit(check, path)`` queues the submission, which is read
    (:func:`ship`) and launched while the engine has room (:meth:`_room`); the futures settle on
    a verdict when the worker dies; ``shutdown`` waits for (or cancels) what was submitted."""

    #: The engine, as its errors name it.
    engine = "the engine"

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._waiting: deque[tuple[Callable[[str], ModuleCheck], str, Future[Any]]] = deque()
        self._launched: dict[Future[Any], Any] = {}  # ours -> the engine's handle, kept alive
        self._closed = False

    def submit(self, fn: Callable[..., _T], /, *args: Any, **kwargs: Any) -> Future[_T]:
        """Run ``fn(path)`` on a worker, on a copy of the submission at ``path`` (:func:`ship`).

        Parameters
        ----------
        fn : callable
            Checks one module by its path and returns a :class:`ModuleCheck` (it is pickled to the
            worker: a module-level function or a ``functools.partial`` of one).
        *args
            The submission's path, alone.

        Returns
        -------
        concurrent.futures.Future
            Its verdict; a dead worker's submission gets :func:`worker_died`'s.
        """
        if len(args) != 1 or not isinstance(args[0], str | Path):
            raise TypeError("submit(check, path): one submission's path, checked by check(path)")
        check = functools.partial(fn, **kwargs) if kwargs else fn
        future: Future[_T] = Future()
        with self._lock:
            if self._closed:
                raise RuntimeError("cannot submit after shutdown")
            self._waiting.append((cast(Any, check), str(args[0]), future))
        self._pump()
        return future

    def _room(self) -> int:
        """How many submissions may be launched and not done at once."""
        raise NotImplementedError

    def _launch(self, check: Callable[[str], ModuleCheck], shipment: Shipment, future: Future[Any]) -> Any:
        """Start ``check`` on ``shipment`` and :meth:`_settle` ``future`` when it ends."""
        raise NotImplementedError

    def _pump(self) -> None:
        """Launch waiting submissions while there is room."""
        with self._lock:
            try:
                room = self._room()
            except Exception as error:  # the engine is gone: what waits fails with its error
                while self._waiting:
                    _, path, future = self._waiting.popleft()
                    _fail(future, self._stopped(path, error))
                return
            while self._waiting and len(self._launched) < room:
                check, path, future = self._waiting.popleft()
                if future.cancelled():
                    continue
                self._launched[future] = None  # taken before it may settle at once
                try:
                    handle = self._launch(check, ship(path), future)
                except Exception as error:
                    self._launched.pop(future, None)
                    _fail(future, self._stopped(path, error))
                    continue
                if future in self._launched:
                    self._launched[future] = handle

    def _settle(
        self,
        future: Future[Any],
        shipment: Shipment,
        outcome: Callable[[], ModuleCheck],
        deaths: tuple[type[BaseException], ...],
    ) -> None:
        """Set ``future`` from ``outcome()``: its verdict, :func:`worker_died`'s when it raises one
        of ``deaths`` (the engine's errors for a worker that died), else the error itself; then
        launch what waits."""
        try:
            if not future.set_running_or_notify_cancel():
                return  # cancelled by shutdown(cancel_futures=True)
            try:
                result = outcome()
            except deaths as error:
                first = str(error).split(". ")[0].rstrip(".")
                result = worker_died(shipment.path, f"{type(error).__name__}: {first}")
            except BaseException as error:
                future.set_exception(self._stopped(shipment.path, error))
                return
            future.set_result(result)
        finally:
            with self._lock:
                self._launched.pop(future, None)
            self._pump()

    def _stopped(self, path: str, error: BaseException) -> EngineError:
        """The :class:`EngineError` of a submission the engine did not check, caused by ``error``."""
        said = str(error).split("\n")[0] or "no message"
        why = f"{type(error).__name__}: {said}"
        stopped = EngineError(f"{self.engine} stopped before it checked {path} ({why})")
        stopped.__cause__ = error
        return stopped

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        """No more submissions; ``cancel_futures`` cancels those not done, ``wait`` waits for the
        rest. The Dask client or Ray itself is left running: its owner closes it."""
        with self._lock:
            self._closed = True
            pending = [future for *_, future in self._waiting] + list(self._launched)
        if cancel_futures:
            for future in pending:
                future.cancel()
        if wait:
            concurrent.futures.wait(pending)


def _fail(future: Future[Any], error: BaseException) -> None:
    """Set ``error`` on ``future``, unless it was cancelled."""
    if future.set_running_or_notify_cancel():
        future.set_exception(error)


class DaskExecutor(_ShippingExecutor):
    """Grades over a Dask cluster: each submission one impure task (``Client.submit(...,
    pure=False)``) that checks a copy of it on a worker.

    A task the scheduler gave up because its workers died (``KilledWorker``, after the
    scheduler's ``allowed-failures`` deaths, default 3) becomes :func:`worker_died`'s verdict.

    Parameters
    ----------
    client : distributed.Client
        Connected to the cluster, whose workers have gradcheck installed. Left open by
        :meth:`shutdown`: its owner closes it.

    Examples
    --------
    >>> from distributed import Client  # doctest: +SKIP
    >>> with Client("tcp://10.0.0.5:8786") as client:  # doctest: +SKIP
    ...     results = check_modules(paths, executor=DaskExecutor(client))
    """

    engine = "the Dask cluster"

    def __init__(self, client: Client) -> None:
        from distributed import KilledWorker

        super().__init__()
        self._client = client
        self._deaths: tuple[type[BaseException], ...] = (KilledWorker,)

    def _room(self) -> int:
        """One task per worker thread: a task waits here, not on a worker, so that a worker that
        dies takes down only the task it was running, not those queued behind it."""
        return max(1, sum(self._client.nthreads().values()))  # type: ignore[no-untyped-call]

    def _launch(self, check: Callable[[str], ModuleCheck], shipment: Shipment, future: Future[Any]) -> Any:
        task = self._client.submit(run_shipment, check, shipment, pure=False)
        settle = functools.partial(self._settle, future, shipment, deaths=self._deaths)
        task.add_done_callback(lambda done: settle(done.result))  # type: ignore[no-untyped-call]
        return task


class RayExecutor(_ShippingExecutor):
    """Grades with Ray: each submission one remote task (``max_retries=0``: a task whose worker
    died is not run again) that checks a copy of it on a worker.

    A task whose worker or node died (``WorkerCrashedError``, ``NodeDiedError``, Ray's
    ``OutOfMemoryError``) becomes :func:`worker_died`'s verdict. Ray must be initialised
    (``ray.init(address)``) before the executor is made, and stays so after :meth:`shutdown`.
    """

    engine = "Ray"

    def __init__(self) -> None:
        import ray
        from ray.exceptions import NodeDiedError, OutOfMemoryError, WorkerCrashedError

        super().__init__()
        self._ray: Any = ray  # typed or not, as Ray is installed or not where mypy runs
        self._task = ray.remote(max_retries=0)(run_shipment)
        self._deaths: tuple[type[BaseException], ...] = (WorkerCrashedError, NodeDiedError, OutOfMemoryError)

    def _room(self) -> int:
        """Twice the cluster's CPUs: the sources of a large batch are not all read at once."""
        return max(2, 2 * int(self._ray.cluster_resources().get("CPU", 1)))

    def _launch(self, check: Callable[[str], ModuleCheck], shipment: Shipment, future: Future[Any]) -> Any:
        reference = self._task.remote(check, shipment)
        settle = functools.partial(self._settle, future, shipment, deaths=self._deaths)
        reference.future().add_done_callback(lambda done: settle(done.result))
        return reference


#: The address that starts a cluster on this machine instead of joining one.
LOCAL = "local"


@contextmanager
def dask_executor(address: str, workers: int = 2) -> Iterator[DaskExecutor]:
    """A :class:`DaskExecutor` for one batch, its client closed after it.

    Parameters
    ----------
    address : str
        The scheduler's (``tcp://10.0.0.5:8786``), or ``"local"``: a cluster of ``workers``
        processes started on this machine for the batch (one thread each, listening on
        127.0.0.1 only, no dashboard), whose scheduler gives a task up after the second worker
        that dies running it (``allowed_failures=1``).
    workers : int, default 2
        Worker processes of a local cluster; a cluster at an address has its own.

    Raises
    ------
    ImportError
        When Dask's ``distributed`` is not installed (``pip install gradcheck[dask]``).
    EngineError
        When no scheduler answers at ``address`` (within Dask's connect timeout, 30 s by default).
    """
    distributed = _require("distributed", "dask", "--dask")
    if address != LOCAL:
        try:
            client = distributed.Client(address)
        except (OSError, ValueError, TypeError) as error:  # unreachable, or not an address
            raise EngineError(
                f"no Dask scheduler answered at {address} ({type(error).__name__}: {error}): start "
                f"one there (dask scheduler; then dask worker {address} on each machine), or grade "
                "here with --dask local"
            ) from error
        with _quiet("distributed"), client:  # a lost scheduler is an EngineError, not a log
            yield DaskExecutor(client)
        return
    with (
        distributed.LocalCluster(
            n_workers=workers,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=":0",  # its HTTP server on a free port (else 8787): no dashboard
            scheduler_kwargs={"allowed_failures": 1, "dashboard": False},
            silence_logs=logging.CRITICAL,
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        yield DaskExecutor(client)


@contextmanager
def ray_executor(address: str, workers: int = 2) -> Iterator[RayExecutor]:
    """A :class:`RayExecutor` for one batch: Ray initialised for it and shut down after it.

    Parameters
    ----------
    address : str
        The Ray cluster's (``ray://10.0.0.5:10001``, or a head's ``10.0.0.5:6379``; ``auto``:
        the cluster this machine belongs to), or ``"local"``: Ray started on this machine with
        ``workers`` CPUs, no dashboard.
    workers : int, default 2
        CPUs of a local Ray (a task takes one); a cluster at an address has its own.

    Raises
    ------
    ImportError
        When Ray is not installed (``pip install gradcheck[ray]``).
    EngineError
        When no Ray cluster answers at ``address``.
    """
    ray = _require("ray", "ray", "--ray")
    if address == LOCAL:
        ray.init(
            num_cpus=workers, include_dashboard=False, log_to_driver=False, logging_level=logging.WARNING
        )
    else:
        try:
            ray.init(address=address, log_to_driver=False, logging_level=logging.WARNING)
        except (ConnectionError, TimeoutError, ValueError, RuntimeError) as error:
            raise EngineError(
                f"no Ray cluster answered at {address} ({type(error).__name__}: {error}): start one "
                "(ray start --head on one machine, ray start --address=HEAD:6379 on the others), "
                "or grade here with --ray local"
            ) from error
    try:
        yield RayExecutor()
    finally:
        ray.shutdown()


@contextmanager
def _quiet(package: str) -> Iterator[None]:
    """Only critical log records from ``package``'s loggers (each may have its own level)."""
    names = [package, *(n for n in logging.root.manager.loggerDict if n.startswith(package + "."))]
    loggers = [logging.getLogger(name) for name in names]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)


def _require(module: str, extra: str, option: str) -> Any:
    """Import an optional engine, or say how to install it."""
    try:
        return importlib.import_module(module)
    except ImportError as error:
        raise ImportError(
            f"{option} needs {module}, which is not installed: pip install 'gradcheck[{extra}]'"
        ) from error

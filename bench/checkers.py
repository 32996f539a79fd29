"""gradcheck against the checkers people use today, on the same network, in one run.

Every checker verifies the full gradient of the course's network, tanh hidden layer, sigmoid
output, cross-entropy written on A2 (as the course writes it), float64, at four sizes:

    planar (2, 4, 1, 400)   medium (64, 32, 1, 256)   large (784, 64, 1, 512)   cat (12288, 7, 1, 209)

Rows (median wall time of REPS runs; ratio to torch fast_mode measured in the same run):

* gradcheck default / exhaustive / sampled: ``verify_gradients`` with ``mode=`` auto, exhaustive,
  sampled (16 entries per block);
* course loop: the course's ``gradient_check_n`` (flatten, ε = 1e-7, 2P evaluations);
* 2P floor: 2P bare cost evaluations (P × the median time of one, measured here);
* torch gradcheck (slow and ``fast_mode=True``), ``jax.test_util.check_grads`` (reverse mode,
  order 1), ``scipy.optimize.check_grad``.

Then the accuracy of each finite-difference method against the exact gradient (autograd) at the
planar and medium sizes, every entry.

``deep-cat`` is the course's 4-layer cat classifier instead (layer_dims [12288, 20, 7, 5, 1],
m = 209, ReLU hidden layers, sigmoid output, P = 245,973; :class:`DeepCat`), per initialisation
of ``--init``: torch ``gradcheck(fast_mode=True)``, gradcheck's default check (no X, Y) and
gradcheck with X and Y (it recognises the network and compares with autograd), timed in
interleaved rounds; one wrong entry (dW1[3, 100] × 1.01) and the evaluations that locate it;
what recognition costs (cProfile: the reference's forward passes, autograd, the rounding bound);
and the times against m (``--ms``).

Usage::

    pip install -e ".[bench]"
    python bench/checkers.py [--sizes deep-cat,planar,medium,large,cat] [--reps 3] [--skip-slow]
                             [--rows "gradcheck exhaustive,2P-evaluation floor"] [--no-accuracy]
                             [--ms 50,100,209,400] [--init he,0.01]

torch runs on ``OMP_NUM_THREADS`` threads when it is set (numpy's BLAS follows it too), else on
every core.

``--skip-slow`` leaves out the rows that cost 2P evaluations at the large and cat sizes (they
take minutes each); ``--rows`` keeps only the named rows (ratios are then to the first of torch
fast_mode and the floor that is kept). Peers that are not installed are reported as such.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time
import warnings
from collections.abc import Callable
from typing import Any

import autograd
import autograd.numpy as anp
import numpy as np

from gradcheck import verify_gradients
from gradcheck.numerical import GradcheckWarning, finite_differences

SIZES = {
    "planar": (2, 4, 1, 400),
    "medium": (64, 32, 1, 256),
    "large": (784, 64, 1, 512),
    "cat": (12288, 7, 1, 209),
}
NAMES = ("W1", "b1", "W2", "b2")
#: torch's threads: OMP_NUM_THREADS when set (it sets numpy's BLAS threads too), else every core.
THREADS = int(os.environ.get("OMP_NUM_THREADS") or os.cpu_count() or 1)


class Network:
    """Data, parameters, cost and hand-derived gradient of one size."""

    def __init__(self, size: str) -> None:
        n_x, n_h, n_y, m = SIZES[size]
        rng = np.random.default_rng(0)
        self.size, self.m = size, m
        self.X = rng.standard_normal((n_x, m))
        self.Y = (rng.random((n_y, m)) > 0.5).astype(float)
        self.params = {
            "W1": rng.standard_normal((n_h, n_x)) * 0.5 / np.sqrt(n_x),
            "b1": rng.standard_normal((n_h, 1)) * 0.1,
            "W2": rng.standard_normal((n_y, n_h)) * 0.5,
            "b2": rng.standard_normal((n_y, 1)) * 0.1,
        }
        self.P = sum(v.size for v in self.params.values())
        self.grads = self.backward(self.params)

    def expression(self, p: dict[str, Any]) -> Any:
        """The cost on autograd.numpy: differentiable by autograd and complex-safe."""
        A1 = anp.tanh(p["W1"] @ self.X + p["b1"])
        A2 = 1 / (1 + anp.exp(-(p["W2"] @ A1 + p["b2"])))
        return -anp.sum(self.Y * anp.log(A2) + (1 - self.Y) * anp.log(1 - A2)) / self.m

    def cost(self, p: dict[str, np.ndarray]) -> float:
        return float(self.expression(p))

    def backward(self, p: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        A1 = np.tanh(p["W1"] @ self.X + p["b1"])
        A2 = 1 / (1 + np.exp(-(p["W2"] @ A1 + p["b2"])))
        dZ2 = A2 - self.Y
        dZ1 = (p["W2"].T @ dZ2) * (1 - A1**2)
        m = self.m
        return {
            "W1": dZ1 @ self.X.T / m,
            "b1": dZ1.sum(1, keepdims=True) / m,
            "W2": dZ2 @ A1.T / m,
            "b2": dZ2.sum(1, keepdims=True) / m,
        }

    def flat(self, d: dict[str, np.ndarray]) -> np.ndarray:
        return np.concatenate([d[k].ravel() for k in NAMES])

    def unflat(self, v: np.ndarray) -> dict[str, np.ndarray]:
        out, i = {}, 0
        for k in NAMES:
            n = self.params[k].size
            out[k] = v[i : i + n].reshape(self.params[k].shape)
            i += n
        return out


# -- the checkers: each returns (what it said, cost evaluations or None) -----------------------


def gradcheck_row(net: Network, **options: Any) -> tuple[str, int]:
    report = verify_gradients(net.cost, net.params, net.grads, **options)
    return ("pass" if report.passed else "FAIL"), report.evaluations


def course_loop(net: Network) -> tuple[str, int]:
    """The course's gradient_check_n: every entry, ε = 1e-7, one flattened relative difference."""
    from course_network import COURSE_THRESHOLD, course_difference  # bench/, beside this script

    grads = {"d" + name: value for name, value in net.grads.items()}
    difference = course_difference(net.cost, net.params, grads)
    return ("pass" if difference < COURSE_THRESHOLD else "FAIL") + f" ({difference:.1e})", 2 * net.P


def floor_2p(net: Network) -> tuple[str, int]:
    """2P bare evaluations, timed on min(2P, 20000) of them and scaled."""
    count = min(2 * net.P, 20000)
    start = time.perf_counter()
    for _ in range(count):
        net.cost(net.params)
    elapsed = time.perf_counter() - start
    floor_2p.seconds = elapsed * 2 * net.P / count  # type: ignore[attr-defined]
    return "-", 2 * net.P


def scipy_row(net: Network) -> tuple[str, int]:
    from scipy.optimize import check_grad

    error = check_grad(
        lambda v: net.cost(net.unflat(v)),
        lambda v: net.flat(net.backward(net.unflat(v))),
        net.flat(net.params),
    )
    return f"error {error:.1e}", net.P + 1


def torch_row(net: Network, fast: bool) -> tuple[str, int | None]:
    import torch

    torch.set_num_threads(THREADS)
    X, Y = torch.tensor(net.X), torch.tensor(net.Y)

    def f(W1: Any, b1: Any, W2: Any, b2: Any) -> Any:
        A2 = torch.sigmoid(W2 @ torch.tanh(W1 @ X + b1) + b2)
        return -(Y * torch.log(A2) + (1 - Y) * torch.log(1 - A2)).mean()

    inputs = tuple(torch.tensor(net.params[k], requires_grad=True) for k in NAMES)
    ok = torch.autograd.gradcheck(f, inputs, fast_mode=fast, check_batched_grad=False)
    return ("pass" if ok else "FAIL"), None if fast else 2 * net.P


def jax_row(net: Network) -> tuple[str, int | None]:
    import jax

    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp
    from jax.test_util import check_grads

    X, Y = jnp.asarray(net.X), jnp.asarray(net.Y)

    def f(W1: Any, b1: Any, W2: Any, b2: Any) -> Any:
        A2 = jax.nn.sigmoid(W2 @ jnp.tanh(W1 @ X + b1) + b2)
        return -jnp.mean(Y * jnp.log(A2) + (1 - Y) * jnp.log(1 - A2))

    check_grads(f, tuple(jnp.asarray(net.params[k]) for k in NAMES), order=1, modes=["rev"])
    return "pass", None


# -- the course's 4-layer cat classifier: layer_dims [12288, 20, 7, 5, 1] ----------------------

DEEP_DIMS = (12288, 20, 7, 5, 1)
DEEP_NAMES = tuple(f"{kind}{layer}" for layer in range(1, len(DEEP_DIMS)) for kind in ("W", "b"))
#: The planted mistake: one entry of dW1 made 1% too large.
PLANTED = ("W1", (3, 100), 1.01)


class DeepCat:
    """The course's 4-layer cat classifier (Course 1, Week 4): ReLU hidden layers, sigmoid output.

    ``X ~ N(0, 1)`` (12288, m), ``Y`` Bernoulli(½), parameters from ``initialize_parameters_deep``
    (``init``: ``"0.01"`` the course's ``0.01 · N(0, 1)``, ``"he"`` ``N(0, 1) · √(2 / n_{l-1})``).
    The cost is written as a learner writes it, in numpy (forward pass, then the cross-entropy on
    AL); the gradients are ``L_model_backward``'s (network/deep.py).
    """

    def __init__(self, m: int, init: str) -> None:
        from gradcheck.network.deep import (
            L_model_backward,
            L_model_forward,
            initialize_parameters_deep,
        )
        from gradcheck.network.deep import Network as DeepNetwork

        rng = np.random.default_rng(0)
        self.m, self.init = m, init
        self.X = rng.standard_normal((DEEP_DIMS[0], m))
        self.Y = (rng.random((1, m)) < 0.5).astype(float)
        self.params = initialize_parameters_deep(DEEP_DIMS, seed=1, scale=0.01)
        if init == "he":
            for layer in range(1, len(DEEP_DIMS)):
                self.params[f"W{layer}"] *= np.sqrt(2.0 / DEEP_DIMS[layer - 1]) / 0.01
        self.P = sum(v.size for v in self.params.values())
        self.calls = 0  # of the cost
        network = DeepNetwork.of(len(DEEP_DIMS) - 1, "relu")
        AL, caches = L_model_forward(self.X, self.params, network)
        grads = L_model_backward(AL, self.Y, caches, network)
        self.grads = {f"d{name}": grads[f"d{name}"] for name in DEEP_NAMES}

    def cost(self, p: dict[str, np.ndarray]) -> float:
        self.calls += 1
        A = self.X
        for layer in range(1, len(DEEP_DIMS) - 1):
            A = np.maximum(0, p[f"W{layer}"] @ A + p[f"b{layer}"])
        L = len(DEEP_DIMS) - 1
        AL = 1 / (1 + np.exp(-(p[f"W{L}"] @ A + p[f"b{L}"])))
        return float(-np.sum(self.Y * np.log(AL) + (1 - self.Y) * np.log(1 - AL)) / self.m)

    def planted(self) -> dict[str, np.ndarray]:
        name, index, factor = PLANTED
        wrong = {key: value.copy() for key, value in self.grads.items()}
        wrong[f"d{name}"][index] *= factor
        return wrong


def deep_gradcheck(net: DeepCat, with_data: bool, wrong: bool = False) -> tuple[str, int]:
    data = {"X": net.X, "Y": net.Y} if with_data else {}
    calls = net.calls
    report = verify_gradients(net.cost, net.params, net.planted() if wrong else net.grads, **data)
    deep_gradcheck.calls = net.calls - calls  # type: ignore[attr-defined]
    if report.passed:
        return "pass", report.evaluations
    located = ", ".join(
        f"{r.label}{list(r.worst_index) if r.worst_index is not None else ''} ({r.n_failed} off)"
        for r in report.failed
    )
    return f"FAIL: {located}", report.evaluations


def deep_torch(net: DeepCat) -> tuple[str, None]:
    import torch

    torch.set_num_threads(THREADS)
    X, Y = torch.tensor(net.X), torch.tensor(net.Y)
    L = len(DEEP_DIMS) - 1

    def f(*tensors: Any) -> Any:
        p = dict(zip(DEEP_NAMES, tensors, strict=True))
        A = X
        for layer in range(1, L):
            A = torch.relu(p[f"W{layer}"] @ A + p[f"b{layer}"])
        AL = torch.sigmoid(p[f"W{L}"] @ A + p[f"b{L}"])
        return -(Y * torch.log(AL) + (1 - Y) * torch.log(1 - AL)).mean()

    inputs = tuple(torch.tensor(net.params[k], requires_grad=True) for k in DEEP_NAMES)
    ok = torch.autograd.gradcheck(f, inputs, fast_mode=True, check_batched_grad=False)
    return ("pass" if ok else "FAIL"), None


DEEP_ROWS: dict[str, Callable[[DeepCat], tuple[str, int | None]]] = {
    "torch gradcheck fast_mode": deep_torch,
    "gradcheck default (no X, Y)": lambda net: deep_gradcheck(net, with_data=False),
    "gradcheck with X, Y": lambda net: deep_gradcheck(net, with_data=True),
}


def interleaved(
    rows: dict[str, Callable[[DeepCat], tuple[str, int | None]]], net: DeepCat, reps: int
) -> dict[str, tuple[float, str, int | None]]:
    """Each row once per round, rounds repeated ``reps`` times (the machine's load hits every row
    alike); the median seconds of each, after a warm-up round."""
    for row in rows.values():
        row(net)
    times: dict[str, list[float]] = {name: [] for name in rows}
    said: dict[str, tuple[str, int | None]] = {}
    for _ in range(reps):
        for name, row in rows.items():
            start = time.perf_counter()
            said[name] = row(net)
            times[name].append(time.perf_counter() - start)
    return {name: (statistics.median(times[name]), *said[name]) for name in rows}


def recognition_cost(net: DeepCat) -> dict[str, tuple[int, float]]:
    """One ``verify_gradients`` call with X and Y under cProfile: calls and seconds of recognition and
    of what it runs (the reference's forward passes, autograd, the rounding bound, kinks)."""
    import cProfile
    import pstats

    profiler = cProfile.Profile()
    profiler.enable()
    verify_gradients(net.cost, net.params, net.grads, X=net.X, Y=net.Y)
    profiler.disable()
    stats = pstats.Stats(profiler).stats  # type: ignore[attr-defined]

    def of(target: Any) -> tuple[int, float]:
        """Calls and cumulative seconds of ``target``: a function, or ``(file suffix, name)``."""
        if isinstance(target, tuple):
            suffix, wanted = target
            hits = [v for (file, _, name), v in stats.items() if file.endswith(suffix) and name == wanted]
        else:
            where = (target.__code__.co_filename, target.__code__.co_firstlineno)
            hits = [v for (file, line, _), v in stats.items() if (file, line) == where]
        return sum(v[1] for v in hits), sum(v[3] for v in hits)

    import gradcheck.network.deep as deep
    import gradcheck.network.deep_model as deep_model
    import gradcheck.recognise as recognise

    return {
        "verify_gradients": of(verify_gradients),
        "recognise": of(recognise.recognise),
        "the learner's cost": of(DeepCat.cost),
        "L_model_forward (reference forward passes)": of(deep.L_model_forward),
        "DeepReference.fit (λ solved per candidate)": of(deep_model.DeepReference.fit),
        "_best_match (candidates at the point, then 2 nearby)": of(recognise._best_match),
        "autograd.grad of the exact cost": of(("autograd/differential_operators.py", "grad")),
        "rounding_magnitude": of(deep_model.rounding_magnitude),
        "DeepReference.kinked": of(deep_model.DeepReference.kinked),
    }


def deep_cat(reps: int, ms: list[int], init: str) -> None:
    net = DeepCat(209, init)
    print(
        f"\n### deep-cat: layer_dims {list(DEEP_DIMS)}, m = 209, P = {net.P:,}, ReLU hidden layers, "
        f"sigmoid output, init {init}\n"
    )
    results = interleaved(DEEP_ROWS, net, reps)
    base = results["torch gradcheck fast_mode"][0]
    print("| checker | seconds | × torch gradcheck fast_mode | evaluations | says |")
    print("|---|---:|---:|---:|---|")
    for name, (seconds, said, evaluations) in results.items():
        shown = "-" if evaluations is None else str(evaluations)
        print(f"| {name} | {seconds:.4g} | {seconds / base:.3g} | {shown} | {said} |", flush=True)
    name, index, factor = PLANTED
    value = net.grads[f"d{name}"][index]
    print(f"\nOne wrong entry: d{name}{list(index)} × {factor} (its value {value:.3g}).\n")
    print("| checker | seconds | report's evaluations | calls of the cost | says |")
    print("|---|---:|---:|---:|---|")
    for with_data in (False, True):
        start = time.perf_counter()
        said, evaluations = deep_gradcheck(net, with_data, wrong=True)
        seconds = time.perf_counter() - start
        label = "gradcheck with X, Y" if with_data else "gradcheck default (no X, Y)"
        calls = deep_gradcheck.calls  # type: ignore[attr-defined]
        print(f"| {label} | {seconds:.4g} | {evaluations} | {calls} | {said} |", flush=True)
    print("\nWhat recognition costs (one call with X, Y, under cProfile):\n")
    print("| function | calls | cumulative seconds |")
    print("|---|---:|---:|")
    for label, (calls, seconds) in recognition_cost(net).items():
        print(f"| {label} | {calls} | {seconds:.3f} |")
    print(f"\nTime against m ({reps} interleaved rounds each):\n")
    print(
        "| m | torch fast_mode s | default s | with X, Y s | default × torch | with X, Y × torch "
        "| reference forward passes |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|")
    for m in ms:
        net = DeepCat(m, init)
        timed_rows = interleaved(DEEP_ROWS, net, reps)
        torch_s, default_s, data_s = (timed_rows[name][0] for name in DEEP_ROWS)
        forwards = recognition_cost(net)["L_model_forward (reference forward passes)"][0]
        print(
            f"| {m} | {torch_s:.4g} | {default_s:.4g} | {data_s:.4g} | {default_s / torch_s:.2f} "
            f"| {data_s / torch_s:.2f} | {forwards} |",
            flush=True,
        )


ROWS: dict[str, tuple[Callable[[Network], tuple[str, int | None]], bool]] = {
    # name: (checker, costs ~2P evaluations)
    "gradcheck default": (lambda net: gradcheck_row(net), False),
    "gradcheck sampled (16/block)": (lambda net: gradcheck_row(net, mode="sampled", samples=16), False),
    "gradcheck exhaustive": (lambda net: gradcheck_row(net, mode="exhaustive"), True),
    "2P-evaluation floor": (floor_2p, False),
    "course gradient_check_n": (course_loop, True),
    "torch gradcheck fast_mode": (lambda net: torch_row(net, fast=True), False),
    "torch gradcheck": (lambda net: torch_row(net, fast=False), True),
    "jax check_grads": (jax_row, False),
    "scipy check_grad": (scipy_row, True),
}


def timed(
    row: Callable[[Network], tuple[str, int | None]], net: Network, reps: int
) -> tuple[float, str, Any]:
    times, said, evaluations = [], "", None
    for _ in range(reps):
        start = time.perf_counter()
        said, evaluations = row(net)
        times.append(getattr(floor_2p, "seconds", None) if row is floor_2p else time.perf_counter() - start)
    return statistics.median(times), said, evaluations


def speed(sizes: list[str], reps: int, skip_slow: bool) -> None:
    for size in sizes:
        net = Network(size)
        results: dict[str, tuple[float, str, Any] | None] = {}
        for name, (row, slow) in ROWS.items():
            if slow and skip_slow and size in ("large", "cat"):
                results[name] = None
                continue
            n_reps = 1 if slow and size in ("large", "cat") else reps
            try:
                if not slow:
                    row(net)  # warm-up: imports, jit
                results[name] = timed(row, net, n_reps)
            except ImportError as error:
                results[name] = (float("nan"), f"not installed ({error.name})", None)
            except AssertionError as error:  # a checker that raises on correct code: a false alarm
                first = next((line for line in str(error).splitlines() if "difference" in line), "")
                results[name] = (float("nan"), f"FAIL (raised on correct code: {first.strip()})", None)
        base_name = next(
            (n for n in ("torch gradcheck fast_mode", "2P-evaluation floor") if results.get(n)), None
        )
        base = results[base_name] if base_name else None
        print(f"\n### {size}: (n_x, n_h, n_y, m) = {SIZES[size]}, P = {net.P}\n")
        print(f"| checker | seconds | × {base_name or '-'} | evaluations | says |")
        print("|---|---:|---:|---:|---|")
        for name, result in results.items():
            if result is None:
                print(f"| {name} | skipped | | | |")
                continue
            seconds, said, evaluations = result
            ratio = seconds / base[0] if base and base[0] == base[0] else float("nan")
            shown = "-" if evaluations is None else str(evaluations)
            print(f"| {name} | {seconds:.4g} | {ratio:.3g} | {shown} | {said} |", flush=True)


def accuracy(sizes: list[str]) -> None:
    print("\n### Finite-difference accuracy against the exact gradient (autograd), every entry\n")
    print(
        "| size | method | block relative error | worst entry / its error estimate | evaluations per entry |"
    )
    print("|---|---|---:|---:|---:|")
    for size in sizes:
        net = Network(size)
        exact = autograd.grad(net.expression)({k: v.copy() for k, v in net.params.items()})
        e = net.flat(exact)
        for method in ("forward", "central", "richardson", "complex"):
            cost = net.expression if method == "complex" else net.cost  # complex needs no float()
            with warnings.catch_warnings():
                warnings.simplefilter("error", GradcheckWarning)
                fd = finite_differences(cost, net.params, method=method)
            n = net.flat(fd.gradient)
            ratio = np.max(np.abs(n - e) / net.flat(fd.error))
            per_entry = (fd.evaluations - 10) / net.P
            print(
                f"| {size} | {fd.method} | {np.linalg.norm(n - e) / np.linalg.norm(e):.1e} | "
                f"{ratio:.2g} | {per_entry:.0f} |"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="deep-cat,planar,medium,large,cat")
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--skip-slow", action="store_true")
    parser.add_argument("--rows", default=",".join(ROWS), help="comma-separated row names (default: all)")
    parser.add_argument("--no-accuracy", action="store_true")
    parser.add_argument("--ms", default="50,100,209,400", help="deep-cat: the m of the growth table")
    parser.add_argument("--init", default="he,0.01", help="deep-cat: initialisations, he and/or 0.01")
    args = parser.parse_args()
    sizes = [size for size in args.sizes.split(",") if size != "deep-cat"]
    for name in list(ROWS):
        if name not in args.rows.split(","):
            del ROWS[name]
    print(
        f"machine: {platform.platform()}, {os.cpu_count()} CPUs, Python {platform.python_version()}, "
        f"numpy {np.__version__}"
    )
    if "deep-cat" in args.sizes.split(","):
        for init in args.init.split(","):
            deep_cat(args.reps, [int(m) for m in args.ms.split(",")], init)
    speed(sizes, args.reps, args.skip_slow)
    if not args.no_accuracy:
        accuracy([s for s in sizes if s in ("planar", "medium")] or ["planar"])


if __name__ == "__main__":
    main()

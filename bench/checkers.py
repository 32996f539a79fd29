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

Usage::

    pip install -e ".[bench]"
    python bench/checkers.py [--sizes planar,medium,large,cat] [--reps 3] [--skip-slow]
                             [--rows "gradcheck exhaustive,2P-evaluation floor"] [--no-accuracy]

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
    theta, grad, eps = net.flat(net.params), net.flat(net.grads), 1e-7
    approx = np.empty_like(theta)
    for i in range(theta.size):
        plus, minus = theta.copy(), theta.copy()
        plus[i] += eps
        minus[i] -= eps
        approx[i] = (net.cost(net.unflat(plus)) - net.cost(net.unflat(minus))) / (2 * eps)
    difference = np.linalg.norm(grad - approx) / (np.linalg.norm(grad) + np.linalg.norm(approx))
    return ("pass" if difference < 2e-7 else "FAIL") + f" ({difference:.1e})", 2 * theta.size


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

    torch.set_num_threads(os.cpu_count() or 1)
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
    parser.add_argument("--sizes", default="planar,medium,large,cat")
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--skip-slow", action="store_true")
    parser.add_argument("--rows", default=",".join(ROWS), help="comma-separated row names (default: all)")
    parser.add_argument("--no-accuracy", action="store_true")
    args = parser.parse_args()
    sizes = args.sizes.split(",")
    for name in list(ROWS):
        if name not in args.rows.split(","):
            del ROWS[name]
    print(
        f"machine: {platform.platform()}, {os.cpu_count()} CPUs, Python {platform.python_version()}, "
        f"numpy {np.__version__}"
    )
    speed(sizes, args.reps, args.skip_slow)
    if not args.no_accuracy:
        accuracy([s for s in sizes if s in ("planar", "medium")] or ["planar"])


if __name__ == "__main__":
    main()

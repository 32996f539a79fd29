"""The first stage: check a call's arguments and turn them into what the engine works on.

Every problem with the call itself is a :class:`GradcheckError` that says what is wrong and how to
fix it, raised before any work; nothing the caller passed is modified (arrays are copied here).
A gradient that is missing or not numeric is not an error of the call but a failed entry, made
here too (:func:`gather_gradients`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from gradcheck.errors import GradcheckError
from gradcheck.network.activations import Activation, get_activation
from gradcheck.numerical import check_method
from gradcheck.report import Diagnosis, GradientResult

__all__ = [
    "MODES",
    "Options",
    "check_options",
    "check_step",
    "failed_result",
    "gather_gradients",
    "inputs",
    "least_precision",
]

#: How finite differences cover each block (see ``verify_gradients(mode=...)``).
MODES = ("auto", "exhaustive", "sampled", "directional")


@dataclass(frozen=True)
class Options:
    """The options of one check (see :func:`gradcheck.verify_gradients` for each)."""

    method: str = "central"
    step: float | None = None
    safety: float = 100.0
    mode: str = "auto"
    directions: int = 2
    samples: int = 16
    seed: int = 0
    max_wrong: int = 8


def check_options(options: Options, activation: Any, m: Any) -> Activation | None:
    """Raise :class:`GradcheckError` for a bad option; return the activation asked for, built."""
    safety = options.safety
    if not (isinstance(safety, int | float) and np.isfinite(safety) and safety > 0):
        raise GradcheckError(f"safety must be a positive number, got {safety!r}")
    check_method(options.method, options.step)
    if not isinstance(options.mode, str) or options.mode not in MODES:
        raise GradcheckError(f"unknown mode {options.mode!r}; choose one of {', '.join(MODES)}")
    for option in ("directions", "samples", "max_wrong"):
        value = getattr(options, option)
        if not (isinstance(value, int) and not isinstance(value, bool) and value >= 1):
            raise GradcheckError(f"{option} must be a positive integer, got {value!r}")
    seed = options.seed
    if not (isinstance(seed, int | np.integer) and not isinstance(seed, bool) and seed >= 0):
        raise GradcheckError(f"seed must be a non-negative integer, got {seed!r}")
    built = None
    if activation is not None:
        try:
            built = get_activation(activation)
        except (TypeError, ValueError) as error:
            raise GradcheckError(
                "activation must be a name such as 'tanh' or get_activation('leaky_relu', alpha=0.2): "
                f"{error}"
            ) from error
    if m is not None and not (isinstance(m, int | np.integer) and not isinstance(m, bool) and m >= 1):
        raise GradcheckError(f"m (the number of examples) must be a positive integer, got {m!r}")
    return built


def check_step(step: float | None, point: Mapping[str, np.ndarray]) -> None:
    """Raise :class:`GradcheckError` when a caller's ``step`` cannot move some entry in float64."""
    if step is None:
        return
    for name, theta in point.items():
        still = np.argwhere((theta + step) - theta == 0)
        if still.size:
            index = tuple(int(i) for i in still[0])
            raise GradcheckError(
                f"step={step:g} is too small to move {name}{list(index)} = {theta[index]:g}: in float64 "
                "θ + step rounds back to θ; use a step of at least "
                f"{4 * np.spacing(abs(theta[index])):g} "
                "(1e-6 times the entries' size is usual), or leave step out for the default"
            )


def gather_gradients(
    gradients: Mapping[str, Any], point: Mapping[str, np.ndarray]
) -> tuple[dict[str, tuple[str, np.ndarray]], dict[str, GradientResult], tuple[str, ...]]:
    """Each parameter's analytic gradient as a float array, or a failed result saying why not.

    Returns
    -------
    usable : dict of str to (str, ndarray)
        Parameter name -> (the key it came under, a float copy).
    failed : dict of str to GradientResult
        Gradients that are missing (``missing_gradient``) or not numeric (``invalid_gradient``).
    ignored : tuple of str
        Keys that name no parameter (``dZ1``, ``dA1``): left unchecked.
    """
    if not isinstance(gradients, Mapping):
        raise GradcheckError(
            f"gradients must be a dict such as {{'dW1': dW1, 'db1': db1}}, got a {type(gradients).__name__}"
        )
    usable: dict[str, tuple[str, np.ndarray]] = {}
    failed: dict[str, GradientResult] = {}
    for name, theta in point.items():
        key, raw = _lookup(gradients, name)
        if key is None:
            have = ", ".join(map(repr, gradients)) or "no keys"
            why = f"no gradient for {name}: gradients has no key 'd{name}' (nor '{name}'); it has {have}"
            failed[name] = failed_result(name, theta.shape, Diagnosis("missing_gradient", why))
            continue
        array = _as_float_array(raw)
        if array is None:
            why = (
                f"{key} is a {type(raw).__name__}, not a numeric array; return a numpy float array "
                f"of shape {theta.shape}"
            )
            failed[name] = failed_result(name, theta.shape, Diagnosis("invalid_gradient", why), key)
            continue
        usable[name] = (key, array)
    ignored = tuple(str(k) for k in gradients if not any(k == n or k == f"d{n}" for n in point))
    return usable, failed, ignored


def least_precision(*values: Any) -> float:
    """The machine epsilon of the least precise floating-point array among ``values``.

    Gradients computed from float32 data or parameters carry float32's rounding even when the
    arithmetic promotes them to float64 (``A2 - Y`` with a float64 ``Y``): they can only be judged
    to the precision of what they were computed from.

    Parameters
    ----------
    *values
        Arrays, or mappings of arrays (the parameters); anything else is ignored.

    Returns
    -------
    float
        ``max ε`` over their floating dtypes; float64's ``ε`` (2.2e-16) when none has one.
    """
    eps = float(np.finfo(np.float64).eps)
    for value in values:
        for item in value.values() if isinstance(value, Mapping) else (value,):
            dtype = getattr(item, "dtype", None)
            if isinstance(dtype, np.dtype) and dtype.kind == "f":
                eps = max(eps, float(np.finfo(dtype).eps))
    return eps


def inputs(X: Any, Y: Any) -> tuple[np.ndarray, np.ndarray]:
    """``X`` (n_x, m) and ``Y`` (n_y, m) as read-only float64 arrays; a (m,) ``Y`` becomes (1, m).

    A float64 array is not copied: the result is a read-only view of it (the caller's own array
    stays writeable), so that nothing gradcheck hands it to can change it. A complex array is an
    error: the cast to float64 would drop its imaginary part without a word.
    """
    for label, value in (("X", X), ("Y", Y)):
        dtype = getattr(value, "dtype", None)
        if isinstance(dtype, np.dtype) and dtype.kind == "c":
            raise GradcheckError(
                f"{label} has dtype {dtype}; X and Y must be real numbers (a cast to float would drop "
                f"the imaginary part): pass {label}.real if it is zero"
            )
    try:
        X = np.asarray(X, dtype=np.float64).view()
        Y = np.asarray(Y, dtype=np.float64).view()
    except (TypeError, ValueError) as error:
        raise GradcheckError(f"X and Y must be numeric arrays: {error}") from error
    if Y.ndim == 1:
        Y = Y.reshape(1, -1)
    if X.ndim != 2 or Y.ndim != 2 or X.shape[1] != Y.shape[1]:
        raise GradcheckError(
            f"X must be (n_x, m) and Y (n_y, m) or (m,) with the same m; got X {X.shape} and Y {Y.shape} "
            "(examples are columns: transpose if yours are rows)"
        )
    if X.shape[1] == 0:
        raise GradcheckError(f"X has no examples (shape {X.shape}); pass at least one column")
    for label, array in (("X", X), ("Y", Y)):
        if not np.all(np.isfinite(array)):
            bad = tuple(int(i) for i in np.argwhere(~np.isfinite(array))[0])
            raise GradcheckError(f"{label} holds {array[bad]} at {label}{list(bad)}; pass finite data")
    X.flags.writeable = False
    Y.flags.writeable = False
    return X, Y


def _lookup(gradients: Mapping[str, Any], name: str) -> tuple[str | None, Any]:
    for key in (f"d{name}", name):
        if key in gradients:
            return key, gradients[key]
    return None, None


def _as_float_array(raw: Any) -> np.ndarray | None:
    try:
        array = np.array(raw, copy=True)
    except (TypeError, ValueError):
        return None
    if array.dtype.kind == "f":
        return array
    if array.dtype.kind in "iu":
        return array.astype(np.float64)
    return None


def failed_result(
    name: str, expected: tuple[int, ...], diagnosis: Diagnosis, key: str | None = None
) -> GradientResult:
    """A gradient that could not be judged: every entry failed, for ``diagnosis``."""
    size = int(np.prod(expected))
    return GradientResult(
        name=name,
        gradient_key=key,
        passed=False,
        expected_shape=expected,
        shape=None,
        relative_error=float("nan"),
        size=size,
        n_failed=size,
        diagnosis=diagnosis,
    )

"""Input validation shared by the numeric modules.

Every public numeric function in :mod:`klnotes` validates concrete inputs and
raises a :class:`TypeError` or :class:`ValueError` that names the argument and
the problem. Inputs that are JAX tracers (inside ``jit``/``grad``/``vmap``)
cannot be inspected for their values; only their shapes and dtypes are checked.
"""

from __future__ import annotations

import math
from typing import Any

import jax
import numpy as np

#: Absolute tolerance on ``sum(p) - 1`` for a distribution to count as normalised.
NORMALISATION_ATOL = 1e-6


def is_traced(x: Any) -> bool:
    """True if ``x`` is an abstract JAX value whose entries cannot be read."""
    return isinstance(x, jax.core.Tracer)


def is_jax(*xs: Any) -> bool:
    """True if any argument is a JAX array (concrete or traced)."""
    return any(isinstance(x, jax.Array) for x in xs)


def as_float_array(x: Any, name: str) -> Any:
    """Return ``x`` as a float array, rejecting non-numeric input with TypeError.

    NumPy input comes back as a float64 ``numpy.ndarray``; JAX input stays a JAX
    array (float64 when ``jax_enable_x64`` is on, as :mod:`klnotes` sets).
    """
    if isinstance(x, jax.Array):
        if not (
            jax.numpy.issubdtype(x.dtype, jax.numpy.floating)
            or jax.numpy.issubdtype(x.dtype, jax.numpy.integer)
            or jax.numpy.issubdtype(x.dtype, jax.numpy.bool_)
        ):
            raise TypeError(f"{name} must be a real numeric array, got dtype {x.dtype}")
        return x.astype(jax.numpy.float64)
    if isinstance(x, (str, bytes)) or x is None:
        raise TypeError(f"{name} must be a real numeric array, got {type(x).__name__}")
    try:
        arr = np.asarray(x)
    except Exception as exc:  # pragma: no cover - exotic inputs
        raise TypeError(f"{name} must be array-like: {exc}") from exc
    if arr.dtype == object or not (
        np.issubdtype(arr.dtype, np.floating)
        or np.issubdtype(arr.dtype, np.integer)
        or np.issubdtype(arr.dtype, np.bool_)
    ):
        raise TypeError(f"{name} must be a real numeric array, got dtype {arr.dtype}")
    return arr.astype(np.float64)


def require_finite(x: Any, name: str) -> None:
    """Raise ValueError if a concrete ``x`` has NaN or infinite entries."""
    if is_traced(x):
        return
    if not np.all(np.isfinite(np.asarray(x))):
        raise ValueError(f"{name} has non-finite entries (NaN or inf)")


def require_distribution(p: Any, name: str, axis: int = -1) -> None:
    """Raise ValueError unless ``p`` is finite, non-negative and sums to one."""
    if np.ndim(p) == 0:
        raise ValueError(
            f"{name} must have at least one axis of outcomes, got a scalar"
        )
    if np.shape(p)[axis] == 0:
        raise ValueError(f"{name} has no outcomes (empty axis)")
    if is_traced(p):
        return
    arr = np.asarray(p)
    require_finite(arr, name)
    if np.any(arr < 0):
        raise ValueError(f"{name} has negative entries (min {arr.min():.3g})")
    total = arr.sum(axis=axis)
    off = np.ravel(np.abs(total - 1.0))
    worst = float(np.max(off))
    if worst > NORMALISATION_ATOL:
        raise ValueError(
            f"{name} is not normalised: entries sum to {np.ravel(total)[np.argmax(off)]:.12g}"
            f" (off by {worst:.3g}, tolerance {NORMALISATION_ATOL:g})"
        )


def require_same_shape(a: Any, b: Any, name_a: str, name_b: str) -> None:
    """Raise ValueError unless ``a`` and ``b`` have identical shapes."""
    if np.shape(a) != np.shape(b):
        raise ValueError(
            f"shape mismatch: {name_a} has shape {np.shape(a)}"
            f" but {name_b} has shape {np.shape(b)}"
        )


def require_positive(x: Any, name: str) -> None:
    """Raise ValueError unless every entry of a concrete ``x`` is finite and > 0."""
    if is_traced(x):
        return
    require_finite(x, name)
    if np.any(np.asarray(x) <= 0):
        raise ValueError(f"{name} must be positive, got min {np.min(x):.3g}")


def real_scalar(x: Any, name: str, *, allow_inf: bool = False) -> float:
    """A real number as a float (finite unless ``allow_inf``); bools are rejected."""
    if isinstance(x, bool) or not isinstance(x, (int, float, np.integer, np.floating)):
        raise TypeError(f"{name} must be a real number, got {type(x).__name__}")
    v = float(x)
    if math.isnan(v) or (math.isinf(v) and not allow_inf):
        raise ValueError(f"{name} must be finite, got {v!r}")
    return v


def positive_scalar(x: Any, name: str, *, allow_inf: bool = False) -> float:
    """A real number > 0 as a float (finite unless ``allow_inf``); bools are rejected."""
    v = real_scalar(x, name, allow_inf=allow_inf)
    if v <= 0:
        raise ValueError(f"{name} must be positive, got {v!r}")
    return v


def whole_number(x: Any, name: str, minimum: int = 0) -> int:
    """An int (Python or NumPy, not bool) that is at least ``minimum``."""
    if isinstance(x, bool) or not isinstance(x, (int, np.integer)):
        raise TypeError(f"{name} must be an int, got {type(x).__name__} {x!r}")
    if int(x) < minimum:
        what = "a non-negative int" if minimum == 0 else f"an int >= {minimum}"
        raise ValueError(f"{name} must be {what}, got {x}")
    return int(x)


def positive_array(x: Any, name: str) -> Any:
    """``x`` as a float array whose entries are all finite and > 0."""
    arr = as_float_array(x, name)
    require_positive(arr, name)
    return arr


def finite_array(x: Any, name: str) -> Any:
    """``x`` as a float array whose entries are all finite."""
    arr = as_float_array(x, name)
    require_finite(arr, name)
    return arr


def probability_array(p: Any, name: str, *, open_interval: bool = False) -> Any:
    """``p`` as a float array of probabilities in [0, 1] (or (0, 1) if ``open_interval``)."""
    arr = finite_array(p, name)
    if is_traced(arr):
        return arr
    a = np.asarray(arr)
    bad = (a <= 0) | (a >= 1) if open_interval else (a < 0) | (a > 1)
    if np.any(bad):
        where = "strictly between 0 and 1" if open_interval else "in [0, 1]"
        raise ValueError(
            f"{name} must lie {where}, got values in [{a.min():.3g}, {a.max():.3g}]"
        )
    return arr

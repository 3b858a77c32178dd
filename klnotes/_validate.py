"""Input validation shared by every klnotes module.

Every public function of :mod:`klnotes` checks its arguments with the helpers
here and raises a :class:`TypeError` (wrong kind of object) or
:class:`ValueError` (right kind, bad value or shape) whose message starts
with, or contains, the name of the argument and says what is wrong:
``"p is not normalised: entries sum to 1.3"``, ``"dt must be positive, got
0.0"``, ``"key must be a JAX PRNG key, got int"``. Valid input is never
silently turned into NaN or into an array of the wrong shape.

The classes of bad input, and how they are reported:

* wrong type (a string, ``None``, a complex or object array, a float where an
  int is needed, a bool where a number is needed): ``TypeError``;
* NaN, or an infinity where it has no meaning: ``ValueError`` ("non-finite",
  "must be finite");
* negative probabilities, variances, rates, times: ``ValueError``
  ("negative", "must be positive", "must lie in [0, 1]");
* distributions that do not sum to one (within :data:`NORMALISATION_ATOL`):
  ``ValueError`` ("not normalised");
* wrong or mismatched shapes, and mixed conventions (a vector of variances
  for one argument and a covariance matrix for the other): ``ValueError``
  ("shape");
* empty input where at least one outcome, sample or level is needed:
  ``ValueError`` ("empty", "no outcomes", "at least"). Elementwise functions
  (``binary_entropy``, ``bernoulli_kl``, ``prob_to_db``, …) map an empty
  array to an empty array, as NumPy does.

NumPy scalars and arrays are accepted wherever Python numbers and lists are
(``numpy.int64(10)`` is an int, ``numpy.float32(0.5)`` a real number, a 0-d
array a scalar).

**Under ``jit`` tracing** (also ``grad`` and ``vmap``) an argument is an
abstract :class:`jax.core.Tracer`: its shape and dtype are known, its values
are not. So inside a traced function klnotes still checks *types, dtypes and
shapes* — a complex array, a shape mismatch between ``p`` and ``q``, a
covariance of the wrong shape, an empty outcome axis all raise at trace time,
exactly as outside ``jit`` — but it *cannot* check values: NaN or inf
entries, negative entries, normalisation, symmetry or positive-definiteness
of a covariance, and the range of a probability are checked only for concrete
(non-traced) inputs. Validate concrete data before tracing, or call the
function once outside ``jit``, if the values may be bad.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Iterable
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

#: Absolute tolerance on ``sum(p) - 1`` for a distribution to count as normalised.
NORMALISATION_ATOL = 1e-6


# ---------------------------------------------------------------------------
# what kind of object is it


def is_traced(x: Any) -> bool:
    """True if ``x`` is an abstract JAX value whose entries cannot be read."""
    return isinstance(x, jax.core.Tracer)


def is_jax(*xs: Any) -> bool:
    """True if any argument is a JAX array (concrete or traced)."""
    return any(isinstance(x, jax.Array) for x in xs)


def type_name(x: Any) -> str:
    """A short description of the type of ``x`` for error messages."""
    if isinstance(x, (np.ndarray, jax.Array)):
        return f"{type(x).__name__} of dtype {x.dtype} and shape {tuple(np.shape(x))}"
    return type(x).__name__


def _is_real_dtype(dtype: Any) -> bool:
    return bool(
        np.issubdtype(dtype, np.floating)
        or np.issubdtype(dtype, np.integer)
        or np.issubdtype(dtype, np.bool_)
    )


# ---------------------------------------------------------------------------
# arrays


def as_float_array(x: Any, name: str) -> Any:
    """Return ``x`` as a float array, rejecting non-numeric input with TypeError.

    NumPy input (and lists, tuples, Python and NumPy scalars) comes back as a
    float64 ``numpy.ndarray``; JAX input, concrete or traced, stays a JAX
    array (float64 when ``jax_enable_x64`` is on, as :mod:`klnotes` sets).
    Strings, ``None``, mappings, complex and object arrays are rejected.
    """
    if isinstance(x, jax.Array):
        if jnp.issubdtype(x.dtype, jax.dtypes.prng_key) or not _is_real_dtype(x.dtype):
            raise TypeError(
                f"{name} must be a real numeric array, got dtype {x.dtype}"
            )
        return x.astype(jnp.float64)
    if isinstance(x, (str, bytes, dict, set, frozenset)) or x is None or callable(x):
        raise TypeError(f"{name} must be a real numeric array, got {type(x).__name__}")
    try:
        arr = np.asarray(x)
    except Exception as exc:  # ragged nested lists and other non-arrays
        raise TypeError(f"{name} must be a real numeric array: {exc}") from None
    if arr.dtype == object or not _is_real_dtype(arr.dtype):
        raise TypeError(f"{name} must be a real numeric array, got dtype {arr.dtype}")
    return arr.astype(np.float64)


def require_finite(x: Any, name: str) -> None:
    """Raise ValueError if a concrete ``x`` has NaN or infinite entries."""
    if is_traced(x):
        return
    if not np.all(np.isfinite(np.asarray(x))):
        raise ValueError(f"{name} has non-finite entries (NaN or inf)")


def require_not_nan(x: Any, name: str) -> None:
    """Raise ValueError if a concrete ``x`` has NaN entries (infinities are allowed)."""
    if is_traced(x):
        return
    if np.any(np.isnan(np.asarray(x))):
        raise ValueError(f"{name} has NaN entries (non-finite values that mean nothing)")


def require_nonempty(x: Any, name: str, what: str = "entries") -> None:
    """Raise ValueError if ``x`` has no entries at all."""
    if np.size(x) == 0:
        raise ValueError(f"{name} is empty (no {what}), got shape {np.shape(x)}")


def require_ndim(x: Any, name: str, ndim: int, what: str = "") -> None:
    """Raise ValueError unless ``x`` has exactly ``ndim`` axes."""
    if np.ndim(x) != ndim:
        desc = f" ({what})" if what else ""
        raise ValueError(f"{name} must be {ndim}-D{desc}, got shape {np.shape(x)}")


def require_distribution(
    p: Any, name: str, axis: int = -1, *, atol: float = NORMALISATION_ATOL
) -> None:
    """Raise ValueError unless ``p`` is finite, non-negative and sums to one (within ``atol``).

    ``axis`` holds the outcomes; other axes are a batch of distributions
    (possibly an empty batch). Under tracing only the shape is checked.
    """
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
    if arr.size == 0:  # an empty batch of distributions
        return
    total = arr.sum(axis=axis)
    off = np.ravel(np.abs(total - 1.0))
    worst = float(np.max(off))
    if worst > atol:
        raise ValueError(
            f"{name} is not normalised: entries sum to {np.ravel(total)[np.argmax(off)]:.12g}"
            f" (off by {worst:.3g}, tolerance {atol:g})"
        )


def require_same_shape(a: Any, b: Any, name_a: str, name_b: str) -> None:
    """Raise ValueError unless ``a`` and ``b`` have identical shapes."""
    if np.shape(a) != np.shape(b):
        raise ValueError(
            f"shape mismatch: {name_a} has shape {np.shape(a)}"
            f" but {name_b} has shape {np.shape(b)}"
        )


def require_broadcast(arrays: dict[str, Any]) -> tuple[int, ...]:
    """The broadcast shape of the named arrays; ValueError naming them if there is none."""
    shapes = {n: tuple(np.shape(a)) for n, a in arrays.items()}
    try:
        return tuple(np.broadcast_shapes(*shapes.values()))
    except ValueError:
        listed = ", ".join(f"{n} {s}" for n, s in shapes.items())
        raise ValueError(f"shape mismatch: shapes {listed} do not broadcast") from None


def require_positive(x: Any, name: str) -> None:
    """Raise ValueError unless every entry of a concrete ``x`` is finite and > 0."""
    if is_traced(x):
        return
    require_finite(x, name)
    if np.any(np.asarray(x) <= 0):
        raise ValueError(f"{name} must be positive, got min {np.min(x):.3g}")


def require_nonnegative(x: Any, name: str) -> None:
    """Raise ValueError unless every entry of a concrete ``x`` is finite and >= 0."""
    if is_traced(x):
        return
    require_finite(x, name)
    if np.any(np.asarray(x) < 0):
        raise ValueError(f"{name} has negative entries (min {np.min(x):.3g})")


def positive_array(x: Any, name: str) -> Any:
    """``x`` as a float array whose entries are all finite and > 0."""
    arr = as_float_array(x, name)
    require_positive(arr, name)
    return arr


def nonnegative_array(x: Any, name: str) -> Any:
    """``x`` as a float array whose entries are all finite and >= 0."""
    arr = as_float_array(x, name)
    require_nonnegative(arr, name)
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


def vector(
    x: Any,
    name: str,
    *,
    min_size: int = 1,
    what: str = "",
    unit: str = "entries",
    finite: bool = True,
) -> np.ndarray:
    """``x`` as a 1-D float64 NumPy array of at least ``min_size`` (finite) entries.

    ``what`` describes the array in the message about its shape, ``unit`` its
    entries in the message about its size (``"draws"``, ``"levels"``, …).
    """
    v = np.asarray(as_float_array(x, name))
    if v.ndim != 1:
        desc = f" ({what})" if what else ""
        raise ValueError(f"{name} must be 1-D{desc}, got shape {v.shape}")
    if v.size < min_size:
        if v.size == 0 and min_size == 1:
            raise ValueError(f"{name} is empty: it needs at least one entry")
        empty = " (it is empty)" if v.size == 0 else ""
        raise ValueError(
            f"{name} needs at least {min_size} {unit}, got {v.size}{empty}"
        )
    if finite:
        require_finite(v, name)
    return v


# ---------------------------------------------------------------------------
# scalars


def _scalar_value(x: Any, name: str, what: str) -> Any:
    """A Python or NumPy real scalar, or a concrete 0-d real array, as itself."""
    if isinstance(x, (bool, np.bool_)):
        raise TypeError(f"{name} must be {what}, got bool")
    if isinstance(x, numbers.Real):
        return x
    if isinstance(x, (np.ndarray, jax.Array)) and np.ndim(x) == 0:
        if is_traced(x):
            raise TypeError(
                f"{name} must be {what} known before tracing, got a traced value"
            )
        if _is_real_dtype(x.dtype) and not np.issubdtype(x.dtype, np.bool_):
            return x.item() if isinstance(x, np.ndarray) else np.asarray(x).item()
    raise TypeError(f"{name} must be {what}, got {type_name(x)}")


def real_scalar(x: Any, name: str, *, allow_inf: bool = False) -> float:
    """A real number as a float (finite unless ``allow_inf``); bools are rejected."""
    v = float(_scalar_value(x, name, "a real number"))
    if math.isnan(v) or (math.isinf(v) and not allow_inf):
        raise ValueError(f"{name} must be finite, got {v!r}")
    return v


def positive_scalar(x: Any, name: str, *, allow_inf: bool = False) -> float:
    """A real number > 0 as a float (finite unless ``allow_inf``); bools are rejected."""
    v = real_scalar(x, name, allow_inf=allow_inf)
    if v <= 0:
        raise ValueError(f"{name} must be positive, got {v!r}")
    return v


def nonnegative_scalar(x: Any, name: str) -> float:
    """A finite real number >= 0 as a float."""
    v = real_scalar(x, name)
    if v < 0:
        raise ValueError(f"{name} must be non-negative, got {v!r}")
    return v


def probability_scalar(x: Any, name: str, *, open_interval: bool = False) -> float:
    """A probability as a float, in [0, 1] (or strictly inside if ``open_interval``)."""
    v = real_scalar(x, name)
    if (open_interval and not 0 < v < 1) or not 0 <= v <= 1:
        where = "strictly between 0 and 1" if open_interval else "in [0, 1]"
        raise ValueError(f"{name} must lie {where}, got {v!r}")
    return v


def as_int(x: Any) -> int | None:
    """``x`` as an int if it is one (Python or NumPy int, 0-d integer array; not bool), else None."""
    if isinstance(x, (bool, np.bool_)):
        return None
    if isinstance(x, np.ndarray) and x.ndim == 0 and np.issubdtype(x.dtype, np.integer):
        return int(x.item())
    if isinstance(x, (int, np.integer)):
        return int(x)
    return None


def as_float(x: Any) -> float | None:
    """``x`` as a float if it is a float (Python or NumPy, 0-d float array), else None."""
    if isinstance(x, np.ndarray) and x.ndim == 0 and np.issubdtype(x.dtype, np.floating):
        return float(x.item())
    if isinstance(x, (float, np.floating)):
        return float(x)
    return None


def whole_number(x: Any, name: str, minimum: int = 0) -> int:
    """An int (Python or NumPy, or a 0-d integer array; not bool) that is at least ``minimum``."""
    if isinstance(x, (bool, np.bool_)):
        raise TypeError(f"{name} must be an int, got bool {x!r}")
    if isinstance(x, np.ndarray) and x.ndim == 0 and np.issubdtype(x.dtype, np.integer):
        x = x.item()
    if not isinstance(x, (int, np.integer)):
        raise TypeError(f"{name} must be an int, got {type(x).__name__} {x!r}")
    if int(x) < minimum:
        what = "a non-negative int" if minimum == 0 else f"an int >= {minimum}"
        raise ValueError(f"{name} must be {what}, got {x}")
    return int(x)


def boolean(x: Any, name: str) -> bool:
    """A bool (Python or NumPy); ints and other truthy objects are rejected."""
    if not isinstance(x, (bool, np.bool_)):
        raise TypeError(f"{name} must be a bool, got {type(x).__name__}")
    return bool(x)


def choice(x: Any, name: str, options: Iterable[str]) -> str:
    """One of the strings ``options``; TypeError for a non-string, ValueError otherwise."""
    opts = tuple(options)
    if not isinstance(x, str):
        raise TypeError(f"{name} must be a string, one of {opts}, got {type(x).__name__}")
    if x not in opts:
        raise ValueError(f"{name} must be one of {opts}, got {x!r}")
    return x


def string(x: Any, name: str) -> str:
    """A non-empty string."""
    if not isinstance(x, str):
        raise TypeError(f"{name} must be a string, got {type(x).__name__}")
    if not x:
        raise ValueError(f"{name} must be a non-empty string, got ''")
    return x


# ---------------------------------------------------------------------------
# other objects


def require_callable(f: Any, name: str) -> Callable[..., Any]:
    """Raise TypeError unless ``f`` is callable."""
    if not callable(f):
        raise TypeError(f"{name} must be callable, got {type(f).__name__}")
    return f


def require_instance(x: Any, cls: type | tuple[type, ...], name: str, what: str) -> Any:
    """Raise TypeError unless ``x`` is an instance of ``cls`` (described as ``what``)."""
    if not isinstance(x, cls):
        raise TypeError(f"{name} must be {what}, got {type(x).__name__}")
    return x


def require_layers(layers: Any, name: str, *, batch_dims: int = 0) -> list[Any]:
    """MLP layers: a non-empty list of ``(W, b)`` pairs whose shapes chain.

    ``W`` has shape ``(..., m, n)`` and ``b`` shape ``(..., n)``, with
    ``batch_dims`` leading axes (e.g. one per trained model); the output width
    of each layer is the input width of the next. Shapes only, so it also
    works on tracers.
    """
    if not isinstance(layers, (list, tuple)):
        raise TypeError(
            f"{name} must be a list of (W, b) layers, got {type(layers).__name__}"
        )
    if not layers:
        raise ValueError(f"{name} is empty: an MLP needs at least one layer")
    width = None
    for i, layer in enumerate(layers):
        if not isinstance(layer, (list, tuple)) or len(layer) != 2:
            raise TypeError(
                f"{name}[{i}] must be a (W, b) pair of arrays, got {type(layer).__name__}"
            )
        W, b = layer
        for arr, what in ((W, "W"), (b, "b")):
            if not isinstance(arr, (np.ndarray, jax.Array)) or not jnp.issubdtype(
                arr.dtype, jnp.floating
            ):
                raise TypeError(
                    f"{name}[{i}] {what} must be a float array, got {type_name(arr)}"
                )
        if W.ndim != 2 + batch_dims or b.ndim != 1 + batch_dims:
            raise ValueError(
                f"{name}[{i}] must have W of shape (in, out) and b of shape (out,)"
                f" (after {batch_dims} leading axes), got shapes {W.shape} and {b.shape}"
            )
        if W.shape[-1] != b.shape[-1] or (width is not None and W.shape[-2] != width):
            raise ValueError(
                f"{name}[{i}] has shapes W {W.shape} and b {b.shape} that do not"
                f" chain (expected input width {width})"
            )
        width = W.shape[-1]
    return list(layers)


def require_key(key: Any, name: str = "key") -> jax.Array:
    """A single JAX PRNG key: ``jax.random.key(seed)`` or ``jax.random.PRNGKey(seed)``."""
    ok = isinstance(key, jax.Array) and (
        (jnp.issubdtype(key.dtype, jax.dtypes.prng_key) and key.shape == ())
        or (key.dtype == jnp.uint32 and key.shape == (2,))
    )
    if not ok:
        raise TypeError(
            f"{name} must be a JAX PRNG key (jax.random.key(seed) or"
            f" jax.random.PRNGKey(seed)), got {type_name(key)}"
        )
    return key


def require_generator(rng: Any, name: str = "rng") -> np.random.Generator:
    """A ``numpy.random.Generator``."""
    if not isinstance(rng, np.random.Generator):
        raise TypeError(
            f"{name} must be a numpy.random.Generator (np.random.default_rng(seed)),"
            f" got {type(rng).__name__}"
        )
    return rng

"""Small helpers for discrete distributions: random draws, marginals, conditionals.

A discrete joint :math:`p(x, y)` is an array of shape ``(n, m)``; its marginal
:math:`p(x) = \\sum_y p(x, y)` and conditional :math:`p(y|x) = p(x, y)/p(x)` are
what the chain rule of KL is built from.
"""

from __future__ import annotations

from typing import Any

import jax.numpy as jnp
import numpy as np

from ._validate import (
    as_float_array,
    finite_array,
    is_jax,
    is_traced,
    positive_array,
    positive_scalar,
    require_broadcast,
    require_distribution,
    require_finite,
    require_generator,
)


def random_distribution(
    rng: np.random.Generator,
    shape: tuple[int, ...] | int,
    *,
    concentration: float = 1.0,
) -> np.ndarray:
    """A random distribution over ``prod(shape)`` outcomes, reshaped to ``shape``.

    Drawn from a symmetric Dirichlet with the given concentration; every entry
    is strictly positive with probability one.
    """
    require_generator(rng, "rng")
    shape = _shape(shape)
    concentration = positive_scalar(concentration, "concentration")
    n = int(np.prod(shape))
    if n < 1 or min(shape) < 1:
        raise ValueError(
            f"shape {shape} has no outcomes: its entries must be positive ints"
        )
    return rng.dirichlet(np.full(n, concentration)).reshape(shape)


def _shape(shape: Any) -> tuple[int, ...]:
    """A shape: an int or a sequence of ints (Python or NumPy, not bool)."""
    entries = (shape,) if isinstance(shape, (int, np.integer)) else shape
    if isinstance(shape, (str, bytes)) or not isinstance(entries, (tuple, list)):
        raise TypeError(
            f"shape must be an int or a tuple of ints, got {type(shape).__name__}"
        )
    for n in entries:
        if isinstance(n, (bool, np.bool_)) or not isinstance(n, (int, np.integer)):
            raise TypeError(
                f"shape must be an int or a tuple of ints, got an entry {n!r}"
                f" of type {type(n).__name__}"
            )
    return tuple(int(n) for n in entries)


def _joint(p: Any, name: str) -> np.ndarray:
    arr = np.asarray(as_float_array(p, name))
    if arr.ndim != 2:
        raise ValueError(f"{name} must be a 2-D joint p(x, y), got shape {arr.shape}")
    require_distribution(arr.reshape(-1), name)
    return arr


def marginal(joint: Any, axis: int = 0) -> np.ndarray:
    """Marginal of a 2-D joint over the *kept* ``axis`` (0 for p(x), 1 for p(y))."""
    arr = _joint(joint, "joint")
    if isinstance(axis, (bool, np.bool_)) or axis not in (0, 1):
        raise ValueError(f"axis must be 0 or 1, got {axis!r}")
    return arr.sum(axis=1 - axis)


def conditional(joint: Any) -> np.ndarray:
    """Conditional p(y|x) = p(x, y) / p(x), rows indexed by x.

    Rows with p(x) = 0 are undefined; they raise ValueError rather than NaN.
    """
    arr = _joint(joint, "joint")
    px = arr.sum(axis=1, keepdims=True)
    if np.any(px <= 0):
        raise ValueError(
            "joint has a row x with p(x) = 0, so p(y|x) is undefined there"
        )
    return arr / px


def gaussian_log_density(x: Any, mean: Any, var: Any) -> Any:
    r""":math:`\log \mathcal N(x; \mu, \sigma^2) = -\tfrac12\big[\log(2\pi\sigma^2) + (x-\mu)^2/\sigma^2\big]`.

    Elementwise over broadcast arguments; ``var`` is the variance. NumPy in,
    NumPy out; JAX in (also traced, inside ``jit``/``grad``), JAX out.
    """
    use_jax = is_jax(x, mean, var)
    xp = jnp if use_jax else np
    x, mean = finite_array(x, "x"), finite_array(mean, "mean")
    var = positive_array(var, "var")
    require_broadcast({"x": x, "mean": mean, "var": var})
    return -0.5 * (xp.log(2 * np.pi * var) + (x - mean) ** 2 / var)


def mvn_log_density(x: Any, mean: Any, cov: Any) -> Any:
    r""":math:`\log \mathcal N(x; \mu, \Sigma)` for points ``x`` of shape ``(..., d)``.

    :math:`-\tfrac12\big[(x-\mu)^\top\Sigma^{-1}(x-\mu) + \log\det(2\pi\Sigma)\big]`,
    through a Cholesky factor of ``cov`` (which must be symmetric positive-definite).
    """
    use_jax = is_jax(x, mean, cov)
    xp = jnp if use_jax else np
    x, mean, cov = (
        finite_array(v, n) for v, n in ((x, "x"), (mean, "mean"), (cov, "cov"))
    )
    if np.ndim(cov) != 2 or np.shape(cov)[0] != np.shape(cov)[1] or np.size(cov) == 0:
        raise ValueError(
            f"cov must be a non-empty square (d, d) matrix, got shape {np.shape(cov)}"
        )
    d = np.shape(cov)[-1]
    if np.ndim(x) == 0 or np.shape(x)[-1] != d:
        raise ValueError(
            f"x must have shape (..., {d}) to match cov, got shape {np.shape(x)}"
            f" (cov has shape {np.shape(cov)})"
        )
    if np.shape(mean)[-1:] != (d,):
        raise ValueError(
            f"mean must have shape (..., {d}) to match cov, got shape {np.shape(mean)}"
        )
    require_broadcast({"x": x, "mean": mean})
    if not is_traced(cov):
        c = np.asarray(cov)
        if not np.allclose(c, c.T, rtol=1e-10, atol=1e-12):
            raise ValueError("cov is not symmetric")
        try:
            np.linalg.cholesky(c)
        except np.linalg.LinAlgError:
            raise ValueError("cov is not positive-definite") from None
    chol = xp.linalg.cholesky(cov)
    solve = jnp.linalg.solve if use_jax else np.linalg.solve
    diff = xp.asarray(x - mean)[..., None]  # (..., d, 1): one column per point
    y = solve(xp.broadcast_to(chol, diff.shape[:-2] + (d, d)), diff)
    maha = xp.sum(y[..., 0] ** 2, axis=-1)
    logdet = 2 * xp.sum(xp.log(xp.diagonal(chol)))
    return -0.5 * (maha + d * np.log(2 * np.pi) + logdet)

"""Small helpers for discrete distributions: random draws, marginals, conditionals.

A discrete joint :math:`p(x, y)` is an array of shape ``(n, m)``; its marginal
:math:`p(x) = \\sum_y p(x, y)` and conditional :math:`p(y|x) = p(x, y)/p(x)` are
what the chain rule of KL is built from.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ._validate import as_float_array, require_distribution


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
    if not isinstance(rng, np.random.Generator):
        raise TypeError(
            "rng must be a numpy.random.Generator (use np.random.default_rng(seed))"
        )
    shape = (int(shape),) if isinstance(shape, (int, np.integer)) else tuple(shape)
    if not (0 < concentration < np.inf):  # also rejects NaN
        raise ValueError(
            f"concentration must be positive and finite, got {concentration}"
        )
    n = int(np.prod(shape))
    if n < 1:
        raise ValueError(f"shape {shape} has no outcomes")
    return rng.dirichlet(np.full(n, concentration)).reshape(shape)


def _joint(p: Any, name: str) -> np.ndarray:
    arr = np.asarray(as_float_array(p, name))
    if arr.ndim != 2:
        raise ValueError(f"{name} must be a 2-D joint p(x, y), got shape {arr.shape}")
    require_distribution(arr.reshape(-1), name)
    return arr


def marginal(joint: Any, axis: int = 0) -> np.ndarray:
    """Marginal of a 2-D joint over the *kept* ``axis`` (0 for p(x), 1 for p(y))."""
    arr = _joint(joint, "joint")
    if axis not in (0, 1):
        raise ValueError(f"axis must be 0 or 1, got {axis}")
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

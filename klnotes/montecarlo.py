r"""Monte Carlo estimates that carry their own error bars.

An :class:`Estimate` is the sample mean :math:`\bar f = \frac1n\sum_i f(x_i)` of
i.i.d. draws, its standard error :math:`s/\sqrt n` (with the unbiased sample
standard deviation :math:`s`) and the sample size :math:`n`. KL estimators use

.. math::

    I[p; q] = \big\langle \log p(x) - \log q(x) \big\rangle_{p},

so an estimate is the mean of log-density differences at samples from ``p``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import jax
import numpy as np

from ._validate import (
    as_float,
    as_float_array,
    as_int,
    real_scalar,
    require_callable,
    require_finite,
    require_key,
    require_same_shape,
    vector,
    whole_number,
)
from .units import _per_nat


@dataclass(frozen=True)
class Estimate:
    """A Monte Carlo mean with its standard error and sample size."""

    mean: float
    stderr: float
    n: int

    def __post_init__(self) -> None:
        # floats (Python or NumPy) only: an int mean or stderr is refused, as a
        # sign that a count or a size was passed by mistake
        for field in ("mean", "stderr"):
            raw = getattr(self, field)
            value = as_float(raw)
            if value is None:
                raise ValueError(
                    f"Estimate.{field} must be a finite float, got {raw!r}"
                    f" of type {type(raw).__name__}"
                )
            if not math.isfinite(value):
                raise ValueError(
                    f"Estimate.{field} must be a finite float, got {value!r} (non-finite)"
                )
            object.__setattr__(self, field, value)
        if self.stderr < 0:
            raise ValueError(f"Estimate.stderr must be non-negative, got {self.stderr}")
        n = as_int(self.n)
        if n is None or n < 2:
            raise ValueError(
                f"Estimate.n must be an int >= 2, got {self.n!r}"
                f" of type {type(self.n).__name__}"
            )
        object.__setattr__(self, "n", n)

    def interval(self, k: float = 2.0) -> tuple[float, float]:
        """The interval ``mean ± k·stderr`` (``k`` finite and non-negative)."""
        k = real_scalar(k, "k")
        if k < 0:
            raise ValueError(f"k must be non-negative (a number of standard errors), got {k}")
        return (self.mean - k * self.stderr, self.mean + k * self.stderr)

    def scaled(self, factor: float) -> Estimate:
        """The estimate of ``factor`` times the quantity (for unit changes)."""
        factor = real_scalar(factor, "factor")
        return Estimate(self.mean * factor, abs(factor) * self.stderr, self.n)

    def __str__(self) -> str:
        return f"{self.mean:.6g} ± {self.stderr:.2g} (n={self.n})"


def mc_estimate(samples: Any) -> Estimate:
    """Estimate of the mean of i.i.d. ``samples`` (1-D, finite, at least two)."""
    arr = np.asarray(as_float_array(samples, "samples"), dtype=np.float64)
    if arr.ndim != 1:
        raise ValueError(f"samples must be 1-D, got shape {arr.shape}")
    if arr.size < 2:
        raise ValueError(
            f"samples needs at least 2 draws to have a standard error, got {arr.size}"
            + (" (it is empty)" if arr.size == 0 else "")
        )
    require_finite(arr, "samples")
    return Estimate(
        mean=float(arr.mean()),
        stderr=float(arr.std(ddof=1) / math.sqrt(arr.size)),
        n=int(arr.size),
    )


def kl_from_log_densities(logp: Any, logq: Any, *, base: str = "nats") -> Estimate:
    r"""Estimate :math:`I[p;q]` from :math:`\log p(x_i)` and :math:`\log q(x_i)`, :math:`x_i \sim p`."""
    return _kl_estimate(logp, logq, base, ("logp", "logq"))


def _kl_estimate(logp: Any, logq: Any, base: Any, names: tuple[str, str]) -> Estimate:
    factor = _per_nat(base, "base")
    lp = vector(logp, names[0], min_size=2, what="one log-density per sample", unit="draws")
    lq = vector(logq, names[1], min_size=2, what="one log-density per sample", unit="draws")
    require_same_shape(lp, lq, *names)
    return mc_estimate(lp - lq).scaled(factor)


def kl_monte_carlo(
    key: jax.Array,
    sample_p: Callable[[jax.Array, int], Any],
    log_p: Callable[[Any], Any],
    log_q: Callable[[Any], Any],
    n: int,
    *,
    base: str = "nats",
) -> Estimate:
    """Estimate :math:`I[p;q]` with ``n`` draws ``x = sample_p(key, n)`` from ``p``.

    ``log_p`` and ``log_q`` map a batch of samples to a batch of log-densities.
    Deterministic for a fixed ``key``.
    """
    require_key(key, "key")
    for f, nm in ((sample_p, "sample_p"), (log_p, "log_p"), (log_q, "log_q")):
        require_callable(f, nm)
    n_int = as_int(n)
    if n_int is None or n_int < 2:
        raise ValueError(f"n must be an int >= 2, got {n!r} of type {type(n).__name__}")
    n = n_int
    _per_nat(base, "base")
    x = sample_p(key, n)
    if np.ndim(x) == 0 or np.shape(x)[0] != n:
        raise ValueError(
            f"sample_p(key, n) must return n = {n} draws along its first axis,"
            f" got shape {np.shape(x)}"
        )
    return _kl_estimate(log_p(x), log_q(x), base, ("log_p(x)", "log_q(x)"))


def count_estimate(count: int, n: int) -> Estimate:
    r"""Monte Carlo estimate of a probability from ``count`` hits in ``n`` draws.

    The :class:`~klnotes.montecarlo.Estimate` of the mean of ``n`` 0/1
    indicators of which ``count`` are 1: :math:`\hat w = k/n` with standard
    error :math:`\sqrt{k(n-k)/(n(n-1))}/\sqrt n` (sample standard deviation with
    ``ddof=1``), exactly what ``mc_estimate`` returns for the indicator array.
    Counts can be summed over chunks of draws, so a large sample never has to
    be held in memory at once.
    """
    k, n = whole_number(count, "count"), whole_number(n, "n")
    if n < 2:
        raise ValueError(f"n must be at least 2 draws, got {n}")
    if not 0 <= k <= n:
        raise ValueError(f"count must lie in [0, n] = [0, {n}], got {k}")
    return Estimate(mean=k / n, stderr=math.sqrt(k * (n - k) / (n * (n - 1)) / n), n=n)

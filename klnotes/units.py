"""Units of information and of evidence.

A quantity of information ``I`` in nats is ``I / ln 2`` bits and
``10 I / ln 10`` decibans (dB, ten times a base-10 logarithm). The same scale
measures evidence: a probability ``p`` has odds ``o = p / (1 - p)`` and
log-odds ``10 log10 o`` dB, so that Bayes' rule in odds form,

    posterior log-odds = prior log-odds + weight of evidence,

is an addition of decibans.
"""

from __future__ import annotations

import math
import numbers
from typing import Any, Literal

import jax
import jax.numpy as jnp
import numpy as np
import sympy as sp

from ._validate import as_float_array, probability_array, require_not_nan

Unit = Literal["nats", "bits", "dB"]

#: Multiply a value in nats by this to express it in the unit.
PER_NAT: dict[str, float] = {
    "nats": 1.0,
    "bits": 1.0 / math.log(2.0),
    "dB": 10.0 / math.log(10.0),
}
_ALIASES = {
    "nat": "nats",
    "nats": "nats",
    "e": "nats",
    "bit": "bits",
    "bits": "bits",
    "2": "bits",
    "db": "dB",
    "dB": "dB",
    "deciban": "dB",
    "decibans": "dB",
}


def _unit_name(unit: Any, name: str) -> Unit:
    where = "" if name == "unit" else f"{name}: "
    if not isinstance(unit, str):
        raise TypeError(
            f"{where}unit must be a string such as 'nats', got {type(unit).__name__}"
        )
    key = unit if unit in _ALIASES else unit.lower()
    if key not in _ALIASES:
        raise ValueError(
            f"{where}unit {unit!r} is not one of 'nats', 'bits', 'dB' (decibans)"
        )
    return _ALIASES[key]  # type: ignore[return-value]


def unit_name(unit: str) -> Unit:
    """Canonical name of a unit: ``"nats"``, ``"bits"`` or ``"dB"``."""
    return _unit_name(unit, "unit")


def _per_nat(unit: Any, name: str = "unit") -> float:
    """Factor taking nats to ``unit``; errors name the argument ``name`` (e.g. ``base``)."""
    return PER_NAT[_unit_name(unit, name)]


def _amount(value: Any, name: str = "value") -> Any:
    # Lists and tuples become float arrays (``[1.0] * 1.44`` would be a TypeError
    # about sequences); anything that is not a number is rejected naming the
    # argument, and so is NaN (an infinite amount, such as a KL divergence with
    # disjoint supports, is meaningful and passes). NumPy, JAX (also traced) and
    # SymPy values keep their type.
    if isinstance(value, sp.Basic):
        if value.has(sp.nan, sp.zoo):
            raise ValueError(f"{name} is NaN (or complex infinity): {value}")
        return value
    if isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be a real number or array, got bool")
    if isinstance(value, (numbers.Real, np.ndarray, jax.Array)):
        arr = value
        if isinstance(value, np.ndarray) or (
            isinstance(value, jax.Array) and not jnp.issubdtype(value.dtype, jnp.floating)
        ):
            as_float_array(value, name)  # rejects complex, object and key arrays
    else:
        arr = as_float_array(value, name)
    require_not_nan(arr, name)
    return arr


def convert(value: Any, from_unit: str, to_unit: str) -> Any:
    """Convert an amount of information between nats, bits and decibans.

    ``value`` may be ``±inf`` (an infinite divergence stays infinite) but not NaN.
    """
    factor = _per_nat(to_unit, "to_unit") / _per_nat(from_unit, "from_unit")
    return _amount(value) * factor


def from_nats(value: Any, unit: str) -> Any:
    """Express a value given in nats in ``unit`` (``±inf`` allowed, NaN rejected)."""
    return _amount(value) * _per_nat(unit)


def prob_to_odds(p: Any) -> Any:
    """Odds ``p / (1 - p)`` of a probability (``inf`` at ``p = 1``)."""
    arr = probability_array(p, "p")
    with np.errstate(divide="ignore"):
        return arr / (1.0 - arr)


def odds_to_prob(odds: Any) -> Any:
    """Probability ``o / (1 + o)`` from odds ``o >= 0`` (``inf`` gives 1)."""
    arr = as_float_array(odds, "odds")
    a = np.asarray(arr)
    if np.any(np.isnan(a)) or np.any(a < 0):
        raise ValueError("odds must be non-negative and not NaN")
    return np.where(np.isinf(a), 1.0, a / (1.0 + np.where(np.isinf(a), 0.0, a)))


def prob_to_db(p: Any) -> Any:
    """Log-odds of a probability in decibans: ``10 log10(p / (1 - p))``."""
    arr = probability_array(p, "p")
    with np.errstate(divide="ignore"):
        return 10.0 * (np.log10(arr) - np.log10(1.0 - arr))


def db_to_prob(db: Any) -> Any:
    """Probability with log-odds ``db`` decibans: ``1 / (1 + 10^(-db/10))``."""
    arr = as_float_array(db, "db")
    if np.any(np.isnan(np.asarray(arr))):
        raise ValueError("db has NaN entries")
    with np.errstate(over="ignore"):  # 10^(large) -> inf gives the right limit, 0
        return 1.0 / (1.0 + 10.0 ** (-np.asarray(arr) / 10.0))


def db_to_odds(db: Any) -> Any:
    """Odds ``10^(db/10)`` for log-odds in decibans."""
    arr = as_float_array(db, "db")
    if np.any(np.isnan(np.asarray(arr))):
        raise ValueError("db has NaN entries")
    with np.errstate(over="ignore"):  # overflow to inf is the right limit
        return 10.0 ** (np.asarray(arr) / 10.0)


def odds_to_db(odds: Any) -> Any:
    """Log-odds in decibans, ``10 log10 o``, of odds ``o > 0``."""
    arr = as_float_array(odds, "odds")
    a = np.asarray(arr)
    if np.any(np.isnan(a)) or np.any(a <= 0):
        raise ValueError("odds must be positive and not NaN to have finite decibans")
    return 10.0 * np.log10(a)

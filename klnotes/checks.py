r"""Checks: the one way a chapter asserts a result.

Four kinds of claim, each a function that either returns a
:class:`CheckRecord` or raises a :class:`CheckFailed` subclass whose message
names the quantity, what was expected, what was found and the tolerance:

* :func:`check_symbolic` — an exact identity, proved by SymPy
  (:func:`klnotes.symbolic.prove_equal`); also :func:`check_symbolic_sign`.
* :func:`check_close` — a number (or array) within a stated tolerance.
* :func:`check_mc` — a Monte Carlo :class:`~klnotes.montecarlo.Estimate`
  within ``k`` standard errors of an exact value. The check also refuses to
  run when it is too weak: ``k`` standard errors must be smaller than the
  error it is meant to detect (by default 1% of the expected value), so a real
  1% error in the quantity would fail it.
* :func:`check_bound` — an inequality ``lower <= value <= upper``.

A :class:`CheckLog` runs checks and keeps their records, and renders them as
the "checks in this chapter" table.
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import sympy as sp

from .montecarlo import Estimate
from .symbolic import (
    SymbolicProofError,
    prove_equal,
    prove_nonnegative,
    prove_positive,
    require_expr,
)


class CheckFailed(AssertionError):
    """A claim in the book did not hold."""


class SymbolicCheckFailed(CheckFailed):
    """An identity was not proved symbolically."""


class NumericCheckFailed(CheckFailed):
    """A number was outside its stated tolerance."""


class MonteCarloCheckFailed(CheckFailed):
    """A Monte Carlo estimate disagreed with its target, or was too noisy to test it."""


class BoundCheckFailed(CheckFailed):
    """An inequality did not hold."""


@dataclass(frozen=True)
class CheckRecord:
    """What a passing check asserted, for the chapter's table of checks."""

    name: str
    kind: str
    expected: str
    actual: str
    tolerance: str

    def __repr__(self) -> str:
        return f"✔ [{self.kind}] {self.name}: {self.actual} (expected {self.expected}; tolerance {self.tolerance})"


def _fmt(x: Any) -> str:
    if isinstance(x, sp.Basic):
        return sp.sstr(x)
    if isinstance(x, (float, np.floating)):
        return f"{float(x):.8g}"
    arr = np.asarray(x)
    if arr.ndim > 0 and arr.size > 1:
        flat = arr.ravel()
        body = ", ".join(f"{v:.6g}" for v in flat[:4])
        return f"[{body}{', …' if flat.size > 4 else ''}] (shape {arr.shape})"
    return str(x)


def _name(name: Any) -> str:
    if not isinstance(name, str) or not name.strip():
        raise TypeError("name must be a non-empty string naming the quantity checked")
    return name


def check_symbolic(
    name: str, lhs: Any, rhs: Any, *, max_ops: int = 1500, force_log: bool = False
) -> CheckRecord:
    """Assert the exact identity ``lhs == rhs``, proved by SymPy."""
    _name(name)
    try:
        proof = prove_equal(lhs, rhs, max_ops=max_ops, force_log=force_log)
    except SymbolicProofError as exc:
        raise SymbolicCheckFailed(
            f"{name}: identity not proved.\n  expected: {_fmt(rhs)[:300]}\n  actual:   "
            f"{_fmt(lhs)[:300]}\n  tolerance: exact (symbolic)\n  {exc}"
        ) from None
    return CheckRecord(
        name, "symbolic", "exact identity", f"proved ({proof.method})", "exact"
    )


def check_symbolic_sign(name: str, expr: Any, sign: str = "nonnegative") -> CheckRecord:
    """Assert ``expr >= 0`` (``sign="nonnegative"``) or ``> 0`` (``"positive"``) symbolically."""
    _name(name)
    if sign not in ("nonnegative", "positive"):
        raise ValueError(f"sign must be 'nonnegative' or 'positive', got {sign!r}")
    e = require_expr(expr, "expr")
    try:
        proof = (prove_nonnegative if sign == "nonnegative" else prove_positive)(e)
    except SymbolicProofError as exc:
        rel = ">= 0" if sign == "nonnegative" else "> 0"
        raise SymbolicCheckFailed(
            f"{name}: not proved {sign}.\n  expected: expression {rel}\n  actual:   {_fmt(e)[:300]}"
            f" (sign not proved)\n  tolerance: exact (symbolic)\n  {exc}"
        ) from None
    rel = ">= 0" if sign == "nonnegative" else "> 0"
    return CheckRecord(
        name, "symbolic", f"expression {rel}", f"proved ({proof.method})", "exact"
    )


def _finite_array(x: Any, what: str) -> np.ndarray:
    if (
        isinstance(x, (str, bytes))
        or x is None
        or isinstance(x, sp.Basic)
        and not x.is_number
    ):
        raise TypeError(f"{what} must be numeric, got {type(x).__name__}")
    if isinstance(x, sp.Basic):
        try:
            return np.asarray(float(x))
        except TypeError:
            raise TypeError(f"{what} must be a real number, got {sp.sstr(x)}") from None
    raw = np.asarray(x)
    # Casting to float64 would drop imaginary parts and parse strings; refuse both.
    if raw.dtype != object and not (
        np.issubdtype(raw.dtype, np.floating)
        or np.issubdtype(raw.dtype, np.integer)
        or np.issubdtype(raw.dtype, np.bool_)
    ):
        raise TypeError(f"{what} must be real numeric, got dtype {raw.dtype}")
    if raw.dtype == object and any(
        v is None or isinstance(v, (str, bytes, complex)) for v in raw.flat
    ):  # float64 casting would turn None into NaN and parse strings
        raise TypeError(f"{what} must be real numeric, got {type(x).__name__}")
    try:
        arr = np.asarray(raw, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(
            f"{what} must be real numeric, got {type(x).__name__}"
        ) from None
    return arr


def check_close(
    name: str, actual: Any, expected: Any, *, rtol: float = 1e-10, atol: float = 0.0
) -> CheckRecord:
    """Assert ``|actual - expected| <= atol + rtol·|expected|`` elementwise.

    NaN never passes. Infinite values pass only if equal (same sign).
    """
    _name(name)
    if rtol < 0 or atol < 0 or (rtol == 0 and atol == 0):
        raise ValueError("rtol and atol must be non-negative and not both zero")
    a = _finite_array(actual, "actual")
    e = _finite_array(expected, "expected")
    try:
        a_b, e_b = np.broadcast_arrays(a, e)
    except ValueError:
        raise ValueError(
            f"shape mismatch: actual {a.shape} vs expected {e.shape}"
        ) from None
    both_inf = np.isinf(a_b) & np.isinf(e_b) & (np.sign(a_b) == np.sign(e_b))
    with np.errstate(invalid="ignore"):
        err = np.where(both_inf, 0.0, np.abs(a_b - e_b))
    allowed = atol + rtol * np.where(np.isinf(e_b), 0.0, np.abs(e_b))
    ok = np.isfinite(err) & (err <= allowed)
    tol = f"rtol={rtol:g}, atol={atol:g}"
    if not np.all(ok):
        worst = float(
            np.nanmax(np.where(ok, 0.0, np.where(np.isnan(err), np.inf, err)))
        )
        raise NumericCheckFailed(
            f"{name}: not within tolerance.\n  expected: {_fmt(expected)}\n  actual:   {_fmt(actual)}\n"
            f"  tolerance: {tol}; largest error {worst:.3g} ({int((~ok).sum())} of {ok.size} entries fail)"
        )
    return CheckRecord(name, "numeric", _fmt(expected), _fmt(actual), tol)


def check_mc(
    name: str,
    estimate: Estimate,
    expected: float,
    *,
    k: float = 4.0,
    detect: float | None = 0.01,
    detect_abs: float | None = None,
) -> CheckRecord:
    """Assert ``|estimate.mean - expected| <= k · estimate.stderr``.

    The check must also be able to fail: ``k · stderr`` has to be smaller than
    the error it should detect, ``detect · |expected|`` (1% by default) or
    ``detect_abs`` when given (needed when ``expected`` is 0). An estimate too
    noisy for that raises :class:`MonteCarloCheckFailed` too.
    """
    _name(name)
    if not isinstance(estimate, Estimate):
        raise TypeError(
            f"estimate must be a klnotes Estimate, got {type(estimate).__name__}"
        )
    exp = float(expected)
    if not math.isfinite(exp):
        raise ValueError(f"expected must be finite, got {expected!r}")
    if k <= 0:
        raise ValueError(f"k must be positive, got {k}")
    if detect_abs is not None:
        resolution = float(detect_abs)
        res_txt = f"{resolution:.3g} absolute"
    elif detect is not None:
        if exp == 0.0:
            raise ValueError(
                "expected is 0, so a relative detect is meaningless; pass detect_abs"
            )
        resolution = float(detect) * abs(exp)
        res_txt = f"{100 * float(detect):g}% of expected"
    else:
        raise ValueError("one of detect or detect_abs must be given")
    if resolution <= 0:
        raise ValueError("the error to detect must be positive")
    dev = abs(estimate.mean - exp)
    detail = f"  expected: {exp:.10g}\n  actual:   {estimate.mean:.10g} ± {estimate.stderr:.3g} (standard error, n={estimate.n})"
    if k * estimate.stderr >= resolution:
        raise MonteCarloCheckFailed(
            f"{name}: estimate too noisy to detect an error of {res_txt} ({resolution:.3g}).\n{detail}\n"
            f"  tolerance: {k:g} standard errors = {k * estimate.stderr:.3g}; use more samples"
        )
    if not dev <= k * estimate.stderr:
        raise MonteCarloCheckFailed(
            f"{name}: estimate disagrees with the exact value.\n{detail}\n"
            f"  tolerance: {k:g} standard errors = {k * estimate.stderr:.3g}; "
            f"deviation {dev:.3g} = {dev / estimate.stderr if estimate.stderr else math.inf:.2f} standard errors"
        )
    return CheckRecord(
        name,
        "Monte Carlo",
        f"{exp:.8g}",
        f"{estimate.mean:.8g} ± {estimate.stderr:.2g} (n={estimate.n})",
        f"{k:g} s.e. (z = {dev / estimate.stderr if estimate.stderr else 0.0:.2f})",
    )


def check_bound(
    name: str,
    value: Any,
    *,
    lower: Any = None,
    upper: Any = None,
    tol: float = 0.0,
) -> CheckRecord:
    """Assert ``lower - tol <= value <= upper + tol`` (elementwise for arrays).

    ``tol`` allows for floating-point rounding only; it defaults to 0.
    NaN never passes.
    """
    _name(name)
    if lower is None and upper is None:
        raise ValueError("give at least one of lower and upper")
    if tol < 0:
        raise ValueError(f"tol must be non-negative, got {tol}")
    v = _finite_array(value, "value")
    ok = ~np.isnan(v)
    parts = []
    if lower is not None:
        lo = _finite_array(lower, "lower")
        with np.errstate(invalid="ignore"):
            ok = ok & (v >= lo - tol)
        parts.append(f"{_fmt(lower)} <=")
    parts.append("value")
    if upper is not None:
        hi = _finite_array(upper, "upper")
        with np.errstate(invalid="ignore"):
            ok = ok & (v <= hi + tol)
        parts.append(f"<= {_fmt(upper)}")
    claim = " ".join(parts)
    if not np.all(ok):
        raise BoundCheckFailed(
            f"{name}: bound violated.\n  expected: {claim}\n  actual:   {_fmt(value)}\n"
            f"  tolerance: {tol:g}; {int(np.size(ok) - np.sum(ok))} of {np.size(ok)} entries fail"
        )
    shown = (
        f"{np.size(v)} values, min margin "
        f"{float(np.min(np.minimum(v - (lo if lower is not None else -np.inf), (hi if upper is not None else np.inf) - v))):.3g}"
        if np.size(v) > 1
        else _fmt(value)
    )
    return CheckRecord(name, "bound", claim, shown, f"{tol:g}")


class CheckLog:
    """Runs checks and keeps their records for the chapter's table.

    Each method has the signature of the function of the same name in this
    module and returns its :class:`CheckRecord`; a failing check raises, so the
    chapter (and the build) stops at the claim that broke.
    """

    def __init__(self) -> None:
        self.records: list[CheckRecord] = []

    def _keep(self, record: CheckRecord) -> CheckRecord:
        self.records.append(record)
        return record

    def symbolic(self, *args: Any, **kwargs: Any) -> CheckRecord:
        return self._keep(check_symbolic(*args, **kwargs))

    def symbolic_sign(self, *args: Any, **kwargs: Any) -> CheckRecord:
        return self._keep(check_symbolic_sign(*args, **kwargs))

    def close(self, *args: Any, **kwargs: Any) -> CheckRecord:
        return self._keep(check_close(*args, **kwargs))

    def mc(self, *args: Any, **kwargs: Any) -> CheckRecord:
        return self._keep(check_mc(*args, **kwargs))

    def bound(self, *args: Any, **kwargs: Any) -> CheckRecord:
        return self._keep(check_bound(*args, **kwargs))

    def table(self) -> CheckTable:
        """The records as a table that renders in notebooks and in the book."""
        return CheckTable(tuple(self.records))


@dataclass(frozen=True)
class CheckTable:
    """A rendered list of checks (HTML in the book, text in a terminal)."""

    records: tuple[CheckRecord, ...]

    def _repr_html_(self) -> str:
        head = "".join(
            f"<th>{h}</th>"
            for h in ("#", "Check", "Kind", "Expected", "Result", "Tolerance")
        )
        rows = "".join(
            "<tr>"
            + "".join(
                f"<td>{html.escape(str(c))}</td>"
                for c in (i + 1, r.name, r.kind, r.expected, r.actual, r.tolerance)
            )
            + "</tr>"
            for i, r in enumerate(self.records)
        )
        return (
            '<table class="table klnotes-checks"><thead><tr>'
            f"{head}</tr></thead><tbody>{rows}</tbody></table>"
            f'<p class="klnotes-checks-summary">All {len(self.records)} checks passed.</p>'
        )

    def __str__(self) -> str:
        lines = [
            f"{i + 1:>3}. [{r.kind}] {r.name}: {r.actual} (expected {r.expected}; tol {r.tolerance})"
            for i, r in enumerate(self.records)
        ]
        return "\n".join(lines + [f"All {len(self.records)} checks passed."])

    __repr__ = __str__

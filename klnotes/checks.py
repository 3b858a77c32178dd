r"""Checks: the one way a chapter asserts a result, and what each check proves.

Every check either returns a :class:`CheckRecord` or raises a
:class:`CheckFailed` subclass whose message names the quantity, what was
expected, what was found and the tolerance. Every check has a **role**, shown
in its record, that says what kind of evidence it is:

``proof``
    an exact identity or sign, proved by SymPy (:func:`check_symbolic`,
    :func:`check_symbolic_sign`);
``independent``
    a number against a value computed another way — a closed form, a second
    algorithm, a reference implementation (:func:`check_close`);
``monte carlo``
    a Monte Carlo estimate against an exact value, with stated power
    (:func:`check_mc`);
``bound``
    an inequality ``lower <= value <= upper`` (:func:`check_bound`);
``source``
    agreement with a figure a source post printed, to the precision it was
    printed (:func:`check_source`); it shows that the book reproduces the post,
    not that either is right;
``consistency``
    the code agreeing with itself (the same expression computed twice, a
    quantity that holds by construction); kept where it helps a reader follow
    the code, and never counted as verifying a result.

**Nothing passes vacuously.** Empty arrays, NaN values, infinite or NaN
tolerances and bounds that bound nothing raise. **Monte Carlo checks state
their power**: :func:`check_mc` refuses to run unless a real error of size
``detect`` would fail it with probability at least 95%, i.e.
:math:`(k + 1.645)\,\mathrm{SE} \le \text{detect}`, and records that power.

A :class:`CheckLog` runs a chapter's checks. Each check names the claim it
supports (a ``prf`` label, or a claim declared with :meth:`CheckLog.claim`);
the chapter's last cell shows :meth:`CheckLog.summary`, which also carries the
records to the book's verification ledger.
"""

from __future__ import annotations

import html
import json
import math
import re
from dataclasses import asdict, dataclass, field
from fractions import Fraction
from typing import Any

import numpy as np
import sympy as sp

from . import ledger
from .montecarlo import Estimate
from .provenance import source_hash
from .symbolic import (
    SymbolicProofError,
    prove_equal,
    prove_nonnegative,
    prove_positive,
    require_expr,
)

#: z such that P(Z > z) = 5%: a pass band of k standard errors has power >= 95%
#: against an error of ``detect`` when (k + Z_POWER) · SE <= detect.
Z_POWER = 1.6448536269514722

#: Key, in the output metadata of a chapter's summary, of the records it carries
#: to the ledger (metadata, not a mime type, so that renderers ignore it).
RECORDS_MIME = "application/vnd.klnotes.checks+json"

#: Name under which myst-nb's glue data holds the summary output.
GLUE_KEY = "klnotes-check-records"


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


class SourceCheckFailed(CheckFailed):
    """A computed number does not round to the figure the source printed."""


@dataclass(frozen=True)
class CheckRecord:
    """What a passing check asserted.

    ``role`` is one of :data:`klnotes.ledger.ROLES`; ``claim`` is the label of
    the claim it supports (set by :class:`CheckLog`); ``power`` is, for a
    Monte Carlo check, the probability that an error of the stated size would
    have failed it; ``cell`` is the execution count of the notebook cell that
    ran it.
    """

    name: str
    kind: str
    expected: str
    actual: str
    tolerance: str
    role: str
    claim: str | None = None
    power: float | None = None
    cell: int | None = None

    def __repr__(self) -> str:
        extra = f"; power {self.power:.3f}" if self.power is not None else ""
        return (
            f"✔ [{self.role}] {self.name}: {self.actual} "
            f"(expected {self.expected}; tolerance {self.tolerance}{extra})"
        )


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
    if arr.ndim > 0 and arr.size == 1:
        return _fmt(float(arr.ravel()[0]))
    return str(x)


def _name(name: Any) -> str:
    if not isinstance(name, str) or not name.strip():
        raise TypeError("name must be a non-empty string naming the quantity checked")
    return name


def _role(role: Any, allowed: tuple[str, ...], what: str) -> str:
    if role not in allowed:
        raise ValueError(
            f"role must be one of {', '.join(map(repr, allowed))} for {what}, got {role!r}"
        )
    return role


def _tolerance(x: Any, name: str) -> float:
    if isinstance(x, (bool, np.bool_)) or not isinstance(
        x, (int, float, np.integer, np.floating)
    ):
        raise TypeError(f"{name} must be a real number, got {type(x).__name__}")
    v = float(x)
    if not math.isfinite(v):
        raise ValueError(
            f"{name} must be finite, got {v!r} (an infinite or NaN tolerance passes anything)"
        )
    if v < 0:
        raise ValueError(f"{name} must be non-negative, got {v!r}")
    return v


# ---------------------------------------------------------------------------
# the check functions


def check_symbolic(
    name: str, lhs: Any, rhs: Any, *, role: str = "proof", max_ops: int = 1500
) -> CheckRecord:
    """Assert the exact identity ``lhs == rhs``, proved by SymPy.

    ``role`` is ``"proof"`` (the default) or ``"consistency"`` when the identity
    only restates how the code assembled an expression.
    """
    _name(name)
    _role(role, ("proof", "consistency"), "a symbolic identity")
    try:
        proof = prove_equal(lhs, rhs, max_ops=max_ops)
    except SymbolicProofError as exc:
        raise SymbolicCheckFailed(
            f"{name}: identity not proved.\n  expected: {_fmt(rhs)[:300]}\n  actual:   "
            f"{_fmt(lhs)[:300]}\n  tolerance: exact (symbolic)\n  {exc}"
        ) from None
    return CheckRecord(
        name, "symbolic", "exact identity", f"proved ({proof.method})", "exact", role
    )


def check_symbolic_sign(
    name: str, expr: Any, sign: str = "nonnegative", *, role: str = "proof"
) -> CheckRecord:
    """Assert ``expr >= 0`` (``sign="nonnegative"``) or ``> 0`` (``"positive"``) exactly."""
    _name(name)
    _role(role, ("proof", "consistency"), "a symbolic sign")
    if sign not in ("nonnegative", "positive"):
        raise ValueError(f"sign must be 'nonnegative' or 'positive', got {sign!r}")
    e = require_expr(expr, "expr")
    rel = ">= 0" if sign == "nonnegative" else "> 0"
    try:
        proof = (prove_nonnegative if sign == "nonnegative" else prove_positive)(e)
    except SymbolicProofError as exc:
        raise SymbolicCheckFailed(
            f"{name}: not proved {sign}.\n  expected: expression {rel}\n  actual:   {_fmt(e)[:300]}"
            f" (sign not proved)\n  tolerance: exact (symbolic)\n  {exc}"
        ) from None
    return CheckRecord(
        name, "symbolic", f"expression {rel}", f"proved ({proof.method})", "exact", role
    )


def _real_array(x: Any, what: str) -> np.ndarray:
    """``x`` as a non-empty float64 array; strings, None, complex and symbols refused."""
    if (
        isinstance(x, (str, bytes))
        or x is None
        or isinstance(x, sp.Basic)
        and not x.is_number
    ):
        raise TypeError(f"{what} must be numeric, got {type(x).__name__}")
    if isinstance(x, sp.Basic):
        try:
            arr = np.asarray(float(x))
        except TypeError:
            raise TypeError(f"{what} must be a real number, got {sp.sstr(x)}") from None
    else:
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
        ):
            raise TypeError(f"{what} must be real numeric, got {type(x).__name__}")
        try:
            arr = np.asarray(raw, dtype=np.float64)
        except (TypeError, ValueError):
            raise TypeError(
                f"{what} must be real numeric, got {type(x).__name__}"
            ) from None
    if arr.size == 0:
        raise ValueError(
            f"{what} is empty: a check over no values would pass vacuously"
        )
    return arr


def check_close(
    name: str,
    actual: Any,
    expected: Any,
    *,
    role: str,
    rtol: float = 1e-10,
    atol: float = 0.0,
) -> CheckRecord:
    """Assert ``|actual - expected| <= atol + rtol·|expected|`` elementwise.

    ``role`` must be stated: ``"independent"`` when ``expected`` is computed
    another way than ``actual``, ``"consistency"`` when the two share the code
    under test, ``"source"`` when ``expected`` is a printed figure (prefer
    :func:`check_source`). NaN in ``actual`` fails the check; NaN in
    ``expected`` or an empty array raises :class:`ValueError`. Equal infinities
    pass.
    """
    _name(name)
    _role(role, ("independent", "consistency", "source"), "check_close")
    rtol, atol = _tolerance(rtol, "rtol"), _tolerance(atol, "atol")
    if rtol == 0 and atol == 0:
        raise ValueError("rtol and atol are both 0: give a tolerance")
    a = _real_array(actual, "actual")
    e = _real_array(expected, "expected")
    if np.any(np.isnan(e)):
        raise ValueError("expected has NaN entries: there is nothing to compare with")
    try:
        a_b, e_b = np.broadcast_arrays(a, e)
    except ValueError:
        raise ValueError(
            f"shape mismatch: actual {a.shape} vs expected {e.shape}"
        ) from None
    tol = f"rtol={rtol:g}, atol={atol:g}"
    if np.any(np.isnan(a_b)):
        raise NumericCheckFailed(
            f"{name}: actual has {int(np.isnan(a_b).sum())} NaN entries.\n"
            f"  expected: {_fmt(expected)}\n  actual:   {_fmt(actual)}\n  tolerance: {tol}"
        )
    both_inf = np.isinf(a_b) & np.isinf(e_b) & (np.sign(a_b) == np.sign(e_b))
    with np.errstate(invalid="ignore"):
        err = np.where(both_inf, 0.0, np.abs(a_b - e_b))
    allowed = atol + rtol * np.where(np.isinf(e_b), 0.0, np.abs(e_b))
    ok = np.isfinite(err) & (err <= allowed)
    if not np.all(ok):
        worst = float(np.max(np.where(ok, 0.0, err)))
        raise NumericCheckFailed(
            f"{name}: not within tolerance.\n  expected: {_fmt(expected)}\n  actual:   {_fmt(actual)}\n"
            f"  tolerance: {tol}; largest error {worst:.3g} ({int((~ok).sum())} of {ok.size} entries fail)"
        )
    return CheckRecord(name, "numeric", _fmt(expected), _fmt(actual), tol, role)


def _normal_cdf(z: float) -> float:
    return 0.5 * math.erfc(-z / math.sqrt(2.0))


def mc_power(resolution: float, stderr: float, k: float) -> float:
    """Probability that a check with a pass band of ``k`` standard errors fails
    when the estimate is off by ``resolution`` (normal approximation)."""
    if stderr <= 0:
        return 1.0
    shift = resolution / stderr
    return _normal_cdf(shift - k) + _normal_cdf(-shift - k)


def check_mc(
    name: str,
    estimate: Estimate,
    expected: float,
    *,
    k: float = 4.0,
    detect: float | None = 0.01,
    detect_abs: float | None = None,
    role: str = "monte carlo",
) -> CheckRecord:
    r"""Assert ``|estimate.mean - expected| <= k · estimate.stderr``, with stated power.

    The check must also be able to fail: an error of ``detect · |expected|``
    (1% by default), or ``detect_abs`` when given (needed when ``expected`` is
    0 or when only part of ``expected`` is uncertain), must fail it with
    probability at least 95%. That holds when
    :math:`(k + 1.645)\,\mathrm{SE} \le \text{detect}`; an estimate too noisy
    for that raises :class:`MonteCarloCheckFailed` too. The record shows the
    power, :func:`mc_power`.
    """
    _name(name)
    _role(role, ("monte carlo", "consistency"), "check_mc")
    if not isinstance(estimate, Estimate):
        raise TypeError(
            f"estimate must be a klnotes Estimate, got {type(estimate).__name__}"
        )
    if isinstance(expected, (str, bytes, bool)) or expected is None:
        raise TypeError(
            f"expected must be a real number, got {type(expected).__name__}"
        )
    exp = float(expected)
    if not math.isfinite(exp):
        raise ValueError(f"expected must be finite, got {expected!r}")
    if isinstance(k, bool) or not isinstance(k, (int, float, np.integer, np.floating)):
        raise TypeError(f"k must be a real number, got {type(k).__name__}")
    if not (math.isfinite(float(k)) and k > 0):
        raise ValueError(f"k must be positive and finite, got {k!r}")
    if not (math.isfinite(estimate.mean) and math.isfinite(estimate.stderr)):
        raise MonteCarloCheckFailed(
            f"{name}: the estimate is not finite ({estimate.mean} ± {estimate.stderr})"
        )
    if detect_abs is not None:
        resolution = _tolerance(detect_abs, "detect_abs")
        res_txt = f"{resolution:.3g} absolute"
    elif detect is not None:
        rel = _tolerance(detect, "detect")
        if exp == 0.0:
            raise ValueError(
                "expected is 0, so a relative detect is meaningless; pass detect_abs"
            )
        resolution = rel * abs(exp)
        res_txt = f"{100 * rel:g}% of expected"
    else:
        raise ValueError("one of detect or detect_abs must be given")
    if resolution <= 0:
        raise ValueError("the error to detect must be positive")
    se = estimate.stderr
    dev = abs(estimate.mean - exp)
    power = mc_power(resolution, se, float(k))
    detail = (
        f"  expected: {exp:.10g}\n  actual:   {estimate.mean:.10g} ± {se:.3g}"
        f" (standard error, n={estimate.n})"
    )
    if (k + Z_POWER) * se > resolution:
        need = int(math.ceil(estimate.n * ((k + Z_POWER) * se / resolution) ** 2))
        raise MonteCarloCheckFailed(
            f"{name}: estimate too noisy to detect an error of {res_txt} ({resolution:.3g})"
            f" with 95% power.\n{detail}\n"
            f"  tolerance: {k:g} standard errors = {k * se:.3g}; power against that error"
            f" {power:.2f}; need (k + 1.645)·SE <= {resolution:.3g}, about n = {need}"
        )
    if not dev <= k * se:
        raise MonteCarloCheckFailed(
            f"{name}: estimate disagrees with the exact value.\n{detail}\n"
            f"  tolerance: {k:g} standard errors = {k * se:.3g}; "
            f"deviation {dev:.3g} = {dev / se if se else math.inf:.2f} standard errors"
        )
    return CheckRecord(
        name,
        "Monte Carlo",
        f"{exp:.8g}",
        f"{estimate.mean:.8g} ± {se:.2g} (n={estimate.n})",
        f"{k:g} s.e. (z = {dev / se if se else 0.0:.2f}); detects {res_txt}",
        role,
        power=power,
    )


def check_bound(
    name: str,
    value: Any,
    *,
    lower: Any = None,
    upper: Any = None,
    tol: float = 0.0,
    role: str = "bound",
) -> CheckRecord:
    """Assert ``lower - tol <= value <= upper + tol`` (elementwise for arrays).

    ``tol`` allows for floating-point rounding only; it defaults to 0. NaN in
    ``value`` fails; empty arrays, NaN bounds and bounds that exclude nothing
    (``lower`` all ``-inf`` and ``upper`` absent or all ``+inf``) raise
    :class:`ValueError`. ``role`` is ``"bound"`` or, for an inequality that
    holds by construction, ``"consistency"``.
    """
    _name(name)
    _role(role, ("bound", "consistency"), "check_bound")
    if lower is None and upper is None:
        raise ValueError("give at least one of lower and upper")
    tol = _tolerance(tol, "tol")
    v = _real_array(value, "value")
    lo = _real_array(lower, "lower") if lower is not None else None
    hi = _real_array(upper, "upper") if upper is not None else None
    for b, nm in ((lo, "lower"), (hi, "upper")):
        if b is not None and np.any(np.isnan(b)):
            raise ValueError(f"{nm} has NaN entries")
    lo_open = lo is None or bool(np.all(np.isneginf(lo)))
    hi_open = hi is None or bool(np.all(np.isposinf(hi)))
    if lo_open and hi_open:
        raise ValueError(
            "the bounds exclude nothing (lower is -inf or absent and upper is +inf or absent)"
        )
    if np.any(np.isnan(v)):
        raise BoundCheckFailed(
            f"{name}: value has {int(np.isnan(v).sum())} NaN entries.\n  actual: {_fmt(value)}"
        )
    ok = np.ones(
        np.broadcast_shapes(v.shape, *(b.shape for b in (lo, hi) if b is not None)),
        bool,
    )
    parts = []
    if lo is not None:
        ok = ok & (v >= lo - tol)
        parts.append(f"{_fmt(lower)} <=")
    parts.append("value")
    if hi is not None:
        ok = ok & (v <= hi + tol)
        parts.append(f"<= {_fmt(upper)}")
    claim = " ".join(parts)
    if not np.all(ok):
        raise BoundCheckFailed(
            f"{name}: bound violated.\n  expected: {claim}\n  actual:   {_fmt(value)}\n"
            f"  tolerance: {tol:g}; {int(np.size(ok) - np.sum(ok))} of {np.size(ok)} entries fail"
        )
    margins = []
    if lo is not None:
        margins.append(np.broadcast_to(v - lo, ok.shape))
    if hi is not None:
        margins.append(np.broadcast_to(hi - v, ok.shape))
    margin = float(np.min(np.minimum.reduce(margins)))
    shown = (
        f"{ok.size} values, min margin {margin:.3g}"
        if ok.size > 1
        else f"{_fmt(value)} (margin {margin:.3g})"
    )
    return CheckRecord(name, "bound", claim, shown, f"{tol:g}", role)


_FIGURE = re.compile(
    r"^\s*([-+−]?)\s*(\d{1,3}(?:,\d{3})+|\d*\.?\d+)(?:\s*[eE×]\s*(?:10\^?)?\s*([-+−]?\d+))?\s*$"
)


def parse_figure(text: str) -> tuple[float, float]:
    """A printed figure and half a unit in its last printed digit.

    ``"0.616"`` → (0.616, 0.0005); ``"14,966"`` → (14966, 0.5);
    ``"1.146e-42"`` → (1.146e-42, 5e-46). Thousands separators and a Unicode
    minus are understood.
    """
    if not isinstance(text, str):
        raise TypeError(
            f"post must be a string as printed in the post, got {type(text).__name__}"
        )
    m = _FIGURE.match(text)
    if not m:
        raise ValueError(
            f"post {text!r} is not a number as printed (e.g. '0.616', '14,966', '1.146e-42')"
        )
    sign, digits, exponent = m.groups()
    digits = digits.replace(",", "")
    decimals = len(digits.split(".")[1]) if "." in digits else 0
    scale = 10.0 ** int(exponent.replace("−", "-")) if exponent else 1.0
    value = float(digits) * scale * (-1.0 if sign in ("-", "−") else 1.0)
    return value, 0.5 * 10.0 ** (-decimals) * scale


def check_source(
    name: str,
    actual: Any,
    post: str | Fraction,
    *,
    tol: float | None = None,
    scale: float = 1.0,
) -> CheckRecord:
    """Assert that a computed number reproduces a figure printed in a source post.

    ``post`` is the figure as printed (a string such as ``"0.616"``, ``"14,966"``
    or ``"1.146e-42"``), or an exact :class:`fractions.Fraction` for a printed
    fraction such as 1024/1037. ``actual · scale`` must round to it: it must lie
    within half a unit of the last printed digit, or within ``tol`` when the
    post rounded more loosely (say so in the name). The role is ``"source"``:
    it shows that the book reproduces the post, not that either is right; pair
    it with a check against an independent value.
    """
    _name(name)
    a = _real_array(actual, "actual")
    if a.size != 1:
        raise ValueError(f"actual must be one number, got shape {a.shape}")
    value = float(a.ravel()[0]) * float(scale)
    if not math.isfinite(value):
        raise SourceCheckFailed(f"{name}: the computed value is not finite ({value})")
    if isinstance(post, Fraction):
        target, half_unit, shown = (
            float(post),
            0.0,
            f"{post.numerator}/{post.denominator}",
        )
    else:
        target, half_unit = parse_figure(post)
        shown = post.strip()
    allowed = _tolerance(tol, "tol") if tol is not None else half_unit
    if isinstance(post, Fraction) and tol is None:
        allowed = 1e-12 * abs(target)
    if not abs(value - target) <= allowed:
        raise SourceCheckFailed(
            f"{name}: does not reproduce the post's figure.\n  expected: {shown} (as printed)\n"
            f"  actual:   {value:.10g}\n  tolerance: ±{allowed:.3g}"
        )
    return CheckRecord(
        name,
        "source",
        f"{shown} (post)",
        f"{value:.8g}",
        f"±{allowed:.3g} ({'stated' if tol is not None else 'half a unit of the last digit'})",
        "source",
    )


# ---------------------------------------------------------------------------
# a chapter's log of checks

_ASCII_MATH = re.compile(r"\^|>=|<=|!=|->|\*\*|''|\bsqrt\(|\bexp\(|\blog\(")
_MYST_ROLE = re.compile(r"\{[a-z:]+\}`")


def _prose_name(name: str) -> str:
    """Refuse check names written in ASCII math outside ``$…$``."""
    outside = re.sub(r"\$[^$]*\$", "", name)
    bad = _ASCII_MATH.search(outside)
    if bad:
        raise ValueError(
            f"check name {name!r} uses ASCII math ({bad.group(0)!r}); write it as prose"
            " or typeset it between $…$"
        )
    role = _MYST_ROLE.search(name)
    if role:
        raise ValueError(
            f"check name {name!r} contains the MyST role {role.group(0)!r}, which a"
            " cell's output and the ledger show as raw text; name the quantity instead"
        )
    return name


def _label(label: Any, what: str) -> str:
    if not isinstance(label, str) or not re.fullmatch(r"[a-z0-9][a-z0-9-]*", label):
        raise ValueError(
            f"{what} must be a label of lowercase letters, digits and hyphens, got {label!r}"
        )
    return label


def _execution_count() -> int | None:
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython is always installed with the book
        return None
    shell = get_ipython()
    # While a cell runs, IPython's counter already holds the next cell's number.
    return None if shell is None else int(shell.execution_count) - 1


@dataclass
class Claim:
    """A claim declared in code: a reproduced figure, a reference value or an erratum.

    Theorem-like claims are the book's ``prf`` blocks and need no declaration.
    """

    label: str
    kind: str
    title: str
    uses: tuple[str, ...] = ()
    post: str | None = None
    book: str | None = None
    reason: str | None = None


class CheckLog:
    """Runs a chapter's checks, ties each to a claim, and summarises them.

    ``CheckLog("chain-rule")`` names the chapter. Each method has the signature
    of the check function of the same name plus a keyword ``claim``, the label
    of the claim the check supports: a ``prf`` block's label or a label
    declared with :meth:`claim`. A failing check raises, so the chapter (and
    the build) stops at the claim that broke.
    """

    def __init__(self, chapter: str) -> None:
        self.chapter = _label(chapter, "chapter")
        self.records: list[CheckRecord] = []
        self.claims: dict[str, Claim] = {}
        self.edges: dict[str, list[str]] = {}

    # claims -------------------------------------------------------------

    def claim(
        self,
        label: str,
        title: str,
        *,
        kind: str,
        uses: tuple[str, ...] | list[str] = (),
        post: str | None = None,
        book: str | None = None,
    ) -> str:
        """Declare a claim that is not a ``prf`` block; returns its label.

        ``kind`` is ``"source figure"`` (a figure from a post the chapter
        reproduces: pass ``post``, the figure as printed), ``"reference value"``
        (a number the chapter computes to a stated precision) or ``"erratum"``
        (a departure from the source: ``post`` says what the post has, ``book``
        what the book derives). The label must also be a MyST target,
        ``(label)=``, in the chapter's prose, where the ledger links to.
        """
        _label(label, "label")
        if kind not in ledger.DECLARED_KINDS:
            raise ValueError(
                f"kind must be one of {ledger.DECLARED_KINDS}, got {kind!r}"
            )
        if not isinstance(title, str) or not title.strip():
            raise TypeError("title must be a non-empty string")
        if label in self.claims:
            raise ValueError(f"claim {label!r} is declared twice")
        if kind == "erratum" and not (post and book):
            raise ValueError(
                "an erratum needs post= (what the post says) and book= (what the book derives)"
            )
        if kind == "source figure" and not post:
            raise ValueError(
                "a source figure needs post=, the figure as the post prints it"
            )
        self.claims[label] = Claim(
            label,
            kind,
            _prose_name(title),
            tuple(_label(u, "uses") for u in uses),
            post,
            book,
        )
        return label

    def uses(self, label: str, *used: str) -> None:
        """Record that claim ``label`` uses the claims ``used`` (where the text does not cite them)."""
        _label(label, "label")
        self.edges.setdefault(label, []).extend(_label(u, "uses") for u in used)

    def without_proof(self, label: str, reason: str) -> None:
        """Mark a ``prf`` claim as stated without proof, with the reason."""
        _label(label, "label")
        if not isinstance(reason, str) or not reason.strip():
            raise ValueError("reason must say why the claim is stated without proof")
        self.claims[label] = Claim(label, "stated without proof", label, reason=reason)

    # checks -------------------------------------------------------------

    def _keep(self, record: CheckRecord, claim: Any) -> CheckRecord:
        _label(claim, "claim")
        _prose_name(record.name)
        kept = CheckRecord(
            **{**asdict(record), "claim": claim, "cell": _execution_count()}
        )
        self.records.append(kept)
        return kept

    def symbolic(
        self, name: str, lhs: Any, rhs: Any, *, claim: str, **kw: Any
    ) -> CheckRecord:
        return self._keep(check_symbolic(name, lhs, rhs, **kw), claim)

    def symbolic_sign(
        self, name: str, expr: Any, sign: str = "nonnegative", *, claim: str, **kw: Any
    ) -> CheckRecord:
        return self._keep(check_symbolic_sign(name, expr, sign, **kw), claim)

    def close(
        self, name: str, actual: Any, expected: Any, *, claim: str, **kw: Any
    ) -> CheckRecord:
        return self._keep(check_close(name, actual, expected, **kw), claim)

    def mc(
        self, name: str, estimate: Estimate, expected: float, *, claim: str, **kw: Any
    ) -> CheckRecord:
        return self._keep(check_mc(name, estimate, expected, **kw), claim)

    def bound(self, name: str, value: Any, *, claim: str, **kw: Any) -> CheckRecord:
        return self._keep(check_bound(name, value, **kw), claim)

    def source(
        self, name: str, actual: Any, post: str | Fraction, *, claim: str, **kw: Any
    ) -> CheckRecord:
        return self._keep(check_source(name, actual, post, **kw), claim)

    # summary ------------------------------------------------------------

    def payload(self) -> dict[str, Any]:
        """Everything the ledger needs from this chapter, as JSON-ready data."""
        return {
            "schema": ledger.RECORDS_SCHEMA,
            "chapter": self.chapter,
            "klnotes_hash": source_hash(),
            "claims": [
                asdict(c) | {"uses": list(c.uses)} for c in self.claims.values()
            ],
            "uses": {k: list(v) for k, v in self.edges.items()},
            "checks": [asdict(r) for r in self.records],
        }

    def summary(self) -> CheckSummary:
        """The chapter's compact summary (counts by status and role, flags, link)."""
        return CheckSummary(self.payload())

    def table(self) -> CheckTable:
        """Every record as a table (for a notebook; the book shows the ledger instead)."""
        return CheckTable(tuple(self.records))


@dataclass(frozen=True)
class CheckSummary:
    """Renders a chapter's checks compactly and carries the records to the ledger."""

    payload: dict[str, Any] = field(repr=False)

    def _counts(self) -> tuple[dict[str, list[str]], dict[str, int]]:
        checks = self.payload["checks"]
        by_claim: dict[str, list[str]] = {}
        for r in checks:
            by_claim.setdefault(r["claim"], []).append(r["role"])
        declared = {c["label"]: c for c in self.payload["claims"]}
        status: dict[str, list[str]] = {}
        for label, roles in by_claim.items():
            s = ledger.claim_status(
                roles,
                without_proof=declared.get(label, {}).get("kind")
                == "stated without proof",
            )
            status.setdefault(s, []).append(label)
        roles: dict[str, int] = {}
        for r in checks:
            roles[r["role"]] = roles.get(r["role"], 0) + 1
        return status, roles

    def _repr_mimebundle_(
        self, include: Any = None, exclude: Any = None
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        data = {"text/plain": str(self), "text/html": self._html()}
        # The "scrapbook" key makes myst-nb keep this output (displayed) among
        # the page's glue data, which is how the book's build receives it.
        glue = {"name": GLUE_KEY, "mime_prefix": ""}
        return data, {RECORDS_MIME: self.payload, "scrapbook": glue}

    def _html(self) -> str:
        status, roles = self._counts()
        chapter = self.payload["chapter"]
        n = len(self.payload["checks"])
        items = "".join(
            f"<li><span class='klnotes-status klnotes-status-{ledger.status_slug(s)}'>{html.escape(s)}</span>: "
            f"{len(labels)} claim{'s' if len(labels) != 1 else ''}</li>"
            for s, labels in sorted(
                status.items(), key=lambda kv: ledger.STATUSES.index(kv[0])
            )
        )
        role_txt = ", ".join(f"{roles[r]} {r}" for r in ledger.ROLES if r in roles)
        flags = [
            f"{len(status.get(s, []))} claim(s) rest on {s.split()[0]} checks alone: "
            + ", ".join(html.escape(lbl) for lbl in status[s])
            for s in ("source only", "consistency only")
            if status.get(s)
        ]
        if roles.get("consistency"):
            flags.append(
                f"{roles['consistency']} consistency check(s) are kept to help follow the code; they verify nothing"
            )
        if roles.get("source"):
            flags.append(
                f"{roles['source']} source check(s) compare with figures the posts rounded; each is paired with an independent check"
            )
        flag_html = "".join(f"<li>{f}</li>" for f in flags)
        return (
            f"<div class='klnotes-summary'><p><strong>All {n} checks passed</strong> "
            f"({html.escape(role_txt)}).</p><ul>{items}</ul>"
            + (f"<ul class='klnotes-flags'>{flag_html}</ul>" if flag_html else "")
            + f"<p>Every check, with its value, tolerance and code cell, is in the "
            f"<a href='ledger.html#ledger-{chapter}'>verification ledger</a>.</p></div>"
        )

    def __str__(self) -> str:
        status, roles = self._counts()
        lines = [f"All {len(self.payload['checks'])} checks passed."]
        lines += [f"  {s}: {len(v)} claim(s)" for s, v in status.items()]
        lines += [f"  {r}: {roles[r]} check(s)" for r in ledger.ROLES if r in roles]
        return "\n".join(lines)

    __repr__ = __str__

    def to_json(self) -> str:
        return json.dumps(self.payload, indent=1, sort_keys=True)


@dataclass(frozen=True)
class CheckTable:
    """Every record of a chapter, one row each (for a notebook or a terminal)."""

    records: tuple[CheckRecord, ...]

    def _repr_html_(self) -> str:
        cols = ("#", "Check", "Role", "Claim", "Result", "Expected", "Tolerance")
        head = "".join(f"<th>{h}</th>" for h in cols)
        rows = "".join(
            "<tr>"
            + "".join(
                f"<td>{html.escape(str(c))}</td>"
                for c in (
                    i + 1,
                    r.name,
                    r.role,
                    r.claim,
                    r.actual,
                    r.expected,
                    r.tolerance,
                )
            )
            + "</tr>"
            for i, r in enumerate(self.records)
        )
        return (
            '<table class="table klnotes-checks"><thead><tr>'
            f"{head}</tr></thead><tbody>{rows}</tbody></table>"
        )

    def __str__(self) -> str:
        return "\n".join(
            f"{i + 1:>3}. [{r.role}] {r.name}: {r.actual} (expected {r.expected}; tol {r.tolerance})"
            for i, r in enumerate(self.records)
        )

    __repr__ = __str__

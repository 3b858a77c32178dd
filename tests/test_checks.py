"""Unit tests of klnotes.checks: every check passes true claims and fails false ones."""

from __future__ import annotations

import html
import math
import re

import jax.numpy as jnp
import numpy as np
import pytest
import sympy as sp

import klnotes as kn
from klnotes import symbolic as S
from klnotes.checks import (
    BoundCheckFailed,
    CheckFailed,
    CheckLog,
    CheckRecord,
    CheckTable,
    MonteCarloCheckFailed,
    NumericCheckFailed,
    SymbolicCheckFailed,
    check_bound,
    check_close,
    check_mc,
    check_symbolic,
    check_symbolic_sign,
)
from klnotes.montecarlo import Estimate, mc_estimate

x, y = sp.symbols("x y", positive=True)
r = sp.Symbol("r", real=True)


def _message(excinfo) -> str:
    return str(excinfo.value)


def test_exception_hierarchy():
    for exc in (
        SymbolicCheckFailed,
        NumericCheckFailed,
        MonteCarloCheckFailed,
        BoundCheckFailed,
    ):
        assert issubclass(exc, CheckFailed)
    assert issubclass(CheckFailed, AssertionError)


# ---------------------------------------------------------------------------
# check_symbolic


def test_check_symbolic_passes_and_records():
    rec = check_symbolic("log of a product", sp.log(x * y), sp.log(x) + sp.log(y))
    assert rec == CheckRecord(
        "log of a product", "symbolic", "exact identity", rec.actual, "exact"
    )
    assert rec.actual.startswith("proved (")
    P, Q = S.discrete_joint("p", 2, 2), S.discrete_joint("q", 2, 2)
    rhs = S.kl(S.marginal(P, 0), S.marginal(Q, 0)) + S.expected_conditional_kl(P, Q)
    check_symbolic("chain rule", S.kl(P, Q), rhs)


def test_check_symbolic_fails_on_false_identity():
    with pytest.raises(SymbolicCheckFailed) as ei:
        check_symbolic("bad square", (x + y) ** 2, x**2 + y**2)
    msg = _message(ei)
    assert msg.startswith("bad square: identity not proved")
    assert "expected: x**2 + y**2" in msg
    assert "actual:   (x + y)**2" in msg
    assert "tolerance: exact (symbolic)" in msg


def test_check_symbolic_fails_on_identity_true_only_for_positive_values():
    with pytest.raises(SymbolicCheckFailed, match="abs value: identity not proved"):
        check_symbolic("abs value", sp.Abs(r), r)


def test_check_symbolic_fails_when_budget_is_too_small():
    with pytest.raises(SymbolicCheckFailed, match="max_ops=1"):
        check_symbolic("pythagoras", sp.sin(r) ** 2 + sp.cos(r) ** 2, 1, max_ops=1)


@pytest.mark.parametrize(
    ("lhs", "rhs", "match"),
    [
        ("x", x, "lhs must be a SymPy expression"),
        (x, "x", "rhs must be a SymPy expression"),
        (0.5, sp.Rational(1, 2), "lhs is a float"),
        (x, 2.0, "rhs is a float"),
        (None, x, "lhs must be a SymPy expression"),
    ],
)
def test_check_symbolic_rejects_non_sympy(lhs, rhs, match):
    with pytest.raises(TypeError, match=match):
        check_symbolic("q", lhs, rhs)


# ---------------------------------------------------------------------------
# check_symbolic_sign


def test_check_symbolic_sign_passes():
    rec = check_symbolic_sign("square", r**2)
    assert rec.kind == "symbolic" and rec.expected == "expression >= 0"
    rec = check_symbolic_sign("positive sum", x + y, sign="positive")
    assert rec.expected == "expression > 0"


@pytest.mark.parametrize(
    ("expr", "sign", "rel"),
    [
        (x - 1, "nonnegative", ">= 0"),
        (r**2, "positive", "> 0"),
        (-x, "positive", "> 0"),
    ],
)
def test_check_symbolic_sign_fails(expr, sign, rel):
    with pytest.raises(SymbolicCheckFailed) as ei:
        check_symbolic_sign("the sign", expr, sign=sign)
    msg = _message(ei)
    assert msg.startswith(f"the sign: not proved {sign}")
    assert f"expected: expression {rel}" in msg
    assert f"actual:   {sp.sstr(expr)}" in msg
    assert "tolerance: exact (symbolic)" in msg


def test_check_symbolic_sign_bad_input():
    with pytest.raises(ValueError, match="sign must be 'nonnegative' or 'positive'"):
        check_symbolic_sign("s", x, sign="negative")
    with pytest.raises(TypeError, match="expr is a float"):
        check_symbolic_sign("s", 0.5)
    with pytest.raises(TypeError, match="expr must be a SymPy expression"):
        check_symbolic_sign("s", "x**2")


# ---------------------------------------------------------------------------
# check_close


def test_check_close_passes():
    rec = check_close("ln 2", math.log(2), 0.6931471805599453)
    assert rec.kind == "numeric" and rec.tolerance == "rtol=1e-10, atol=0"
    check_close("array", np.array([1.0, 2.0]), [1.0, 2.0 + 1e-12])
    check_close("broadcast", np.full(3, 0.5), 0.5)
    check_close("atol", 1e-13, 0.0, atol=1e-12)
    check_close("inf", np.inf, np.inf)
    check_close("jax", jnp.array([1.0, 2.0]), np.array([1.0, 2.0]))
    check_close("sympy number", sp.pi, math.pi)
    check_close(
        "KL in bits", kn.kl([0.5, 0.5], [0.9, 0.1], base="bits"), 0.7369655941662062
    )


@pytest.mark.parametrize(
    ("actual", "expected", "kw"),
    [
        (1.001, 1.0, {}),
        (1.1, 1.0, {"rtol": 0.05}),
        (1e-11, 0.0, {}),  # relative tolerance of 0 is 0
        (np.nan, np.nan, {}),
        (np.inf, 1.0, {}),
        (1.0, np.inf, {}),
        (-np.inf, np.inf, {}),
        ([1.0, 2.0, 3.5], [1.0, 2.0, 3.0], {"rtol": 1e-6}),
    ],
)
def test_check_close_fails(actual, expected, kw):
    with pytest.raises(NumericCheckFailed) as ei:
        check_close("the number", actual, expected, **kw)
    msg = _message(ei)
    assert msg.startswith("the number: not within tolerance")
    assert "expected:" in msg and "actual:" in msg
    assert f"tolerance: rtol={kw.get('rtol', 1e-10):g}, atol=0" in msg


def test_check_close_message_shows_values_and_error():
    with pytest.raises(NumericCheckFailed) as ei:
        check_close("entropy of a coin", 0.7, math.log(2), rtol=1e-3)
    msg = _message(ei)
    assert "expected: 0.69314718" in msg
    assert "actual:   0.7" in msg
    assert "tolerance: rtol=0.001, atol=0" in msg
    assert "largest error 0.00685" in msg and "1 of 1 entries fail" in msg


@pytest.mark.parametrize(
    ("kw", "exc", "match"),
    [
        ({"actual": "1.0", "expected": 1.0}, TypeError, "actual must be numeric"),
        ({"actual": 1.0, "expected": None}, TypeError, "expected must be numeric"),
        ({"actual": x, "expected": 1.0}, TypeError, "actual must be numeric"),
        (
            {"actual": ["1.0"], "expected": 1.0},
            TypeError,
            "actual must be real numeric",
        ),
        (
            {"actual": 1.0 + 1e-3j, "expected": 1.0},
            TypeError,
            "actual must be real numeric",
        ),
        (
            {"actual": np.array([1 + 1j]), "expected": 1.0},
            TypeError,
            "actual must be real",
        ),
        (
            {"actual": 1.0, "expected": sp.I},
            TypeError,
            "expected must be a real number",
        ),
        ({"actual": [None], "expected": 1.0}, TypeError, "actual must be real numeric"),
        (
            {"actual": [1.0, 2.0], "expected": [1.0, 2.0, 3.0]},
            ValueError,
            "shape mismatch",
        ),
        ({"actual": 1.0, "expected": 1.0, "rtol": 0.0}, ValueError, "rtol and atol"),
        ({"actual": 1.0, "expected": 1.0, "rtol": -1e-3}, ValueError, "rtol and atol"),
        ({"actual": 1.0, "expected": 1.0, "atol": -1.0}, ValueError, "rtol and atol"),
    ],
)
def test_check_close_bad_input(kw, exc, match):
    with pytest.raises(exc, match=match):
        check_close("q", **kw)


@pytest.mark.parametrize("name", ["", "   ", None, 3])
def test_checks_require_a_name(name):
    for call in (
        lambda: check_close(name, 1.0, 1.0),
        lambda: check_symbolic(name, x, x),
        lambda: check_symbolic_sign(name, x),
        lambda: check_mc(name, Estimate(1.0, 0.001, 10), 1.0),
        lambda: check_bound(name, 1.0, lower=0.0),
    ):
        with pytest.raises(TypeError, match="name must be a non-empty string"):
            call()


# ---------------------------------------------------------------------------
# check_mc


def test_check_mc_passes_and_records():
    rec = check_mc("kl", Estimate(1.001, 0.001, 1000), 1.0)
    assert rec.kind == "Monte Carlo"
    assert rec.expected == "1" and rec.actual == "1.001 ± 0.001 (n=1000)"
    assert rec.tolerance == "4 s.e. (z = 1.00)"
    check_mc("zero", Estimate(0.0005, 0.0002, 100), 0.0, detect_abs=0.001)
    check_mc("exact", Estimate(2.0, 0.0, 10), 2.0)


def test_check_mc_fails_on_disagreement_with_full_message():
    with pytest.raises(MonteCarloCheckFailed) as ei:
        check_mc("KL estimate", Estimate(1.01, 0.001, 5000), 1.0)
    msg = _message(ei)
    assert msg.startswith("KL estimate: estimate disagrees with the exact value")
    assert "expected: 1\n" in msg
    assert "actual:   1.01 ± 0.001 (standard error, n=5000)" in msg
    assert "tolerance: 4 standard errors = 0.004" in msg
    assert re.search(r"deviation 0\.01 = 10\.00 standard errors", msg)


def test_check_mc_rejects_an_estimate_too_noisy_to_detect_one_percent():
    # agrees perfectly, but 4 s.e. = 0.04 cannot resolve a 1% (0.01) error
    with pytest.raises(MonteCarloCheckFailed) as ei:
        check_mc("noisy", Estimate(1.0, 0.01, 100), 1.0)
    msg = _message(ei)
    assert msg.startswith(
        "noisy: estimate too noisy to detect an error of 1% of expected (0.01)"
    )
    assert "expected: 1\n" in msg
    assert "actual:   1 ± 0.01 (standard error, n=100)" in msg
    assert "tolerance: 4 standard errors = 0.04" in msg
    # the boundary: k * stderr must be strictly below the resolution
    with pytest.raises(MonteCarloCheckFailed, match="too noisy"):
        check_mc("edge", Estimate(1.0, 0.0025, 100), 1.0)
    with pytest.raises(MonteCarloCheckFailed, match=r"too noisy .* 0\.001 absolute"):
        check_mc("abs", Estimate(0.0, 0.001, 100), 0.0, detect_abs=0.001)


def _gaussian_kl_samples(n: int, seed: int) -> Estimate:
    # I[N(0, 1); N(2, 1)] = 2 nats; log p - log q = 2 - 2x for x ~ N(0, 1)
    xs = np.random.default_rng(seed).normal(size=n)
    return mc_estimate(2.0 - 2.0 * xs)


def test_check_mc_real_samples_pass_and_a_real_one_percent_error_fails():
    exact = kn.gaussian_kl(0.0, 1.0, 2.0, 1.0)
    assert exact == pytest.approx(2.0)
    est = _gaussian_kl_samples(300_000, seed=5)
    check_mc("Gaussian KL", est, exact)
    with pytest.raises(MonteCarloCheckFailed, match="disagrees with the exact value"):
        check_mc("Gaussian KL off by 1%", est, 1.01 * exact)
    with pytest.raises(MonteCarloCheckFailed, match="disagrees with the exact value"):
        check_mc("Gaussian KL off by -1%", est, 0.99 * exact)
    # the same claim with too few samples is refused rather than passed
    small = _gaussian_kl_samples(1000, seed=5)
    with pytest.raises(MonteCarloCheckFailed, match="too noisy"):
        check_mc("Gaussian KL, n=1000", small, exact)
    with pytest.raises(MonteCarloCheckFailed, match="too noisy"):
        check_mc("Gaussian KL, n=1000, off by 1%", small, 1.01 * exact)


@pytest.mark.parametrize(
    ("estimate", "expected", "kw", "exc", "match"),
    [
        ((1.0, 0.001, 10), 1.0, {}, None, None),
        ((1.0, 0.01, 10), 0.0, {}, ValueError, "expected is 0.*pass detect_abs"),
        ((1.0, 0.001, 10), math.nan, {}, ValueError, "expected must be finite"),
        ((1.0, 0.001, 10), math.inf, {}, ValueError, "expected must be finite"),
        ((1.0, 0.001, 10), 1.0, {"k": 0}, ValueError, "k must be positive"),
        ((1.0, 0.001, 10), 1.0, {"k": -2}, ValueError, "k must be positive"),
        (
            (1.0, 0.001, 10),
            1.0,
            {"detect": None},
            ValueError,
            "one of detect or detect_abs",
        ),
        (
            (1.0, 0.001, 10),
            1.0,
            {"detect": -0.01},
            ValueError,
            "error to detect must be positive",
        ),
        (
            (1.0, 0.001, 10),
            1.0,
            {"detect_abs": 0.0},
            ValueError,
            "error to detect must be",
        ),
    ],
)
def test_check_mc_bad_arguments(estimate, expected, kw, exc, match):
    est = Estimate(*estimate)
    if exc is None:
        check_mc("q", est, expected, **kw)
        return
    with pytest.raises(exc, match=match):
        check_mc("q", est, expected, **kw)


@pytest.mark.parametrize("estimate", [1.0, (1.0, 0.1, 10), np.array([1.0, 2.0]), None])
def test_check_mc_requires_an_estimate(estimate):
    with pytest.raises(TypeError, match="estimate must be a klnotes Estimate"):
        check_mc("q", estimate, 1.0)


# ---------------------------------------------------------------------------
# check_bound


def test_check_bound_passes():
    rec = check_bound("KL >= 0", kn.kl([0.5, 0.5], [0.9, 0.1]), lower=0.0)
    assert rec.kind == "bound" and rec.expected == "0 <= value" and rec.tolerance == "0"
    rec = check_bound("probability", 0.3, lower=0.0, upper=1.0)
    assert rec.expected == "0 <= value <= 1"
    rec = check_bound("many", np.array([0.1, 0.5, 0.9]), lower=0.0, upper=1.0)
    assert rec.actual == "3 values, min margin 0.1"
    check_bound("upper only", 5.0, upper=5.0)
    check_bound("rounding", -1e-17, lower=0.0, tol=1e-15)
    check_bound("infinite KL", np.inf, lower=0.0)
    check_bound("elementwise bounds", [1.0, 2.0], lower=[0.5, 1.5], upper=[1.5, 2.5])


@pytest.mark.parametrize(
    ("value", "kw", "claim"),
    [
        (-0.1, {"lower": 0.0}, "0 <= value"),
        (1.5, {"lower": 0.0, "upper": 1.0}, "0 <= value <= 1"),
        (-1e-17, {"lower": 0.0}, "0 <= value"),
        (np.nan, {"lower": 0.0}, "0 <= value"),
        (np.nan, {"upper": 0.0}, "value <= 0"),
        ([0.5, 1.2, 2.0], {"upper": 1.0, "tol": 0.1}, "value <= 1"),
    ],
)
def test_check_bound_fails(value, kw, claim):
    with pytest.raises(BoundCheckFailed) as ei:
        check_bound("the bound", value, **kw)
    msg = _message(ei)
    assert msg.startswith("the bound: bound violated")
    assert f"expected: {claim}" in msg
    assert "actual:" in msg
    assert f"tolerance: {kw.get('tol', 0.0):g}" in msg


def test_check_bound_message_shows_values():
    with pytest.raises(BoundCheckFailed) as ei:
        check_bound("Gibbs inequality", -0.25, lower=0.0, upper=1.5, tol=1e-12)
    msg = _message(ei)
    assert "expected: 0 <= value <= 1.5" in msg
    assert "actual:   -0.25" in msg
    assert "tolerance: 1e-12" in msg


def test_check_bound_message_counts_failures():
    with pytest.raises(BoundCheckFailed, match="2 of 3 entries fail"):
        check_bound("kl", np.array([-1.0, 0.5, -2.0]), lower=0.0)


@pytest.mark.parametrize(
    ("value", "kw", "exc", "match"),
    [
        (1.0, {}, ValueError, "give at least one of lower and upper"),
        (1.0, {"lower": 0.0, "tol": -1e-9}, ValueError, "tol must be non-negative"),
        ("1.0", {"lower": 0.0}, TypeError, "value must be numeric"),
        (None, {"lower": 0.0}, TypeError, "value must be numeric"),
        (1j, {"lower": 0.0}, TypeError, "value must be real numeric"),
        (1.0, {"lower": "0"}, TypeError, "lower must be numeric"),
        (1.0, {"upper": x}, TypeError, "upper must be numeric"),
    ],
)
def test_check_bound_bad_input(value, kw, exc, match):
    with pytest.raises(exc, match=match):
        check_bound("q", value, **kw)


# ---------------------------------------------------------------------------
# CheckLog and CheckTable


def test_checklog_methods_record_passing_checks():
    log = CheckLog()
    recs = [
        log.symbolic("identity", sp.log(x * y), sp.log(x) + sp.log(y)),
        log.symbolic_sign("sign", x**2),
        log.close("close", 1.0, 1.0),
        log.mc("mc", Estimate(1.0, 0.001, 100), 1.0),
        log.bound("bound", 0.5, lower=0.0, upper=1.0),
    ]
    assert log.records == recs
    assert [r.kind for r in recs] == [
        "symbolic",
        "symbolic",
        "numeric",
        "Monte Carlo",
        "bound",
    ]
    assert log.table().records == tuple(recs)


@pytest.mark.parametrize(
    ("method", "args", "kwargs", "exc"),
    [
        ("symbolic", ("identity", (x + y) ** 2, x**2 + y**2), {}, SymbolicCheckFailed),
        ("symbolic_sign", ("sign", x - y), {}, SymbolicCheckFailed),
        ("symbolic_sign", ("sign", r**2), {"sign": "positive"}, SymbolicCheckFailed),
        ("close", ("close", 1.1, 1.0), {"rtol": 1e-3}, NumericCheckFailed),
        ("mc", ("mc", Estimate(1.02, 0.001, 100), 1.0), {}, MonteCarloCheckFailed),
        ("mc", ("mc", Estimate(1.0, 0.1, 100), 1.0), {}, MonteCarloCheckFailed),
        ("bound", ("bound", 1.5), {"lower": 0.0, "upper": 1.0}, BoundCheckFailed),
    ],
)
def test_checklog_methods_fail_on_false_claims_and_record_nothing(
    method, args, kwargs, exc
):
    log = CheckLog()
    log.close("a true claim", 2.0, 2.0)
    with pytest.raises(exc) as ei:
        getattr(log, method)(*args, **kwargs)
    assert isinstance(ei.value, CheckFailed)
    msg = _message(ei)
    assert msg.startswith(f"{args[0]}: ")
    assert "expected:" in msg and "actual:" in msg and "tolerance:" in msg
    assert len(log.records) == 1


def test_check_table_renders_every_record_and_escapes_html():
    log = CheckLog()
    names = [
        "I[p; q] >= 0 <script>alert('x')</script>",
        "S(p) & S(p, q)",
        'quote "this"',
        "plain",
    ]
    log.bound(names[0], 0.1, lower=0.0)
    log.close(names[1], 1.0, 1.0)
    log.symbolic(names[2], x, x)
    log.mc(names[3], Estimate(1.0, 0.001, 100), 1.0)
    table = log.table()
    assert isinstance(table, CheckTable)
    out = table._repr_html_()
    assert "<script>" not in out
    for rec in log.records:
        for field in (rec.name, rec.kind, rec.expected, rec.actual, rec.tolerance):
            assert html.escape(field) in out
    assert out.count("<tr>") == 1 + len(names)  # header + one row per record
    assert "All 4 checks passed." in out
    text = str(table)
    for i, name in enumerate(names, 1):
        assert f"{i:>3}. [" in text and name in text
    assert repr(table) == text


def test_empty_table():
    table = CheckLog().table()
    assert "All 0 checks passed." in table._repr_html_()
    assert str(table) == "All 0 checks passed."

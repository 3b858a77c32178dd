"""Unit tests of klnotes.checks: every check passes true claims, fails false ones,
refuses vacuous ones, and says what role it plays."""

from __future__ import annotations

import json
import math
import re
from fractions import Fraction

import jax.numpy as jnp
import numpy as np
import pytest
import sympy as sp

import klnotes as kn
from klnotes import ledger
from klnotes import symbolic as S
from klnotes.checks import (
    RECORDS_MIME,
    BoundCheckFailed,
    CheckFailed,
    CheckLog,
    CheckRecord,
    CheckTable,
    MonteCarloCheckFailed,
    NumericCheckFailed,
    SourceCheckFailed,
    SymbolicCheckFailed,
    check_bound,
    check_close,
    check_mc,
    check_source,
    check_symbolic,
    check_symbolic_sign,
    mc_power,
    parse_figure,
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
        SourceCheckFailed,
    ):
        assert issubclass(exc, CheckFailed)
    assert issubclass(CheckFailed, AssertionError)


# ---------------------------------------------------------------------------
# check_symbolic


def test_check_symbolic_passes_and_records_its_role():
    rec = check_symbolic("log of a product", sp.log(x * y), sp.log(x) + sp.log(y))
    assert rec == CheckRecord(
        "log of a product", "symbolic", "exact identity", rec.actual, "exact", "proof"
    )
    assert rec.actual.startswith("proved (")
    P, Q = S.discrete_joint("p", 2, 2), S.discrete_joint("q", 2, 2)
    rhs = S.kl(S.marginal(P, 0), S.marginal(Q, 0)) + S.expected_conditional_kl(P, Q)
    check_symbolic("chain rule", S.kl(P, Q), rhs)
    assert check_symbolic("restated", x, x, role="consistency").role == "consistency"


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
        (1 + sp.Float(1e-20), 1, "lhs contains the floating-point"),
        (x, x * (1 + sp.Float(1e-17)), "rhs contains the floating-point"),
    ],
)
def test_check_symbolic_rejects_non_exact_input(lhs, rhs, match):
    with pytest.raises(TypeError, match=match):
        check_symbolic("q", lhs, rhs)


def test_check_symbolic_role_must_be_known():
    with pytest.raises(ValueError, match="role must be one of 'proof', 'consistency'"):
        check_symbolic("q", x, x, role="independent")


# ---------------------------------------------------------------------------
# check_symbolic_sign


def test_check_symbolic_sign_passes():
    rec = check_symbolic_sign("square", r**2)
    assert rec.kind == "symbolic" and rec.expected == "expression >= 0"
    assert rec.role == "proof"
    rec = check_symbolic_sign("positive sum", x + y, sign="positive")
    assert rec.expected == "expression > 0"
    rec = check_symbolic_sign("tangent line", x - 1 - sp.log(x))
    assert "tangent-line" in rec.actual
    p, q = S.discrete_distribution("a", 2), S.discrete_distribution("b", 2)
    check_symbolic_sign("KL of two 2-point distributions", S.kl(p, q))


@pytest.mark.parametrize(
    ("expr", "sign", "rel"),
    [
        (x - 1, "nonnegative", ">= 0"),
        (r**2, "positive", "> 0"),
        (-x, "positive", "> 0"),
        (x - 2 - sp.log(x), "nonnegative", ">= 0"),
    ],
)
def test_check_symbolic_sign_fails(expr, sign, rel):
    with pytest.raises(SymbolicCheckFailed) as ei:
        check_symbolic_sign("the sign", expr, sign=sign)
    msg = _message(ei)
    assert msg.startswith(f"the sign: not proved {sign}")
    assert f"expected: expression {rel}" in msg
    assert "actual:" in msg
    assert "tolerance: exact (symbolic)" in msg


def test_check_symbolic_sign_bad_input():
    with pytest.raises(ValueError, match="sign must be 'nonnegative' or 'positive'"):
        check_symbolic_sign("s", x, sign="negative")
    with pytest.raises(TypeError, match="expr is a float"):
        check_symbolic_sign("s", 0.5)
    with pytest.raises(TypeError, match="expr must be a SymPy expression"):
        check_symbolic_sign("s", "x**2")
    with pytest.raises(TypeError, match="expr contains the floating-point"):
        check_symbolic_sign("s", sp.Add(sp.Float(-1e-20), 1, -1, evaluate=False))
    with pytest.raises(TypeError, match="expr contains the floating-point"):
        check_symbolic_sign("s", x + sp.Float(-1e-20))


# ---------------------------------------------------------------------------
# check_close


def test_check_close_passes_with_a_stated_role():
    rec = check_close("ln 2", math.log(2), 0.6931471805599453, role="independent")
    assert rec.kind == "numeric" and rec.tolerance == "rtol=1e-10, atol=0"
    assert rec.role == "independent"
    check_close("array", np.array([1.0, 2.0]), [1.0, 2.0 + 1e-12], role="independent")
    check_close("broadcast", np.full(3, 0.5), 0.5, role="consistency")
    check_close("atol", 1e-13, 0.0, atol=1e-12, role="independent")
    check_close("inf", np.inf, np.inf, role="independent")
    check_close("jax", jnp.array([1.0, 2.0]), np.array([1.0, 2.0]), role="independent")
    check_close("sympy number", sp.pi, math.pi, role="independent")
    check_close(
        "KL in bits",
        kn.kl([0.5, 0.5], [0.9, 0.1], base="bits"),
        0.7369655941662062,
        role="independent",
    )


def test_check_close_needs_a_role():
    with pytest.raises(TypeError, match="role"):
        check_close("q", 1.0, 1.0)
    with pytest.raises(ValueError, match="role must be one of"):
        check_close("q", 1.0, 1.0, role="proof")


@pytest.mark.parametrize(
    ("actual", "expected", "kw"),
    [
        (1.001, 1.0, {}),
        (1.1, 1.0, {"rtol": 0.05}),
        (1e-11, 0.0, {}),  # relative tolerance of 0 is 0
        (np.inf, 1.0, {}),
        (1.0, np.inf, {}),
        (-np.inf, np.inf, {}),
        ([1.0, 2.0, 3.5], [1.0, 2.0, 3.0], {"rtol": 1e-6}),
    ],
)
def test_check_close_fails(actual, expected, kw):
    with pytest.raises(NumericCheckFailed) as ei:
        check_close("the number", actual, expected, role="independent", **kw)
    msg = _message(ei)
    assert msg.startswith("the number: not within tolerance")
    assert "expected:" in msg and "actual:" in msg
    assert f"tolerance: rtol={kw.get('rtol', 1e-10):g}, atol=0" in msg


def test_check_close_message_shows_values_and_error():
    with pytest.raises(NumericCheckFailed) as ei:
        check_close(
            "entropy of a coin", 0.7, math.log(2), rtol=1e-3, role="independent"
        )
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
        (
            {"actual": 1.0, "expected": 1.0, "rtol": 0.0},
            ValueError,
            "rtol and atol are both 0",
        ),
        (
            {"actual": 1.0, "expected": 1.0, "rtol": -1e-3},
            ValueError,
            "rtol must be non-negative",
        ),
        (
            {"actual": 1.0, "expected": 1.0, "atol": -1.0},
            ValueError,
            "atol must be non-negative",
        ),
        # vacuous passes
        ({"actual": [], "expected": []}, ValueError, "actual is empty"),
        ({"actual": np.zeros((0, 3)), "expected": 0.0}, ValueError, "actual is empty"),
        ({"actual": 1.0, "expected": []}, ValueError, "expected is empty"),
        (
            {"actual": 5.0, "expected": 1.0, "rtol": math.inf},
            ValueError,
            "rtol must be finite",
        ),
        (
            {"actual": 5.0, "expected": 1.0, "atol": math.nan},
            ValueError,
            "atol must be finite",
        ),
        ({"actual": 1.0, "expected": math.nan}, ValueError, "expected has NaN"),
        (
            {"actual": 1.0, "expected": 1.0, "rtol": "1e-3"},
            TypeError,
            "rtol must be a real number",
        ),
    ],
)
def test_check_close_bad_or_vacuous_input(kw, exc, match):
    with pytest.raises(exc, match=match):
        check_close("q", role="independent", **kw)


@pytest.mark.parametrize("actual", [math.nan, [1.0, math.nan], np.full(3, np.nan)])
def test_check_close_nan_actual_fails(actual):
    with pytest.raises(NumericCheckFailed, match="actual has .* NaN entries"):
        check_close("q", actual, 1.0, rtol=1.0, role="independent")


@pytest.mark.parametrize("name", ["", "   ", None, 3])
def test_checks_require_a_name(name):
    for call in (
        lambda: check_close(name, 1.0, 1.0, role="independent"),
        lambda: check_symbolic(name, x, x),
        lambda: check_symbolic_sign(name, x),
        lambda: check_mc(name, Estimate(1.0, 0.001, 10), 1.0),
        lambda: check_bound(name, 1.0, lower=0.0),
        lambda: check_source(name, 1.0, "1.0"),
    ):
        with pytest.raises(TypeError, match="name must be a non-empty string"):
            call()


# ---------------------------------------------------------------------------
# check_mc and its power


def test_check_mc_passes_and_records_power():
    rec = check_mc("kl", Estimate(1.001, 0.001, 1000), 1.0)
    assert rec.kind == "Monte Carlo" and rec.role == "monte carlo"
    assert rec.expected == "1" and rec.actual == "1.001 ± 0.001 (n=1000)"
    assert rec.tolerance.startswith("4 s.e. (z = 1.00)")
    assert rec.power == pytest.approx(mc_power(0.01, 0.001, 4.0))
    assert rec.power > 0.999
    check_mc("zero", Estimate(0.0003, 0.0001, 100), 0.0, detect_abs=0.001)
    check_mc("exact", Estimate(2.0, 0.0, 10), 2.0)


def test_power_formula():
    # an error of exactly (k + 1.645) s.e. is caught 95% of the time
    assert mc_power(4 + 1.6448536269514722, 1.0, 4.0) == pytest.approx(0.95, abs=1e-6)
    # the old gate, k s.e. just below the error, has only about 50% power
    assert mc_power(4.0, 1.0, 4.0) == pytest.approx(0.5, abs=1e-4)
    assert mc_power(1.0, 0.0, 4.0) == 1.0


def test_check_mc_fails_on_disagreement_with_full_message():
    with pytest.raises(MonteCarloCheckFailed) as ei:
        check_mc("KL estimate", Estimate(1.01, 0.001, 5000), 1.0)
    msg = _message(ei)
    assert msg.startswith("KL estimate: estimate disagrees with the exact value")
    assert "expected: 1\n" in msg
    assert "actual:   1.01 ± 0.001 (standard error, n=5000)" in msg
    assert "tolerance: 4 standard errors = 0.004" in msg
    assert re.search(r"deviation 0\.01 = 10\.00 standard errors", msg)


def test_check_mc_refuses_an_estimate_without_95_percent_power():
    # agrees perfectly, but cannot resolve a 1% (0.01) error
    with pytest.raises(MonteCarloCheckFailed) as ei:
        check_mc("noisy", Estimate(1.0, 0.01, 100), 1.0)
    msg = _message(ei)
    assert msg.startswith(
        "noisy: estimate too noisy to detect an error of 1% of expected (0.01) with 95% power"
    )
    assert "actual:   1 ± 0.01 (standard error, n=100)" in msg
    assert "need (k + 1.645)·SE <= 0.01" in msg
    # the old gate (k·SE < detect) let this through with about 55% power
    with pytest.raises(MonteCarloCheckFailed, match="too noisy"):
        check_mc("edge", Estimate(1.0, 0.00245, 100), 1.0)
    # just inside the new gate
    check_mc("inside", Estimate(1.0, 0.01 / 5.65, 100), 1.0)
    with pytest.raises(MonteCarloCheckFailed, match=r"too noisy .* 0\.001 absolute"):
        check_mc("abs", Estimate(0.0, 0.0002, 100), 0.0, detect_abs=0.001)


def _gaussian_kl_samples(n: int, seed: int) -> Estimate:
    # I[N(0, 1); N(2, 1)] = 2 nats; log p - log q = 2 - 2x for x ~ N(0, 1)
    xs = np.random.default_rng(seed).normal(size=n)
    return mc_estimate(2.0 - 2.0 * xs)


def test_check_mc_real_samples_pass_and_a_real_one_percent_error_fails():
    exact = kn.gaussian_kl(0.0, 1.0, 2.0, 1.0)
    assert exact == pytest.approx(2.0)
    est = _gaussian_kl_samples(600_000, seed=5)
    check_mc("Gaussian KL", est, exact)
    with pytest.raises(MonteCarloCheckFailed, match="disagrees with the exact value"):
        check_mc("Gaussian KL off by 1%", est, 1.01 * exact)
    with pytest.raises(MonteCarloCheckFailed, match="disagrees with the exact value"):
        check_mc("Gaussian KL off by -1%", est, 0.99 * exact)
    small = _gaussian_kl_samples(1000, seed=5)
    with pytest.raises(MonteCarloCheckFailed, match="too noisy"):
        check_mc("Gaussian KL, n=1000", small, exact)


def test_check_mc_power_is_real():
    """Over many seeds, a 1% error is caught at least 95% of the time."""
    exact, n, seeds = 2.0, 600_000, 200
    rng = np.random.default_rng(0)
    # sample means of 2 - 2x directly: mean 2 + 0.02 (a 1% error), s.d. 2/sqrt(n)
    means = 2.02 + 2.0 / math.sqrt(n) * rng.normal(size=seeds)
    caught = 0
    for m in means:
        try:
            check_mc("biased", Estimate(float(m), 2.0 / math.sqrt(n), n), exact)
        except MonteCarloCheckFailed:
            caught += 1
    assert caught / seeds >= 0.95


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
            {"k": math.inf},
            ValueError,
            "k must be positive and finite",
        ),
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
            "detect must be non-negative",
        ),
        (
            (1.0, 0.001, 10),
            1.0,
            {"detect": math.nan},
            ValueError,
            "detect must be finite",
        ),
        (
            (1.0, 0.001, 10),
            1.0,
            {"detect": math.inf},
            ValueError,
            "detect must be finite",
        ),
        (
            (1.0, 0.001, 10),
            1.0,
            {"detect_abs": 0.0},
            ValueError,
            "error to detect must be",
        ),
        (
            (1.0, 0.001, 10),
            1.0,
            {"detect_abs": math.inf},
            ValueError,
            "detect_abs must be finite",
        ),
        ((1.0, 0.001, 10), "1", {}, TypeError, "expected must be a real number"),
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
    assert rec.role == "bound"
    rec = check_bound("probability", 0.3, lower=0.0, upper=1.0)
    assert rec.expected == "0 <= value <= 1"
    rec = check_bound("many", np.array([0.1, 0.5, 0.9]), lower=0.0, upper=1.0)
    assert rec.actual == "3 values, min margin 0.1"
    check_bound("upper only", 5.0, upper=5.0)
    check_bound("rounding", -1e-17, lower=0.0, tol=1e-15)
    check_bound("infinite KL", np.inf, lower=0.0)
    check_bound("elementwise bounds", [1.0, 2.0], lower=[0.5, 1.5], upper=[1.5, 2.5])
    check_bound("one side open", 2.0, lower=-np.inf, upper=3.0)
    assert (
        check_bound("by construction", 1.0, lower=0.0, role="consistency").role
        == "consistency"
    )


@pytest.mark.parametrize(
    ("value", "kw", "claim"),
    [
        (-0.1, {"lower": 0.0}, "0 <= value"),
        (1.5, {"lower": 0.0, "upper": 1.0}, "0 <= value <= 1"),
        (-1e-17, {"lower": 0.0}, "0 <= value"),
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


@pytest.mark.parametrize("value", [math.nan, [0.5, math.nan]])
def test_check_bound_nan_value_fails(value):
    with pytest.raises(BoundCheckFailed, match="NaN entries"):
        check_bound("q", value, lower=0.0)


def test_check_bound_message_counts_failures():
    with pytest.raises(BoundCheckFailed, match="2 of 3 entries fail"):
        check_bound("kl", np.array([-1.0, 0.5, -2.0]), lower=0.0)


@pytest.mark.parametrize(
    ("value", "kw", "exc", "match"),
    [
        (1.0, {}, ValueError, "give at least one of lower and upper"),
        (1.0, {"lower": 0.0, "tol": -1e-9}, ValueError, "tol must be non-negative"),
        (1.0, {"lower": 0.0, "tol": math.inf}, ValueError, "tol must be finite"),
        (1.0, {"lower": 0.0, "tol": math.nan}, ValueError, "tol must be finite"),
        ("1.0", {"lower": 0.0}, TypeError, "value must be numeric"),
        (None, {"lower": 0.0}, TypeError, "value must be numeric"),
        (1j, {"lower": 0.0}, TypeError, "value must be real numeric"),
        (1.0, {"lower": "0"}, TypeError, "lower must be numeric"),
        (1.0, {"upper": x}, TypeError, "upper must be numeric"),
        # vacuous bounds
        ([], {"lower": 0.0}, ValueError, "value is empty"),
        (1.0, {"lower": -math.inf}, ValueError, "the bounds exclude nothing"),
        (1.0, {"upper": math.inf}, ValueError, "the bounds exclude nothing"),
        (1.0, {"lower": -math.inf, "upper": math.inf}, ValueError, "exclude nothing"),
        (1.0, {"lower": math.nan}, ValueError, "lower has NaN"),
        (1.0, {"upper": [1.0, math.nan]}, ValueError, "upper has NaN"),
        (1.0, {"lower": []}, ValueError, "lower is empty"),
    ],
)
def test_check_bound_bad_or_vacuous_input(value, kw, exc, match):
    with pytest.raises(exc, match=match):
        check_bound("q", value, **kw)


# ---------------------------------------------------------------------------
# check_source


@pytest.mark.parametrize(
    ("text", "value", "half"),
    [
        ("0.616", 0.616, 0.0005),
        ("14,966", 14966.0, 0.5),
        ("1.146e-42", 1.146e-42, 5e-46),
        ("403.7", 403.7, 0.05),
        ("−2.5", -2.5, 0.05),
        ("3.4 × 10^7", 3.4e7, 5e5),
    ],
)
def test_parse_figure(text, value, half):
    v, h = parse_figure(text)
    assert v == pytest.approx(value) and h == pytest.approx(half)


def test_check_source_passes_and_fails_at_half_a_unit():
    rec = check_source("births for 13 dB", 14966.3, "14,966")
    assert rec.role == "source" and rec.expected == "14,966 (post)"
    check_source("rounded", 0.6164, "0.616")
    with pytest.raises(SourceCheckFailed, match="does not reproduce the post's figure"):
        check_source("rounded", 0.6166, "0.616")
    check_source("a fraction", 1024 / 1037, Fraction(1024, 1037))
    with pytest.raises(SourceCheckFailed):
        check_source("a fraction", 1024 / 1037 + 1e-6, Fraction(1024, 1037))
    check_source("loose", 0.69, "0.7", tol=0.05)
    check_source("percent", 0.12, "12", scale=100)
    with pytest.raises(SourceCheckFailed, match="not finite"):
        check_source("nan", math.nan, "1.0")


@pytest.mark.parametrize(
    ("actual", "post", "kw", "exc", "match"),
    [
        (1.0, 1.0, {}, TypeError, "post must be a string"),
        (1.0, "about one", {}, ValueError, "is not a number as printed"),
        ([1.0, 2.0], "1.0", {}, ValueError, "actual must be one number"),
        ([], "1.0", {}, ValueError, "actual is empty"),
        (1.0, "1.0", {"tol": math.inf}, ValueError, "tol must be finite"),
    ],
)
def test_check_source_bad_input(actual, post, kw, exc, match):
    with pytest.raises(exc, match=match):
        check_source("q", actual, post, **kw)


# ---------------------------------------------------------------------------
# CheckLog, claims and the summary


def test_checklog_records_claim_role_and_cell():
    log = CheckLog("a-chapter")
    recs = [
        log.symbolic("identity", sp.log(x * y), sp.log(x) + sp.log(y), claim="thm-a"),
        log.symbolic_sign("sign", x**2, claim="thm-a"),
        log.close("close", 1.0, 1.0, role="independent", claim="thm-a"),
        log.mc("mc", Estimate(1.0, 0.001, 100), 1.0, claim="thm-b"),
        log.bound("bound", 0.5, lower=0.0, upper=1.0, claim="thm-b"),
        log.source("figure", 0.5, "0.5", claim="fig-c"),
    ]
    assert log.records == recs
    assert [r.role for r in recs] == [
        "proof",
        "proof",
        "independent",
        "monte carlo",
        "bound",
        "source",
    ]
    assert {r.claim for r in recs} == {"thm-a", "thm-b", "fig-c"}
    assert all(r.cell is None for r in recs)  # not inside IPython here


def test_checklog_requires_a_claim_and_a_chapter():
    with pytest.raises(TypeError):
        CheckLog()
    with pytest.raises(ValueError, match="chapter must be a label"):
        CheckLog("Chain Rule")
    log = CheckLog("c")
    with pytest.raises(TypeError, match="claim"):
        log.close("q", 1.0, 1.0, role="independent")
    with pytest.raises(ValueError, match="claim must be a label"):
        log.close("q", 1.0, 1.0, role="independent", claim="Thm 1")


@pytest.mark.parametrize(
    "name", ["f''(x) = 1/x^2 > 0", "KL >= 0", "x -> c x", "sqrt(2) pi"]
)
def test_checklog_refuses_ascii_math_names(name):
    log = CheckLog("c")
    with pytest.raises(ValueError, match="ASCII math"):
        log.close(name, 1.0, 1.0, role="independent", claim="thm-a")


@pytest.mark.parametrize(
    "name", ["against {eq}`eq-a`", "{prf:ref}`thm-a` holds", "see {ref}`sec`"]
)
def test_checklog_refuses_myst_roles_in_names(name):
    """A role is raw text in a cell's output and in the ledger: refused."""
    log = CheckLog("c")
    with pytest.raises(ValueError, match="MyST role"):
        log.close(name, 1.0, 1.0, role="independent", claim="thm-a")


def test_checklog_accepts_typeset_names():
    log = CheckLog("c")
    log.close("$f''(x) = 1/x^2 > 0$ and prose", 1.0, 1.0, role="independent", claim="t")


@pytest.mark.parametrize(
    ("method", "args", "kwargs", "exc"),
    [
        ("symbolic", ("identity", (x + y) ** 2, x**2 + y**2), {}, SymbolicCheckFailed),
        ("symbolic_sign", ("sign", x - y), {}, SymbolicCheckFailed),
        ("symbolic_sign", ("sign", r**2), {"sign": "positive"}, SymbolicCheckFailed),
        (
            "close",
            ("close", 1.1, 1.0),
            {"rtol": 1e-3, "role": "independent"},
            NumericCheckFailed,
        ),
        ("mc", ("mc", Estimate(1.02, 0.001, 100), 1.0), {}, MonteCarloCheckFailed),
        ("mc", ("mc", Estimate(1.0, 0.1, 100), 1.0), {}, MonteCarloCheckFailed),
        ("bound", ("bound", 1.5), {"lower": 0.0, "upper": 1.0}, BoundCheckFailed),
        ("source", ("figure", 0.56, "0.5"), {}, SourceCheckFailed),
    ],
)
def test_checklog_methods_fail_on_false_claims_and_record_nothing(
    method, args, kwargs, exc
):
    log = CheckLog("c")
    log.close("a true claim", 2.0, 2.0, role="independent", claim="t")
    with pytest.raises(exc) as ei:
        getattr(log, method)(*args, claim="t", **kwargs)
    assert isinstance(ei.value, CheckFailed)
    msg = _message(ei)
    assert msg.startswith(f"{args[0]}: ")
    assert "expected:" in msg and "actual:" in msg
    assert len(log.records) == 1


def test_claim_declarations():
    log = CheckLog("c")
    assert log.claim("fig-a", "A figure", kind="source figure", post="0.5") == "fig-a"
    log.claim("ref-b", "A reference value", kind="reference value", uses=["thm-a"])
    log.claim("err-c", "A slip", kind="erratum", post="+", book="-")
    log.uses("thm-a", "thm-z")
    log.without_proof("thm-q", "a classical result quoted from the literature")
    with pytest.raises(ValueError, match="declared twice"):
        log.claim("fig-a", "again", kind="source figure", post="1")
    with pytest.raises(ValueError, match="kind must be one of"):
        log.claim("x-1", "t", kind="theorem")
    with pytest.raises(ValueError, match="erratum needs"):
        log.claim("x-2", "t", kind="erratum", post="only this")
    with pytest.raises(ValueError, match="source figure needs post"):
        log.claim("x-3", "t", kind="source figure")
    with pytest.raises(ValueError, match="reason"):
        log.without_proof("thm-r", " ")
    payload = log.payload()
    assert [c["label"] for c in payload["claims"]] == [
        "fig-a",
        "ref-b",
        "err-c",
        "thm-q",
    ]
    assert payload["uses"] == {"thm-a": ["thm-z"]}


def test_summary_carries_the_records_and_counts_by_status():
    log = CheckLog("a-chapter")
    log.symbolic("identity", x, x, claim="thm-a")
    log.close("restated", 1.0, 1.0, role="consistency", claim="thm-b")
    log.close("value", 1.0, 1.0, role="independent", claim="ref-c")
    log.source("figure", 1.0, "1.0", claim="ref-c")
    summary = log.summary()
    bundle, metadata = summary._repr_mimebundle_()
    payload = metadata[RECORDS_MIME]
    ledger.validate_payload(payload, "test")
    assert payload["chapter"] == "a-chapter" and len(payload["checks"]) == 4
    assert payload["klnotes_hash"] == kn.provenance.source_hash()
    json.dumps(payload)  # JSON-ready
    html_text = bundle["text/html"]
    assert "All 4 checks passed" in html_text
    assert "proved symbolically" in html_text and "consistency only" in html_text
    assert "ledger.html#ledger-a-chapter" in html_text
    assert "thm-b" in html_text  # a consistency-only claim is flagged by name
    assert "consistency only: 1 claim(s)" in str(summary)


def test_table_for_notebooks_escapes_html():
    log = CheckLog("c")
    log.close("<script>alert(1)</script>", 1.0, 1.0, role="independent", claim="t")
    table = log.table()
    assert isinstance(table, CheckTable)
    assert "<script>" not in table._repr_html_()
    assert "[independent]" in str(table)

"""Unit tests of klnotes.symbolic (symbolic distributions, KL, proofs)."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
import sympy as sp

from klnotes import divergences
from klnotes import symbolic as S
from klnotes.symbolic import Proof, SymbolicProofError, prove_equal

x, y = sp.symbols("x y", positive=True)
r = sp.Symbol("r", real=True)
g1, g2 = sp.symbols("g1 g2")  # no assumptions: may be negative or complex


# ---------------------------------------------------------------------------
# require_expr


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (3, sp.Integer(3)),
        (Fraction(2, 3), sp.Rational(2, 3)),
        (x, x),
        (sp.Rational(1, 7), sp.Rational(1, 7)),
        (sp.pi, sp.pi),
        (np.int64(2), sp.Integer(2)),
    ],
)
def test_require_expr_accepts_exact_values(value, expected):
    out = S.require_expr(value, "v")
    assert isinstance(out, sp.Basic) and out == expected


@pytest.mark.parametrize(
    ("value", "match"),
    [
        (0.5, r"v is a float \(0\.5\); symbolic identities need exact values"),
        (np.float64(0.5), "v is a float"),
        ("x", "v must be a SymPy expression, got str"),
        (None, "v must be a SymPy expression, got NoneType"),
        (True, "v must be a SymPy expression, got bool"),
        (1j, "v must be a SymPy expression, got complex"),
        ([x], "v must be a SymPy expression, got list"),
    ],
)
def test_require_expr_rejects_non_sympy(value, match):
    with pytest.raises(TypeError, match=match):
        S.require_expr(value, "v")


@pytest.mark.parametrize(
    ("lhs", "rhs", "match"),
    [
        ("x", x, "lhs must be a SymPy expression, got str"),
        (x, "x", "rhs must be a SymPy expression, got str"),
        (0.5, sp.Rational(1, 2), "lhs is a float"),
        (x, 1.0, "rhs is a float"),
        (None, x, "lhs must be a SymPy expression"),
        (sp.Matrix([x]), [x], "rhs must be a sympy Matrix, got list"),
        (x, sp.Matrix([x]), "lhs must be a sympy Matrix"),
    ],
)
def test_prove_equal_rejects_non_sympy(lhs, rhs, match):
    with pytest.raises(TypeError, match=match):
        prove_equal(lhs, rhs)


@pytest.mark.parametrize(
    "call",
    [
        lambda: S.gaussian_kl(0.0, x, 0, y),
        lambda: S.gaussian_kl(0, "v", 0, y),
        lambda: S.gaussian_log_density(0.5, 0, x),
        lambda: S.prove_nonnegative(0.5),
        lambda: S.prove_positive("x"),
    ],
)
def test_other_entry_points_reject_non_sympy(call):
    with pytest.raises(TypeError, match="mean_p|var_p|x|expr"):
        call()


# ---------------------------------------------------------------------------
# symbolic distributions


def test_discrete_distribution_is_normalised_and_positive():
    p = S.discrete_distribution("a", 4)
    assert p.shape == (4, 1)
    assert prove_equal(sum(p), 1).method
    assert all(pi.is_positive for pi in p)
    J = S.discrete_joint("b", 2, 3)
    assert J.shape == (2, 3)
    prove_equal(sum(J), 1)
    assert all(v.is_positive for v in J)
    prove_equal(sum(S.marginal(J, 0)), 1)
    prove_equal(sum(S.marginal(J, 1)), 1)
    C = S.conditional(J)
    for i in range(2):
        prove_equal(sum(C.row(i)), 1)


@pytest.mark.parametrize("n", [0, -1, 2.0, "3", None])
def test_discrete_distribution_bad_n(n):
    with pytest.raises(ValueError, match="n must be a positive int"):
        S.discrete_distribution("a", n)


@pytest.mark.parametrize(
    ("n", "m", "name"), [(0, 2, "n"), (2, 0, "m"), (2.0, 2, "n"), (2, "3", "m")]
)
def test_discrete_joint_bad_shape(n, m, name):
    with pytest.raises(ValueError, match=f"{name} must be a positive int"):
        S.discrete_joint("a", n, m)


def test_matrix_arguments_are_checked():
    J = S.discrete_joint("p", 2, 2)
    with pytest.raises(TypeError, match="joint must be a sympy Matrix, got list"):
        S.marginal([[x, y]])
    with pytest.raises(ValueError, match="axis must be 0 or 1"):
        S.marginal(J, 2)
    with pytest.raises(TypeError, match="joint must be a sympy Matrix"):
        S.conditional(np.eye(2))
    with pytest.raises(TypeError, match="p must be a sympy Matrix"):
        S.kl("p", J)
    with pytest.raises(TypeError, match="q must be a sympy Matrix"):
        S.kl(J, None)
    with pytest.raises(
        ValueError, match=r"shape mismatch: p is \(2, 2\) but q is \(2, 3\)"
    ):
        S.kl(J, S.discrete_joint("q", 2, 3))
    with pytest.raises(TypeError, match="p must be a sympy Matrix"):
        S.entropy([x])
    with pytest.raises(ValueError, match="shape mismatch: joint_p"):
        S.expected_conditional_kl(J, S.discrete_joint("q", 3, 2))
    with pytest.raises(TypeError, match="joint_q must be a sympy Matrix"):
        S.expected_conditional_kl(J, 1)


# ---------------------------------------------------------------------------
# identities that must prove


@pytest.mark.parametrize("shape", [(2, 2), (2, 3)])
def test_chain_rule_on_symbolic_joints(shape):
    P, Q = S.discrete_joint("p", *shape), S.discrete_joint("q", *shape)
    lhs = S.kl(P, Q)
    rhs = S.kl(S.marginal(P, 0), S.marginal(Q, 0)) + S.expected_conditional_kl(P, Q)
    proof = prove_equal(lhs, rhs)
    assert isinstance(proof, Proof) and proof.lhs == lhs and proof.rhs == rhs


def test_kl_is_cross_entropy_minus_entropy_and_uniform_identity():
    p, q = S.discrete_distribution("p", 3), S.discrete_distribution("q", 3)
    cross = -sp.Add(*[pi * sp.log(qi) for pi, qi in zip(p, q)])
    prove_equal(S.kl(p, q), cross - S.entropy(p))
    # I[p; uniform] = log n - S(p)
    u = sp.Matrix([sp.Rational(1, 3)] * 3)
    prove_equal(S.kl(p, u), sp.log(3) - S.entropy(p))
    assert prove_equal(S.kl(p, p), 0).method == "identical"


def test_symbolic_kl_agrees_with_numeric_kl():
    p, q = S.discrete_distribution("p", 3), S.discrete_distribution("q", 3)
    vals = {
        **dict(zip(sorted(p.free_symbols, key=str), [1, 2, 3])),
        **dict(zip(sorted(q.free_symbols, key=str), [3, 1, 1])),
    }
    num = float(S.kl(p, q).subs(vals))
    assert num == pytest.approx(
        divergences.kl([1 / 6, 2 / 6, 3 / 6], [3 / 5, 1 / 5, 1 / 5])
    )


mu_p, mu_q = sp.symbols("mu_p mu_q", real=True)
v_p, v_q = sp.symbols("v_p v_q", positive=True)


@pytest.mark.parametrize(
    "point", [(0.3, 2.0, -1.0, 0.5), (0.0, 1.0, 0.0, 1.0), (-2.0, 0.1, 3.0, 7.5)]
)
def test_symbolic_gaussian_kl_agrees_with_numeric(point):
    expr = S.gaussian_kl(mu_p, v_p, mu_q, v_q)
    subs = dict(zip((mu_p, v_p, mu_q, v_q), (sp.Rational(str(c)) for c in point)))
    assert float(expr.subs(subs)) == pytest.approx(
        divergences.gaussian_kl(*point), rel=1e-12, abs=1e-15
    )


def test_gaussian_kl_mv_reduces_to_univariate_in_one_dimension():
    mv = S.gaussian_kl_mv(
        sp.Matrix([mu_p]), sp.Matrix([[v_p]]), sp.Matrix([mu_q]), sp.Matrix([[v_q]])
    )
    prove_equal(mv, S.gaussian_kl(mu_p, v_p, mu_q, v_q))


def test_gaussian_kl_mv_diagonal_is_sum_of_univariate():
    m = sp.symbols("m1:3", real=True)
    a = sp.symbols("a1:3", positive=True)
    b = sp.symbols("b1:3", positive=True)
    mv = S.gaussian_kl_mv(sp.Matrix(m), sp.diag(*a), sp.zeros(2, 1), sp.diag(*b))
    prove_equal(mv, sum(S.gaussian_kl(m[i], a[i], 0, b[i]) for i in range(2)))


def test_gaussian_kl_mv_agrees_with_numeric_full_covariance():
    cp = sp.Matrix([[2, sp.Rational(1, 2)], [sp.Rational(1, 2), 1]])
    cq = sp.Matrix([[1, sp.Rational(-1, 5)], [sp.Rational(-1, 5), 3]])
    mp, mq = sp.Matrix([0, 1]), sp.Matrix([sp.Rational(3, 2), -1])
    val = float(S.gaussian_kl_mv(mp, cp, mq, cq))
    f = lambda M: np.array(M.tolist(), dtype=float)  # noqa: E731
    assert val == pytest.approx(
        divergences.gaussian_kl(f(mp).ravel(), f(cp), f(mq).ravel(), f(cq)), rel=1e-12
    )


def test_gaussian_kl_mv_shape_errors():
    with pytest.raises(ValueError, match="means must be d×1 and covariances d×d"):
        S.gaussian_kl_mv(sp.Matrix([0, 0]), sp.eye(3), sp.Matrix([0, 0]), sp.eye(2))
    with pytest.raises(TypeError, match="cov_q must be a sympy Matrix"):
        S.gaussian_kl_mv(sp.Matrix([0]), sp.eye(1), sp.Matrix([0]), 1)


def test_gaussian_log_density_gives_the_kl():
    xs = sp.Symbol("x", real=True)
    lp = S.gaussian_log_density(xs, mu_p, v_p)
    assert float(lp.subs({xs: 1, mu_p: 0, v_p: 2})) == pytest.approx(
        -0.5 * np.log(4 * np.pi) - 0.25, rel=1e-14
    )
    # log p - log q is quadratic in x; its expectation under p is the KL
    lq = S.gaussian_log_density(xs, mu_q, v_q)
    diff = sp.expand(lp - lq)
    poly = sp.Poly(diff, xs)
    moments = {0: 1, 1: mu_p, 2: v_p + mu_p**2}
    expectation = sum(c * moments[k[0]] for k, c in poly.terms())
    prove_equal(expectation, S.gaussian_kl(mu_p, v_p, mu_q, v_q))


def test_prove_equal_on_matrices():
    A = sp.Matrix([[x * y, sp.log(x * y)]])
    B = sp.Matrix([[y * x, sp.log(x) + sp.log(y)]])
    proof = prove_equal(A, B)
    assert isinstance(proof, Proof)
    with pytest.raises(
        ValueError, match=r"shape mismatch: lhs is \(1, 2\) but rhs is \(2, 1\)"
    ):
        prove_equal(A, B.T)
    with pytest.raises(SymbolicProofError):
        prove_equal(A, sp.Matrix([[x * y, sp.log(x)]]))


def test_trig_identity_needs_simplify():
    assert prove_equal(sp.sin(r) ** 2 + sp.cos(r) ** 2, 1).method.startswith("simplify")


def test_log_expansion_respects_assumptions():
    # log(ab) = log a + log b only for positive a, b
    prove_equal(sp.log(x * y), sp.log(x) + sp.log(y))
    with pytest.raises(SymbolicProofError):
        prove_equal(sp.log(g1 * g2), sp.log(g1) + sp.log(g2))
    # there is no way to force it: force_log is gone
    with pytest.raises(TypeError):
        prove_equal(sp.log(g1 * g2), sp.log(g1) + sp.log(g2), force_log=True)


# ---------------------------------------------------------------------------
# false claims and unprovable claims


@pytest.mark.parametrize(
    ("lhs", "rhs"),
    [
        # equal for every r >= 0: random positive test points would pass these
        (sp.Abs(r), r),
        (sp.sqrt(r**2), r),
        (sp.Max(r, 0), r),
        # equal to double precision everywhere
        (x + sp.exp(-100), x),
        (sp.log(1 + sp.exp(-60) * x), 0),
        # a polynomial that vanishes at 1, 2, ..., 12 but not identically
        (sp.prod([(x - k) for k in range(1, 13)]) + x, x),
        # the chain rule with the wrong marginal
        (x * sp.log(x / y), x * sp.log(y / x)),
    ],
)
def test_prove_equal_never_substitutes_numbers(lhs, rhs):
    with pytest.raises(SymbolicProofError, match="could not reduce lhs - rhs to 0"):
        prove_equal(lhs, rhs)


@pytest.mark.parametrize(
    ("lhs", "rhs"),
    [
        (sp.erf(x) + sp.erfc(x), 1),  # true, but outside the ladder's rewrites
        (sp.LambertW(x) * sp.exp(sp.LambertW(x)), x),  # true for x > 0
    ],
)
def test_true_identity_sympy_cannot_prove_raises_rather_than_passing(lhs, rhs):
    with pytest.raises(SymbolicProofError):
        prove_equal(lhs, rhs)


def test_identity_beyond_max_ops_raises():
    # true, and simplify would prove it, but the residual exceeds the budget
    with pytest.raises(SymbolicProofError, match="more than max_ops=1"):
        prove_equal(sp.sin(r) ** 2 + sp.cos(r) ** 2, 1, max_ops=1)


def test_false_identity_on_large_expression_fails_without_blanket_rewrites():
    """A false claim on a big expression is refused by the size guard, not by
    running expand/simplify on it (which is what would make it slow)."""
    P, Q = S.discrete_joint("p", 3, 3), S.discrete_joint("q", 3, 3)
    lhs = S.kl(P, Q)
    # wrong: marginal over y combined with the conditional given x
    rhs = S.kl(S.marginal(P, 1), S.marginal(Q, 1)) + S.expected_conditional_kl(P, Q)
    with pytest.raises(SymbolicProofError, match="max_ops"):
        prove_equal(lhs, rhs)
    with pytest.raises(
        SymbolicProofError, match="residual after all rewrites: -1/1000000"
    ):
        prove_equal(lhs, lhs + sp.Rational(1, 10**6))


# ---------------------------------------------------------------------------
# signs


@pytest.mark.parametrize(
    "expr", [x, x**2, r**2, (r - 1) ** 2, x + 1 / x, sp.exp(r), r**2 + 1]
)
def test_prove_nonnegative_succeeds(expr):
    proof = S.prove_nonnegative(expr)
    assert isinstance(proof, Proof) and proof.rhs == 0


@pytest.mark.parametrize("expr", [x, x**2 + y, sp.exp(r), r**2 + 1, 1 / x])
def test_prove_positive_succeeds(expr):
    assert isinstance(S.prove_positive(expr), Proof)


@pytest.mark.parametrize("expr", [x - 1, -x, sp.log(x), r, g1**2, r**3])
def test_prove_nonnegative_fails(expr):
    with pytest.raises(SymbolicProofError, match=">= 0"):
        S.prove_nonnegative(expr)


@pytest.mark.parametrize("expr", [r**2, (r - 1) ** 2, x - y, sp.Integer(0), sp.log(x)])
def test_prove_positive_fails(expr):
    with pytest.raises(SymbolicProofError, match="> 0"):
        S.prove_positive(expr)


def test_sign_proof_uses_expand_or_factor():
    # (x - y)**2 + 2xy expands to x**2 + y**2, positive for positive symbols
    assert S.prove_positive((x - y) ** 2 + 2 * x * y).method in {
        "assumptions",
        "expand",
    }
    assert S.prove_nonnegative(r**2 - 2 * r + 1).method == "factor"


def test_prove_equal_handles_unevaluated_sums_of_symbolic_length():
    """The chain rule with n, m symbolic: sums over indexed symbols are merged, not sampled."""
    n, m = sp.symbols("n m", integer=True, positive=True)
    i, j = sp.symbols("i j", integer=True, positive=True)
    p, q = sp.IndexedBase("p", positive=True), sp.IndexedBase("q", positive=True)
    p_i, q_i = sp.Sum(p[i, j], (j, 1, m)), sp.Sum(q[i, j], (j, 1, m))
    joint = sp.Sum(p[i, j] * sp.log(p[i, j] / q[i, j]), (j, 1, m), (i, 1, n))
    marginal = sp.Sum(p_i * sp.log(p_i / q_i), (i, 1, n))
    ratio = (p[i, j] / p_i) / (q[i, j] / q_i)
    conditional = sp.Sum(
        p_i * sp.Sum(p[i, j] / p_i * sp.log(ratio), (j, 1, m)), (i, 1, n)
    )
    prove_equal(joint, marginal + conditional)
    wrong = sp.Sum(q_i * sp.Sum(p[i, j] / p_i * sp.log(ratio), (j, 1, m)), (i, 1, n))
    with pytest.raises(SymbolicProofError):
        prove_equal(joint, marginal + wrong)


def test_gaussian_expectation_exact_moments_and_bad_input():
    x, y, m = sp.symbols("x y m", real=True)
    v = sp.symbols("v", positive=True)
    e = S.gaussian_expectation(x**4 + sp.log(v) * x * y**2, {x: (m, v), y: (0, 1)})
    prove_equal(e, m**4 + 6 * m**2 * v + 3 * v**2 + m * sp.log(v))
    # the fourth moment of N(0, v) is 3v², not v² (a false claim must fail)
    with pytest.raises(SymbolicProofError):
        prove_equal(S.gaussian_expectation(x**4, {x: (0, v)}), v**2)
    with pytest.raises(ValueError, match="polynomial"):
        S.gaussian_expectation(sp.exp(x), {x: (0, 1)})
    with pytest.raises(ValueError, match="non-negative"):
        S.gaussian_expectation(x, {x: (0, -1)})
    with pytest.raises(TypeError, match="symbol"):
        S.gaussian_expectation(x, {"x": (0, 1)})


def test_prove_equal_factors_log_arguments_but_stays_exact():
    a, s = sp.symbols("a s", positive=True)
    lhs = sp.log((1 + a * s**2) / (1 + a)) + sp.log(a + 1)
    rhs = sp.log(a * s**2 + 1)
    assert prove_equal(lhs, rhs).method.startswith(("expand_log", "factored"))
    with pytest.raises(SymbolicProofError):
        prove_equal(lhs, sp.log(a * s**2 + 2))


@pytest.mark.parametrize(
    ("call", "name"),
    [
        (lambda: S.gaussian_kl(0, -1, 0, 1), "var_p"),
        (lambda: S.gaussian_kl(0, 1, 0, 0), "var_q"),
        (lambda: S.gaussian_kl(0, 1, 0, -sp.Symbol("v", positive=True)), "var_q"),
        (lambda: S.gaussian_log_density(x, 0, -2), "var"),
        (
            lambda: S.gaussian_kl_mv(
                sp.Matrix([0]), sp.Matrix([[-1]]), sp.Matrix([0]), sp.eye(1)
            ),
            "cov_p",
        ),
    ],
)
def test_symbolic_gaussians_refuse_non_positive_variances(call, name):
    with pytest.raises(ValueError, match=f"{name} must be positive"):
        call()


def test_floats_inside_matrices_are_refused():
    with pytest.raises(TypeError, match="p contains the floating-point"):
        S.kl(sp.Matrix([sp.Float(0.5), 1 - sp.Float(0.5)]), sp.Matrix([x, y]))

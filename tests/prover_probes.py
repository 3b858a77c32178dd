"""Probe identities for klnotes' prover: near misses that must be refused, and
true identities that must be proved.

Each false probe is a near miss of a true identity the book relies on: a
swapped log argument, a missing 1/2, a factor pulled out of a sum or an
integral, a hidden Float, a bound index treated as free, an identity that is
true on part of the domain only. Used by tests/test_prover.py and timed by
benchmarks/prover_probes.py.
"""

from __future__ import annotations

import sympy as sp

from klnotes import symbolic as S

x, y, a, s = sp.symbols("x y a s", positive=True)
r, t = sp.symbols("r t", real=True)
z, w = sp.symbols("z w")  # no assumptions: complex
n, m = sp.symbols("n m", integer=True, positive=True)
i, j, k = sp.symbols("i j k", integer=True, positive=True)
jj = sp.Symbol("j", integer=True)
p, q = sp.IndexedBase("p", positive=True), sp.IndexedBase("q", positive=True)
c = sp.IndexedBase("c", real=True)
X = sp.IndexedBase("x", real=True)
mp, mq = sp.symbols("m_p m_q", real=True)
vp, vq = sp.symbols("v_p v_q", positive=True)
pf, qf = sp.Function("p", positive=True), sp.Function("q", positive=True)
xb = sp.Symbol("x", positive=True)  # declared positive, but bound over the real line


def _sum(f, var, lo, hi):
    return sp.Sum(f, (var, lo, hi))


def _chain_nm(marginal_log_outside: bool = False, wrong_weight: bool = False):
    P_i, Q_i = _sum(p[i, j], j, 1, m), _sum(q[i, j], j, 1, m)
    joint = sp.Sum(p[i, j] * sp.log(p[i, j] / q[i, j]), (j, 1, m), (i, 1, n))
    if marginal_log_outside:
        marg = _sum(P_i * sp.log(P_i), i, 1, n) - _sum(P_i, i, 1, n) * sp.log(Q_i)
    else:
        marg = _sum(P_i * sp.log(P_i / Q_i), i, 1, n)
    ratio = (p[i, j] / P_i) / (q[i, j] / Q_i)
    weight = Q_i if wrong_weight else P_i
    cond = _sum(weight * _sum(p[i, j] / P_i * sp.log(ratio), j, 1, m), i, 1, n)
    return joint, marg + cond


def _chain_2x2(wrong_axis: bool = False):
    P, Q = S.discrete_joint("p", 2, 2), S.discrete_joint("q", 2, 2)
    ax = 1 if wrong_axis else 0
    return S.kl(P, Q), S.kl(
        S.marginal(P, ax), S.marginal(Q, ax)
    ) + S.expected_conditional_kl(P, Q)


def _gauss_kl_no_half():
    return S.gaussian_kl(mp, vp, mq, vq), vp / vq + (mp - mq) ** 2 / vq - 1 - sp.log(
        vp / vq
    )


def _kl_3(sign: int):
    P, Q = S.discrete_distribution("p", 3), S.discrete_distribution("q", 3)
    cross = -sp.Add(*[pi * sp.log(qi) for pi, qi in zip(P, Q)])
    return S.kl(P, Q), cross + sign * S.entropy(P)


def _bernoulli(swap: bool):
    u, v = sp.symbols("u v", positive=True)
    pu = sp.Matrix([u / (u + 1), 1 / (u + 1)])
    pv = sp.Matrix([v / (v + 1), 1 / (v + 1)])
    closed = u / (u + 1) * sp.log(u * (v + 1) / ((u + 1) * v)) + 1 / (u + 1) * sp.log(
        (v + 1) / (u + 1)
    )
    return (S.kl(pv, pu) if swap else S.kl(pu, pv)), closed


#: (id, lhs, rhs) — every one false somewhere on its domain; each must be refused.
FALSE = [
    (
        "sum: log q_i pulled out of the i-sum",
        _sum(p[i] * sp.log(p[i] / q[i]), i, 1, n),
        _sum(p[i] * sp.log(p[i]), i, 1, n) - _sum(p[i], i, 1, n) * sp.log(q[i]),
    ),
    (
        "integral: log q(x) pulled out of the integral",
        sp.Integral(pf(r) * sp.log(pf(r) / qf(r)), (r, -sp.oo, sp.oo)),
        sp.Integral(pf(r) * sp.log(pf(r)), (r, -sp.oo, sp.oo))
        - sp.Integral(pf(r), (r, -sp.oo, sp.oo)) * sp.log(qf(r)),
    ),
    (
        "n x m chain rule, marginal's log outside the i-sum",
        *_chain_nm(marginal_log_outside=True),
    ),
    ("n x m chain rule weighted by q(x)", *_chain_nm(wrong_weight=True)),
    (
        "sum: free factor c_i pulled out",
        _sum(c[i] * X[i], i, 1, n),
        c[i] * _sum(X[i], i, 1, n),
    ),
    (
        "sum: bound index renamed onto a free one",
        _sum(p[j] * sp.log(q[i]), j, 1, n),
        _sum(p[i] * sp.log(q[i]), i, 1, n),
    ),
    (
        "sum of products is not the product of sums",
        _sum(p[i] * q[i], i, 1, n),
        _sum(p[i], i, 1, n) * _sum(q[i], i, 1, n),
    ),
    ("sum of logs off by one", _sum(sp.log(j), j, 1, n), sp.log(sp.factorial(n + 1))),
    ("counting: sum of ones off by one", _sum(1, j, 1, n), n + 1),
    (
        "index declared positive, range through negatives",
        _sum(sp.log(j**2), j, -n, n),
        _sum(2 * sp.log(j), j, -n, n),
    ),
    (
        "variable declared positive, integrated over the real line",
        sp.Integral(sp.log(xb**2) * pf(xb), (xb, -sp.oo, sp.oo)),
        sp.Integral(2 * sp.log(xb) * pf(xb), (xb, -sp.oo, sp.oo)),
    ),
    ("swapped log argument", x * sp.log(x / y), x * sp.log(y / x)),
    ("log of a quotient as a sum", sp.log(x / y), sp.log(x) + sp.log(y)),
    ("Gaussian KL without its 1/2", *_gauss_kl_no_half()),
    (
        "Gaussian log-density without the 1/2 on log 2 pi v",
        S.gaussian_log_density(r, mp, vp),
        -sp.log(2 * sp.pi * vp) - (r - mp) ** 2 / (2 * vp),
    ),
    (
        "Gaussian KL with (m_p + m_q)^2",
        S.gaussian_kl(mp, vp, mq, vq),
        (vp / vq + (mp + mq) ** 2 / vq - 1 - sp.log(vp / vq)) / 2,
    ),
    ("KL = cross-entropy + entropy (sign slip)", *_kl_3(+1)),
    ("chain rule with the y-marginal", *_chain_2x2(wrong_axis=True)),
    ("Bernoulli KL with its arguments swapped", *_bernoulli(swap=True)),
    (
        "chain rule off by 1e-6",
        _chain_2x2()[0],
        _chain_2x2()[1] + sp.Rational(1, 10**6),
    ),
    ("log(x^2) = 2 log x for real x", sp.log(r**2), 2 * sp.log(r)),
    ("sqrt(x^2) = x for real x", sp.sqrt(r**2), r),
    ("|x| = x for real x", sp.Abs(r), r),
    ("max(x, 0) = x for real x", sp.Max(r, 0), r),
    ("log(zw) = log z + log w for complex z, w", sp.log(z * w), sp.log(z) + sp.log(w)),
    ("log(exp(z)) = z for complex z", sp.log(sp.exp(z)), z),
    ("(x^a)^b = x^(ab) for real x, a, b", (r**t) ** s, r ** (t * s)),
    ("x + e^-100 = x (true to double precision)", x + sp.exp(-100), x),
    ("log(1 + e^-60 x) = 0 (true to double precision)", sp.log(1 + sp.exp(-60) * x), 0),
    (
        "a polynomial vanishing at 1..12 is not zero",
        sp.prod([(x - kk) for kk in range(1, 13)]) + x,
        x,
    ),
    ("derivative of x log x missing the +1", sp.diff(x * sp.log(x), x), sp.log(x)),
    (
        "Stirling's approximation is not exact",
        sp.log(sp.factorial(n)),
        n * sp.log(n) - n,
    ),
    ("x - 1 - log x is not identically 0", x - 1 - sp.log(x), 0),
    (
        "KL(N(0,1); N(0,2)) with the log-det sign flipped",
        S.gaussian_kl(0, 1, 0, 2),
        (sp.Rational(1, 2) - 1 - sp.log(2)) / 2,
    ),
]

#: (id, lhs, rhs) containing floats: refused with a TypeError before any rewrite.
FLOATS = [
    ("1 + Float(1e-20) = 1", 1 + sp.Float(1e-20), 1),
    ("x (1 + 1e-17) = x", x * (1 + sp.Float(1e-17)), x),
    ("Float(1/3) 3 = 1", sp.Float(1 / 3) * 3, 1),
    ("a float inside a logarithm", sp.log(x * sp.Float(2.0)), sp.log(x) + sp.log(2)),
]

#: (id, lhs, rhs) — true identities; each must be proved.
TRUE = [
    (
        "alpha-renamed bound index",
        _sum(p[j] * sp.log(q[j]), j, 1, n),
        _sum(p[k] * sp.log(q[k]), k, 1, n),
    ),
    ("sum of log j is log n!", _sum(sp.log(j), j, 1, n), sp.log(sp.factorial(n))),
    ("sum of ones", _sum(1, j, 1, n), n),
    ("constant factor out of a sum", _sum(a * p[j], j, 1, n), a * _sum(p[j], j, 1, n)),
    (
        "finite sum split over a log",
        _sum(p[i] * sp.log(p[i] / q[i]), i, 1, n),
        _sum(p[i] * sp.log(p[i]), i, 1, n) - _sum(p[i] * sp.log(q[i]), i, 1, n),
    ),
    (
        "double sum of a product",
        sp.Sum(p[i] * q[j], (j, 1, m), (i, 1, n)),
        _sum(p[i], i, 1, n) * _sum(q[j], j, 1, m),
    ),
    ("n x m chain rule, n and m symbolic", *_chain_nm()),
    (
        "alpha-renamed integral",
        sp.Integral(pf(r) * sp.log(qf(r)), (r, 0, 1)),
        sp.Integral(pf(t) * sp.log(qf(t)), (t, 0, 1)),
    ),
    (
        "constant factor out of an integral",
        sp.Integral(a * pf(r), (r, -sp.oo, sp.oo)),
        a * sp.Integral(pf(r), (r, -sp.oo, sp.oo)),
    ),
    ("2x2 chain rule on normalised symbolic joints", *_chain_2x2()),
    ("KL = cross-entropy - entropy", *_kl_3(-1)),
    ("Bernoulli KL in closed form", *_bernoulli(swap=False)),
    ("log of a product of positives", sp.log(x * y), sp.log(x) + sp.log(y)),
    ("log(x^2) = 2 log x for x > 0", sp.log(x**2), 2 * sp.log(x)),
    ("log 2^n = n log 2", sp.log(2**n), n * sp.log(2)),
    (
        "factored log arguments",
        sp.log((1 + a * s**2) / (1 + a)) + sp.log(a + 1),
        sp.log(a * s**2 + 1),
    ),
    (
        "1-D multivariate Gaussian KL is the univariate one",
        S.gaussian_kl_mv(
            sp.Matrix([mp]), sp.Matrix([[vp]]), sp.Matrix([mq]), sp.Matrix([[vq]])
        ),
        S.gaussian_kl(mp, vp, mq, vq),
    ),
    ("fourth Gaussian moment", S.gaussian_expectation(r**4, {r: (0, vp)}), 3 * vp**2),
    ("derivative of x log x", sp.diff(x * sp.log(x), x), sp.log(x) + 1),
    ("f'(x) for f = x - 1 - log x", sp.diff(x - 1 - sp.log(x), x), (x - 1) / x),
    ("sin^2 + cos^2 = 1", sp.sin(r) ** 2 + sp.cos(r) ** 2, 1),
    (
        "KL(N(0,1); N(0,2))",
        S.gaussian_kl(0, 1, 0, 2),
        (sp.Rational(1, 2) - 1 + sp.log(2)) / 2,
    ),
]

x_pos = sp.Symbol("x", positive=True)

#: (id, expr, sign) — true signs that must be proved.
TRUE_SIGNS = [
    ("x - 1 - log x >= 0 for x > 0", x_pos - 1 - sp.log(x_pos), "nonnegative"),
    (
        "KL of two symbolic 2-point distributions >= 0",
        S.kl(S.discrete_distribution("a", 2), S.discrete_distribution("b", 2)),
        "nonnegative",
    ),
    (
        "KL of two symbolic 4-point distributions >= 0",
        S.kl(S.discrete_distribution("a", 4), S.discrete_distribution("b", 4)),
        "nonnegative",
    ),
    ("Gaussian KL >= 0", S.gaussian_kl(mp, vp, mq, vq), "nonnegative"),
    ("(x - 1)^2 >= 0 for real x", (r - 1) ** 2, "nonnegative"),
    (
        "x log x - x + 1 >= 0 for x > 0",
        x_pos * sp.log(x_pos) - x_pos + 1,
        "nonnegative",
    ),
]

#: (id, expr, sign) — false signs (or unprovable ones) that must be refused.
FALSE_SIGNS = [
    ("x - 2 - log x >= 0", x_pos - 2 - sp.log(x_pos), "nonnegative"),
    ("x - 1 - log x > 0 (it is 0 at x = 1)", x_pos - 1 - sp.log(x_pos), "positive"),
    ("log x >= 0", sp.log(x_pos), "nonnegative"),
    (
        "x - 1 - log x >= 0 for real x (log of negatives)",
        r - 1 - sp.log(r),
        "nonnegative",
    ),
    (
        "KL minus a little >= 0",
        S.kl(S.discrete_distribution("a", 2), S.discrete_distribution("b", 2))
        - sp.Rational(1, 10**6),
        "nonnegative",
    ),
    ("x^3 >= 0 for real x", r**3, "nonnegative"),
]

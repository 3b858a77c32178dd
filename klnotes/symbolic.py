r"""Symbolic distributions, symbolic KL and proofs of identities with SymPy.

A symbolic discrete distribution is normalised by construction: its entries are
:math:`a_i / \sum_j a_j` for positive symbols :math:`a_i`, so positivity and
normalisation are known to SymPy's assumptions system.

:func:`prove_equal` proves ``lhs == rhs`` by reducing ``lhs - rhs`` to zero
through a fixed ladder of targeted rewrites (expand, expand_log, cancel,
together, and a bounded ``simplify``). It either returns a :class:`Proof`
naming the rewrite that closed the identity or raises
:class:`SymbolicProofError`. It never substitutes random numbers.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import sympy as sp


class SymbolicProofError(AssertionError):
    """An identity could not be proved symbolically (it may be false)."""


@dataclass(frozen=True)
class Proof:
    """A successful symbolic proof: which rewrite reduced ``lhs - rhs`` to 0."""

    method: str
    lhs: sp.Expr
    rhs: sp.Expr


def require_expr(x: Any, name: str) -> sp.Expr:
    """Return ``x`` as a SymPy object; reject strings, floats and non-SymPy input.

    Python ints and :class:`fractions.Fraction` are exact and are accepted.
    Floats are rejected: a symbolic proof must not hide rounding.
    """
    if isinstance(x, sp.Basic):
        return x  # type: ignore[return-value]
    if isinstance(x, bool):
        raise TypeError(f"{name} must be a SymPy expression, got bool")
    if isinstance(x, int):
        return sp.Integer(x)
    if isinstance(x, Fraction):
        return sp.Rational(x.numerator, x.denominator)
    if isinstance(x, float):
        raise TypeError(
            f"{name} is a float ({x!r}); symbolic identities need exact values "
            "(use sympy.Rational or a symbol)"
        )
    raise TypeError(f"{name} must be a SymPy expression, got {type(x).__name__}")


def discrete_distribution(name: str, n: int) -> sp.Matrix:
    r"""A normalised symbolic distribution over ``n`` outcomes, as an n×1 matrix.

    Entry :math:`i` is :math:`a_i / \sum_j a_j` with positive symbols
    ``{name}_1 … {name}_n``.
    """
    if not isinstance(n, int) or n < 1:
        raise ValueError(f"n must be a positive int, got {n!r}")
    a = sp.symbols(f"{name}_1:{n + 1}", positive=True)
    total = sum(a)
    return sp.Matrix([ai / total for ai in a])


def discrete_joint(name: str, n: int, m: int) -> sp.Matrix:
    r"""A normalised symbolic joint :math:`p(x, y)` of shape ``n × m``.

    Entry :math:`(i, j)` is :math:`a_{ij} / \sum_{kl} a_{kl}` with positive
    symbols :math:`a_{ij}`.
    """
    for v, nm in ((n, "n"), (m, "m")):
        if not isinstance(v, int) or v < 1:
            raise ValueError(f"{nm} must be a positive int, got {v!r}")
    a = sp.Matrix(n, m, lambda i, j: sp.Symbol(f"{name}_{i + 1}{j + 1}", positive=True))
    total = sum(a)
    return a / total


def _matrix(x: Any, name: str) -> sp.Matrix:
    if not isinstance(x, sp.MatrixBase):
        raise TypeError(f"{name} must be a sympy Matrix, got {type(x).__name__}")
    return sp.Matrix(x)


def marginal(joint: sp.Matrix, axis: int = 0) -> sp.Matrix:
    """Marginal of a symbolic joint over the kept ``axis`` (0: p(x), 1: p(y))."""
    P = _matrix(joint, "joint")
    if axis == 0:
        return sp.Matrix([sum(P.row(i)) for i in range(P.rows)])
    if axis == 1:
        return sp.Matrix([sum(P.col(j)) for j in range(P.cols)])
    raise ValueError(f"axis must be 0 or 1, got {axis}")


def conditional(joint: sp.Matrix) -> sp.Matrix:
    """Symbolic conditional p(y|x) = p(x, y) / p(x), rows indexed by x."""
    P = _matrix(joint, "joint")
    px = marginal(P, 0)
    return sp.Matrix(P.rows, P.cols, lambda i, j: P[i, j] / px[i])


def kl(p: sp.Matrix, q: sp.Matrix) -> sp.Expr:
    r"""Symbolic :math:`\sum p \log(p/q)` over all entries of two same-shape matrices."""
    P, Q = _matrix(p, "p"), _matrix(q, "q")
    if P.shape != Q.shape:
        raise ValueError(f"shape mismatch: p is {P.shape} but q is {Q.shape}")
    return sp.Add(*[pi * sp.log(pi / qi) for pi, qi in zip(P, Q)])


def entropy(p: sp.Matrix) -> sp.Expr:
    r"""Symbolic Shannon entropy :math:`-\sum p \log p`."""
    P = _matrix(p, "p")
    return -sp.Add(*[pi * sp.log(pi) for pi in P])


def expected_conditional_kl(joint_p: sp.Matrix, joint_q: sp.Matrix) -> sp.Expr:
    r""":math:`\langle I[p(y|x); q(y|x)] \rangle_{p(x)}` for two symbolic joints."""
    P, Q = _matrix(joint_p, "joint_p"), _matrix(joint_q, "joint_q")
    if P.shape != Q.shape:
        raise ValueError(
            f"shape mismatch: joint_p is {P.shape} but joint_q is {Q.shape}"
        )
    px = marginal(P, 0)
    cp, cq = conditional(P), conditional(Q)
    return sp.Add(*[px[i] * kl(cp.row(i), cq.row(i)) for i in range(P.rows)])


def gaussian_kl(mean_p: Any, var_p: Any, mean_q: Any, var_q: Any) -> sp.Expr:
    r"""Symbolic :math:`I[\mathcal N(\mu_p,\sigma_p^2); \mathcal N(\mu_q,\sigma_q^2)]`.

    .. math:: \tfrac12\Big[\frac{\sigma_p^2}{\sigma_q^2}
        + \frac{(\mu_p-\mu_q)^2}{\sigma_q^2} - 1 - \log\frac{\sigma_p^2}{\sigma_q^2}\Big]
    """
    mp, vp = require_expr(mean_p, "mean_p"), require_expr(var_p, "var_p")
    mq, vq = require_expr(mean_q, "mean_q"), require_expr(var_q, "var_q")
    return sp.Rational(1, 2) * (vp / vq + (mp - mq) ** 2 / vq - 1 - sp.log(vp / vq))


def gaussian_kl_mv(
    mean_p: sp.Matrix, cov_p: sp.Matrix, mean_q: sp.Matrix, cov_q: sp.Matrix
) -> sp.Expr:
    r"""Symbolic multivariate Gaussian KL (trace + Mahalanobis − d + log-det ratio)/2."""
    mp, mq = _matrix(mean_p, "mean_p"), _matrix(mean_q, "mean_q")
    cp, cq = _matrix(cov_p, "cov_p"), _matrix(cov_q, "cov_q")
    d = mp.rows
    if (
        mp.shape != (d, 1)
        or mq.shape != (d, 1)
        or cp.shape != (d, d)
        or cq.shape != (d, d)
    ):
        raise ValueError("means must be d×1 and covariances d×d with the same d")
    cq_inv = cq.inv()
    diff = mq - mp
    return sp.Rational(1, 2) * (
        (cq_inv * cp).trace()
        + (diff.T * cq_inv * diff)[0, 0]
        - d
        + sp.log(cq.det() / cp.det())
    )


def gaussian_log_density(x: Any, mean: Any, var: Any) -> sp.Expr:
    r"""Symbolic :math:`\log \mathcal N(x; \mu, \sigma^2)`."""
    x, mean, var = (
        require_expr(v, n) for v, n in ((x, "x"), (mean, "mean"), (var, "var"))
    )
    return -sp.log(2 * sp.pi * var) / 2 - (x - mean) ** 2 / (2 * var)


def gaussian_expectation(
    expr: Any, normals: dict[sp.Symbol, tuple[Any, Any]]
) -> sp.Expr:
    r"""Exact :math:`\langle \text{expr} \rangle` over independent :math:`x_i \sim \mathcal N(\mu_i, \sigma_i^2)`.

    ``normals`` maps each symbol :math:`x_i` to ``(mean, variance)``; ``expr``
    must be a polynomial in those symbols (its coefficients may contain
    anything else, logarithms of parameters included). Each :math:`x_i` is
    written :math:`\mu_i + \sigma_i Z_i` and :math:`\langle Z^k\rangle` is
    :math:`(k-1)!!` for even :math:`k` and 0 for odd :math:`k`.
    """
    e = require_expr(expr, "expr")
    if not isinstance(normals, dict) or not normals:
        raise TypeError("normals must be a non-empty dict {symbol: (mean, variance)}")
    std = {}
    for sym, mv in normals.items():
        if not isinstance(sym, sp.Symbol):
            raise TypeError(f"normals keys must be SymPy symbols, got {sym!r}")
        if not (isinstance(mv, tuple) and len(mv) == 2):
            raise TypeError(
                f"normals[{sym}] must be a (mean, variance) pair, got {mv!r}"
            )
        mean, var = (
            require_expr(mv[0], f"mean of {sym}"),
            require_expr(mv[1], f"variance of {sym}"),
        )
        if var.is_nonnegative is False:
            raise ValueError(f"variance of {sym} must be non-negative, got {var}")
        std[sym] = (sp.Dummy(f"Z_{sym}"), mean, var)
    e = sp.expand(
        e.xreplace(
            {sym: mean + sp.sqrt(var) * Z for sym, (Z, mean, var) in std.items()}
        )
    )
    Zs = [Z for Z, _, _ in std.values()]
    try:
        poly = sp.Poly(e, *Zs)
    except sp.PolynomialError:
        raise ValueError(
            f"expr must be a polynomial in {sorted(map(str, normals))}, got {sp.sstr(expr)[:200]}"
        ) from None
    total = sp.Integer(0)
    for powers, coeff in poly.terms():
        moment = sp.Integer(1)
        for k in powers:
            moment *= 0 if k % 2 else sp.factorial2(k - 1)
        total += coeff * moment
    return total


def _factor_log_arguments(d: sp.Expr) -> sp.Expr:
    """Factor the argument of every logarithm, so that equal logs written differently
    (say ``log((1 + a s)/(1 + a))`` against ``log(1 + a s) - log(a + 1)``) split by
    ``expand_log`` into the same irreducible pieces."""
    return d.replace(sp.log, lambda arg: sp.log(sp.factor(arg)))


def _log_linear(force: bool) -> Callable[[sp.Expr], sp.Expr]:
    """Prove an expression linear in logarithms is zero, coefficient by coefficient.

    After ``expand_log`` the expression is ``c_0 + sum_k c_k log(u_k)``. Each
    ``log(u_k)`` is replaced by a dummy symbol ``L_k``; the coefficient
    ``c_k = d/dL_k`` and the remainder ``c_0`` are rational functions, reduced by
    ``cancel``. If every ``c_k`` is free of the ``L`` and all cancel to 0, the
    expression is 0 whatever the values of the logarithms. Otherwise the input
    is returned unchanged for the next rewrite.
    """

    def step(d: sp.Expr) -> sp.Expr:
        e = sp.expand_log(d, force=force)
        logs = sorted(e.atoms(sp.log), key=sp.default_sort_key)
        dummies = [sp.Dummy(f"L{k}") for k in range(len(logs))]
        e = e.xreplace(dict(zip(logs, dummies)))
        for L in dummies:
            c = sp.diff(e, L)
            if c.has(*dummies) or sp.cancel(c) != 0:
                return d
        if sp.cancel(e.xreplace({L: 0 for L in dummies})) != 0:
            return d
        return sp.Integer(0)

    return step


def _sums(force: bool) -> Callable[[sp.Expr], sp.Expr]:
    """Expand logs inside sums, pull factors free of the summation index out, merge sums."""
    from sympy.simplify.simplify import sum_simplify

    def step(d: sp.Expr) -> sp.Expr:
        if not d.has(sp.Sum):
            return d
        return sum_simplify(sp.expand(sp.expand_log(d, force=force)))

    return step


def _ladder(force: bool) -> list[tuple[str, Callable[[sp.Expr], sp.Expr]]]:
    return [
        ("sum_simplify", _sums(force)),
        ("expand", sp.expand),
        ("expand_log", lambda d: sp.expand(sp.expand_log(d, force=force))),
        ("cancel", sp.cancel),
        ("together", lambda d: sp.cancel(sp.together(d))),
        ("expand_log after cancel", lambda d: sp.expand(sp.expand_log(d, force=force))),
        ("simplify", sp.simplify),
    ]


def prove_equal(
    lhs: Any, rhs: Any, *, max_ops: int = 1500, force_log: bool = False
) -> Proof:
    """Prove ``lhs == rhs`` symbolically, or raise :class:`SymbolicProofError`.

    Works on ``d = lhs - rhs`` (elementwise for matrices). First a targeted
    log-linear reduction (``expand_log``, then ``cancel`` on the rational
    coefficient of every logarithm), tried again with every logarithm's
    argument factored; then, in turn, ``sum_simplify`` (for
    unevaluated sums: logs expanded, index-free factors pulled out, sums over
    the same range merged), ``expand``,
    ``expand_log``, ``cancel``, ``together``, ``expand_log`` again and
    ``simplify``, each applied only while ``d`` has at most ``max_ops``
    operations, so that a false claim fails quickly instead of exploding. Logs
    expand only where the assumptions on the symbols make that valid, unless
    ``force_log=True``.
    """
    if isinstance(lhs, sp.MatrixBase) or isinstance(rhs, sp.MatrixBase):
        L, R = _matrix(lhs, "lhs"), _matrix(rhs, "rhs")
        if L.shape != R.shape:
            raise ValueError(f"shape mismatch: lhs is {L.shape} but rhs is {R.shape}")
        methods = [
            prove_equal(a, b, max_ops=max_ops, force_log=force_log).method
            for a, b in zip(L, R)
        ]
        return Proof(method=", ".join(sorted(set(methods))), lhs=L, rhs=R)
    L, R = require_expr(lhs, "lhs"), require_expr(rhs, "rhs")
    d = sp.sympify(L - R)
    if d == 0:
        return Proof("identical", L, R)
    if _log_linear(force_log)(d) == 0:
        return Proof("expand_log + cancel", L, R)
    if d.has(sp.log) and _log_linear(force_log)(_factor_log_arguments(d)) == 0:
        return Proof("factored logs + expand_log + cancel", L, R)
    for name, step in _ladder(force_log):
        size = sp.count_ops(d)
        if size > max_ops:
            raise SymbolicProofError(
                f"could not reduce lhs - rhs to 0: the residual has {size} operations,"
                f" more than max_ops={max_ops} for the general rewrites (stopped before {name});"
                f" residual starts {sp.sstr(d)[:200]}"
            )
        d = step(d)
        if d == 0:
            return Proof(name, L, R)
    raise SymbolicProofError(
        f"could not reduce lhs - rhs to 0; residual after all rewrites: {sp.sstr(d)[:300]}"
    )


def _prove_sign(expr: Any, assumption: str, relation: str) -> Proof:
    e = require_expr(expr, "expr")
    for name, f in (
        ("assumptions", lambda x: x),
        ("expand", sp.expand),
        ("factor", sp.factor),
    ):
        if getattr(f(e), assumption) is True:
            return Proof(name, e, sp.Integer(0))
    raise SymbolicProofError(
        f"could not prove {sp.sstr(e)[:200]} {relation} 0 from the assumptions"
    )


def prove_nonnegative(expr: Any) -> Proof:
    """Prove ``expr >= 0`` from SymPy's assumptions on its symbols, or raise."""
    return _prove_sign(expr, "is_nonnegative", ">=")


def prove_positive(expr: Any) -> Proof:
    """Prove ``expr > 0`` from SymPy's assumptions on its symbols, or raise."""
    return _prove_sign(expr, "is_positive", ">")

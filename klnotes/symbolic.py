r"""Symbolic distributions, symbolic KL and sound proofs of identities with SymPy.

A symbolic discrete distribution is normalised by construction: its entries are
:math:`a_i / \sum_j a_j` for positive symbols :math:`a_i`, so positivity and
normalisation are known to SymPy's assumptions system.

:func:`prove_equal` proves ``lhs == rhs`` by reducing ``lhs - rhs`` to zero
through a fixed ladder of exact, assumption-respecting rewrites. It either
returns a :class:`Proof` naming the rewrite that closed the identity or raises
:class:`SymbolicProofError`. It never substitutes numbers, and it refuses
floating-point numbers anywhere in its input (a ``Float`` would let rounding
pass for equality).

**Bound variables.** Sums, products and integrals bind their variables. Before
any rewrite, :func:`prove_equal` replaces each binder by an opaque *atom*, an
undefined function of the binder's free symbols, so that nothing outside the
binder can treat a quantity that varies with the bound index as a constant:

1. the bound variable is renamed to a fresh canonical symbol whose assumptions
   come from the *range*, not from the symbol the author used (a summation
   index is an integer, positive when the range starts at 1 or above and is
   not reversed; an integration variable is real, positive when both limits
   are non-negative); so two sums that differ only by the name of their index,
   :math:`\sum_j p_j \log q_j` and :math:`\sum_k p_k \log q_k`, become the same
   atom, while an index never meets a free symbol of the same name;
2. inside a finite sum, the summand is expanded (logarithms only where the
   assumptions allow), split over its terms (linearity of a finite sum),
   factors free of the index are taken out, :math:`\sum 1` is counted, and
   :math:`\sum \log g = \log \prod g` is used for a provably positive ``g``
   when SymPy evaluates the product in closed form (so
   :math:`\sum_{j \le n} \log j = \log n!`);
3. an integral, an infinite sum or a product is never split (its parts need
   not exist); only constant factors are taken out;
4. each remaining binder becomes an atom that carries the sign SymPy can prove
   for it (a finite non-empty sum of positive terms is positive).

Identities that hold only for part of the domain are refused because every
rewrite respects SymPy's assumptions (``log(x**2) = 2 log x`` is not proved
for real ``x``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np
import sympy as sp
from sympy.concrete.expr_with_limits import ExprWithLimits


class SymbolicProofError(AssertionError):
    """An identity could not be proved symbolically (it may be false)."""


@dataclass(frozen=True)
class Proof:
    """A successful symbolic proof: which rewrite reduced ``lhs - rhs`` to 0."""

    method: str
    lhs: sp.Expr
    rhs: sp.Expr


# ---------------------------------------------------------------------------
# input


def _refuse_floats(e: sp.Basic, name: str) -> None:
    floats = e.atoms(sp.Float)
    if floats:
        shown = ", ".join(sorted(map(str, floats))[:3])
        raise TypeError(
            f"{name} contains the floating-point number(s) {shown}; symbolic "
            "identities need exact values (use sympy.Rational or a symbol)"
        )


def require_expr(x: Any, name: str) -> sp.Expr:
    """Return ``x`` as an exact SymPy object, or raise :class:`TypeError` naming ``name``.

    Python and NumPy integers and :class:`fractions.Fraction` are exact and are
    accepted. Floats are refused, at the top level and anywhere inside an
    expression or matrix (``1 + sympy.Float(1e-20)`` would otherwise compare
    equal to ``1``): a symbolic proof must not hide rounding.
    """
    if isinstance(x, sp.Basic):
        _refuse_floats(x, name)
        return x  # type: ignore[return-value]
    if isinstance(x, sp.MatrixBase):
        for entry in x:
            _refuse_floats(sp.sympify(entry), name)
        return x  # type: ignore[return-value]
    if isinstance(x, (bool, np.bool_)):
        raise TypeError(f"{name} must be a SymPy expression, got bool")
    if isinstance(x, (int, np.integer)):
        return sp.Integer(int(x))
    if isinstance(x, Fraction):
        return sp.Rational(x.numerator, x.denominator)
    if isinstance(x, (float, np.floating)):
        raise TypeError(
            f"{name} is a float ({float(x)!r}); symbolic identities need exact values "
            "(use sympy.Rational or a symbol)"
        )
    raise TypeError(f"{name} must be a SymPy expression, got {type(x).__name__}")


def _positive_int(v: Any, name: str) -> int:
    if isinstance(v, (bool, np.bool_)) or not isinstance(v, (int, np.integer)):
        raise ValueError(f"{name} must be a positive int, got {v!r}")
    if int(v) < 1:
        raise ValueError(f"{name} must be a positive int, got {v!r}")
    return int(v)


# ---------------------------------------------------------------------------
# symbolic distributions and divergences


def discrete_distribution(name: str, n: int) -> sp.Matrix:
    r"""A normalised symbolic distribution over ``n`` outcomes, as an n×1 matrix.

    Entry :math:`i` is :math:`a_i / \sum_j a_j` with positive symbols
    ``{name}_1 … {name}_n``.
    """
    if not isinstance(name, str) or not name:
        raise TypeError(f"name must be a non-empty string, got {name!r}")
    n = _positive_int(n, "n")
    a = sp.symbols(f"{name}_1:{n + 1}", positive=True)
    total = sum(a)
    return sp.Matrix([ai / total for ai in a])


def discrete_joint(name: str, n: int, m: int) -> sp.Matrix:
    r"""A normalised symbolic joint :math:`p(x, y)` of shape ``n × m``.

    Entry :math:`(i, j)` is :math:`a_{ij} / \sum_{kl} a_{kl}` with positive
    symbols :math:`a_{ij}`.
    """
    if not isinstance(name, str) or not name:
        raise TypeError(f"name must be a non-empty string, got {name!r}")
    n, m = _positive_int(n, "n"), _positive_int(m, "m")
    a = sp.Matrix(n, m, lambda i, j: sp.Symbol(f"{name}_{i + 1}{j + 1}", positive=True))
    total = sum(a)
    return a / total


def _matrix(x: Any, name: str) -> sp.Matrix:
    if not isinstance(x, sp.MatrixBase):
        raise TypeError(f"{name} must be a sympy Matrix, got {type(x).__name__}")
    require_expr(x, name)
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


def _variance(v: Any, name: str) -> sp.Expr:
    e = require_expr(v, name)
    if e.is_positive is False:
        raise ValueError(f"{name} must be positive, got {sp.sstr(e)}")
    return e


def gaussian_kl(mean_p: Any, var_p: Any, mean_q: Any, var_q: Any) -> sp.Expr:
    r"""Symbolic :math:`I[\mathcal N(\mu_p,\sigma_p^2); \mathcal N(\mu_q,\sigma_q^2)]`.

    .. math:: \tfrac12\Big[\frac{\sigma_p^2}{\sigma_q^2}
        + \frac{(\mu_p-\mu_q)^2}{\sigma_q^2} - 1 - \log\frac{\sigma_p^2}{\sigma_q^2}\Big]

    A variance SymPy knows to be zero or negative raises :class:`ValueError`.
    """
    mp, vp = require_expr(mean_p, "mean_p"), _variance(var_p, "var_p")
    mq, vq = require_expr(mean_q, "mean_q"), _variance(var_q, "var_q")
    return sp.Rational(1, 2) * (vp / vq + (mp - mq) ** 2 / vq - 1 - sp.log(vp / vq))


def gaussian_kl_mv(
    mean_p: sp.Matrix, cov_p: sp.Matrix, mean_q: sp.Matrix, cov_q: sp.Matrix
) -> sp.Expr:
    r"""Symbolic multivariate Gaussian KL.

    .. math:: \tfrac12\Big[\operatorname{tr}(\Sigma_q^{-1}\Sigma_p)
        + (\mu_q-\mu_p)^\top\Sigma_q^{-1}(\mu_q-\mu_p) - d
        + \log\frac{\det\Sigma_q}{\det\Sigma_p}\Big]
    """
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
    for cov, name in ((cp, "cov_p"), (cq, "cov_q")):
        if cov.det().is_positive is False:
            raise ValueError(
                f"{name} must be positive definite (its determinant is not positive)"
            )
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
    x, mean = require_expr(x, "x"), require_expr(mean, "mean")
    var = _variance(var, "var")
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


# ---------------------------------------------------------------------------
# binders: canonical bound variables and opaque atoms

# Canonical bound variables are Dummies with a fixed index, so that two binders
# that differ only in the name of their variable become identical.
_CANON_INDEX = 7_919_000_000


def _canonical_var(kind: str, assumptions: dict[str, bool]) -> sp.Dummy:
    return sp.Dummy(f"_{kind}", dummy_index=_CANON_INDEX, **assumptions)


def _provably(expr: sp.Expr, attr: str) -> bool:
    for form in (expr, sp.expand(expr), sp.factor(expr)):
        if getattr(form, attr) is True:
            return True
    return False


def _sum_index_assumptions(lower: sp.Expr, upper: sp.Expr) -> dict[str, bool]:
    """What is known of a summation index over ``lower..upper`` (Karr convention).

    The index runs over ``lower..upper`` only when ``upper >= lower - 1``;
    otherwise SymPy's sum is minus the sum over ``upper+1..lower-1``. So a
    lower limit bounds the index only when the range is provably not reversed.
    """
    a: dict[str, bool] = {"integer": True}
    if _provably(upper - lower + 1, "is_nonnegative"):
        if _provably(lower - 1, "is_nonnegative"):
            a["positive"] = True
        elif _provably(lower, "is_nonnegative"):
            a["nonnegative"] = True
    return a


def _integral_var_assumptions(lower: sp.Expr, upper: sp.Expr) -> dict[str, bool]:
    a: dict[str, bool] = {}
    if all(v.is_extended_real for v in (lower, upper)):
        a["real"] = True
        if _provably(lower, "is_nonnegative") and _provably(upper, "is_nonnegative"):
            a["positive"] = True
    return a


class _Atoms:
    """Opaque stand-ins for binders: one undefined function per canonical binder.

    A binder ``B`` with free symbols ``s_1 … s_k`` becomes ``Ω(s_1, …, s_k)``,
    where ``Ω`` is keyed by ``B`` with each ``s_i`` replaced by a positional
    slot carrying the same assumptions. So α-equivalent binders over
    differently named free symbols (with the same assumptions) share ``Ω``, and
    an atom still depends on every symbol its binder depends on, so an
    enclosing sum can never treat it as a constant.
    """

    def __init__(self) -> None:
        self.table: dict[tuple, sp.FunctionClass] = {}

    def atom(self, binder: sp.Basic, assumptions: dict[str, bool]) -> sp.Expr:
        free = binder.free_symbols
        syms = list(
            dict.fromkeys(
                s
                for s in sp.preorder_traversal(binder)
                if isinstance(s, sp.Symbol) and s in free
            )
        )
        slots = {
            s: sp.Dummy(f"_s{k}", dummy_index=_CANON_INDEX + 1 + k, **s.assumptions0)
            for k, s in enumerate(syms)
        }
        key = (binder.xreplace(slots), tuple(sorted(assumptions.items())))
        if key not in self.table:
            self.table[key] = sp.Function(f"Ω{len(self.table) + 1}", **assumptions)
        f = self.table[key]
        return f(*syms) if syms else f(sp.Integer(0))


def _sign_assumptions(
    summand: sp.Expr, nonempty: bool, oriented: bool
) -> dict[str, bool]:
    if nonempty and summand.is_positive:
        return {"positive": True}
    if oriented and summand.is_nonnegative:
        return {"nonnegative": True}
    if summand.is_extended_real and summand.is_finite:
        return {"real": True}
    return {}


def _normalise(e: sp.Expr, atoms: _Atoms) -> sp.Expr:
    """Replace every binder in ``e`` (bottom-up) by canonical sums of atoms."""
    if not e.args:
        return e
    if isinstance(e, (sp.Lambda, sp.Subs)):
        raise SymbolicProofError(
            f"{type(e).__name__} binds variables in a way the prover does not handle"
        )
    if isinstance(e, ExprWithLimits):
        if any(len(lim) != 3 for lim in e.limits):
            raise SymbolicProofError(
                f"indefinite {type(e).__name__.lower()}s are not handled: {sp.sstr(e)[:120]}"
            )
        # peel the limits one at a time, innermost first
        body = e.function
        for var, lower, upper in e.limits:
            body = _bind(type(e), body, var, lower, upper, atoms)
        return body
    return e.func(*[_normalise(a, atoms) for a in e.args])


def _bind(
    kind: type,
    body: sp.Expr,
    var: sp.Symbol,
    lower: sp.Expr,
    upper: sp.Expr,
    atoms: _Atoms,
) -> sp.Expr:
    lower, upper = _normalise(lower, atoms), _normalise(upper, atoms)
    body = _normalise(body, atoms)
    finite_sum = kind is sp.Sum and not (
        lower.has(sp.oo, -sp.oo) or upper.has(sp.oo, -sp.oo)
    )
    if kind is sp.Sum:
        c = _canonical_var("k", _sum_index_assumptions(lower, upper))
    elif kind is sp.Integral:
        c = _canonical_var("x", _integral_var_assumptions(lower, upper))
    else:
        c = _canonical_var("k", {"integer": True})
    body = body.xreplace({var: c})
    body = sp.expand(sp.expand_log(body))
    oriented = (
        _provably(upper - lower + 1, "is_nonnegative")
        if kind is sp.Sum
        else _provably(upper - lower, "is_nonnegative")
    )
    nonempty = (
        _provably(upper - lower, "is_nonnegative")
        if kind is sp.Sum
        else _provably(upper - lower, "is_positive")
    )
    terms = sp.Add.make_args(body) if finite_sum else (body,)
    out = []
    for term in terms:
        const, dep = term.as_independent(c, as_Add=False)
        if dep == 1 and finite_sum:
            out.append(const * (upper - lower + 1))
            continue
        if kind is sp.Product and not finite_sum:
            pass
        if (
            finite_sum
            and isinstance(dep, sp.log)
            and _provably(dep.args[0], "is_positive")
        ):
            prod = sp.Product(dep.args[0], (c, lower, upper)).doit()
            if not prod.has(sp.Product):
                out.append(const * sp.log(prod))
                continue
        binder = kind(dep, (c, lower, upper))
        out.append(
            const * atoms.atom(binder, _sign_assumptions(dep, nonempty, oriented))
        )
    return sp.Add(*out)


def _has_binders(e: sp.Basic) -> bool:
    return e.has(sp.Sum, sp.Integral, sp.Product, sp.Lambda, sp.Subs)


# ---------------------------------------------------------------------------
# the rewrite ladder


def _factor_log_arguments(d: sp.Expr) -> sp.Expr:
    """Factor the argument of every logarithm, so that equal logs written differently
    (say ``log((1 + a s)/(1 + a))`` against ``log(1 + a s) - log(a + 1)``) split by
    ``expand_log`` into the same irreducible pieces."""
    return d.replace(sp.log, lambda arg: sp.log(sp.factor(arg)))


def _log_linear(d: sp.Expr) -> sp.Expr:
    """Prove an expression linear in logarithms is zero, coefficient by coefficient.

    After ``expand_log`` (only where the assumptions allow) the expression is
    ``c_0 + sum_k c_k log(u_k)``. Each ``log(u_k)`` is replaced by a dummy
    symbol ``L_k``; the coefficient ``c_k = d/dL_k`` and the remainder ``c_0``
    are rational functions, reduced by ``cancel``. If every ``c_k`` is free of
    the ``L`` and all cancel to 0, the expression is 0 whatever the values of
    the logarithms. Binders have already been replaced by atoms, so no
    logarithm here depends on a bound variable. Otherwise ``d`` is returned.
    """
    e = sp.expand_log(d)
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


def _bounded_simplify(d: sp.Expr) -> sp.Expr:
    return sp.simplify(d) if sp.count_ops(d) <= 200 else d


_LADDER: list[tuple[str, Callable[[sp.Expr], sp.Expr]]] = [
    ("expand", sp.expand),
    ("expand_log", lambda d: sp.expand(sp.expand_log(d))),
    ("cancel", sp.cancel),
    ("together", lambda d: sp.cancel(sp.together(d))),
    ("expand_log after cancel", lambda d: sp.expand(sp.expand_log(d))),
    ("powsimp", lambda d: sp.cancel(sp.powsimp(sp.powdenest(d)))),
    ("simplify (small residuals only)", _bounded_simplify),
]


def prove_equal(lhs: Any, rhs: Any, *, max_ops: int = 1500) -> Proof:
    """Prove ``lhs == rhs`` symbolically, or raise :class:`SymbolicProofError`.

    Works on ``d = lhs - rhs`` (elementwise for matrices). Floats anywhere in
    the input raise :class:`TypeError`. Binders (sums, products, integrals) are
    first replaced by canonical atoms (see the module docstring). Then a
    targeted log-linear reduction (``expand_log``, then ``cancel`` on the
    rational coefficient of every logarithm), tried again with every
    logarithm's argument factored; then, in turn, ``expand``, ``expand_log``,
    ``cancel``, ``together``, ``expand_log`` again, ``powsimp`` and, for
    residuals of at most 200 operations, ``simplify``, each applied only while
    ``d`` has at most ``max_ops`` operations, so that a false claim fails
    quickly instead of exploding. Logarithms are expanded only where the
    assumptions on the symbols make that valid.
    """
    if isinstance(lhs, sp.MatrixBase) or isinstance(rhs, sp.MatrixBase):
        L, R = _matrix(lhs, "lhs"), _matrix(rhs, "rhs")
        if L.shape != R.shape:
            raise ValueError(f"shape mismatch: lhs is {L.shape} but rhs is {R.shape}")
        methods = [prove_equal(a, b, max_ops=max_ops).method for a, b in zip(L, R)]
        return Proof(method=", ".join(sorted(set(methods))), lhs=L, rhs=R)
    L, R = require_expr(lhs, "lhs"), require_expr(rhs, "rhs")
    if (
        isinstance(max_ops, bool)
        or not isinstance(max_ops, (int, np.integer))
        or max_ops < 1
    ):
        raise ValueError(f"max_ops must be a positive int, got {max_ops!r}")
    d = sp.sympify(L - R)
    if d == 0:
        return Proof("identical", L, R)
    prefix = ""
    if _has_binders(d):
        d = _normalise(d, _Atoms())
        prefix = "binders as atoms + "
        if d == 0:
            return Proof(prefix + "identical", L, R)
    if _log_linear(d) == 0:
        return Proof(prefix + "expand_log + cancel", L, R)
    if d.has(sp.log) and _log_linear(_factor_log_arguments(d)) == 0:
        return Proof(prefix + "factored logs + expand_log + cancel", L, R)
    for name, step in _LADDER:
        size = sp.count_ops(d)
        if size > max_ops:
            raise SymbolicProofError(
                f"could not reduce lhs - rhs to 0: the residual has {size} operations,"
                f" more than max_ops={max_ops} for the general rewrites (stopped before {name});"
                f" residual starts {sp.sstr(d)[:200]}"
            )
        d = step(d)
        if d == 0:
            return Proof(prefix + name, L, R)
    raise SymbolicProofError(
        f"could not reduce lhs - rhs to 0; residual after all rewrites: {sp.sstr(d)[:300]}"
    )


# ---------------------------------------------------------------------------
# signs


def _tangent_bound(e: sp.Expr) -> sp.Expr | None:
    r"""A rational lower bound for ``e`` from the tangent lines of the logarithm.

    Write ``e = c_0 + \sum_k c_k \log r_k`` with every ``r_k`` provably positive.
    Since :math:`1 - 1/r \le \log r \le r - 1` for :math:`r > 0`, a term with
    :math:`c_k \ge 0` is at least :math:`c_k (1 - 1/r_k)` and one with
    :math:`c_k \le 0` at least :math:`c_k (r_k - 1)`. Returns the resulting
    lower bound, or ``None`` if some coefficient has no provable sign.
    """
    logs = sorted(e.atoms(sp.log), key=sp.default_sort_key)
    if not logs:
        return None
    dummies = [sp.Dummy(f"L{k}") for k in range(len(logs))]
    f = sp.expand(e.xreplace(dict(zip(logs, dummies))))
    bound = sp.expand(f.xreplace({L: 0 for L in dummies}))
    if bound.has(*dummies):
        return None
    for lg, L in zip(logs, dummies):
        c = sp.diff(f, L)
        r = lg.args[0]
        if c.has(*dummies) or c.has(sp.log) or not _provably(r, "is_positive"):
            return None
        if _provably(c, "is_nonnegative"):
            bound += c * (1 - 1 / r)
        elif _provably(-c, "is_nonnegative"):
            bound += c * (r - 1)
        else:
            return None
    return bound


def _domain_contains(x: sp.Symbol, x0: sp.Expr) -> bool:
    if x.is_positive:
        return _provably(x0, "is_positive")
    if x.is_nonnegative:
        return _provably(x0, "is_nonnegative")
    if x.is_negative:
        return _provably(-x0, "is_positive")
    if x.is_nonpositive:
        return _provably(-x0, "is_nonnegative")
    if x.is_real:
        return bool(x0.is_real)
    return False


def _sign_by_rewrites(e: sp.Expr, attr: str) -> str | None:
    for name, f in (
        ("assumptions", lambda x: x),
        ("expand", sp.expand),
        ("factor", sp.factor),
        ("together + factor", lambda x: sp.factor(sp.together(x))),
    ):
        if getattr(f(e), attr) is True:
            return name
    return None


def _prove_sign(expr: Any, attr: str, relation: str, depth: int = 0) -> Proof:
    e = require_expr(expr, "expr")
    if _has_binders(e):
        e = _normalise(e, _Atoms())
    method = _sign_by_rewrites(e, attr)
    if method:
        return Proof(method, e, sp.Integer(0))
    # tangent lines of the logarithm (Gibbs' argument), on e as written and expanded
    for form in (e, sp.expand_log(e)):
        bound = _tangent_bound(form)
        if bound is not None and _sign_by_rewrites(sp.cancel(bound), attr):
            return Proof("tangent-line bounds on each log", e, sp.Integer(0))
    # one variable on an interval: convex with a stationary point where e >= 0
    free = [s for s in e.free_symbols if isinstance(s, sp.Symbol)]
    if depth == 0 and len(free) == 1 and free[0].is_real:
        x = free[0]
        d1, d2 = sp.diff(e, x), sp.diff(e, x, 2)
        try:
            convex = _prove_sign(d2, "is_positive", ">", depth + 1)
        except SymbolicProofError:
            convex = None
        if convex is not None:
            try:
                roots = sp.solve(d1, x)
            except (NotImplementedError, ValueError):
                roots = []
            for x0 in roots:
                if (
                    _domain_contains(x, x0)
                    and _log_linear(sp.cancel(d1.subs(x, x0))) == 0
                ):
                    try:
                        _prove_sign(e.subs(x, x0), attr, relation, depth + 1)
                    except SymbolicProofError:
                        continue
                    return Proof(
                        f"convex in {x} with its minimum at {x} = {sp.sstr(x0)}",
                        e,
                        sp.Integer(0),
                    )
    raise SymbolicProofError(
        f"could not prove {sp.sstr(e)[:200]} {relation} 0 from the assumptions"
    )


def prove_nonnegative(expr: Any) -> Proof:
    """Prove ``expr >= 0`` exactly, or raise :class:`SymbolicProofError`.

    Strategies, in order: SymPy's assumptions on ``expr`` as written,
    expanded, factored or put over a common denominator; the tangent-line
    bounds :math:`1 - 1/r \\le \\log r \\le r - 1` applied to every logarithm,
    leaving a rational lower bound that must be provably non-negative (this is
    Gibbs' inequality, so the KL divergence of two symbolic distributions is
    proved non-negative); and, for one real variable on an interval, convexity
    (second derivative provably positive) with a stationary point in the
    domain, verified exactly, at which ``expr`` is provably non-negative.
    """
    return _prove_sign(expr, "is_nonnegative", ">=")


def prove_positive(expr: Any) -> Proof:
    """Prove ``expr > 0`` exactly, or raise :class:`SymbolicProofError`.

    The strategies of :func:`prove_nonnegative`, with a strictly positive
    rational bound or value at the minimum.
    """
    return _prove_sign(expr, "is_positive", ">")

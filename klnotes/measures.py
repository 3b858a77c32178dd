r"""Exact mixed measures on :math:`[0, 1]`: point masses plus a Beta-kernel density.

A coin's bias :math:`\theta \in [0, 1]` often deserves a belief that is neither
purely discrete nor purely continuous: some mass *exactly* at a fair coin
(:math:`\theta = 1/2`), some at a two-headed coin (:math:`\theta = 1`), the rest
spread out. A :class:`Measure` represents

.. math::

    \mu(d\theta) = \sum_i w_i\, \delta(\theta - x_i)\, d\theta
                 + \sum_j c_j\, \theta^{a_j} (1 - \theta)^{b_j}\, d\theta,

with exact SymPy weights :math:`w_i \ge 0`, locations :math:`x_i \in [0, 1]`
(rationals), coefficients :math:`c_j > 0` and exponents :math:`a_j, b_j > -1`
(rationals, so each kernel is integrable). Everything is closed form:

* mass: :math:`\mu([0,1]) = \sum_i w_i + \sum_j c_j\, B(a_j + 1, b_j + 1)`;
* a Bernoulli likelihood :math:`\theta^h (1-\theta)^t` multiplies each weight by
  :math:`x_i^h (1-x_i)^t` and shifts the exponents :math:`a_j \to a_j + h`,
  :math:`b_j \to b_j + t`; dividing by it shifts them back;
* moments: :math:`\int \theta^k d\mu = \sum_i w_i x_i^k + \sum_j c_j B(a_j+k+1, b_j+1)`.

So posteriors, implied priors, marginal likelihoods, Bayes factors and
predictive probabilities come out as exact SymPy numbers (rationals whenever
the inputs are). The method of imaginary results (Good; Gelman and Speed) reads

.. math::

    \pi(\theta) \propto \frac{q(\theta \mid D_0)}{L(D_0 \mid \theta)},
    \qquad
    p(\theta \mid D) \propto L(D \mid \theta)\, \pi(\theta),

which is :func:`implied_prior` followed by :func:`posterior`. The imaginary
data fix the prior only on :math:`\Theta_0 = \{\theta : L(D_0 \mid \theta) > 0\}`
(:func:`unidentified_points` lists the biases outside it, where the data are
impossible); ``implied_prior(..., outside=...)`` gives every other prior with
the same posterior, and :func:`combined_implied_prior` joins several
imaginary results, refusing them when they contradict each other.

Samples (NumPy or JAX, fixed seed) use float versions of the exact weights.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import sympy as sp

from ._validate import as_float_array, boolean, whole_number
from .units import odds_to_db

__all__ = [
    "Atom",
    "BetaKernel",
    "Measure",
    "as_expr",
    "bayes_factor",
    "bayes_factor_db",
    "beta",
    "beta_kernel",
    "combined_implied_prior",
    "components",
    "continuous_part",
    "density",
    "density_expr",
    "discrete_part",
    "divide_likelihood",
    "implied_prior",
    "marginal_likelihood",
    "mass_at",
    "mean",
    "moment",
    "multiply_likelihood",
    "normalise",
    "point_mass",
    "posterior",
    "predictive_pmf",
    "restrict",
    "sample",
    "total_mass",
    "unidentified_points",
    "uniform",
    "variance",
]


# --------------------------------------------------------------------------
# exact-number validation


def _exact(x: Any, name: str) -> sp.Expr:
    """``x`` as an exact, finite, real SymPy number (no floats, no symbols)."""
    if isinstance(x, bool):
        raise TypeError(f"{name} must be an exact number, got bool")
    if isinstance(x, (float, np.floating)):
        raise TypeError(
            f"{name} must be an exact number (sympy.Rational(1, 4), an int or"
            f" fractions.Fraction), got the float {float(x)!r}"
        )
    if isinstance(x, (int, np.integer)):
        return sp.Integer(int(x))
    if isinstance(x, Fraction):
        return sp.Rational(x.numerator, x.denominator)
    if not isinstance(x, sp.Basic):
        raise TypeError(f"{name} must be an exact number, got {type(x).__name__}")
    if not x.is_number:
        raise TypeError(
            f"{name} must be a number, got the expression {x} with free symbols"
        )
    if x.has(sp.Float):
        raise TypeError(f"{name} must be exact, got {x}, which contains a float")
    if x.has(sp.nan, sp.zoo, sp.oo, -sp.oo) or x.is_finite is False:
        raise ValueError(f"{name} is not finite: {x}")
    if x.is_extended_real is not True:
        raise ValueError(f"{name} must be real, got {x}")
    return x


def _nonnegative(x: Any, name: str) -> sp.Expr:
    v = _exact(x, name)
    if v.is_nonnegative is not True:
        raise ValueError(f"{name} must be non-negative, got {v}")
    return v


def _rational(x: Any, name: str) -> sp.Rational:
    v = _exact(x, name)
    if not isinstance(v, sp.Rational):
        raise TypeError(
            f"{name} must be rational (an int, Fraction or sympy.Rational), got {v}"
        )
    return v


def _clean(x: sp.Expr) -> sp.Expr:
    """Put an exact number in a canonical form (rationals are left alone)."""
    if isinstance(x, sp.Rational):
        return x
    return sp.simplify(x)


def _beta_fn(a: sp.Expr, b: sp.Expr) -> sp.Expr:
    r"""Exact :math:`B(a, b) = \Gamma(a)\Gamma(b)/\Gamma(a+b)`, rational a, b > 0."""
    return _clean(sp.gamma(a) * sp.gamma(b) / sp.gamma(a + b))


# --------------------------------------------------------------------------
# the representation


@dataclass(frozen=True)
class Atom:
    r"""A point mass :math:`w\,\delta(\theta - x)` (exact location and weight)."""

    location: sp.Rational
    weight: sp.Expr


@dataclass(frozen=True)
class BetaKernel:
    r"""A density term :math:`c\,\theta^a (1-\theta)^b` with ``a, b > -1``, ``c > 0``.

    Its mass is :math:`c\,B(a + 1, b + 1)`; normalised, it is a
    :math:`\mathrm{Beta}(a + 1, b + 1)` density.
    """

    coefficient: sp.Expr
    a: sp.Rational
    b: sp.Rational

    @property
    def mass(self) -> sp.Expr:
        return _clean(self.coefficient * _beta_fn(self.a + 1, self.b + 1))


@dataclass(frozen=True, eq=True)
class Measure:
    r"""A finite measure on :math:`[0, 1]`: point masses plus a sum of Beta kernels.

    Build one with :func:`point_mass`, :func:`beta`, :func:`beta_kernel`,
    :func:`uniform`, ``+`` and multiplication by an exact non-negative number,
    e.g. ``Rational(1, 4) * point_mass(Rational(1, 2)) + Rational(3, 4) * uniform()``.
    Instances are kept canonical (atoms sorted by location and merged, kernels
    sorted by exponents and merged, zero terms dropped), so two measures built
    from the same exact terms compare equal.
    """

    atoms: tuple[Atom, ...] = ()
    kernels: tuple[BetaKernel, ...] = ()

    def __post_init__(self) -> None:
        for field, cls in (("atoms", Atom), ("kernels", BetaKernel)):
            value = getattr(self, field)
            if not isinstance(value, tuple):
                raise TypeError(
                    f"{field} must be a tuple of {cls.__name__}, got {type(value).__name__}"
                )
            for item in value:
                if not isinstance(item, cls):
                    raise TypeError(
                        f"{field} must be a tuple of {cls.__name__}, got an entry of"
                        f" type {type(item).__name__}"
                    )
        merged_atoms: dict[sp.Rational, sp.Expr] = {}
        for atom in self.atoms:
            x = _rational(atom.location, "atom location")
            if x < 0 or x > 1:
                raise ValueError(f"atom location must lie in [0, 1], got {x}")
            w = _nonnegative(atom.weight, f"weight of the atom at {x}")
            merged_atoms[x] = merged_atoms.get(x, sp.Integer(0)) + w
        merged_kernels: dict[tuple[sp.Rational, sp.Rational], sp.Expr] = {}
        for k in self.kernels:
            a = _rational(k.a, "kernel exponent a")
            b = _rational(k.b, "kernel exponent b")
            for e, nm in ((a, "a"), (b, "b")):
                if e <= -1:
                    raise ValueError(
                        f"kernel exponent {nm} = {e} <= -1: theta^a (1 - theta)^b is "
                        "not integrable on [0, 1], so the measure would have infinite "
                        "mass"
                    )
            c = _nonnegative(
                k.coefficient, f"coefficient of the kernel theta^{a} (1-theta)^{b}"
            )
            merged_kernels[(a, b)] = merged_kernels.get((a, b), sp.Integer(0)) + c
        atoms = tuple(
            Atom(x, _clean(w))
            for x, w in sorted(merged_atoms.items())
            if _clean(w) != 0
        )
        kernels = tuple(
            BetaKernel(_clean(c), a, b)
            for (a, b), c in sorted(merged_kernels.items())
            if _clean(c) != 0
        )
        object.__setattr__(self, "atoms", atoms)
        object.__setattr__(self, "kernels", kernels)

    # arithmetic -----------------------------------------------------------
    def __add__(self, other: Measure) -> Measure:
        if not isinstance(other, Measure):
            return NotImplemented
        return Measure(self.atoms + other.atoms, self.kernels + other.kernels)

    def __mul__(self, factor: Any) -> Measure:
        if isinstance(factor, Measure):
            return NotImplemented
        c = _nonnegative(factor, "factor")
        return Measure(
            tuple(Atom(a.location, c * a.weight) for a in self.atoms),
            tuple(BetaKernel(c * k.coefficient, k.a, k.b) for k in self.kernels),
        )

    __rmul__ = __mul__

    # display --------------------------------------------------------------
    def _repr_latex_(self) -> str:
        return "$" + sp.latex(as_expr(self, sp.Symbol("theta"))) + "$"

    def __str__(self) -> str:
        return sp.sstr(as_expr(self, sp.Symbol("theta")))


def _measure(m: Any, name: str) -> Measure:
    if not isinstance(m, Measure):
        raise TypeError(
            f"{name} must be a klnotes.measures.Measure, got {type(m).__name__}"
        )
    return m


def _require_normalised(m: Measure, name: str) -> None:
    total = total_mass(m)
    if sp.simplify(total - 1) != 0:
        raise ValueError(
            f"{name} is not normalised: its total mass is {total} "
            f"(about {float(total):.6g}); use normalise() first"
        )


# --------------------------------------------------------------------------
# constructors


def point_mass(location: Any, weight: Any = 1) -> Measure:
    r""":math:`w\,\delta(\theta - x)`: weight ``w`` exactly at ``location`` ``x``."""
    return Measure(atoms=(Atom(location, weight),))


def beta_kernel(a: Any, b: Any, coefficient: Any = 1) -> Measure:
    r"""The (unnormalised) density :math:`c\,\theta^a (1-\theta)^b`, ``a, b > -1``."""
    return Measure(kernels=(BetaKernel(coefficient, a, b),))


def beta(alpha: Any, beta_: Any) -> Measure:
    r"""The normalised :math:`\mathrm{Beta}(\alpha, \beta)` density
    :math:`\theta^{\alpha-1}(1-\theta)^{\beta-1} / B(\alpha, \beta)` (exact rational
    ``alpha, beta_ > 0``)."""
    al, be = _rational(alpha, "alpha"), _rational(beta_, "beta_")
    if al <= 0 or be <= 0:
        raise ValueError(
            f"Beta parameters must be positive, got alpha={al}, beta_={be}"
        )
    return beta_kernel(al - 1, be - 1, 1 / _beta_fn(al, be))


def uniform() -> Measure:
    r"""The uniform density on :math:`[0, 1]` (:math:`\mathrm{Beta}(1, 1)`)."""
    return beta_kernel(0, 0, 1)


# --------------------------------------------------------------------------
# parts, masses and expressions


def total_mass(m: Measure) -> sp.Expr:
    r"""Exact :math:`\mu([0,1]) = \sum_i w_i + \sum_j c_j B(a_j+1, b_j+1)`."""
    _measure(m, "m")
    return _clean(
        sum((a.weight for a in m.atoms), sp.Integer(0))
        + sum((k.mass for k in m.kernels), sp.Integer(0))
    )


def normalise(m: Measure) -> Measure:
    """``m`` divided by its total mass, a probability measure (zero mass: error)."""
    total = total_mass(_measure(m, "m"))
    if total == 0:
        raise ValueError("m has zero total mass and cannot be normalised")
    return (1 / total) * m


def discrete_part(m: Measure) -> Measure:
    """Only the point masses of ``m`` (not renormalised)."""
    return Measure(atoms=_measure(m, "m").atoms)


def continuous_part(m: Measure) -> Measure:
    """Only the density (Beta-kernel) part of ``m`` (not renormalised)."""
    return Measure(kernels=_measure(m, "m").kernels)


def mass_at(m: Measure, location: Any) -> sp.Expr:
    r"""Exact :math:`\mu(\{x\})`, the point mass at ``location`` (0 if none)."""
    x = _rational(location, "location")
    if x < 0 or x > 1:
        raise ValueError(f"location must lie in [0, 1], got {x}")
    for atom in _measure(m, "m").atoms:
        if atom.location == x:
            return atom.weight
    return sp.Integer(0)


def density_expr(m: Measure, theta: sp.Symbol) -> sp.Expr:
    r"""The continuous part's density :math:`\sum_j c_j\theta^{a_j}(1-\theta)^{b_j}`."""
    if not isinstance(theta, sp.Symbol):
        raise TypeError(f"theta must be a sympy Symbol, got {type(theta).__name__}")
    return sum(
        (
            k.coefficient * theta**k.a * (1 - theta) ** k.b
            for k in _measure(m, "m").kernels
        ),
        sp.Integer(0),
    )


def as_expr(m: Measure, theta: sp.Symbol) -> sp.Expr:
    r"""The whole measure as a generalised density, point masses as ``DiracDelta``:

    :math:`\sum_i w_i\,\delta(\theta - x_i)
    + \sum_j c_j\theta^{a_j}(1-\theta)^{b_j}`.
    """
    if not isinstance(theta, sp.Symbol):
        raise TypeError(f"theta must be a sympy Symbol, got {type(theta).__name__}")
    return sum(
        (a.weight * sp.DiracDelta(theta - a.location) for a in _measure(m, "m").atoms),
        sp.Integer(0),
    ) + density_expr(m, theta)


def density(m: Measure, grid: Any) -> np.ndarray:
    """The continuous part's density (float64) at the points of ``grid`` in [0, 1].

    Point masses are not included: a density cannot show them.
    """
    _measure(m, "m")
    g = np.asarray(as_float_array(grid, "grid"))
    if not np.all(np.isfinite(g)):
        raise ValueError("grid has non-finite entries (NaN or inf)")
    if np.any((g < 0) | (g > 1)):
        raise ValueError(
            f"grid must lie in [0, 1], got values in [{g.min():.3g}, {g.max():.3g}]"
        )
    out = np.zeros_like(g)
    with np.errstate(divide="ignore"):
        for k in _measure(m, "m").kernels:
            out = out + float(k.coefficient) * g ** float(k.a) * (1 - g) ** float(k.b)
    return out


def components(m: Measure) -> tuple[tuple[str, Any, sp.Expr], ...]:
    r"""The mixture components in sampling order: atoms, then kernels.

    Each entry is ``("atom", location, weight)`` for a point mass, or
    ``("beta", (alpha, beta), mass)`` for a kernel
    :math:`c\,\theta^a(1-\theta)^b`, which is ``mass`` times a
    ``Beta(alpha, beta)`` density with ``alpha = a + 1``, ``beta = b + 1``.
    Labels returned by :func:`sample` index this tuple.
    """
    _measure(m, "m")
    return tuple(("atom", a.location, a.weight) for a in m.atoms) + tuple(
        ("beta", (k.a + 1, k.b + 1), k.mass) for k in m.kernels
    )


# --------------------------------------------------------------------------
# likelihoods, posteriors and imaginary results


def multiply_likelihood(m: Measure, heads: int, tails: int) -> Measure:
    r"""The unnormalised :math:`\theta^h (1-\theta)^t\,\mu(d\theta)`.

    Atoms get weight :math:`w\,x^h (1-x)^t` (those with zero likelihood vanish);
    kernels get exponents :math:`a + h`, :math:`b + t`.
    """
    h, t = whole_number(heads, "heads"), whole_number(tails, "tails")
    _measure(m, "m")
    return Measure(
        tuple(
            Atom(a.location, a.weight * a.location**h * (1 - a.location) ** t)
            for a in m.atoms
        ),
        tuple(BetaKernel(k.coefficient, k.a + h, k.b + t) for k in m.kernels),
    )


def divide_likelihood(m: Measure, heads: int, tails: int) -> Measure:
    r"""The unnormalised :math:`\mu(d\theta) / \theta^h (1-\theta)^t`.

    Raises ValueError if ``m`` puts mass where the likelihood is zero (no prior
    could produce that posterior), or if a kernel exponent drops to ``<= -1``
    (the result would have infinite mass: no proper prior exists).
    """
    return _divide_likelihood(m, heads, tails, "m")


def _divide_likelihood(m: Measure, heads: int, tails: int, name: str) -> Measure:
    h, t = whole_number(heads, "heads"), whole_number(tails, "tails")
    _measure(m, name)
    atoms = []
    for a in m.atoms:
        lik = a.location**h * (1 - a.location) ** t
        if lik == 0:
            raise ValueError(
                f"{name} puts mass {a.weight} at theta = {a.location}, where the likelihood "
                f"theta^{h} (1 - theta)^{t} is zero; no prior gives such a posterior"
            )
        atoms.append(Atom(a.location, a.weight / lik))
    kernels = []
    for k in m.kernels:
        a_new, b_new = k.a - h, k.b - t
        if a_new <= -1 or b_new <= -1:
            raise ValueError(
                f"{name}: dividing the kernel theta^{k.a} (1 - theta)^{k.b} by "
                f"theta^{h} (1 - theta)^{t} leaves theta^{a_new} (1 - theta)^{b_new}, "
                "which is not integrable: the implied prior would be improper"
            )
        kernels.append(BetaKernel(k.coefficient, a_new, b_new))
    return Measure(tuple(atoms), tuple(kernels))


def marginal_likelihood(
    prior: Measure, heads: int, tails: int, *, binomial: bool = True
) -> sp.Expr:
    r"""Exact :math:`p(D) = \int L(D|\theta)\,\pi(d\theta)` for ``heads`` and ``tails``.

    With ``binomial=True`` (default) :math:`L = \binom{h+t}{h}\theta^h(1-\theta)^t`, the
    probability of the count; with ``False``, of one particular sequence.
    """
    _require_normalised(_measure(prior, "prior"), "prior")
    h, t = whole_number(heads, "heads"), whole_number(tails, "tails")
    binomial = boolean(binomial, "binomial")
    coef = sp.binomial(h + t, h) if binomial else sp.Integer(1)
    return _clean(coef * total_mass(multiply_likelihood(prior, h, t)))


def posterior(prior: Measure, heads: int, tails: int) -> Measure:
    r"""The posterior after ``heads`` and ``tails`` under a normalised ``prior``.

    :math:`p(\theta|D) \propto \theta^h(1-\theta)^t \pi(\theta)`.
    """
    _require_normalised(_measure(prior, "prior"), "prior")
    unnorm = multiply_likelihood(prior, heads, tails)
    if total_mass(unnorm) == 0:
        raise ValueError(
            f"the data ({heads} heads, {tails} tails) have probability zero "
            "under the prior"
        )
    return normalise(unnorm)


def unidentified_points(heads: int, tails: int) -> tuple[sp.Rational, ...]:
    r"""The biases at which ``heads`` heads and ``tails`` tails are impossible.

    :math:`\theta^h (1-\theta)^t = 0` exactly at :math:`\theta = 0` when
    ``heads > 0`` and at :math:`\theta = 1` when ``tails > 0``. These points are
    outside :math:`\Theta_0 = \{\theta : L(D_0 \mid \theta) > 0\}`: an imaginary
    result for these data says nothing about prior mass there.
    """
    h, t = whole_number(heads, "heads"), whole_number(tails, "tails")
    return tuple(
        sp.Integer(x) for x, impossible in ((0, h > 0), (1, t > 0)) if impossible
    )


def restrict(m: Measure, exclude: Any) -> Measure:
    r"""``m`` with the point masses at the locations in ``exclude`` removed.

    This is :math:`\mu` restricted to :math:`[0, 1]` minus finitely many points;
    the density part is kept whole, since a density gives a point no mass.
    ``exclude`` is a tuple, list or set of exact locations in [0, 1].
    """
    _measure(m, "m")
    if not isinstance(exclude, (tuple, list, set, frozenset)):
        raise TypeError(
            "exclude must be a tuple, list or set of locations, got "
            f"{type(exclude).__name__}"
        )
    drop = set()
    for x in exclude:
        v = _rational(x, "exclude")
        if v < 0 or v > 1:
            raise ValueError(f"exclude must hold locations in [0, 1], got {v}")
        drop.add(v)
    return Measure(tuple(a for a in m.atoms if a.location not in drop), m.kernels)


def implied_prior(
    imaginary_posterior: Measure,
    heads: int,
    tails: int,
    *,
    outside: Measure | None = None,
) -> Measure:
    r"""The prior :math:`\pi(\theta) \propto q(\theta|D_0) / L(D_0|\theta)`.

    Its posterior after the imaginary data :math:`D_0` (``heads``, ``tails``) is
    exactly ``q``.

    Unique where the data are possible, on
    :math:`\Theta_0 = \{\theta : L(D_0|\theta) > 0\}`: :math:`\pi L_0 \propto q`
    forces it there, and ``q`` must vanish outside :math:`\Theta_0`. Mass outside
    :math:`\Theta_0` is not identified. By default the prior puts none there;
    ``outside``, point masses of total :math:`m < 1` at
    :func:`unidentified_points`, gives instead
    :math:`(1 - m)\,\pi_0 + \text{outside}`, which has the same posterior
    after :math:`D_0`. Every prior with that posterior is of this form.
    """
    _require_normalised(
        _measure(imaginary_posterior, "imaginary_posterior"), "imaginary_posterior"
    )
    base = normalise(
        _divide_likelihood(imaginary_posterior, heads, tails, "imaginary_posterior")
    )
    if outside is None:
        return base
    _measure(outside, "outside")
    blind = unidentified_points(heads, tails)
    if outside.kernels:
        raise ValueError(
            "outside must be point masses only: a density would put mass where the"
            f" imaginary data are possible, which q already fixes (blind spots: {blind})"
        )
    for a in outside.atoms:
        if a.location not in blind:
            raise ValueError(
                f"outside puts mass at theta = {a.location}, where {heads} heads and"
                f" {tails} tails are possible, so q already fixes the prior there;"
                f" outside may only use {blind or 'no point (the data are possible everywhere)'}"
            )
    m = total_mass(outside)
    if not bool(m < 1):
        raise ValueError(
            f"outside has total mass {m}; it must be below 1, or the imaginary data"
            " would be impossible and have no posterior"
        )
    return (1 - m) * base + outside


def _same_measure(a: Measure, b: Measure) -> bool:
    """Exact equality of two canonical measures (weights compared by simplification)."""
    if [x.location for x in a.atoms] != [x.location for x in b.atoms]:
        return False
    if [(k.a, k.b) for k in a.kernels] != [(k.a, k.b) for k in b.kernels]:
        return False
    pairs = [(x.weight, y.weight) for x, y in zip(a.atoms, b.atoms, strict=True)]
    pairs += [
        (x.coefficient, y.coefficient)
        for x, y in zip(a.kernels, b.kernels, strict=True)
    ]
    return all(_clean(x - y) == 0 for x, y in pairs)


def combined_implied_prior(results: Any) -> Measure:
    r"""The prior whose posterior after each imaginary data set :math:`D_k` is :math:`q_k`.

    ``results`` is a non-empty list or tuple of ``(q_k, heads_k, tails_k)``.
    Each result fixes the prior on
    :math:`\Theta_k = \{\theta : L(D_k|\theta) > 0\}` up to a factor,
    :math:`\pi \propto \rho_k = q_k / L(D_k|\theta)` there. A prior with all
    these posteriors exists exactly when the :math:`\rho_k` are proportional on
    every overlap :math:`\Theta_j \cap \Theta_k`; it is then unique on the
    union of the :math:`\Theta_k`, and this function gives it no mass outside
    the union, where it is not identified. Good's advice, several imaginary
    results checked against each other, is this consistency condition.

    Raises ValueError when two results disagree on an overlap (no prior holds
    both beliefs), or when a result shares no mass with the others on any
    overlap (its scale relative to them is not fixed).
    """
    if not isinstance(results, (list, tuple)):
        raise TypeError(
            "results must be a list or tuple of (imaginary_posterior, heads, tails),"
            f" got {type(results).__name__}"
        )
    if not results:
        raise ValueError("results is empty: give at least one imaginary result")
    rhos, blind = [], []
    for k, item in enumerate(results):
        if not (isinstance(item, tuple) and len(item) == 3):
            raise TypeError(
                f"results[{k}] must be a tuple (imaginary_posterior, heads, tails),"
                f" got {type(item).__name__}"
            )
        q, h, t = item
        name = f"results[{k}] imaginary posterior"
        _require_normalised(_measure(q, name), name)
        h = whole_number(h, f"results[{k}] heads")
        t = whole_number(t, f"results[{k}] tails")
        rhos.append(_divide_likelihood(q, h, t, name))
        blind.append(set(unidentified_points(h, t)))
    n = len(rhos)
    scale: list[sp.Expr | None] = [sp.Integer(1)] + [None] * (n - 1)
    todo = [0]
    while todo:
        j = todo.pop()
        for k in range(n):
            if scale[k] is not None:
                continue
            off = blind[j] | blind[k]
            mj = total_mass(restrict(rhos[j], off))
            mk = total_mass(restrict(rhos[k], off))
            if mj != 0 and mk != 0:
                scale[k] = _clean(scale[j] * mj / mk)
                todo.append(k)
    for k, s in enumerate(scale):
        if s is None:
            raise ValueError(
                f"results[{k}] shares no mass with the other results on the biases"
                " both can see, so its scale relative to them is not identified"
            )
    for j in range(n):
        for k in range(j + 1, n):
            off = blind[j] | blind[k]
            a = scale[j] * restrict(rhos[j], off)
            b = scale[k] * restrict(rhos[k], off)
            if not _same_measure(a, b):
                raise ValueError(
                    f"results[{j}] and results[{k}] are inconsistent: where both data"
                    " sets are possible, q/L should be proportional for the two, but"
                    f" the first gives {a} and the second {b} (scaled to agree in"
                    " total); no prior has both posteriors"
                )
    glued = scale[0] * rhos[0]
    unseen = set(blind[0])
    for k in range(1, n):
        new = unseen - blind[k]
        if new:
            extra = [a for a in (scale[k] * rhos[k]).atoms if a.location in new]
            glued = glued + Measure(tuple(extra))
        unseen &= blind[k]
    return normalise(glued)


def moment(m: Measure, k: int) -> sp.Expr:
    r"""Exact :math:`\int \theta^k\,d\mu` for a normalised ``m``."""
    _require_normalised(_measure(m, "m"), "m")
    return total_mass(multiply_likelihood(m, whole_number(k, "k"), 0))


def mean(m: Measure) -> sp.Expr:
    r"""Exact mean :math:`\int\theta\,d\mu` (also :math:`P(\text{next flip heads})`)."""
    return moment(m, 1)


def variance(m: Measure) -> sp.Expr:
    """Exact variance of a normalised ``m``."""
    return _clean(moment(m, 2) - moment(m, 1) ** 2)


def predictive_pmf(m: Measure, n: int) -> tuple[sp.Expr, ...]:
    r"""Exact probabilities of ``k = 0..n`` heads in ``n`` new flips under ``m``.

    :math:`P(k) = \binom nk\int\theta^k(1-\theta)^{n-k}\,d\mu` for a normalised
    ``m``: the prior predictive, or the posterior predictive if ``m`` is a
    posterior.
    """
    _require_normalised(_measure(m, "m"), "m")
    n = whole_number(n, "n")
    return tuple(marginal_likelihood(m, k, n - k) for k in range(n + 1))


def bayes_factor(m1: Measure, m2: Measure, heads: int, tails: int) -> sp.Expr:
    r"""Exact :math:`K = p(D|\mathcal M_1)/p(D|\mathcal M_2)` for two normalised priors.

    The binomial coefficient cancels, so it does not matter whether ``D`` is a
    count or a sequence.
    """
    for m, name in ((m1, "m1"), (m2, "m2")):
        _require_normalised(_measure(m, name), name)
    num = marginal_likelihood(m1, heads, tails)
    den = marginal_likelihood(m2, heads, tails)
    if den == 0:
        raise ValueError(
            "the data have probability zero under m2: the Bayes factor is infinite"
        )
    return _clean(num / den)


def bayes_factor_db(m1: Measure, m2: Measure, heads: int, tails: int) -> float:
    r"""Weight of evidence :math:`10\log_{10} K` in decibans (via klnotes.units)."""
    k = bayes_factor(m1, m2, heads, tails)
    if k == 0:
        raise ValueError(
            "the data have probability zero under m1: the weight of evidence is -inf dB"
        )
    return float(odds_to_db(float(k)))


# --------------------------------------------------------------------------
# sampling


def _is_jax_key(rng: Any) -> bool:
    if not isinstance(rng, jax.Array):
        return False
    if jnp.issubdtype(rng.dtype, jax.dtypes.prng_key):
        return True
    return rng.dtype == jnp.uint32 and rng.shape == (2,)


@functools.lru_cache(maxsize=32)
def _jax_sampler(
    locs: tuple[float, ...], shapes: tuple[tuple[float, float], ...], n: int
) -> Any:
    """One jitted JAX sampler per mixture layout (compiled once, then reused)."""

    def draw(key: jax.Array, inner_cdf: jax.Array) -> tuple[jax.Array, jax.Array]:
        k_label, *k_beta = jax.random.split(key, 1 + len(shapes))
        u = jax.random.uniform(k_label, (n,), dtype=jnp.float64)
        labels = jnp.sum(u[:, None] >= inner_cdf[None, :], axis=1)
        theta = jnp.zeros((n,), dtype=jnp.float64)
        for i, x in enumerate(locs):
            theta = jnp.where(labels == i, x, theta)
        for j, (kb, (al, be)) in enumerate(zip(k_beta, shapes, strict=True)):
            theta = jnp.where(labels == len(locs) + j, _jax_beta(kb, al, be, n), theta)
        return theta, labels

    return jax.jit(draw)


def _jax_beta(key: jax.Array, al: float, be: float, n: int) -> jax.Array:
    """Beta(al, be) draws; for integer shapes the exact order-statistic construction.

    The ``al``-th smallest of ``al + be - 1`` independent uniforms is
    Beta(al, be) distributed; it is cheap to compile and run, unlike the
    rejection sampler behind ``jax.random.beta``, used for other shapes.
    """
    if al.is_integer() and be.is_integer() and al + be - 1 <= 64:
        u = jax.random.uniform(key, (n, int(al + be - 1)), dtype=jnp.float64)
        return jnp.sort(u, axis=1)[:, int(al) - 1]
    return jax.random.beta(key, al, be, shape=(n,), dtype=jnp.float64)


def sample(
    m: Measure, rng: Any, n: int, *, return_labels: bool = False
) -> np.ndarray | jax.Array | tuple[Any, Any]:
    r"""``n`` independent draws of :math:`\theta` from a normalised ``m``.

    A draw first picks a component (see :func:`components`) with probability
    equal to its exact mass (as a float64), then a value from it: the atom's
    location, or a ``Beta(a + 1, b + 1)`` variate. ``rng`` is either

    * a ``numpy.random.Generator``: NumPy arrays come back; Beta variates are
      drawn only for the draws that picked a kernel, so large ``n`` is cheap;
    * a JAX PRNG key (``jax.random.PRNGKey(seed)``): JAX arrays come back; every
      kernel is drawn for all ``n`` and selected, so keep ``n`` moderate.

    With ``return_labels=True`` the component index of each draw comes back
    too, as ``(theta, labels)``. Deterministic for a fixed seed or key.
    """
    _require_normalised(_measure(m, "m"), "m")
    n = whole_number(n, "n", 1)
    return_labels = boolean(return_labels, "return_labels")
    probs = np.array([float(c[2]) for c in components(m)], dtype=np.float64)
    inner_cdf = np.cumsum(probs / probs.sum())[:-1]  # label = #{cdf_k <= u}
    n_atoms = len(m.atoms)
    locs = [float(a.location) for a in m.atoms]
    shapes = [(float(k.a + 1), float(k.b + 1)) for k in m.kernels]
    if isinstance(rng, np.random.Generator):
        u = rng.random(n)
        labels = np.zeros(n, dtype=np.int32)
        for c in inner_cdf:
            labels += u >= c
        del u
        theta = np.empty(n, dtype=np.float64)
        for i, x in enumerate(locs):
            theta[labels == i] = x
        for j, (al, be) in enumerate(shapes):
            sel = labels == n_atoms + j
            theta[sel] = rng.beta(al, be, size=int(sel.sum()))
        return (theta, labels) if return_labels else theta
    if _is_jax_key(rng):
        draw = _jax_sampler(tuple(locs), tuple(shapes), n)
        theta, labels = draw(rng, jnp.asarray(inner_cdf, dtype=jnp.float64))
        return (theta, labels) if return_labels else theta
    raise TypeError(
        "rng must be a numpy.random.Generator or a JAX PRNG key "
        f"(jax.random.PRNGKey(seed)), got {type(rng).__name__}"
    )

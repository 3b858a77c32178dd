r"""The universal recipe as code: an objective from two graphical models.

The recipe {cite}`alemi2024klallyouneed`:

1. draw the real world :math:`P` as a directed graphical model, augmented with
   whatever we add to it (encoders, representations, parameters);
2. draw the world we wish for, :math:`Q`, over the same variables;
3. minimise :math:`I[P; Q] = \langle \log P/Q \rangle_P`.

A :class:`World` is a factorisation of a joint distribution into named
conditionals, one per variable, that forms a DAG, e.g. ``World("P", "p(x)
p(z|x)")``. :func:`objective` expands :math:`\log P/Q` into a sum of
logarithms of factors (SymPy symbols), cancels the factors both worlds share,
sets apart the terms outside our control and groups the rest into named
pieces with optional trade-off weights. :func:`bound` marginalises variables
out of both worlds; by monotonicity of KL the joint objective bounds the
marginal one,

.. math::

    \Big\langle \log \frac{P(v, u)}{Q(v, u)} \Big\rangle_P
    = \Big\langle \log \frac{P(v)}{Q(v)} \Big\rangle_P
    + \big\langle I[P(u|v); Q(u|v)] \big\rangle_{P(v)}
    \ \ge\ \Big\langle \log \frac{P(v)}{Q(v)} \Big\rangle_P .

Some objectives are sums: the conditional entropy bottleneck wishes for two
things no single acyclic :math:`Q` can hold, so it is
:math:`I[P; Q_1] + \gamma\, I[P; Q_2]`. :func:`objective_sum` adds objectives
(or bounds) that share the real world :math:`P`, with non-negative weights;
the result evaluates, bounds and draws (:func:`klnotes.graphs.draw_objective`)
like one objective. Piece names must not be ``"total"``, ``"loss"`` or
``"constant"`` (:data:`RESERVED_NAMES`), the names under which the whole
objective is evaluated.

For numbers, :func:`random_tables` fills every factor of small discrete worlds
with a conditional probability table, :func:`joint_kl` computes the divergence
by brute force on the full joint tables and :meth:`Objective.evaluate` takes the
:math:`P`-expectation of the engine's symbolic terms on the same tables, so a
chapter can check that the two agree.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import sympy as sp

from ._validate import (
    NORMALISATION_ATOL,
    as_float_array,
    as_int,
    boolean,
    positive_scalar,
    real_scalar,
    require_generator,
    require_instance,
    string,
)

__all__ = [
    "Bound",
    "Factor",
    "Objective",
    "ObjectiveSum",
    "RESERVED_NAMES",
    "World",
    "bound",
    "joint_kl",
    "joint_table",
    "marginal_kl",
    "marginalise",
    "objective",
    "objective_sum",
    "parse_factor",
    "random_tables",
    "tex_variable",
]

_GREEK = {
    "alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota",
    "kappa", "lambda", "mu", "nu", "xi", "pi", "rho", "sigma", "tau", "phi", "chi",
    "psi", "omega", "Phi", "Theta", "Omega", "Psi", "Gamma", "Delta", "Sigma",
}  # fmt: skip
_VAR_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
_FACTOR_RE = re.compile(r"^\s*([A-Za-z][A-Za-z0-9_']*)\s*\(([^()]*)\)\s*$")

#: Names :meth:`Objective.evaluate` reads as the whole objective, so no piece
#: (and no term of a sum) may take them.
RESERVED_NAMES = ("total", "loss", "constant")


def tex_variable(name: str) -> str:
    r"""LaTeX for a variable name: ``theta`` → ``\theta``, ``x1`` → ``x_{1}``."""
    string(name, "name")
    m = re.match(r"^([A-Za-z]+?)_?(\d+)$", name)
    base, sub = (m.group(1), m.group(2)) if m else (name, "")
    base = f"\\{base}" if base in _GREEK else base
    return f"{base}_{{{sub}}}" if sub else base


@dataclass(frozen=True)
class Factor:
    r"""One conditional :math:`f(\text{vars} \mid \text{parents})` of a world.

    ``dist`` is the name of the distribution (``p`` for the real world, ``q``
    for the model, by convention). A factor made by marginalising a variable
    (see :func:`marginalise`) records the factors it sums over in
    ``components`` and the summed variable in ``summed``.
    """

    dist: str
    vars: tuple[str, ...]
    parents: tuple[str, ...] = ()
    components: tuple[Factor, ...] = ()
    summed: str | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.dist, str) or not re.match(
            r"^[A-Za-z][A-Za-z0-9_']*$", self.dist
        ):
            raise TypeError(
                f"dist must be a distribution name such as 'p' or 'q', got {self.dist!r}"
            )
        for attr in ("vars", "parents"):
            value = getattr(self, attr)
            if not isinstance(value, tuple) or not all(
                isinstance(v, str) and _VAR_RE.match(v) for v in value
            ):
                raise TypeError(
                    f"{attr} must be a tuple of variable names such as ('x', 'z'),"
                    f" got {value!r}"
                )
        if not self.vars:
            raise ValueError("vars is empty: a factor generates at least one variable")
        if not isinstance(self.components, tuple) or not all(
            isinstance(c, Factor) for c in self.components
        ):
            raise TypeError(
                f"components must be a tuple of Factor, got {type(self.components).__name__}"
            )
        if self.summed is not None and not isinstance(self.summed, str):
            raise TypeError(
                f"summed must be a variable name or None, got {type(self.summed).__name__}"
            )

    @property
    def label(self) -> str:
        """Plain-text label, e.g. ``p(z|x)``; it names the factor everywhere."""
        inner = ",".join(self.vars)
        if self.parents:
            inner += "|" + ",".join(self.parents)
        return f"{self.dist}({inner})"

    @property
    def tex(self) -> str:
        r"""LaTeX label, e.g. ``p(z \mid x)``."""
        inner = ", ".join(tex_variable(v) for v in self.vars)
        if self.parents:
            inner += r" \mid " + ", ".join(tex_variable(v) for v in self.parents)
        return f"{self.dist}({inner})"

    @property
    def symbol(self) -> sp.Symbol:
        """The positive SymPy symbol standing for this factor's value."""
        return sp.Symbol(self.label, positive=True)

    def __str__(self) -> str:
        return self.label


def parse_factor(label: str) -> Factor:
    """Parse ``"q(y|x,theta)"`` into a :class:`Factor` (``dist(vars|parents)``)."""
    if not isinstance(label, str):
        raise TypeError(
            f"label must be a factor label like 'p(z|x)', got {type(label).__name__} {label!r}"
        )
    m = _FACTOR_RE.match(label)
    if not m:
        raise ValueError(
            f"cannot parse factor label {label!r}: expected the form 'p(z|x,y)'"
        )
    dist, inner = m.group(1), m.group(2)
    if inner.count("|") > 1:
        raise ValueError(f"factor label {label!r} has more than one '|'")
    left, _, right = inner.partition("|")
    vars_ = tuple(v.strip() for v in left.split(",") if v.strip())
    parents = tuple(v.strip() for v in right.split(",") if v.strip())
    if not vars_:
        raise ValueError(f"factor label {label!r} names no variable before '|'")
    for v in vars_ + parents:
        if not _VAR_RE.match(v):
            raise ValueError(
                f"factor label {label!r}: {v!r} is not a valid variable name"
            )
    both = set(vars_) & set(parents)
    if both:
        raise ValueError(
            f"factor label {label!r}: variable {sorted(both)[0]!r} is conditioned on itself"
        )
    if len(set(vars_)) != len(vars_) or len(set(parents)) != len(parents):
        raise ValueError(f"factor label {label!r} repeats a variable")
    return Factor(dist, vars_, parents)


def _as_factor(f: str | Factor) -> Factor:
    return f if isinstance(f, Factor) else parse_factor(f)


def _factor_arg(f: Any, name: str) -> Factor:
    """A factor given as a label or a Factor; errors name the argument ``name``."""
    if not isinstance(f, (str, Factor)):
        raise TypeError(
            f"{name} must hold factor labels like 'p(z|x)' or Factor objects,"
            f" got {type(f).__name__}"
        )
    try:
        return _as_factor(f)
    except ValueError as exc:
        raise ValueError(f"{name}: {exc}") from None


def _labels(items: Any, name: str) -> list[Any]:
    """A sequence of labels (one label string counts as a sequence of one)."""
    if isinstance(items, str):
        return [items]
    if isinstance(items, (bytes, Mapping)) or not isinstance(items, Iterable):
        raise TypeError(
            f"{name} must be a sequence of labels or names, got {type(items).__name__}"
        )
    return list(items)


def _world(w: Any, name: str) -> World:
    return require_instance(w, World, name, "a klnotes.recipe.World")


def _variable(var: Any, name: str = "var") -> str:
    if not isinstance(var, str):
        raise TypeError(
            f"{name} must be a variable name (a string), got {type(var).__name__}"
        )
    return var


@dataclass(frozen=True)
class World:
    """A joint distribution written as a DAG of named conditionals.

    ``World("P", "p(x) p(z|x)", fixed=["p(x)"], observed=["x"])``: factors are
    given as one string (separated by spaces) or a sequence of labels or
    :class:`Factor` objects. ``fixed`` lists the factors outside our control
    (the data-generating process); ``observed`` the variables drawn shaded.

    Validation: every variable is generated by exactly one factor, every
    parent is a variable of the world, and the graph has no cycle. Errors name
    the offending variable.
    """

    name: str
    factors: tuple[Factor, ...]
    fixed: frozenset[str] = frozenset()
    observed: frozenset[str] = frozenset()
    order: tuple[str, ...] = field(default=(), compare=False)

    def __init__(
        self,
        name: str,
        factors: str | Iterable[str | Factor],
        *,
        fixed: Iterable[str] = (),
        observed: Iterable[str] = (),
    ) -> None:
        if not isinstance(name, str) or not name:
            raise TypeError(
                f"name must be a non-empty string such as 'P', got {name!r}"
            )
        if isinstance(factors, str):
            pattern = r"[A-Za-z][A-Za-z0-9_']*\s*\([^()]*\)"
            leftover = re.sub(pattern, " ", factors).strip(" \t\n,*")
            if leftover:
                raise ValueError(
                    f"factors of world {name!r}: cannot read {leftover!r} as a factor"
                    " like 'p(z|x)'"
                )
            factors = re.findall(pattern, factors)
        elif isinstance(factors, (bytes, Mapping)) or not isinstance(factors, Iterable):
            raise TypeError(
                "factors must be a string like 'p(x) p(z|x)' or a sequence of labels"
                f" and Factor objects, got {type(factors).__name__}"
            )
        fs = tuple(_factor_arg(f, "factors") for f in factors)
        if not fs:
            raise ValueError(f"factors is empty: world {name!r} has no factors")
        owner: dict[str, Factor] = {}
        for f in fs:
            for v in f.vars:
                if v in owner:
                    raise ValueError(
                        f"factors of world {name!r}: variable {v!r} has more than one"
                        f" factor ({owner[v].label} and {f.label}); each variable needs"
                        " exactly one"
                    )
                owner[v] = f
        for f in fs:
            for v in f.parents:
                if v not in owner:
                    raise ValueError(
                        f"factors of world {name!r}: variable {v!r} is a parent in"
                        f" {f.label} but has no factor of its own"
                    )
        labels = {f.label for f in fs}
        if len(labels) != len(fs):
            raise ValueError(f"factors of world {name!r} list a factor twice")
        fixed = frozenset(
            _factor_arg(f, "fixed").label for f in _labels(fixed, "fixed")
        )
        for lab in fixed - labels:
            raise ValueError(
                f"world {name!r}: fixed factor {lab!r} is not one of its factors"
            )
        observed = _labels(observed, "observed")
        for v in observed:
            _variable(v, "observed")
        observed = frozenset(observed)
        for v in observed - set(owner):
            raise ValueError(
                f"world {name!r}: observed variable {v!r} is not in the world"
            )
        object.__setattr__(self, "name", name)
        object.__setattr__(self, "factors", fs)
        object.__setattr__(self, "fixed", fixed)
        object.__setattr__(self, "observed", observed)
        object.__setattr__(self, "order", _topological_order(name, fs, owner))

    # --- structure -------------------------------------------------------
    @property
    def variables(self) -> tuple[str, ...]:
        """The variables in a topological order (parents before children)."""
        return self.order

    def factor_of(self, var: str) -> Factor:
        """The factor that generates ``var``."""
        _variable(var)
        for f in self.factors:
            if var in f.vars:
                return f
        raise ValueError(f"var {var!r} is not a variable of world {self.name!r}")

    def factor(self, label: str) -> Factor:
        """The factor with this label."""
        lab = _factor_arg(label, "label").label
        for f in self.factors:
            if f.label == lab:
                return f
        raise ValueError(f"label {label!r}: world {self.name!r} has no such factor")

    def parents(self, var: str) -> tuple[str, ...]:
        """Parents of ``var`` (the conditioning set of its factor, and co-generated
        variables listed before it in a joint factor)."""
        f = self.factor_of(var)
        return f.parents + f.vars[: f.vars.index(var)]

    def children(self, var: str) -> tuple[str, ...]:
        """Variables whose factor conditions on ``var``, in topological order."""
        self.factor_of(var)
        return tuple(v for v in self.order if var in self.parents(v))

    def ancestors(self, var: str) -> frozenset[str]:
        """All ancestors of ``var``."""
        out: set[str] = set()
        stack = list(self.parents(var))
        while stack:
            v = stack.pop()
            if v not in out:
                out.add(v)
                stack.extend(self.parents(v))
        return frozenset(out)

    def edges(self) -> list[tuple[str, str]]:
        """Directed edges ``(parent, child)`` of the DAG."""
        return [(u, v) for v in self.order for u in self.parents(v)]

    @property
    def tex(self) -> str:
        """LaTeX of the factorisation, e.g. ``p(x)\\, p(z \\mid x)``."""
        return r"\, ".join(f.tex for f in self.factors)

    def __str__(self) -> str:
        return f"{self.name} = " + " ".join(f.label for f in self.factors)


def _topological_order(
    name: str, fs: tuple[Factor, ...], owner: Mapping[str, Factor]
) -> tuple[str, ...]:
    """Kahn's algorithm on the variable DAG; a cycle raises, naming a variable on it."""
    parents = {}
    for f in fs:
        for i, v in enumerate(f.vars):
            parents[v] = set(f.parents) | set(f.vars[:i])
    done: list[str] = []
    remaining = dict(parents)
    listed = [v for f in fs for v in f.vars]
    while remaining:
        ready = [v for v in listed if v in remaining and not (remaining[v] - set(done))]
        if not ready:
            stuck = sorted(remaining)
            # walk parent links inside the stuck set to a variable on a cycle
            v = stuck[0]
            seen: list[str] = []
            while v not in seen:
                seen.append(v)
                v = sorted(remaining[v] & set(remaining))[0]
            cycle = seen[seen.index(v) :] + [v]
            raise ValueError(
                f"factors of world {name!r} are not acyclic: variable {v!r} lies on"
                " the cycle " + " <- ".join(cycle)
            )
        v = ready[0]
        done.append(v)
        del remaining[v]
    return tuple(done)


# ---------------------------------------------------------------------------
# Marginalising
# ---------------------------------------------------------------------------


def marginalise(world: World, var: str, avoid: Iterable[str] = ()) -> World:
    r"""The world with ``var`` summed out, as a factorisation of the marginal.

    If ``var`` has no children its factor is dropped. Otherwise the factor of
    ``var`` and the factors of its children :math:`c` are replaced by one
    factor, :math:`f(c \mid \text{other parents}) = \sum_{var} f(var|\cdot)
    \prod_c f(c|\cdot)`, named with the letter of the children's factors
    (primed if that label is taken, or listed in ``avoid``).
    """
    _world(world, "world")
    f = world.factor_of(_variable(var))
    avoid = _labels(avoid, "avoid")
    for a in avoid:
        if not isinstance(a, str):
            raise TypeError(f"avoid must hold factor labels, got {type(a).__name__}")
    if len(f.vars) > 1:
        raise ValueError(
            f"var {var!r} shares the joint factor {f.label}; cannot marginalise it alone"
        )
    kids = world.children(var)
    kid_factors: list[Factor] = []
    for c in kids:
        fc = world.factor_of(c)
        if fc not in kid_factors:
            kid_factors.append(fc)
    keep = [g for g in world.factors if g is not f and g not in kid_factors]
    fixed = set(world.fixed) - {f.label} - {g.label for g in kid_factors}
    if kid_factors:
        new_vars = tuple(
            v for v in world.order if any(v in g.vars for g in kid_factors)
        )
        pa = set(f.parents)
        for g in kid_factors:
            pa |= set(g.parents)
        pa -= {var} | set(new_vars)
        new_parents = tuple(v for v in world.order if v in pa)
        letter = kid_factors[-1].dist  # the letter of the world's own (child) factors
        merged = Factor(letter, new_vars, new_parents, (f, *kid_factors), var)
        existing = {g.label for g in keep} | set(avoid)
        while merged.label in existing:
            merged = Factor(
                merged.dist + "'", new_vars, new_parents, (f, *kid_factors), var
            )
        keep.append(merged)
        if f.label in world.fixed and all(g.label in world.fixed for g in kid_factors):
            fixed.add(merged.label)
    try:
        return World(
            world.name,
            keep,
            fixed=fixed,
            observed=world.observed - {var},
        )
    except ValueError as exc:
        raise ValueError(
            f"marginalising {var!r} out of {world.name!r} fails: {exc}"
        ) from None


# ---------------------------------------------------------------------------
# The objective
# ---------------------------------------------------------------------------


def _log(f: Factor) -> sp.Expr:
    return sp.log(f.symbol)


def _piece_name(name: Any, where: str) -> str:
    """A piece (or term) name: a non-empty string other than the reserved names."""
    if not isinstance(name, str):
        raise TypeError(
            f"{where} must map names (strings) to factor labels or objectives,"
            f" got a key of type {type(name).__name__}"
        )
    if not name.strip():
        raise ValueError(f"{where} has an empty name; give every entry a name")
    if name in RESERVED_NAMES:
        raise ValueError(
            f"{where}: the name {name!r} is reserved ('total', 'loss' and 'constant'"
            " are what evaluate() reads as the whole objective); choose another name"
        )
    return name


def _weight(v: Any, where: str, *, nonnegative: bool = False) -> sp.Expr:
    """A trade-off weight: a finite SymPy expression or a real number (ints stay exact)."""
    if isinstance(v, sp.Basic):
        if not isinstance(v, sp.Expr) or v.has(sp.nan, sp.zoo, sp.oo, -sp.oo):
            raise ValueError(f"{where} must be a finite expression, got {v}")
        if nonnegative and v.is_negative:
            raise ValueError(f"{where} must be non-negative, got {v}")
        return v
    x = real_scalar(v, where)
    if nonnegative and x < 0:
        raise ValueError(f"{where} must be non-negative, got {x!r}")
    n = as_int(v)
    return sp.Integer(n) if n is not None else sp.Float(x)


def _latex_pieces(
    pieces: Mapping[str, sp.Expr],
    weights: Mapping[str, sp.Expr],
    constant: sp.Expr,
    factors: Mapping[sp.Symbol, Factor],
    weighted: bool,
) -> str:
    parts = []
    for k, e in pieces.items():
        body = _log_tex(e, factors)
        w = weights[k]
        wt = "" if (not weighted or w == 1) else sp.latex(w) + r"\,"
        parts.append(rf"{wt}\underbrace{{\left\langle {body} \right\rangle_P}}_{{{k}}}")
    items = [p if i == 0 else f"+ {p}" for i, p in enumerate(parts)] or ["0"]
    if constant != 0:
        body = _log_tex(constant, factors)
        items.append(
            rf"\;\underbrace{{+ \left\langle {body} \right\rangle_P}}_{{\text{{fixed}}}}"
        )
    return _lines(items, per_line=2)


def _lines(items: Sequence[str], per_line: int) -> str:
    """``items`` on one line, or ``per_line`` to a line in an ``aligned`` block.

    A display formula wider than the page is clipped or scrolls; two pieces
    to a line fit a phone's width in most objectives of the book.
    """
    if len(items) <= per_line:
        return " ".join(items)
    rows = [" ".join(items[i : i + per_line]) for i in range(0, len(items), per_line)]
    return r"\begin{aligned} &" + r" \\ &".join(rows) + r" \end{aligned}"


def _named_expr(expr: Any, named: Mapping[str, sp.Expr]) -> sp.Expr:
    """``expr`` as a SymPy expression: a name in ``named`` or an expression."""
    if isinstance(expr, str):
        if expr in named:
            return named[expr]
        raise ValueError(
            f"expr {expr!r} is not 'total', 'loss', 'constant' or a piece; pieces are"
            f" {[k for k in named if k not in RESERVED_NAMES]}"
        )
    if not isinstance(expr, sp.Expr):
        raise TypeError(
            "expr must be 'total', 'loss', 'constant', a piece name or a SymPy"
            f" expression, got {type(expr).__name__}"
        )
    return expr


def _expectation(
    P: World,
    factors: Mapping[sp.Symbol, Factor],
    expr: sp.Expr,
    tables: Mapping[str, Any],
    weights: Mapping[sp.Symbol | str, float] | None,
) -> float:
    """The ``P``-expectation of ``expr``, a combination of logs of ``factors``."""
    if weights is not None and not isinstance(weights, Mapping):
        raise TypeError(
            f"weights must map symbols to numbers, got {type(weights).__name__}"
        )
    by_name = {str(s): s for s in expr.free_symbols}
    subs = {}
    for k, v in (weights or {}).items():
        if not isinstance(k, (str, sp.Symbol)):
            raise TypeError(
                f"weights must map symbols (or their names) to numbers, got a key"
                f" of type {type(k).__name__}"
            )
        key = by_name.get(k, sp.Symbol(k)) if isinstance(k, str) else k
        subs[key] = sp.Float(real_scalar(v, f"weights[{str(k)!r}]"))
    e = sp.expand(sp.expand_log(expr.subs(subs)))
    logs = sorted(e.atoms(sp.log), key=sp.default_sort_key)
    dummies = [sp.Dummy() for _ in logs]
    lin = e.xreplace(dict(zip(logs, dummies)))
    sizes = _sizes(tables)
    joint = joint_table(P, tables, sizes=sizes)
    order = sorted(P.variables)
    value = 0.0
    for lg, d in zip(logs, dummies):
        coeff = sp.diff(lin, d)
        if coeff.free_symbols:
            raise ValueError(
                f"give numbers for {sorted(map(str, coeff.free_symbols))} in weights"
            )
        sym = lg.args[0]
        if sym not in factors:
            raise ValueError(f"{lg} is not the logarithm of a factor of this objective")
        f = factors[sym]
        for v in f.vars + f.parents:
            if v not in P.variables:
                raise ValueError(
                    f"{lg} is a factor of {v!r}, which is not a variable of {P.name}"
                )
        table = _factor_table(f, tables, sizes)
        logf = _broadcast(np.log(np.where(table > 0, table, 1.0)), f, order)
        zero = _broadcast(table, f, order) <= 0
        if np.any(zero & (joint > 0)):
            value += float(coeff) * -np.inf
            continue
        value += float(coeff) * float(np.sum(joint * logf))
    rest = sp.sympify(lin.xreplace({d: 0 for d in dummies}))
    if rest.free_symbols:
        raise ValueError(
            f"give numbers for {sorted(map(str, rest.free_symbols))} in weights"
        )
    if rest != 0:
        raise ValueError(f"expr has a term {rest} that is not a logarithm of a factor")
    return float(value)


@dataclass(frozen=True)
class Objective:
    r""":math:`\langle \log P/Q \rangle_P` as SymPy terms, grouped into pieces.

    * ``integrand`` — :math:`\log P - \log Q` after shared factors cancel, as a
      sum of logarithms of factor symbols;
    * ``cancelled`` — labels of factors present in both worlds;
    * ``constant`` — the terms outside our control: the logarithms of fixed
      factors of ``P`` whose ancestors are all fixed (their average is minus an
      entropy of the data);
    * ``pieces`` — the remaining terms, grouped under names (``D``, ``R``, ...);
    * ``weights`` — trade-off weight of each piece (1 unless given).

    ``integrand == constant + sum(pieces)`` holds identically;
    ``loss = sum(weights[k] * pieces[k])`` is what one trains.
    """

    P: World
    Q: World
    integrand: sp.Expr
    cancelled: tuple[str, ...]
    constant: sp.Expr
    constant_factors: tuple[str, ...]
    pieces: dict[str, sp.Expr]
    weights: dict[str, sp.Expr]
    factors: dict[sp.Symbol, Factor]

    @property
    def total(self) -> sp.Expr:
        """``constant + sum(pieces)``: the full (unweighted) KL integrand."""
        return self.constant + sp.Add(*self.pieces.values())

    @property
    def loss(self) -> sp.Expr:
        """``sum(weights[k] * pieces[k])``: the weighted, trainable objective."""
        return sp.Add(*(self.weights[k] * e for k, e in self.pieces.items()))

    def log(self, label: str) -> sp.Expr:
        """``log`` of the symbol of the factor ``label`` (of either world)."""
        lab = _factor_arg(label, "label").label
        for s, f in self.factors.items():
            if f.label == lab:
                return sp.log(s)
        raise ValueError(
            f"label {label!r}: there is no such factor in {self.P.name} or {self.Q.name}"
        )

    def latex(self, weighted: bool = True) -> str:
        r"""LaTeX of the objective, one :math:`\langle\cdot\rangle_P` per piece."""
        weighted = boolean(weighted, "weighted")
        return _latex_pieces(
            self.pieces, self.weights, self.constant, self.factors, weighted
        )

    def _named(self) -> dict[str, sp.Expr]:
        return {
            "total": self.total,
            "loss": self.loss,
            "constant": self.constant,
            **self.pieces,
        }

    def evaluate(
        self,
        expr: sp.Expr | str,
        tables: Mapping[str, Any],
        weights: Mapping[sp.Symbol | str, float] | None = None,
    ) -> float:
        r"""The :math:`P`-expectation of ``expr`` on discrete ``tables``.

        ``expr`` is ``"total"``, ``"loss"``, ``"constant"``, a piece name, or a
        SymPy expression linear in logarithms of this objective's factor
        symbols. Symbols other than factors (trade-off weights) must be given
        numbers in ``weights``. ``tables`` maps each base factor label to its
        conditional probability table (axes: ``vars`` then ``parents``).
        """
        e = _named_expr(expr, self._named())
        return _expectation(self.P, self.factors, e, tables, weights)


@dataclass(frozen=True)
class ObjectiveSum:
    r"""A weighted sum of recipe objectives that share one real world :math:`P`.

    Some objectives are not the divergence of any one pair of worlds. The
    conditional entropy bottleneck wants both a backward encoder
    :math:`b(z \mid y)` and a classifier :math:`c(y \mid z)`, and no acyclic
    :math:`Q` holds both. Each wish is then its own world :math:`Q_k` against
    the same :math:`P`, and the objective is the sum, each term a divergence
    and each bounding its own marginal (:func:`bound`), so that for
    non-negative coefficients :math:`c_k`

    .. math::

        \sum_k c_k \Big\langle \log \frac{P}{Q_k} \Big\rangle_P
        \;\ge\; \sum_k c_k \Big\langle \log \frac{P(o)}{Q_k(o)} \Big\rangle_P
        \;\ge\; 0 .

    * ``terms`` — the objectives, by name;
    * ``coefficients`` — the weight of each term (1 unless given);
    * ``pieces`` — every term's pieces under their own names; a name used by
      several terms must mean the same expression there (as the automatic
      name of one factor does), and is one piece;
    * ``weights`` — each piece's weight: its weight in each term that has it
      times that term's coefficient, summed over those terms;
    * ``factors`` — symbol to factor, for every factor of every term.

    ``total = sum(terms[t].total)`` is the unweighted sum of the terms' KL
    integrands and ``loss = sum(weights[k] * pieces[k]) =
    sum(coefficients[t] * terms[t].loss)`` is what one trains.
    """

    P: World
    terms: dict[str, Objective]
    coefficients: dict[str, sp.Expr]
    pieces: dict[str, sp.Expr]
    weights: dict[str, sp.Expr]
    factors: dict[sp.Symbol, Factor]

    @property
    def worlds(self) -> dict[str, World]:
        """The wished-for world :math:`Q_k` of each term, by term name."""
        return {k: t.Q for k, t in self.terms.items()}

    @property
    def integrand(self) -> sp.Expr:
        """Sum of the terms' integrands (unweighted)."""
        return sp.Add(*(t.integrand for t in self.terms.values()))

    @property
    def constant(self) -> sp.Expr:
        """Sum of the terms' fixed terms."""
        return sp.Add(*(t.constant for t in self.terms.values()))

    @property
    def total(self) -> sp.Expr:
        """The unweighted sum of the terms' totals (their full KL integrands)."""
        return sp.Add(*(t.total for t in self.terms.values()))

    @property
    def loss(self) -> sp.Expr:
        """``sum(weights[k] * pieces[k])``: the weighted, trainable objective."""
        return sp.Add(*(self.weights[k] * e for k, e in self.pieces.items()))

    def latex(self, weighted: bool = True) -> str:
        r"""LaTeX of the sum, one :math:`\langle\cdot\rangle_P` per piece."""
        weighted = boolean(weighted, "weighted")
        return _latex_pieces(
            self.pieces, self.weights, self.constant, self.factors, weighted
        )

    def evaluate(
        self,
        expr: sp.Expr | str,
        tables: Mapping[str, Any],
        weights: Mapping[sp.Symbol | str, float] | None = None,
    ) -> float:
        r"""The :math:`P`-expectation of ``expr`` on discrete ``tables``.

        As :meth:`Objective.evaluate`: ``expr`` is ``"total"``, ``"loss"``,
        ``"constant"``, a piece name of any term, or a SymPy expression linear
        in logarithms of the factors of any term.
        """
        named = {
            "total": self.total,
            "loss": self.loss,
            "constant": self.constant,
            **self.pieces,
        }
        e = _named_expr(expr, named)
        return _expectation(self.P, self.factors, e, tables, weights)


def _log_tex(e: sp.Expr, factors: Mapping[sp.Symbol, Factor]) -> str:
    r"""LaTeX of a sum of ±log(factor) as ``\log \frac{num}{den}``, in world order."""
    e = sp.expand(e)
    num: list[Any] = []
    den: list[Any] = []
    for t in sp.Add.make_args(e):
        c, lg = t.as_independent(sp.log)
        if not (isinstance(lg, sp.log) and c in (1, -1) and lg.args[0] in factors):
            return sp.latex(e, symbol_names={s: f.tex for s, f in factors.items()})
        (num if c == 1 else den).append(lg.args[0])
    rank = {sym: i for i, sym in enumerate(factors)}
    num = [factors[x].tex for x in sorted(num, key=rank.__getitem__)]
    den = [factors[x].tex for x in sorted(den, key=rank.__getitem__)]
    if not num and not den:
        return "0"
    if not den:
        return r"\log " + r"\, ".join(num)
    if not num:
        return r"-\log " + r"\, ".join(den)
    return r"\log \frac{" + r"\, ".join(num) + "}{" + r"\, ".join(den) + "}"


def _check_pair(P: World, Q: World) -> None:
    _world(P, "P")
    _world(Q, "Q")
    vp, vq = set(P.variables), set(Q.variables)
    if vp != vq:
        only_p, only_q = sorted(vp - vq), sorted(vq - vp)
        which = (
            f"variable {only_p[0]!r} is in {P.name} but not in {Q.name}"
            if only_p
            else f"variable {only_q[0]!r} is in {Q.name} but not in {P.name}"
        )
        raise ValueError(f"the two worlds must have the same variables: {which}")
    fp = {f.label: f for f in P.factors}
    for g in Q.factors:
        if g.label in fp and fp[g.label] != g:
            raise ValueError(
                f"factor {g.label} means different things in {P.name} and {Q.name}"
            )


def objective(
    P: World,
    Q: World,
    pieces: Mapping[str, Sequence[str]] | None = None,
    weights: Mapping[str, Any] | None = None,
) -> Objective:
    r"""The recipe's objective :math:`\langle \log P/Q \rangle_P` for two worlds.

    ``pieces`` maps a piece name to the labels of the factors whose
    logarithms it collects (a factor of ``P`` enters with sign ``+``, one of
    ``Q`` with ``-``). Factors left unassigned get a piece each, named by the
    factor. ``weights`` maps piece names to trade-off weights (SymPy symbols or
    numbers). Piece names must not be ``"total"``, ``"loss"`` or
    ``"constant"`` (:data:`RESERVED_NAMES`), which :meth:`Objective.evaluate`
    reads as the whole objective.
    """
    return _objective(P, Q, pieces, weights, "pieces")


def _objective(
    P: World,
    Q: World,
    pieces: Mapping[str, Sequence[str]] | None,
    weights: Mapping[str, Any] | None,
    pieces_name: str,
) -> Objective:
    _check_pair(P, Q)
    for arg, nm in ((pieces, pieces_name), (weights, "weights")):
        if arg is not None and not isinstance(arg, Mapping):
            raise TypeError(
                f"{nm} must be a mapping from piece names, got {type(arg).__name__}"
            )
    pl = [f.label for f in P.factors]
    ql = [f.label for f in Q.factors]
    shared = tuple(lab for lab in pl if lab in ql)
    registry = {f.symbol: f for f in (*P.factors, *Q.factors)}
    num = sp.Mul(*(f.symbol for f in P.factors))
    den = sp.Mul(*(f.symbol for f in Q.factors))
    integrand = sp.expand_log(sp.log(num / den))  # shared symbols cancel in num/den
    const_factors = tuple(
        f.label
        for f in P.factors
        if f.label not in shared
        and f.label in P.fixed
        and all(P.factor_of(a).label in P.fixed for v in f.vars for a in P.ancestors(v))
    )
    constant = sp.Add(*(_log(P.factor(lab)) for lab in const_factors))
    sign = {**{lab: 1 for lab in pl}, **{lab: -1 for lab in ql}}
    free = [lab for lab in pl + ql if lab not in shared and lab not in const_factors]
    assigned: dict[str, str] = {}
    out: dict[str, sp.Expr] = {}
    for name, labels in (pieces or {}).items():
        _piece_name(name, pieces_name)
        where = f"{pieces_name}[{name!r}]"
        terms = []
        for raw in _labels(labels, where):
            lab = _factor_arg(raw, where).label
            if lab in shared:
                raise ValueError(
                    f"{where}: factor {lab} is in both worlds, so it cancels"
                )
            if lab in const_factors:
                raise ValueError(
                    f"{where}: factor {lab} is outside our control (a fixed term)"
                )
            if lab not in sign:
                raise ValueError(f"{where}: no factor {lab} in {P.name} or {Q.name}")
            if lab in assigned:
                raise ValueError(
                    f"{pieces_name}: factor {lab} is in two pieces, {assigned[lab]!r}"
                    f" and {name!r}"
                )
            assigned[lab] = name
            f = P.factor(lab) if lab in pl else Q.factor(lab)
            terms.append(sign[lab] * _log(f))
        out[name] = sp.Add(*terms)
    for lab in free:
        if lab not in assigned:
            f = P.factor(lab) if lab in pl else Q.factor(lab)
            out[f"{'' if sign[lab] > 0 else '-'}log {lab}"] = sign[lab] * _log(f)
    w: dict[str, sp.Expr] = {k: sp.Integer(1) for k in out}
    for k, v in (weights or {}).items():
        if k not in out:
            raise ValueError(
                f"weights has a weight for unknown piece {k!r}; pieces are {list(out)}"
            )
        w[k] = _weight(v, f"weights[{k!r}]")
    return Objective(P, Q, integrand, shared, constant, const_factors, out, w, registry)


@dataclass(frozen=True)
class Bound:
    r"""``joint`` objective :math:`\ge` ``marginal`` objective :math:`\ge 0`.

    ``marginal`` is the objective of the two worlds with ``dropped`` summed
    out; by the chain rule the gap is the averaged KL between the conditionals
    of the dropped variables, which is non-negative. For a sum of objectives
    (:func:`objective_sum` of bounds) ``joint`` and ``marginal`` are
    :class:`ObjectiveSum` objects and the statement holds term by term.
    """

    joint: Objective | ObjectiveSum
    marginal: Objective | ObjectiveSum
    dropped: tuple[str, ...]

    def latex(self) -> str:
        """LaTeX of the statement joint ≥ marginal ≥ 0 (the middle step is left
        out when nothing is summed out or the marginal objective vanishes)."""
        j, m = _kl_tex(self.joint), _kl_tex(self.marginal)
        if m in ("0", j):
            return rf"{j} \;\geq\; 0"
        return _lines([j, rf"\;\geq\; {m}", r"\;\geq\; 0"], per_line=1)


def _kl_tex(obj: Objective | ObjectiveSum) -> str:
    if isinstance(obj, ObjectiveSum):
        parts = [_kl_tex(t) for t in obj.terms.values()]
        parts = [p for p in parts if p != "0"]
        return " + ".join(parts) if parts else "0"
    terms = [f.symbol for f in obj.P.factors if f.label not in obj.cancelled]
    terms = [sp.log(t) for t in terms] + [
        -sp.log(f.symbol) for f in obj.Q.factors if f.label not in obj.cancelled
    ]
    if not terms:
        return "0"
    return rf"\left\langle {_log_tex(sp.Add(*terms), obj.factors)} \right\rangle_P"


def bound(
    P: World,
    Q: World,
    drop: Iterable[str] | None = None,
    pieces: Mapping[str, Sequence[str]] | None = None,
    weights: Mapping[str, Any] | None = None,
    marginal_pieces: Mapping[str, Sequence[str]] | None = None,
) -> Bound:
    """The marginal objective that the joint objective of ``P`` and ``Q`` bounds.

    ``drop`` lists the variables to sum out of both worlds (default: the
    variables not observed in ``P``, i.e. the latents).
    """
    _check_pair(P, Q)
    if drop is None:
        drop = [v for v in P.variables if v not in P.observed]
    drop = tuple(_labels(drop, "drop"))
    for v in drop:
        _variable(v, "drop")
        if v not in P.variables:
            raise ValueError(f"cannot drop {v!r}: it is not a variable of {P.name}")
    joint = _objective(P, Q, pieces, weights, "pieces")
    Pm, Qm = P, Q
    for v in reversed([u for u in P.variables if u in drop]):
        Pm = marginalise(Pm, v)
        # a new factor of Q must not take the label of a different factor of P
        Qm = marginalise(
            Qm, v, avoid=[f.label for f in Pm.factors if f not in Qm.factors]
        )
    return Bound(
        joint, _objective(Pm, Qm, marginal_pieces, None, "marginal_pieces"), drop
    )


def _sum(
    objs: Sequence[tuple[str, Objective]], coefficients: Mapping[str, sp.Expr]
) -> ObjectiveSum:
    first, P = objs[0][0], objs[0][1].P
    factors: dict[sp.Symbol, Factor] = {}
    owner: dict[sp.Symbol, str] = {}
    pieces: dict[str, sp.Expr] = {}
    weights: dict[str, sp.Expr] = {}
    piece_owner: dict[str, str] = {}
    for name, obj in objs:
        if obj.P != P:
            raise ValueError(
                f"terms[{name!r}]: its real world differs from that of terms[{first!r}]"
                f" ({obj.P} against {P}); every term of a sum shares one P"
            )
        for sym, f in obj.factors.items():
            if sym in factors and factors[sym] != f:
                raise ValueError(
                    f"terms[{name!r}]: factor {f.label} means something else in"
                    f" terms[{owner[sym]!r}]; give one of them another letter"
                )
            factors.setdefault(sym, f)
            owner.setdefault(sym, name)
        for k, e in obj.pieces.items():
            w = coefficients[name] * obj.weights[k]
            if k not in pieces:
                pieces[k], weights[k], piece_owner[k] = e, w, name
            elif sp.expand(pieces[k] - e) == 0:
                weights[k] = weights[k] + w  # one piece, in several terms
            else:
                raise ValueError(
                    f"terms: piece {k!r} of terms[{name!r}] is not the piece of that"
                    f" name in terms[{piece_owner[k]!r}]; give the pieces different"
                    " names"
                )
    return ObjectiveSum(P, dict(objs), dict(coefficients), pieces, weights, factors)


def objective_sum(
    terms: Mapping[str, Objective | Bound],
    weights: Mapping[str, Any] | None = None,
) -> ObjectiveSum | Bound:
    r"""The weighted sum :math:`\sum_k c_k \langle \log P/Q_k \rangle_P` of recipe objectives.

    ``terms`` maps a name to an :class:`Objective` (from :func:`objective`) or,
    all alike, to a :class:`Bound` (from :func:`bound`); every term has the
    same real world ``P``. ``weights`` maps term names to non-negative
    coefficients :math:`c_k` (SymPy expressions or numbers; 1 unless given).

    Given objectives, returns an :class:`ObjectiveSum`; given bounds (which
    must sum out the same variables), returns a :class:`Bound` whose
    ``joint`` and ``marginal`` are the sums of the terms' joint and marginal
    objectives. Piece names must be distinct across terms; the same factor
    label in two terms must mean the same factor.
    """
    if not isinstance(terms, Mapping):
        raise TypeError(
            "terms must map names to Objective or Bound objects (from objective() or"
            f" bound()), got {type(terms).__name__}"
        )
    if not terms:
        raise ValueError("terms is empty: give at least one objective")
    items = []
    for name, t in terms.items():
        _piece_name(name, "terms")
        if not isinstance(t, (Objective, Bound)):
            raise TypeError(
                f"terms[{name!r}] must be an Objective or a Bound (from objective() or"
                f" bound()), got {type(t).__name__}"
            )
        if isinstance(t, Bound) and not isinstance(t.joint, Objective):
            raise TypeError(f"terms[{name!r}] is itself a sum; list its terms instead")
        items.append((name, t))
    kinds = {type(t) for _, t in items}
    if len(kinds) > 1:
        raise TypeError(
            "terms must be all Objective or all Bound objects, not a mixture"
        )
    if weights is not None and not isinstance(weights, Mapping):
        raise TypeError(
            f"weights must map term names to coefficients, got {type(weights).__name__}"
        )
    coefficients: dict[str, sp.Expr] = {name: sp.Integer(1) for name, _ in items}
    for k, v in (weights or {}).items():
        if k not in coefficients:
            raise ValueError(
                f"weights has a coefficient for unknown term {k!r}; terms are"
                f" {list(coefficients)}"
            )
        coefficients[k] = _weight(v, f"weights[{k!r}]", nonnegative=True)
    if kinds == {Objective}:
        return _sum(items, coefficients)
    first, b0 = items[0]
    for name, b in items[1:]:
        if set(b.dropped) != set(b0.dropped):
            raise ValueError(
                f"terms[{name!r}] sums out {list(b.dropped)} but terms[{first!r}] sums"
                f" out {list(b0.dropped)}; every term must sum out the same variables"
            )
    return Bound(
        _sum([(n, b.joint) for n, b in items], coefficients),
        _sum([(n, b.marginal) for n, b in items], coefficients),
        b0.dropped,
    )


# ---------------------------------------------------------------------------
# Numbers on discrete tables
# ---------------------------------------------------------------------------


def _base_factors(f: Factor) -> list[Factor]:
    if not f.components:
        return [f]
    return [b for c in f.components for b in _base_factors(c)]


def _sizes(tables: Mapping[str, Any]) -> dict[str, int]:
    """Infer the number of states of each variable from the tables, consistently."""
    if not isinstance(tables, Mapping):
        raise TypeError(
            f"tables must map factor labels to arrays, got {type(tables).__name__}"
        )
    sizes: dict[str, int] = {}
    for lab, t in tables.items():
        f = _factor_arg(lab, "tables")
        t = _check_table(f, t)
        shape = np.shape(t)
        axes = f.vars + f.parents
        if len(shape) != len(axes):
            raise ValueError(
                f"tables[{lab!r}] has shape {shape} with {len(shape)} axes, expected"
                f" {len(axes)} ({', '.join(axes)})"
            )
        for v, n in zip(axes, shape):
            if sizes.setdefault(v, n) != n:
                raise ValueError(
                    f"tables: variable {v!r} has {sizes[v]} states in one table and"
                    f" {n} in {lab} (shape mismatch)"
                )
    return sizes


def _letters(variables: Iterable[str]) -> dict[str, str]:
    vs = sorted(set(variables))
    if len(vs) > 52:
        raise ValueError("at most 52 variables")
    alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
    return {v: alphabet[i] for i, v in enumerate(vs)}


def _base_table(
    f: Factor, tables: Mapping[str, Any], sizes: Mapping[str, int]
) -> np.ndarray:
    if f.label not in tables:
        raise ValueError(f"tables has no table for factor {f.label}")
    return _check_table(f, tables[f.label])


def _check_table(f: Factor, table: Any) -> np.ndarray:
    """A conditional probability table of ``f``: finite, non-negative, normalised."""
    where = f"tables[{f.label!r}]"
    t = np.asarray(as_float_array(table, where))
    if t.ndim != len(f.vars) + len(f.parents):
        raise ValueError(
            f"{where} has shape {t.shape} with {t.ndim} axes, expected"
            f" {len(f.vars) + len(f.parents)} ({', '.join(f.vars + f.parents)})"
        )
    if t.size == 0:
        raise ValueError(f"{where} is empty (shape {t.shape})")
    if not np.all(np.isfinite(t)):
        raise ValueError(f"{where} has non-finite entries")
    if np.any(t < 0):
        raise ValueError(f"{where} has negative entries")
    totals = t.sum(axis=tuple(range(len(f.vars))))
    worst = float(np.max(np.abs(totals - 1.0)))
    if worst > NORMALISATION_ATOL:
        raise ValueError(
            f"{where} is not normalised over {', '.join(f.vars)} (off by {worst:.3g})"
        )
    return t


def _factor_table(
    f: Factor, tables: Mapping[str, Any], sizes: Mapping[str, int]
) -> np.ndarray:
    """Table of ``f`` with axes ``vars + parents``; merged factors are summed out."""
    if not f.components:
        return _base_table(f, tables, sizes)
    comps = [(c, _factor_table(c, tables, sizes)) for c in f.components]
    allv = [v for c, _ in comps for v in c.vars + c.parents]
    L = _letters(allv)
    subs = ",".join("".join(L[v] for v in c.vars + c.parents) for c, _ in comps)
    out = "".join(L[v] for v in f.vars + f.parents)
    return np.einsum(f"{subs}->{out}", *[t for _, t in comps])


def _broadcast(t: np.ndarray, f: Factor, order: Sequence[str]) -> np.ndarray:
    """Arrange a factor table on the axes ``order`` (missing axes of size 1)."""
    axes = f.vars + f.parents
    perm = sorted(range(len(axes)), key=lambda i: order.index(axes[i]))
    t = np.transpose(t, perm)
    shape = [
        t.shape[[axes[i] for i in perm].index(v)] if v in axes else 1 for v in order
    ]
    return t.reshape(shape)


def joint_table(
    world: World, tables: Mapping[str, Any], *, sizes: Mapping[str, int] | None = None
) -> np.ndarray:
    """The joint probability table of ``world``, axes in sorted variable order."""
    _world(world, "world")
    table_sizes = _sizes(tables)
    if sizes is None:
        sizes = table_sizes
    elif not isinstance(sizes, Mapping):
        raise TypeError(
            f"sizes must map variables to numbers of states, got {type(sizes).__name__}"
        )
    order = sorted(world.variables)
    L = _letters(order)
    ops, subs = [], []
    for f in world.factors:
        ops.append(_factor_table(f, tables, sizes))
        subs.append("".join(L[v] for v in f.vars + f.parents))
    return np.einsum(",".join(subs) + "->" + "".join(L[v] for v in order), *ops)


def joint_kl(P: World, Q: World, tables: Mapping[str, Any]) -> float:
    """Brute-force :math:`I[P;Q]` on the full joint tables (nats)."""
    _check_pair(P, Q)
    p = joint_table(P, tables).ravel()
    q = joint_table(Q, tables).ravel()
    pos = p > 0
    if np.any(pos & (q <= 0)):
        return float("inf")
    return float(np.sum(p[pos] * (np.log(p[pos]) - np.log(q[pos]))))


def marginal_kl(
    P: World, Q: World, tables: Mapping[str, Any], keep: Iterable[str]
) -> float:
    """Brute-force KL between the marginals of ``P`` and ``Q`` on ``keep``."""
    _check_pair(P, Q)
    keep = set(_labels(keep, "keep"))
    for v in keep:
        _variable(v, "keep")
    order = sorted(P.variables)
    for v in keep - set(order):
        raise ValueError(f"cannot keep {v!r}: it is not a variable of {P.name}")
    axes = tuple(i for i, v in enumerate(order) if v not in keep)
    p = joint_table(P, tables).sum(axis=axes).ravel()
    q = joint_table(Q, tables).sum(axis=axes).ravel()
    pos = p > 0
    if np.any(pos & (q <= 0)):
        return float("inf")
    return float(np.sum(p[pos] * (np.log(p[pos]) - np.log(q[pos]))))


def random_tables(
    worlds: Sequence[World],
    sizes: Mapping[str, int],
    rng: np.random.Generator,
    concentration: float = 1.0,
) -> dict[str, np.ndarray]:
    """A random conditional probability table for every factor of ``worlds``.

    Each column (one setting of the parents) is a Dirichlet draw over the
    joint states of the factor's variables; a factor shared by several worlds
    gets one table. Merged factors (from :func:`marginalise`) get none: their
    tables follow from their components.
    """
    require_generator(rng, "rng")
    concentration = positive_scalar(concentration, "concentration")
    if not isinstance(sizes, Mapping):
        raise TypeError(
            f"sizes must map variables to numbers of states, got {type(sizes).__name__}"
        )
    if isinstance(worlds, World) or not isinstance(worlds, Iterable):
        raise TypeError(
            f"worlds must be a sequence of World objects, got {type(worlds).__name__}"
        )
    worlds = list(worlds)
    if not worlds:
        raise ValueError("worlds is empty: give at least one World")
    for w in worlds:
        _world(w, "worlds")
    out: dict[str, np.ndarray] = {}
    for w in worlds:
        for f0 in w.factors:
            for f in _base_factors(f0):
                if f.label in out:
                    continue
                n_states = {}
                for v in f.vars + f.parents:
                    if v not in sizes:
                        raise ValueError(f"sizes has no entry for variable {v!r}")
                    n = as_int(sizes[v])
                    if n is None or n < 1:
                        raise ValueError(
                            f"sizes[{v!r}] must be a positive int, got {sizes[v]!r}"
                        )
                    n_states[v] = n
                nv = int(np.prod([n_states[v] for v in f.vars]))
                npar = (
                    int(np.prod([n_states[v] for v in f.parents])) if f.parents else 1
                )
                draw = rng.dirichlet(np.full(nv, concentration), size=npar).T
                out[f.label] = draw.reshape(
                    [n_states[v] for v in f.vars] + [n_states[v] for v in f.parents]
                )
    return out

"""Every public function of klnotes fails loudly on bad input, and accepts NumPy.

One table drives this file. Each :class:`Spec` gives a *valid* call of one
public function (or method, or constructor) and the *kind* of each of its
arguments. A kind knows the classes of bad input that apply to it (NaN, inf,
a negative entry, an unnormalised distribution, a wrong shape, a wrong type,
an empty array, a value outside the domain) and, for each, a bad value made
from the valid one. Expanding the specs gives the table :data:`BAD`: one
entry per function, argument and bad input, with the exception expected and
a regex that must match *both* the argument's name and the problem. Extra,
hand-written entries cover what a single argument cannot show (two arguments
of different shapes, mixed conventions, a non-positive-definite covariance).

The same kinds give the *valid* alternatives of each argument: a NumPy
scalar for a Python number, an array for a list, a 0-d array for a scalar.
:data:`VALID` holds them (plus hand-written valid cases); they must succeed
and give the same result as the original call.

:func:`test_every_public_function_has_entries` enumerates the public
callables of every module by introspection, so a function added without
entries fails the suite.
"""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import math
import pkgutil
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import sympy as sp

import klnotes as kn

# The modules below belong to the project lead and the checks work (issue 12,
# sections 1-5 and 7: the checks, the prover, the verification ledger and the
# provenance hash of executed chapters); their entries are added by that work,
# not here.
LEAD_MODULES = frozenset({"checks", "symbolic", "ledger", "provenance"})

NAN, INF = math.nan, math.inf
KEY = jax.random.PRNGKey(0)

# ---------------------------------------------------------------------------
# the classes of bad input, and what the message must say about each

PROBLEM = {
    "nonfinite": r"finite|NaN",
    "negative": r"negative|must be positive|must lie (in|strictly)|must be non-negative",
    "unnormalised": r"not normalised",
    "shape": r"shape|1-D|2-D|dimension|axis|scalar|entries but|length",
    "type": r"must (be|map|hold|give)\b.*\bgot\b",
    "empty": r"empty|no outcomes|no symbols|at least|shape",
    "domain": r"must be|must lie|not one of|is not|cannot|no ",
    "unit": r"unit .* is not one of",
}


@dataclass(frozen=True)
class Bad:
    """One entry of the table: ``func`` called with ``value`` for ``arg`` must raise.

    ``exc`` is the exception type; the message must match :attr:`regex`, which
    requires both the argument's name and the problem of class ``cls``.
    """

    func: str
    arg: str
    label: str
    call: Callable[[], Any] = field(repr=False)
    exc: type[Exception]
    cls: str
    problem: str | None = None  # overrides PROBLEM[cls]
    name: str | None = None  # overrides arg as the name the message must contain

    @property
    def regex(self) -> str:
        name = re.escape(self.name or self.arg)
        return rf"(?s)(?=.*(?<!\w){name}(?!\w))(?=.*(?:{self.problem or PROBLEM[self.cls]}))"

    @property
    def id(self) -> str:
        return f"{self.func}:{self.arg}:{self.label}"


@dataclass(frozen=True)
class Valid:
    """A valid call that must succeed (and, given ``reference``, match its result)."""

    func: str
    label: str
    call: Callable[[], Any] = field(repr=False)
    reference: Callable[[], Any] | None = field(default=None, repr=False)
    check: Callable[[Any], bool] | None = field(default=None, repr=False)

    @property
    def id(self) -> str:
        return f"{self.func}:{self.label}"


# ---------------------------------------------------------------------------
# kinds of argument: the bad inputs that apply to each, and valid alternatives


def _first(base: Any, value: float) -> np.ndarray:
    """``base`` as a float array with its first entry replaced by ``value``."""
    arr = np.array(base, dtype=np.float64)
    arr.flat[0] = value
    return arr


class Kind:
    def bad(self, base: Any) -> list[tuple[str, Any, type[Exception], str]]:
        return []

    def ok(self, base: Any) -> list[tuple[str, Any]]:
        return []


@dataclass
class Real(Kind):
    """A real number; ``positive``/``nonnegative``/``inf_ok`` narrow or widen it."""

    positive: bool = False
    nonnegative: bool = False
    inf_ok: bool = False
    exc_type: type[Exception] = TypeError
    none_ok: bool = False

    def bad(self, base):
        out = [
            ("nan", NAN, ValueError, "nonfinite"),
            ("str", "1", self.exc_type, "type"),
            ("list", [1.0, 2.0], self.exc_type, "type"),
            ("bool", True, self.exc_type, "type"),
        ]
        if not self.none_ok:
            out.append(("None", None, self.exc_type, "type"))
        if not self.inf_ok:
            out.append(("inf", INF, ValueError, "nonfinite"))
        if self.positive:
            out += [
                ("zero", 0.0, ValueError, "negative"),
                ("neg", -1.0, ValueError, "negative"),
            ]
        elif self.nonnegative:
            out.append(("neg", -1.0, ValueError, "negative"))
        return out

    def ok(self, base):
        if isinstance(base, bool) or not isinstance(base, (int, float)):
            return []
        out = [("np.float64", np.float64(base)), ("0-d array", np.asarray(float(base)))]
        if isinstance(base, int):
            out.append(("np.int64", np.int64(base)))
        return out


@dataclass
class Prob(Kind):
    """A probability in [0, 1], or in (0, 1) when ``open``."""

    open: bool = False

    def bad(self, base):
        out = [
            ("nan", NAN, ValueError, "nonfinite"),
            ("inf", INF, ValueError, "nonfinite"),
            ("neg", -0.1, ValueError, "negative"),
            ("above1", 1.5, ValueError, "domain"),
            ("str", "0.5", TypeError, "type"),
            ("None", None, TypeError, "type"),
            ("list", [0.5, 0.5], TypeError, "type"),
        ]
        if self.open:
            out += [
                ("zero", 0.0, ValueError, "domain"),
                ("one", 1.0, ValueError, "domain"),
            ]
        return out

    def ok(self, base):
        return Real().ok(base)


@dataclass
class Int(Kind):
    """An int of at least ``minimum``."""

    minimum: int = 0
    exc_type: type[Exception] = TypeError
    none_ok: bool = False

    def bad(self, base):
        out = [
            ("float", 2.5, self.exc_type, "type"),
            ("bool", True, self.exc_type, "type"),
            ("str", "3", self.exc_type, "type"),
        ]
        if not self.none_ok:
            out.append(("None", None, self.exc_type, "type"))
        if self.minimum > -(10**9):
            out.append(("below", self.minimum - 1, ValueError, "domain"))
        return out

    def ok(self, base):
        return [("np.int64", np.int64(base)), ("0-d array", np.asarray(base))]


class Bool(Kind):
    def bad(self, base):
        return [("int", 1, TypeError, "type"), ("str", "yes", TypeError, "type")]

    def ok(self, base):
        return [("np.bool_", np.bool_(base))]


@dataclass
class Choice(Kind):
    """One of a few strings."""

    problem: str = "domain"

    def bad(self, base):
        return [
            ("unknown", "no-such-option", ValueError, self.problem),
            ("int", 3, TypeError, "type"),
            ("None", None, TypeError, "type"),
        ]


@dataclass
class Array(Kind):
    """A numeric array (elementwise unless ``vector``).

    ``positive``/``nonnegative``/``prob``/``open`` restrict the entries;
    ``vector`` requires 1-D with at least ``min_size`` entries; ``inf_ok`` and
    ``nan_ok`` allow non-finite entries; ``empty_ok`` says an empty array is
    valid (elementwise functions map it to an empty result).
    """

    positive: bool = False
    nonnegative: bool = False
    prob: bool = False
    open: bool = False
    vector: bool = False
    min_size: int = 1
    inf_ok: bool = False
    empty_ok: bool = False
    jax_ok: bool = False
    none_ok: bool = False

    def bad(self, base):
        out = [
            ("nan", _first(base, NAN), ValueError, "nonfinite"),
            ("str", "abc", TypeError, "type"),
            ("complex", np.asarray(base, dtype=np.float64) + 1j, TypeError, "type"),
        ]
        if not self.none_ok:
            out.append(("None", None, TypeError, "type"))
        if not self.inf_ok:
            out.append(("inf", _first(base, INF), ValueError, "nonfinite"))
        if self.positive:
            out += [
                ("zero", _first(base, 0.0), ValueError, "negative"),
                ("neg", _first(base, -1.0), ValueError, "negative"),
            ]
        elif self.nonnegative:
            out.append(("neg", _first(base, -1.0), ValueError, "negative"))
        if self.prob:
            out += [
                ("neg", _first(base, -0.1), ValueError, "negative"),
                ("above1", _first(base, 1.5), ValueError, "domain"),
            ]
            if self.open:
                out.append(("zero", _first(base, 0.0), ValueError, "domain"))
        if self.vector:
            b = np.asarray(base, dtype=np.float64)
            out += [
                ("2-D", np.stack([b, b]), ValueError, "shape"),
                ("scalar", float(b[0]), ValueError, "shape"),
                ("empty", np.array([]), ValueError, "empty"),
            ]
            if self.min_size > 1:
                out.append(("short", b[: self.min_size - 1], ValueError, "empty"))
        elif not self.empty_ok:
            out.append(("empty", np.array([]), ValueError, "empty"))
        return out

    def ok(self, base):
        out = []
        if isinstance(base, (list, tuple)):
            out.append(("ndarray", np.asarray(base)))
        elif isinstance(base, np.ndarray):
            out.append(("list", base.tolist()))
        elif isinstance(base, (int, float)) and not isinstance(base, bool):
            out += Real().ok(base)
        if self.jax_ok:
            out.append(("jax", jnp.asarray(base)))
        return out


@dataclass
class Dist(Kind):
    """A probability distribution over the last axis (or all entries when ``joint``)."""

    joint: bool = False
    jax_ok: bool = True

    def bad(self, base):
        b = np.asarray(base, dtype=np.float64)
        neg = b.copy()
        neg.flat[0], neg.flat[1] = -0.5, b.flat[1] + b.flat[0] + 0.5
        return [
            ("nan", _first(b, NAN), ValueError, "nonfinite"),
            ("inf", _first(b, INF), ValueError, "nonfinite"),
            ("neg", neg, ValueError, "negative"),
            ("unnormalised", 1.5 * b, ValueError, "unnormalised"),
            ("empty", np.zeros(b.shape[:-1] + (0,)), ValueError, "empty"),
            ("scalar", 1.0, ValueError, "shape"),
            ("str", "abc", TypeError, "type"),
            ("None", None, TypeError, "type"),
            ("complex", b + 0j, TypeError, "type"),
        ]

    def ok(self, base):
        out = [("list", np.asarray(base).tolist())]
        if self.jax_ok:
            out.append(("jax", jnp.asarray(base)))
        return out


class Key(Kind):
    def bad(self, base):
        return [
            ("int", 0, TypeError, "type"),
            ("float array", np.zeros(2), TypeError, "type"),
            ("batch of keys", jax.random.split(KEY, 3), TypeError, "type"),
        ]

    def ok(self, base):
        return [("typed key", jax.random.key(0))]


@dataclass
class Instance(Kind):
    """An object of a given class (a Schedule, a World, a Measure, a callable …)."""

    none_ok: bool = False

    def bad(self, base):
        out = [("str", "abc", TypeError, "type"), ("int", 3, TypeError, "type")]
        if not self.none_ok:
            out.append(("None", None, TypeError, "type"))
        return out


Callable_ = Instance


class Generator(Kind):
    def bad(self, base):
        return [
            ("int seed", 0, TypeError, "type"),
            ("legacy RandomState", np.random.RandomState(0), TypeError, "type"),
        ]


@dataclass
class Exact(Kind):
    """An exact SymPy number (measures): floats are refused."""

    nonnegative: bool = True
    rational: bool = False

    def bad(self, base):
        out = [
            ("float", 0.5, TypeError, "type"),
            ("np.float64", np.float64(0.5), TypeError, "type"),
            ("str", "1/2", TypeError, "type"),
            ("symbol", sp.Symbol("t"), TypeError, "type"),
            ("nan", sp.nan, ValueError, "nonfinite"),
        ]
        if self.nonnegative:
            out.append(("neg", sp.Rational(-1, 2), ValueError, "negative"))
        return out

    def ok(self, base):
        return [("Fraction", Fraction(1, 2))] if base == sp.Rational(1, 2) else []


# ---------------------------------------------------------------------------
# the specs


@dataclass
class Spec:
    """A valid call of ``func`` (``call(**args)``) and the kind of each argument.

    ``extra`` holds hand-written entries as ``(arg, label, overrides, exc, cls)``
    or with a sixth item, the problem regex; ``overrides`` replaces arguments of
    the valid call. ``skip`` lists arguments with no bad input of their own
    (with the reason in a comment next to the spec).
    """

    func: str
    call: Callable[..., Any]
    args: dict[str, Any]
    kinds: dict[str, Kind] = field(default_factory=dict)
    extra: list[tuple] = field(default_factory=list)
    skip: tuple[str, ...] = ()
    compare: bool = True  # compare valid alternatives with the original result
    base_ok: bool = True  # the call as given is valid (False: it is itself a bad input)
    alternatives: bool = True  # run the valid alternatives (off for slow calls)
    # run the valid call itself (off for the training loops and the costliest
    # compiled estimators, whose valid calls tests/test_vae.py and
    # tests/test_diffusion.py run; bad input fails before anything is compiled)
    run_base: bool = True


P2, Q2 = [0.25, 0.75], [0.5, 0.5]
P3, Q3 = [0.2, 0.3, 0.5], [0.4, 0.4, 0.2]
JOINT = np.array([[0.1, 0.2], [0.3, 0.4]])

SPECS: list[Spec] = []


def spec(*args: Any, **kwargs: Any) -> None:
    SPECS.append(Spec(*args, **kwargs))


# --- units ------------------------------------------------------------------

U = kn.units
spec("units.unit_name", U.unit_name, {"unit": "bits"}, {"unit": Choice("domain")})
spec(
    "units.convert",
    U.convert,
    {"value": [1.0, 2.0], "from_unit": "bits", "to_unit": "nats"},
    {
        "value": Array(inf_ok=True, empty_ok=True, jax_ok=True),
        "from_unit": Choice(),
        "to_unit": Choice(),
    },
)
spec(
    "units.from_nats",
    U.from_nats,
    {"value": 1.5, "unit": "dB"},
    {"value": Array(inf_ok=True, empty_ok=True, jax_ok=True), "unit": Choice()},
)
for _f in ("prob_to_odds", "prob_to_db"):
    spec(
        f"units.{_f}",
        getattr(U, _f),
        {"p": [0.2, 0.5]},
        {"p": Array(prob=True, empty_ok=True)},
    )
spec(
    "units.odds_to_prob",
    U.odds_to_prob,
    {"odds": [0.5, 3.0]},
    {"odds": Array(nonnegative=True, inf_ok=True, empty_ok=True)},
)
spec(
    "units.odds_to_db",
    U.odds_to_db,
    {"odds": [0.5, 3.0]},
    {"odds": Array(positive=True, inf_ok=True, empty_ok=True)},
)
for _f in ("db_to_prob", "db_to_odds"):
    spec(
        f"units.{_f}",
        getattr(U, _f),
        {"db": [-3.0, 10.0]},
        {"db": Array(inf_ok=True, empty_ok=True)},
    )

# --- divergences ------------------------------------------------------------

D = kn.divergences
BASE = Choice(problem="unit")
spec(
    "divergences.entropy",
    D.entropy,
    {"p": P3, "base": "bits"},
    {"p": Dist(), "base": BASE},
)
for _f in ("kl", "cross_entropy"):
    spec(
        f"divergences.{_f}",
        getattr(D, _f),
        {"p": P3, "q": Q3, "base": "nats"},
        {"p": Dist(), "q": Dist(), "base": BASE},
        extra=[
            ("p", "shorter than q", {"p": P2}, ValueError, "shape"),
            ("q", "batch vs single", {"q": [Q3, Q3]}, ValueError, "shape"),
        ],
    )
spec(
    "divergences.total_variation",
    D.total_variation,
    {"p": P3, "q": Q3},
    {"p": Dist(), "q": Dist()},
    extra=[("q", "shorter than p", {"q": Q2}, ValueError, "shape")],
)
spec(
    "divergences.binary_entropy",
    D.binary_entropy,
    {"p": [0.0, 0.3], "base": "nats"},
    {"p": Array(prob=True, empty_ok=True, jax_ok=True), "base": BASE},
)
spec(
    "divergences.bernoulli_kl",
    D.bernoulli_kl,
    {"p": [0.1, 0.3], "q": [0.5, 0.25], "base": "bits"},
    {
        "p": Array(prob=True, empty_ok=True, jax_ok=True),
        "q": Array(prob=True, empty_ok=True, jax_ok=True),
        "base": BASE,
    },
    extra=[("p", "does not broadcast", {"p": [0.1, 0.2, 0.3]}, ValueError, "shape")],
)
_MV = {
    "mean_p": [0.0, 1.0],
    "cov_p": [[2.0, 0.3], [0.3, 1.0]],
    "mean_q": [1.0, 0.0],
    "cov_q": [[1.0, 0.0], [0.0, 3.0]],
}
spec(
    "divergences.gaussian_kl",
    D.gaussian_kl,
    {"mean_p": 0.0, "cov_p": 2.0, "mean_q": 1.0, "cov_q": 0.5, "base": "nats"},
    {
        "mean_p": Array(empty_ok=True, jax_ok=True),
        "mean_q": Array(empty_ok=True, jax_ok=True),
        "cov_p": Array(positive=True, empty_ok=True, jax_ok=True),
        "cov_q": Array(positive=True, empty_ok=True, jax_ok=True),
        "base": BASE,
    },
    extra=[
        # the review's case: a vector of variances for p, a covariance matrix for q
        (
            "cov_p",
            "variances vs covariance",
            {**_MV, "cov_p": [2.0, 1.0]},
            ValueError,
            "shape",
        ),
        (
            "cov_q",
            "covariance vs variances",
            {**_MV, "cov_q": [1.0, 3.0]},
            ValueError,
            "shape",
        ),
        ("cov_p", "wrong d", {**_MV, "cov_p": np.eye(3)}, ValueError, "shape"),
        (
            "mean_q",
            "mean shapes differ",
            {**_MV, "mean_q": [0.0, 0.0, 0.0]},
            ValueError,
            "shape",
        ),
        (
            "cov_p",
            "not symmetric",
            {**_MV, "cov_p": [[1.0, 0.5], [0.0, 1.0]]},
            ValueError,
            "domain",
            "symmetric",
        ),
        (
            "cov_q",
            "not positive-definite",
            {**_MV, "cov_q": [[1.0, 2.0], [2.0, 1.0]]},
            ValueError,
            "domain",
            "positive-definite",
        ),
        (
            "cov_q",
            "nan matrix",
            {**_MV, "cov_q": [[1.0, NAN], [NAN, 1.0]]},
            ValueError,
            "nonfinite",
        ),
        (
            "mean_p",
            "dimension 0",
            {
                "mean_p": np.zeros(0),
                "cov_p": np.zeros((0, 0)),
                "mean_q": np.zeros(0),
                "cov_q": np.zeros((0, 0)),
            },
            ValueError,
            "empty",
        ),
        (
            "mean_p",
            "does not broadcast",
            {"mean_p": [0.0, 1.0, 2.0], "cov_p": [1.0, 2.0]},
            ValueError,
            "shape",
        ),
    ],
)

# --- distributions ----------------------------------------------------------

DI = kn.distributions
spec(
    "distributions.random_distribution",
    DI.random_distribution,
    {"rng": np.random.default_rng(0), "shape": (2, 3), "concentration": 1.0},
    {"rng": Generator(), "concentration": Real(positive=True)},
    extra=[
        ("shape", "zero outcomes", {"shape": (2, 0)}, ValueError, "empty"),
        ("shape", "negative axis", {"shape": (2, -3)}, ValueError, "negative"),
        ("shape", "float", {"shape": 2.5}, TypeError, "type"),
        ("shape", "str", {"shape": "23"}, TypeError, "type"),
        ("shape", "float entry", {"shape": (2, 1.5)}, TypeError, "type"),
    ],
    compare=False,  # a Generator is consumed by every call
)
spec(
    "distributions.marginal",
    DI.marginal,
    {"joint": JOINT, "axis": 1},
    {"joint": Dist(joint=True, jax_ok=False), "axis": Int(0, exc_type=ValueError)},
    extra=[
        ("joint", "1-D", {"joint": P3}, ValueError, "shape"),
        ("axis", "axis 2", {"axis": 2}, ValueError, "domain"),
    ],
)
spec(
    "distributions.conditional",
    DI.conditional,
    {"joint": JOINT},
    {"joint": Dist(joint=True, jax_ok=False)},
    extra=[
        ("joint", "3-D", {"joint": np.full((2, 2, 2), 0.125)}, ValueError, "shape"),
        (
            "joint",
            "row of zeros",
            {"joint": [[0.0, 0.0], [0.5, 0.5]]},
            ValueError,
            "domain",
            r"p\(x\) = 0",
        ),
    ],
)
spec(
    "distributions.gaussian_log_density",
    DI.gaussian_log_density,
    {"x": [0.0, 1.0], "mean": 0.5, "var": 2.0},
    {
        "x": Array(empty_ok=True, jax_ok=True),
        "mean": Array(empty_ok=True, jax_ok=True),
        "var": Array(positive=True, empty_ok=True, jax_ok=True),
    },
    extra=[
        (
            "x",
            "does not broadcast",
            {"x": [0.0, 1.0], "mean": [0.0, 1.0, 2.0]},
            ValueError,
            "shape",
        )
    ],
)
spec(
    "distributions.mvn_log_density",
    DI.mvn_log_density,
    {
        "x": [[0.0, 1.0], [1.0, 2.0]],
        "mean": [0.0, 1.0],
        "cov": [[2.0, 0.3], [0.3, 1.0]],
    },
    {
        "x": Array(empty_ok=True, jax_ok=True),
        "mean": Array(empty_ok=True, jax_ok=True),
        "cov": Array(jax_ok=True),
    },
    extra=[
        ("x", "empty vector", {"x": np.array([])}, ValueError, "shape"),
        ("mean", "empty vector", {"mean": np.array([])}, ValueError, "shape"),
        ("x", "wrong d", {"x": [[0.0, 1.0, 2.0]]}, ValueError, "shape"),
        ("mean", "wrong d", {"mean": [0.0, 1.0, 2.0]}, ValueError, "shape"),
        ("cov", "not square", {"cov": [[1.0, 0.0]]}, ValueError, "shape"),
        ("cov", "vector", {"cov": [1.0, 1.0]}, ValueError, "shape"),
        (
            "cov",
            "not symmetric",
            {"cov": [[1.0, 0.5], [0.0, 1.0]]},
            ValueError,
            "domain",
            "symmetric",
        ),
        (
            "cov",
            "not positive-definite",
            {"cov": [[1.0, 2.0], [2.0, 1.0]]},
            ValueError,
            "domain",
            "positive-definite",
        ),
    ],
)

# --- montecarlo -------------------------------------------------------------

M = kn.montecarlo
EST = M.Estimate(1.0, 0.1, 10)
_EST_TYPE = ValueError  # existing tests pin ValueError for Estimate's field types
spec(
    "montecarlo.Estimate",
    M.Estimate,
    {"mean": 1.0, "stderr": 0.1, "n": 10},
    {
        "mean": Real(exc_type=_EST_TYPE),
        "stderr": Real(nonnegative=True, exc_type=_EST_TYPE),
        "n": Int(2, exc_type=_EST_TYPE),
    },
)
spec(
    "montecarlo.Estimate.interval",
    EST.interval,
    {"k": 2.0},
    {"k": Real(nonnegative=True)},
)
spec("montecarlo.Estimate.scaled", EST.scaled, {"factor": 2.0}, {"factor": Real()})
spec(
    "montecarlo.mc_estimate",
    M.mc_estimate,
    {"samples": [1.0, 2.0, 4.0]},
    {"samples": Array(vector=True, min_size=2, jax_ok=True)},
)
spec(
    "montecarlo.kl_from_log_densities",
    M.kl_from_log_densities,
    {"logp": [-1.0, -2.0, -0.5], "logq": [-1.5, -2.0, -1.0], "base": "nats"},
    {
        "logp": Array(vector=True, min_size=2, jax_ok=True),
        "logq": Array(vector=True, min_size=2, jax_ok=True),
        "base": BASE,
    },
    extra=[("logq", "shorter", {"logq": [-1.0, -2.0]}, ValueError, "shape")],
)


def _sample_p(key, n):
    return jax.random.normal(key, (n,))


def _log_p(x):
    return -0.5 * x**2 - 0.5 * math.log(2 * math.pi)


def _log_q(x):
    return -0.5 * (x - 1.0) ** 2 - 0.5 * math.log(2 * math.pi)


spec(
    "montecarlo.kl_monte_carlo",
    M.kl_monte_carlo,
    {
        "key": KEY,
        "sample_p": _sample_p,
        "log_p": _log_p,
        "log_q": _log_q,
        "n": 10,
        "base": "nats",
    },
    {
        "key": Key(),
        "sample_p": Callable_(),
        "log_p": Callable_(),
        "log_q": Callable_(),
        "n": Int(2, exc_type=ValueError),  # existing tests pin ValueError for n
        "base": BASE,
    },
    extra=[
        ("log_p", "returns NaN", {"log_p": lambda x: x * NAN}, ValueError, "nonfinite"),
        (
            "log_q",
            "returns a scalar",
            {"log_q": lambda x: jnp.sum(x)},
            ValueError,
            "shape",
        ),
        (
            "sample_p",
            "returns the wrong number",
            {"sample_p": lambda k, n: jnp.zeros(n + 1)},
            ValueError,
            "shape",
        ),
    ],
)
spec(
    "montecarlo.count_estimate",
    M.count_estimate,
    {"count": 3, "n": 10},
    {"count": Int(0), "n": Int(2)},
    extra=[("count", "above n", {"count": 11}, ValueError, "domain")],
)


# --- evidence ---------------------------------------------------------------

EV = kn.evidence
UNIT = Choice(problem="unit")
spec(
    "evidence.weight_of_evidence",
    EV.weight_of_evidence,
    {"p_x": [0.5, 0.2], "q_x": [0.25, 0.4], "unit": "dB"},
    {
        "p_x": Array(positive=True, empty_ok=True),
        "q_x": Array(positive=True, empty_ok=True),
        "unit": UNIT,
    },
    extra=[
        ("q_x", "does not broadcast", {"q_x": [0.1, 0.2, 0.3]}, ValueError, "shape")
    ],
)
spec(
    "evidence.bernoulli_kl",
    EV.bernoulli_kl,
    {"p": [1.0, 0.3], "q": [0.5, 0.5], "unit": "dB"},
    {
        "p": Array(prob=True, empty_ok=True),
        "q": Array(prob=True, open=True, empty_ok=True),
        "unit": UNIT,
    },
    extra=[("q", "one", {"q": [0.5, 1.0]}, ValueError, "domain")],
)
spec(
    "evidence.binomial_evidence",
    EV.binomial_evidence,
    {"successes": 3, "failures": 2, "p1": 0.6, "p0": 0.5, "unit": "bits"},
    {
        "successes": Int(0),
        "failures": Int(0),
        "p1": Prob(open=True),
        "p0": Prob(open=True),
        "unit": UNIT,
    },
)
spec(
    "evidence.observations_needed",
    EV.observations_needed,
    {"target": 13.0, "per_observation": 3.0},
    {"target": Real(positive=True), "per_observation": Real(positive=True)},
)
_JOINT_HE = [[0.3, 0.1], [0.2, 0.4]]
spec(
    "evidence.jeffrey_update",
    EV.jeffrey_update,
    {"joint": _JOINT_HE, "evidence": [0.7, 0.3]},
    extra=[
        ("joint", "1-D", {"joint": [0.5, 0.5]}, ValueError, "shape"),
        ("joint", "empty", {"joint": np.zeros((2, 0))}, ValueError, "empty"),
        (
            "joint",
            "unnormalised",
            {"joint": [[0.5, 0.6], [0.1, 0.1]]},
            ValueError,
            "unnormalised",
        ),
        (
            "joint",
            "negative",
            {"joint": [[0.6, -0.1], [0.1, 0.4]]},
            ValueError,
            "negative",
        ),
        ("joint", "nan", {"joint": [[NAN, 0.1], [0.2, 0.4]]}, ValueError, "nonfinite"),
        ("joint", "str", {"joint": "joint"}, TypeError, "type"),
        (
            "evidence",
            "too many cells",
            {"evidence": [0.5, 0.3, 0.2]},
            ValueError,
            "shape",
            "evidence has 3",
        ),
        (
            "evidence",
            "unnormalised",
            {"evidence": [0.5, 0.6]},
            ValueError,
            "unnormalised",
        ),
        ("evidence", "2-D", {"evidence": [[0.5, 0.5]]}, ValueError, "shape"),
        ("evidence", "None", {"evidence": None}, TypeError, "type"),
        (
            "evidence",
            "mass where the joint has none",
            {"joint": [[0.5, 0.0], [0.5, 0.0]], "evidence": [0.5, 0.5]},
            ValueError,
            "domain",
            "probability 0",
        ),
    ],
)
spec(
    "evidence.first_passage",
    EV.first_passage,
    {"p1": 0.6, "p0": 0.5, "target": 3.0, "n_max": 400},
    {
        "target": Real(positive=True),
        "n_max": Int(1),
        "unit": UNIT,
    },
    extra=[
        ("p1", "not above p0", {"p1": 0.4}, ValueError, "domain", "p1 must exceed p0"),
        ("p1", "one", {"p1": 1.0}, ValueError, "domain"),
        ("p1", "str", {"p1": "0.6"}, TypeError, "type"),
        ("p0", "nan", {"p0": NAN}, ValueError, "nonfinite"),
        ("p0", "zero", {"p0": 0.0}, ValueError, "domain"),
        (
            "n_max",
            "too short",
            {"n_max": 3, "target": 100.0},
            ValueError,
            "domain",
            "no sequence reaches",
        ),
        ("truth", "above 1", {"truth": 1.5}, ValueError, "domain"),
        ("truth", "str", {"truth": "0.5"}, TypeError, "type"),
        ("window", "one", {"window": 1}, ValueError, "domain"),
        ("window", "float", {"window": 2.5}, TypeError, "type"),
    ],
)
spec(
    "evidence.neyman_pearson_error",
    EV.neyman_pearson_error,
    {"n": 50, "p": 0.6, "q": 0.5, "alpha": 0.05},
    {"n": Int(1), "p": Prob(open=True), "q": Prob(open=True), "alpha": Prob(open=True)},
    extra=[("q", "equal to p", {"q": 0.6}, ValueError, "domain", "must differ")],
)
spec(
    "evidence.bayes_update",
    EV.bayes_update,
    {"prior": 0.2, "likelihood_h": 0.9, "likelihood_alt": 0.3, "unit": "dB"},
    {
        "prior": Prob(open=True),
        "likelihood_h": Real(positive=True),
        "likelihood_alt": Real(positive=True),
        "unit": UNIT,
    },
)
spec(
    "evidence.screening_posterior",
    EV.screening_posterior,
    {"prior": 0.01, "sensitivity": 0.9, "specificity": 0.95, "positive": True},
    {
        "prior": Prob(open=True),
        "sensitivity": Prob(),
        "specificity": Prob(),
        "positive": Bool(),
    },
    extra=[
        (
            "sensitivity",
            "positive result impossible",
            {"sensitivity": 0.0, "specificity": 1.0},
            ValueError,
            "domain",
            "impossible",
        ),
        (
            "specificity",
            "negative result impossible",
            {"sensitivity": 1.0, "specificity": 0.0, "positive": False},
            ValueError,
            "domain",
            "impossible",
        ),
    ],
)
spec(
    "evidence.deciban_table",
    EV.deciban_table,
    {"db": [0.0, 3.0, 10.0]},
    {"db": Array(vector=True, none_ok=True)},
)
spec(
    "evidence.log_beta_cdf",
    EV.log_beta_cdf,
    {"x": 0.3, "a": 3.0, "b": 5.0, "tol": 1e-17},
    {
        "x": Real(),
        "a": Real(positive=True),
        "b": Real(positive=True),
        "tol": Real(positive=True),
    },
)
spec(
    "evidence.posterior_tail",
    EV.posterior_tail,
    {"successes": 30, "failures": 20, "threshold": 0.5},
    {"successes": Int(0), "failures": Int(0), "threshold": Prob(open=True)},
)
spec(
    "evidence.worked_magnitudes",
    EV.worked_magnitudes,
    {
        "boys": 600,
        "girls": 400,
        "p1": 0.51,
        "p0": 0.5,
        "target_db": 13.0,
        "mnist_db_per_image": 0.0013,
        "mnist_images": 100,
    },
    {
        "boys": Int(0),
        "girls": Int(0),
        "p1": Prob(open=True),
        "p0": Prob(open=True),
        "target_db": Real(positive=True),
        "mnist_db_per_image": Real(positive=True),
        "mnist_images": Int(0),
    },
)

# --- coding -----------------------------------------------------------------

CO = kn.coding
DYADIC = [0.5, 0.25, 0.125, 0.125]
CODE = {"A": "0", "B": "10", "C": "110", "D": "111"}


@dataclass
class Probs(Kind):
    """Positive probabilities summing to one, as a sequence or a 1-D array."""

    def bad(self, base):
        b = list(base)
        return [
            ("nan", [NAN] + b[1:], ValueError, "nonfinite"),
            ("inf", [INF] + b[1:], ValueError, "nonfinite"),
            ("neg", [-0.5, b[1] + b[0] + 0.5] + b[2:], ValueError, "negative"),
            ("zero", [0.0, b[0] + b[1]] + b[2:], ValueError, "negative"),
            ("unnormalised", [1.5 * v for v in b], ValueError, "unnormalised"),
            ("empty", [], ValueError, "empty"),
            ("2-D array", np.array([b, b]) / 2, ValueError, "shape"),
            ("str", "abcd", TypeError, "type"),
            ("None", None, TypeError, "type"),
            ("str entries", ["0.5"] * len(b), TypeError, "type"),
        ]

    def ok(self, base):
        return [
            ("ndarray", np.asarray(base)),
            ("tuple", tuple(base)),
            ("np.float64 entries", [np.float64(v) for v in base]),
            ("jax", jnp.asarray(base)),
        ]


@dataclass
class Symbols(Kind):
    def bad(self, base):
        b = list(base)
        return [
            ("too few", b[:-1], ValueError, "shape"),
            ("repeated", [b[0]] + b[:-1], ValueError, "domain", "distinct"),
            ("int entries", list(range(len(b))), TypeError, "type"),
            ("int", 3, TypeError, "type"),
        ]

    def ok(self, base):
        return [("tuple", tuple(base)), ("ndarray of str", np.array(base))]


class Code(Kind):
    def bad(self, base):
        return [
            ("list", ["0", "10"], TypeError, "type"),
            ("empty", {}, ValueError, "empty"),
            ("bad digit", {**base, "A": "2"}, ValueError, "domain"),
            ("empty word", {**base, "A": ""}, ValueError, "domain"),
            ("int word", {**base, "A": 0}, TypeError, "type"),
        ]


spec(
    "coding.shannon_lengths",
    CO.shannon_lengths,
    {"q": DYADIC},
    extra=[
        (
            "q",
            "a zero entry",
            {"q": [0.5, 0.5, 0.0]},
            ValueError,
            "negative",
            "positive",
        ),
        ("q", "unnormalised", {"q": [0.5, 0.6]}, ValueError, "unnormalised"),
        ("q", "empty array", {"q": np.array([])}, ValueError, "empty"),
        ("q", "empty list", {"q": []}, ValueError, "empty"),
        ("q", "str", {"q": "ab"}, TypeError, "type", "sequence"),
        ("q", "nan", {"q": [NAN, 0.5]}, ValueError, "nonfinite"),
        ("q", "scalar", {"q": 0.5}, TypeError, "type", "sequence"),
        (
            "q",
            "unnormalised rows",
            {"q": np.array([[0.5, 0.25], [0.5, 0.5]])},
            ValueError,
            "unnormalised",
        ),
    ],
)
spec(
    "coding.huffman_code",
    CO.huffman_code,
    {"probs": DYADIC, "symbols": list("WXYZ")},
    {"probs": Probs(), "symbols": Symbols()},
)
spec("coding.is_prefix_free", CO.is_prefix_free, {"code": CODE}, {"code": Code()})
spec("coding.kraft_sum", CO.kraft_sum, {"code": CODE}, {"code": Code()})
spec(
    "coding.expected_length",
    CO.expected_length,
    {"probs": [0.4, 0.3, 0.2, 0.1], "code": CODE, "symbols": list("ABCD")},
    {"probs": Probs(), "code": Code(), "symbols": Symbols()},
    extra=[
        (
            "code",
            "missing symbol",
            {"symbols": list("ABCE")},
            ValueError,
            "domain",
            "no codeword",
        )
    ],
)
spec(
    "coding.coding_excess",
    CO.coding_excess,
    {"p": DYADIC, "q": [0.125, 0.125, 0.25, 0.5], "symbols": list("ABCD")},
    {"p": Probs(), "q": Probs(), "symbols": Symbols()},
    extra=[("q", "fewer symbols", {"q": [0.5, 0.5]}, ValueError, "shape")],
)


# --- erasure ----------------------------------------------------------------

ER = kn.erasure
_B = Real(positive=True)
spec(
    "erasure.equilibrium_p1",
    ER.equilibrium_p1,
    {"eps": [0.0, 2.0], "beta": 1.5},
    {"eps": Array(empty_ok=True), "beta": _B},
)
spec(
    "erasure.glauber_rates",
    ER.glauber_rates,
    {"eps": [0.0, 2.0], "beta": 1.5, "gamma": 2.0},
    {"eps": Array(empty_ok=True), "beta": _B, "gamma": _B},
)
spec(
    "erasure.generalized_landauer_bound",
    ER.generalized_landauer_bound,
    {"p1_initial": 0.5, "p1_final": [0.1, 0.01]},
    {
        "p1_initial": Array(prob=True, empty_ok=True),
        "p1_final": Array(prob=True, empty_ok=True),
    },
    extra=[
        (
            "p1_final",
            "does not broadcast",
            {"p1_initial": [0.5, 0.4, 0.3]},
            ValueError,
            "shape",
        )
    ],
)
spec(
    "erasure.reversible_erasure_heat",
    ER.reversible_erasure_heat,
    {"eps_max": [1.0, 5.0], "beta": 2.0},
    {"eps_max": Array(empty_ok=True), "beta": _B},
)
spec(
    "erasure.slow_driving_coefficient",
    ER.slow_driving_coefficient,
    {"eps_max": [1.0, 5.0], "beta": 2.0, "gamma": 0.5},
    {"eps_max": Array(empty_ok=True), "beta": _B, "gamma": _B},
)
spec(
    "erasure.staircase_coefficient",
    ER.staircase_coefficient,
    {"eps_max": [1.0, 5.0], "beta": 2.0},
    {"eps_max": Array(empty_ok=True), "beta": _B},
)
spec(
    "erasure.landauer_energy",
    ER.landauer_energy,
    {"temperature": [300.0, 4.0], "unit": "eV", "bits": 2.0},
    {"temperature": Array(positive=True, empty_ok=True), "unit": Choice(), "bits": _B},
)
spec(
    "erasure.staircase_protocol",
    ER.staircase_protocol,
    {"eps_max": 8.0, "n_steps": 4, "tau": 2.0},
    {"eps_max": Real(), "n_steps": Int(1), "tau": Real(positive=True, inf_ok=True)},
)
spec(
    "erasure.friction",
    ER.friction,
    {"eps": [0.0, 2.0], "beta": 1.5, "gamma": 2.0},
    {"eps": Array(empty_ok=True), "beta": _B, "gamma": _B},
)
spec(
    "erasure.thermodynamic_length",
    ER.thermodynamic_length,
    {"eps_max": [1.0, 10.0], "beta": 1.5, "gamma": 2.0},
    {"eps_max": Array(empty_ok=True), "beta": _B, "gamma": _B},
)
spec(
    "erasure.optimal_protocol",
    ER.optimal_protocol,
    {"eps_max": 10.0, "n_steps": 8, "tau": 4.0, "beta": 1.0},
    {
        "eps_max": Real(),
        "n_steps": Int(1),
        "tau": Real(positive=True, inf_ok=True),
        "beta": _B,
    },
)
_DWELL_EXTRA = [
    (
        "dwell",
        "one per level plus one",
        {"dwell": [1.0, 1.0, 1.0]},
        ValueError,
        "shape",
    ),
    ("dwell", "empty", {"dwell": np.array([])}, ValueError, "shape"),
]
spec(
    "erasure.erasure_exact",
    ER.erasure_exact,
    {
        "levels": [1.0, 3.0],
        "dwell": [0.5, 1.0],
        "beta": 1.0,
        "gamma": 2.0,
        "p1_initial": 0.5,
    },
    {
        "levels": Array(vector=True),
        "dwell": Array(positive=True, inf_ok=True, empty_ok=True),
        "beta": _B,
        "gamma": _B,
        "p1_initial": Prob(),
    },
    extra=_DWELL_EXTRA,
)
spec(
    "erasure.simulate_erasure",
    ER.simulate_erasure,
    {
        "key": KEY,
        "levels": [1.0, 3.0],
        "dwell": [0.5, 1.0],
        "n_trajectories": 8,
        "beta": 1.0,
        "gamma": 2.0,
        "p1_initial": 0.5,
    },
    {
        "key": Key(),
        "levels": Array(vector=True),
        "dwell": Array(positive=True, inf_ok=True, empty_ok=True),
        "n_trajectories": Int(2),
        "beta": _B,
        "gamma": _B,
        "p1_initial": Prob(),
    },
    extra=[
        *_DWELL_EXTRA,
        ("dwell", "a batch", {"dwell": np.ones((3, 2))}, ValueError, "shape"),
    ],
    compare=False,  # another key gives other trajectories
    alternatives=False,
)


# --- thermo -----------------------------------------------------------------

TH = kn.thermo
_PROTO = {"stiffness": [1.0, 2.0, 3.0], "centre": [0.0, 0.5, 1.0]}
_PROTO_KINDS = {
    "stiffness": Array(vector=True, min_size=2, positive=True),
    "centre": Array(empty_ok=True),  # a scalar is a fixed trap
}
_PROTO_EXTRA = [
    (
        "centre",
        "longer than stiffness",
        {"centre": [0.0, 0.5, 1.0, 2.0]},
        ValueError,
        "shape",
    ),
    ("centre", "empty", {"centre": np.array([])}, ValueError, "shape"),
    ("centre", "2-D", {"centre": np.zeros((2, 3))}, ValueError, "shape"),
]
_DYN = {"dt": 0.1, "kT": 1.0, "gamma": 1.0}
_DYN_KINDS = {"dt": _B, "kT": _B, "gamma": _B}
_SCHEME_EXTRA = [
    (
        "scheme",
        "unstable Euler",
        {"scheme": "euler", "dt": 5.0},
        ValueError,
        "domain",
        "unstable",
    )
]
spec(
    "thermo.harmonic_energy",
    TH.harmonic_energy,
    {"x": [0.0, 1.0, 2.0], "stiffness": 2.0, "centre": 0.5},
    {
        "x": Array(empty_ok=True, jax_ok=True),
        "stiffness": Array(positive=True, empty_ok=True, jax_ok=True),
        "centre": Array(empty_ok=True, jax_ok=True),
    },
    extra=[
        ("centre", "does not broadcast", {"centre": [0.0, 1.0]}, ValueError, "shape")
    ],
)
spec(
    "thermo.harmonic_free_energy",
    TH.harmonic_free_energy,
    {"stiffness": [1.0, 4.0], "kT": 2.0},
    {"stiffness": Array(positive=True, empty_ok=True), "kT": _B},
)
spec(
    "thermo.simulate_harmonic",
    TH.simulate_harmonic,
    {
        "key": KEY,
        **_PROTO,
        "n_traj": 8,
        **_DYN,
        "scheme": "exact",
        "return_path": False,
    },
    {
        "key": Key(),
        **_PROTO_KINDS,
        "n_traj": Int(2),
        **_DYN_KINDS,
        "scheme": Choice(),
        "return_path": Bool(),
    },
    extra=_PROTO_EXTRA + _SCHEME_EXTRA,
    compare=False,
    alternatives=False,
)
_PATH = np.zeros((3, 4))
spec(
    "thermo.harmonic_path_log_ratio",
    TH.harmonic_path_log_ratio,
    {"path": _PATH, **_PROTO, **_DYN},
    {"path": Array(empty_ok=True), **_PROTO_KINDS, **_DYN_KINDS},
    extra=_PROTO_EXTRA
    + [
        ("path", "empty", {"path": np.array([])}, ValueError, "shape"),
        (
            "path",
            "wrong number of steps",
            {"path": np.zeros((4, 4))},
            ValueError,
            "shape",
        ),
        ("path", "1-D", {"path": np.zeros(3)}, ValueError, "shape"),
    ],
)
spec(
    "thermo.harmonic_log_moment",
    TH.harmonic_log_moment,
    {**_PROTO, **_DYN, "s": 1.0, "scheme": "exact"},
    {**_PROTO_KINDS, **_DYN_KINDS, "s": Real(), "scheme": Choice()},
    extra=_PROTO_EXTRA + _SCHEME_EXTRA,
)
spec(
    "thermo.harmonic_mean_work",
    TH.harmonic_mean_work,
    {**_PROTO, **_DYN, "scheme": "euler"},
    {**_PROTO_KINDS, **_DYN_KINDS, "scheme": Choice()},
    extra=_PROTO_EXTRA + _SCHEME_EXTRA,
)


def _double_well(x, lam):
    return (x**2 - 1.0) ** 2 + lam * x


spec(
    "thermo.simulate_metropolis",
    TH.simulate_metropolis,
    {
        "key": KEY,
        "energy": _double_well,
        "lambdas": [0.0, 0.5, 1.0],
        "x0": [0.0, 1.0, -1.0],
        "step_size": 0.5,
        "kT": 1.0,
        "n_moves": 2,
    },
    {
        "key": Key(),
        "energy": Callable_(),
        "lambdas": Array(vector=True, min_size=2),
        "x0": Array(vector=True, min_size=2),
        "step_size": _B,
        "kT": _B,
        "n_moves": Int(1),
    },
    extra=[
        (
            "energy",
            "returns NaN",
            {"energy": lambda x, lam: x * jnp.nan},
            ValueError,
            "nonfinite",
        )
    ],
    compare=False,
    alternatives=False,
)
_WORK = [0.5, 1.0, 1.5, 0.2, 0.8, 1.1]
_WORK_KIND = Array(vector=True, min_size=2)
spec(
    "thermo.exponential_average",
    TH.exponential_average,
    {"work": _WORK, "kT": 1.0},
    {"work": _WORK_KIND, "kT": _B},
)
spec(
    "thermo.jarzynski_weights",
    TH.jarzynski_weights,
    {"work": _WORK, "kT": 1.0},
    {"work": _WORK_KIND, "kT": _B},
    extra=[
        (
            "work",
            "overflows",
            {"work": [-1000.0, 1.0]},
            ValueError,
            "domain",
            "overflows",
        )
    ],
)
spec(
    "thermo.block_free_energies",
    TH.block_free_energies,
    {"work": _WORK, "n": 3, "kT": 1.0},
    {"work": _WORK_KIND, "n": Int(1), "kT": _B},
    extra=[("n", "one block", {"n": 4}, ValueError, "domain", "blocks")],
)
spec(
    "thermo.exponential_estimate",
    TH.exponential_estimate,
    {"work": _WORK, "kT": 1.0},
    {"work": _WORK_KIND, "kT": _B},
)
spec(
    "thermo.bar",
    TH.bar,
    {"work_forward": _WORK, "work_reverse": [-0.5, 0.2, -0.1, 0.4], "kT": 1.0},
    {"work_forward": _WORK_KIND, "work_reverse": _WORK_KIND, "kT": _B},
    extra=[
        ("work_forward", "one value", {"work_forward": [1.0]}, ValueError, "empty"),
        (
            "work_reverse",
            "2-D",
            {"work_reverse": [[0.1, 0.2], [0.3, 0.4]]},
            ValueError,
            "shape",
        ),
    ],
)
spec(
    "thermo.block_exponential_stderr",
    TH.block_exponential_stderr,
    {"work": _WORK, "n": 2, "kT": 1.0},
    {"work": _WORK_KIND, "n": Int(2), "kT": _B},
    extra=[("n", "one block", {"n": 4}, ValueError, "domain", "blocks")],
)
spec(
    "thermo.exponential_estimator_moments",
    TH.exponential_estimator_moments,
    {"relative_variance": 0.5, "n": 100, "kT": 1.0},
    {"relative_variance": _B, "n": Int(1), "kT": _B},
)
spec(
    "thermo.bidirectional_bounds",
    TH.bidirectional_bounds,
    {"work_forward": _WORK, "work_reverse": [-0.4, -0.9, 0.1], "kT": 1.0},
    {"work_forward": _WORK_KIND, "work_reverse": _WORK_KIND, "kT": _B},
)
_RNG = np.random.default_rng(5)
_WF = _RNG.normal(2.0, 1.0, 4000)
_WR = _RNG.normal(-1.0, 1.0, 4000)
spec(
    "thermo.crooks_fit",
    TH.crooks_fit,
    {"work_forward": _WF, "work_reverse": _WR, "bins": 20, "kT": 1.0, "min_count": 20},
    {
        "work_forward": _WORK_KIND,
        "work_reverse": _WORK_KIND,
        "bins": Int(3),
        "kT": _B,
        "min_count": Int(1),
    },
    extra=[
        (
            "min_count",
            "no overlap",
            {"min_count": 4000},
            ValueError,
            "domain",
            "overlap",
        )
    ],
)


# --- nn ---------------------------------------------------------------------

NN = kn.nn


def _mlp(*widths: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """Cheap MLP layers for the table (nn.mlp_init compiles a sampler per shape)."""
    return [
        (np.full((m, n), 0.1), np.zeros(n)) for m, n in zip(widths[:-1], widths[1:])
    ]


LAYERS = _mlp(2, 3, 1)


class Layers(Kind):
    """MLP layers: a list of (W, b) pairs whose shapes chain."""

    def bad(self, base):
        (W0, b0), (W1, b1) = base
        return [
            ("dict", {"W": W0}, TypeError, "type"),
            ("empty", [], ValueError, "empty"),
            ("not pairs", [W0, W1], TypeError, "type"),
            (
                "int weights",
                [(np.zeros((2, 3), dtype=int), b0), (W1, b1)],
                TypeError,
                "type",
            ),
            ("bias too long", [(W0, jnp.zeros(4)), (W1, b1)], ValueError, "shape"),
            ("do not chain", [(W0, b0), (jnp.zeros((4, 1)), b1)], ValueError, "shape"),
        ]


spec(
    "nn.mlp_init",
    NN.mlp_init,
    {"key": KEY, "sizes": [2, 3, 1]},
    {"key": Key()},
    extra=[
        ("sizes", "one width", {"sizes": [3]}, ValueError, "empty"),
        ("sizes", "float width", {"sizes": [3, 2.5]}, TypeError, "type"),
        ("sizes", "zero width", {"sizes": [3, 0]}, ValueError, "domain"),
        ("sizes", "int", {"sizes": 3}, TypeError, "type"),
    ],
    compare=False,
)
spec(
    "nn.mlp",
    NN.mlp,
    {"layers": LAYERS, "x": [[0.0, 1.0], [1.0, 2.0]], "activation": jnp.tanh},
    {
        "layers": Layers(),
        "x": Array(empty_ok=True, jax_ok=True),
        "activation": Callable_(),
    },
    extra=[
        ("x", "wrong width", {"x": [[0.0, 1.0, 2.0]]}, ValueError, "shape"),
        ("x", "empty vector", {"x": np.array([])}, ValueError, "shape"),
    ],
)
spec(
    "nn.cosine_decay",
    NN.cosine_decay,
    {"learning_rate": 0.1, "steps": 5},
    {"learning_rate": _B, "steps": Int(1)},
)


def _quadratic(p, inp):
    return jnp.sum((p - inp) ** 2)


spec(
    "nn.adam",
    NN.adam,
    {
        "loss": _quadratic,
        "params": jnp.zeros(2),
        "inputs": jnp.ones((3, 2)),
        "learning_rates": jnp.full(3, 0.1),
        "b1": 0.9,
        "b2": 0.999,
        "eps": 1e-8,
    },
    {
        "loss": Callable_(),
        "learning_rates": Array(vector=True, positive=True, jax_ok=True),
        "b1": Prob(),
        "b2": Prob(),
        "eps": _B,
    },
    extra=[
        (
            "inputs",
            "too few steps",
            {"inputs": jnp.ones((2, 2))},
            ValueError,
            "domain",
            "steps",
        ),
        (
            "params",
            "int leaves",
            {"params": jnp.zeros(2, dtype=int)},
            TypeError,
            "type",
        ),
        ("params", "no leaves", {"params": {}}, ValueError, "empty"),
        ("b1", "one", {"b1": 1.0}, ValueError, "domain"),
    ],
    alternatives=False,
)

# --- diffusion --------------------------------------------------------------

DF = kn.diffusion
LIN = DF.linear_schedule(-5.0, 5.0)
X = np.linspace(-1.0, 1.0, 8).reshape(4, 2)


def _identity(z, gamma):
    return z


def _decoder(z0):
    return z0, jnp.ones_like(z0)


class Schedule_(Instance):
    pass


_G = Real()
spec(
    "diffusion.Schedule",
    DF.Schedule,
    {"kind": "power", "gamma_min": -3.0, "gamma_max": 4.0, "param": 2.0},
    {
        "kind": Choice(),
        "gamma_min": Real(exc_type=TypeError),
        "gamma_max": Real(exc_type=TypeError),
        "param": Real(positive=True),
    },
    extra=[("gamma_max", "below gamma_min", {"gamma_max": -4.0}, ValueError, "domain")],
)
for _m in ("gamma", "gamma_prime", "alpha2", "sigma2", "snr"):
    spec(
        f"diffusion.Schedule.{_m}",
        getattr(LIN, _m),
        {"t": [0.0, 0.5, 1.0]},
        {"t": Array(prob=True, empty_ok=True, jax_ok=True)},
    )
spec(
    "diffusion.linear_schedule",
    DF.linear_schedule,
    {"gamma_min": -3.0, "gamma_max": 4.0},
    {"gamma_min": _G, "gamma_max": _G},
    extra=[("gamma_min", "above gamma_max", {"gamma_min": 5.0}, ValueError, "domain")],
)
spec(
    "diffusion.cosine_schedule",
    DF.cosine_schedule,
    {"gamma_min": -3.0, "gamma_max": 4.0},
    {"gamma_min": _G, "gamma_max": _G},
    extra=[("gamma_min", "above gamma_max", {"gamma_min": 5.0}, ValueError, "domain")],
)
spec(
    "diffusion.power_schedule",
    DF.power_schedule,
    {"gamma_min": -3.0, "gamma_max": 4.0, "power": 2.0},
    {"gamma_min": _G, "gamma_max": _G, "power": _B},
    extra=[("gamma_min", "above gamma_max", {"gamma_min": 5.0}, ValueError, "domain")],
)
_SCHED = Schedule_()
_T = Int(1)
spec(
    "diffusion.step_gammas",
    DF.step_gammas,
    {"schedule": LIN, "T": 4},
    {"schedule": _SCHED, "T": _T},
)
spec(
    "diffusion.snr_difference",
    DF.snr_difference,
    {"gamma_s": [-1.0, 0.0], "gamma_t": [0.0, 1.0]},
    {
        "gamma_s": Array(empty_ok=True, jax_ok=True),
        "gamma_t": Array(empty_ok=True, jax_ok=True),
    },
    extra=[
        (
            "gamma_t",
            "does not broadcast",
            {"gamma_t": [0.0, 1.0, 2.0]},
            ValueError,
            "shape",
        )
    ],
)
spec(
    "diffusion.DiffusionLoss",
    DF.DiffusionLoss,
    {
        "prior": np.ones(3),
        "reconstruction": np.zeros(3),
        "diffusion": np.full(3, 0.5),
        "dim": 2,
    },
    {"prior": Array(), "reconstruction": Array(), "diffusion": Array(), "dim": Int(1)},
    extra=[
        ("prior", "2-D", {"prior": np.ones((3, 1))}, ValueError, "shape"),
        (
            "reconstruction",
            "different lengths",
            {"reconstruction": np.zeros(4)},
            ValueError,
            "shape",
        ),
    ],
)
_LOSS = DF.DiffusionLoss(np.ones(3), np.zeros(3), np.array([0.5, 0.6, 0.4]), dim=2)
spec(
    "diffusion.DiffusionLoss.estimate",
    _LOSS.estimate,
    {"term": "diffusion", "unit": "bpd"},
    {"term": Choice(), "unit": Choice()},
)
spec(  # an exact loss (no per-example values) has no standard error
    "diffusion.DiffusionLoss.estimate",
    DF.DiffusionLoss(1.0, 0.5, 0.25, dim=1).estimate,
    {"term": "total", "unit": "nats"},
    extra=[("term", "exact loss", {}, ValueError, "domain", "exact expectations")],
    base_ok=False,
)
spec(
    "diffusion.rescaled_decoder",
    DF.rescaled_decoder,
    {"schedule": LIN},
    {"schedule": _SCHED},
)
spec(
    "diffusion.prior_term",
    DF.prior_term,
    {"x": X, "schedule": LIN},
    {"x": Array(empty_ok=True, jax_ok=True), "schedule": _SCHED},
    extra=[("x", "scalar", {"x": 1.0}, ValueError, "shape")],
)
_DATA_EXTRA = [
    ("x", "1-D", {"x": np.ones(4)}, ValueError, "shape"),
    ("x", "nan", {"x": _first(X, NAN)}, ValueError, "nonfinite"),
    ("x", "str", {"x": "data"}, TypeError, "type"),
]
_LOSS_KINDS = {
    "key": Key(),
    "schedule": _SCHED,
    "denoiser": Callable_(),
    "decoder": Callable_(none_ok=True),
}
spec(
    "diffusion.continuous_terms",
    DF.continuous_terms,
    {"key": KEY, "x": X, "schedule": LIN, "denoiser": _identity, "decoder": _decoder},
    _LOSS_KINDS,
    extra=_DATA_EXTRA,
    compare=False,
    alternatives=False,
)
spec(
    "diffusion.discrete_mc_terms",
    DF.discrete_mc_terms,
    {
        "key": KEY,
        "x": X,
        "schedule": LIN,
        "denoiser": _identity,
        "T": 4,
        "decoder": None,
    },
    {**_LOSS_KINDS, "T": _T},
    extra=_DATA_EXTRA,
    compare=False,
    alternatives=False,
)
_SAMPLE_EXTRA = [("x", "one example", {"x": X[:1]}, ValueError, "empty")]
spec(
    "diffusion.continuous_loss",
    DF.continuous_loss,
    {"x": X, "schedule": LIN, "denoiser": _identity, "key": KEY, "decoder": None},
    _LOSS_KINDS,
    extra=_DATA_EXTRA + _SAMPLE_EXTRA,
    compare=False,
    alternatives=False,
)
for _f in ("discrete_loss", "discrete_loss_mc"):
    spec(
        f"diffusion.{_f}",
        getattr(DF, _f),
        {
            "x": X,
            "schedule": LIN,
            "denoiser": _identity,
            "key": KEY,
            "T": 3,
            "decoder": _decoder,
        },
        {**_LOSS_KINDS, "T": _T},
        extra=_DATA_EXTRA + _SAMPLE_EXTRA,
        compare=False,
        alternatives=False,
    )
spec(
    "diffusion.step_contributions",
    DF.step_contributions,
    {"x": X, "schedule": LIN, "denoiser": _identity, "key": KEY, "T": 3},
    {"key": Key(), "schedule": _SCHED, "denoiser": Callable_(), "T": _T},
    extra=_DATA_EXTRA + _SAMPLE_EXTRA,
    compare=False,
    alternatives=False,
)


class StepCounts(Kind):
    """Numbers of steps ``Ts``: a non-empty sequence of distinct ints >= 1."""

    def bad(self, base):
        return [
            ("int", 3, TypeError, "type"),
            ("str", "13", TypeError, "type"),
            ("None", None, TypeError, "type"),
            ("empty", [], ValueError, "empty"),
            ("zero", [0, 3], ValueError, "domain"),
            ("float", [1, 2.5], TypeError, "type"),
            ("bool", [True], TypeError, "type"),
            ("repeated", [3, 3], ValueError, "domain", "repeated"),
        ]


spec(
    "diffusion.losses_against_steps",
    DF.losses_against_steps,
    {
        "x": X,
        "schedule": LIN,
        "denoiser": _identity,
        "key": KEY,
        "Ts": [1, 3],
        "decoder": None,
    },
    {**_LOSS_KINDS, "Ts": StepCounts()},
    extra=_DATA_EXTRA + _SAMPLE_EXTRA,
    compare=False,
    alternatives=False,  # Ts as a NumPy array: in VALID_EXTRA
)
# the traceable terms at given noise (and times, steps): the same data checks
# as the losses, and the noise must have the shape of the data
_EPS = np.linspace(0.5, -0.5, 8).reshape(4, 2)
_TERM_EXTRA = [
    ("x", "1-D", {"x": np.ones(4)}, ValueError, "shape"),
    ("eps", "not the shape of x", {"eps": _EPS[:3]}, ValueError, "shape"),
]
_TERM_KINDS = {
    "x": Array(jax_ok=True),
    "eps": Array(jax_ok=True),
    "schedule": _SCHED,
}
spec(
    "diffusion.reconstruction_term",
    DF.reconstruction_term,
    {"x": X, "eps": _EPS, "schedule": LIN, "decoder": _decoder},
    {**_TERM_KINDS, "decoder": Callable_(none_ok=True)},
    extra=_TERM_EXTRA,
)
spec(
    "diffusion.diffusion_term",
    DF.diffusion_term,
    {
        "x": X,
        "eps": _EPS,
        "t": np.array([0.1, 0.4, 0.6, 0.9]),
        "schedule": LIN,
        "denoiser": _identity,
    },
    {
        **_TERM_KINDS,
        "t": Array(prob=True, jax_ok=True),
        "denoiser": Callable_(),
    },
    extra=_TERM_EXTRA
    + [("t", "not one per example", {"t": [0.5, 0.5]}, ValueError, "shape")],
)
_STEP = "whole step numbers"
spec(
    "diffusion.step_term",
    DF.step_term,
    {
        "x": X,
        "eps": _EPS,
        "i": np.array([1.0, 2.0, 3.0, 3.0]),
        "schedule": LIN,
        "denoiser": _identity,
        "T": 3,
    },
    {**_TERM_KINDS, "i": Array(jax_ok=True), "denoiser": Callable_(), "T": _T},
    extra=_TERM_EXTRA
    + [
        ("i", "not one per example", {"i": [1.0, 2.0]}, ValueError, "shape"),
        ("i", "step 0", {"i": [0.0, 1.0, 2.0, 3.0]}, ValueError, "domain", _STEP),
        ("i", "above T", {"i": [1.0, 2.0, 3.0, 4.0]}, ValueError, "domain", _STEP),
        ("i", "fractional", {"i": [1.5, 2.0, 3.0, 3.0]}, ValueError, "domain", _STEP),
    ],
)
spec(
    "diffusion.reverse_step_params",
    DF.reverse_step_params,
    {"z_t": [0.5, -0.2], "x_hat": [0.4, 0.0], "gamma_s": -1.0, "gamma_t": 0.5},
    {
        "z_t": Array(empty_ok=True, jax_ok=True),
        "x_hat": Array(empty_ok=True, jax_ok=True),
        "gamma_s": Array(empty_ok=True, jax_ok=True),
        "gamma_t": Array(empty_ok=True, jax_ok=True),
    },
    extra=[
        ("gamma_s", "not below gamma_t", {"gamma_s": 1.0}, ValueError, "domain"),
        (
            "x_hat",
            "does not broadcast",
            {"x_hat": [0.0, 1.0, 2.0]},
            ValueError,
            "shape",
        ),
    ],
)
spec(
    "diffusion.sample",
    DF.sample,
    {
        "key": KEY,
        "n": 3,
        "dim": 2,
        "schedule": LIN,
        "denoiser": _identity,
        "T": 3,
        "decoder": None,
    },
    {
        "key": Key(),
        "n": Int(1),
        "dim": Int(1),
        "schedule": _SCHED,
        "denoiser": Callable_(),
        "T": _T,
        "decoder": Callable_(none_ok=True),
    },
    compare=False,
    alternatives=False,
)
_MU, _S = Real(), Real(positive=True)
_DEC = Choice()
spec(
    "diffusion.gaussian_optimal_denoiser",
    DF.gaussian_optimal_denoiser,
    {"mu": 0.5, "s": 2.0},
    {"mu": _MU, "s": _S},
)
spec(
    "diffusion.gaussian_optimal_decoder",
    DF.gaussian_optimal_decoder,
    {"mu": 0.5, "s": 2.0, "schedule": LIN},
    {"mu": _MU, "s": _S, "schedule": _SCHED},
)
spec(
    "diffusion.gaussian_diffusion_term",
    DF.gaussian_diffusion_term,
    {"s": 2.0, "schedule": LIN, "T": 5},
    {"s": _S, "schedule": _SCHED, "T": Int(1, none_ok=True)},
)
for _f in ("gaussian_prior_term", "gaussian_terminal_kl"):
    spec(
        f"diffusion.{_f}",
        getattr(DF, _f),
        {"mu": 0.5, "s": 2.0, "schedule": LIN},
        {"mu": _MU, "s": _S, "schedule": _SCHED},
    )
spec(
    "diffusion.gaussian_reconstruction_term",
    DF.gaussian_reconstruction_term,
    {"mu": 0.5, "s": 2.0, "schedule": LIN, "decoder": "optimal"},
    {"mu": _MU, "s": _S, "schedule": _SCHED, "decoder": _DEC},
)
spec(
    "diffusion.gaussian_bound",
    DF.gaussian_bound,
    {"mu": 0.5, "s": 2.0, "schedule": LIN, "T": 4, "decoder": "optimal", "dim": 3},
    {
        "mu": _MU,
        "s": _S,
        "schedule": _SCHED,
        "T": Int(1, none_ok=True),
        "decoder": _DEC,
        "dim": Int(1),
    },
)
spec("diffusion.gaussian_entropy", DF.gaussian_entropy, {"s": 2.0}, {"s": _S})
spec(
    "diffusion.gaussian_bound_pointwise",
    DF.gaussian_bound_pointwise,
    {
        "x": [0.0, 1.0, 2.0],
        "mu": 0.5,
        "s": 2.0,
        "schedule": LIN,
        "T": 4,
        "decoder": "optimal",
    },
    {
        "x": Array(empty_ok=True),
        "mu": _MU,
        "s": _S,
        "schedule": _SCHED,
        "T": _T,
        "decoder": _DEC,
    },
    extra=[("x", "2-D", {"x": np.ones((2, 2))}, ValueError, "shape")],
)
for _f in ("gaussian_model_marginal", "gaussian_model_cross_entropy"):
    spec(
        f"diffusion.{_f}",
        getattr(DF, _f),
        {"mu": 0.5, "s": 2.0, "schedule": LIN, "T": 4, "decoder": "rescaled"},
        {"mu": _MU, "s": _S, "schedule": _SCHED, "T": _T, "decoder": _DEC},
    )
spec(
    "diffusion.gaussian_model_nll",
    DF.gaussian_model_nll,
    {
        "x": [0.0, 1.0],
        "mu": 0.5,
        "s": 2.0,
        "schedule": LIN,
        "T": 4,
        "decoder": "optimal",
    },
    {
        "x": Array(empty_ok=True),
        "mu": _MU,
        "s": _S,
        "schedule": _SCHED,
        "T": _T,
        "decoder": _DEC,
    },
    extra=[("x", "2-D", {"x": np.ones((2, 2))}, ValueError, "shape")],
)
_RING, _SCALE = DF.ring_mixture_params(4, 1.0, 0.1)
spec(
    "diffusion.ring_mixture_params",
    DF.ring_mixture_params,
    {"k": 4, "radius": 2.0, "scale": 0.1},
    {"k": Int(1), "radius": _B, "scale": _B},
)
spec(
    "diffusion.ring_mixture_sample",
    DF.ring_mixture_sample,
    {"key": KEY, "n": 5, "means": _RING, "scale": 0.1},
    {"key": Key(), "n": Int(1), "means": Array(empty_ok=True), "scale": _B},
    extra=[
        ("means", "1-D", {"means": np.ones(3)}, ValueError, "shape"),
        ("means", "empty", {"means": np.array([])}, ValueError, "shape"),
    ],
    compare=False,
    alternatives=False,
)
spec(
    "diffusion.ring_mixture_log_density",
    DF.ring_mixture_log_density,
    {"x": X, "means": _RING, "scale": 0.1},
    {"x": Array(empty_ok=True), "means": Array(empty_ok=True), "scale": _B},
    extra=[
        ("x", "wrong d", {"x": np.ones((3, 3))}, ValueError, "shape"),
        ("x", "empty", {"x": np.array([])}, ValueError, "shape"),
        ("means", "1-D", {"means": np.ones(3)}, ValueError, "shape"),
        ("means", "empty", {"means": np.array([])}, ValueError, "shape"),
    ],
)
spec(
    "diffusion.mlp_init",
    DF.mlp_init,
    {"key": KEY, "dim": 2, "hidden": 8, "depth": 0, "n_freq": 3},
    {"key": Key(), "dim": Int(1), "hidden": Int(1), "depth": Int(0), "n_freq": Int(0)},
    compare=False,
    alternatives=False,
)
_DPARAMS = _mlp(2 + 2 * 2 + 1, 8, 2)  # dim 2, n_freq 2
spec(
    "diffusion.mlp_denoiser",
    DF.mlp_denoiser,
    {"params": _DPARAMS, "schedule": LIN},
    {"params": Layers(), "schedule": _SCHED},
    extra=[
        (
            "params",
            "not a denoiser",
            {"params": _mlp(3, 4, 1)},
            ValueError,
            "domain",
            "n_freq",
        )
    ],
)


def _gauss_data(key, n):
    return jax.random.normal(key, (n, 2))


spec(
    "diffusion.train_denoiser",
    DF.train_denoiser,
    {
        "key": KEY,
        "sample_data": _gauss_data,
        "schedule": LIN,
        "dim": 2,
        "steps": 2,
        "batch": 4,
        "learning_rate": 1e-2,
        "hidden": 4,
        "depth": 1,
    },
    {
        "key": Key(),
        "sample_data": Callable_(),
        "schedule": _SCHED,
        "dim": Int(1),
        "steps": Int(1),
        "batch": Int(1),
        "learning_rate": _B,
        "hidden": Int(1),
        "depth": Int(1),
    },
    run_base=False,
    alternatives=False,  # each call compiles a training loop
)


# --- vae --------------------------------------------------------------------

VA = kn.vae
_LG = {"s2": 1.0, "a": 0.5, "b": 0.8, "v": 0.3, "w": 0.2}
_LG_KINDS = {
    "s2": Array(positive=True, empty_ok=True, jax_ok=True),
    "a": Array(empty_ok=True, jax_ok=True),
    "b": Array(empty_ok=True, jax_ok=True),
    "v": Array(positive=True, empty_ok=True, jax_ok=True),
    "w": Array(positive=True, empty_ok=True, jax_ok=True),
}
_LG_EXTRA = [
    (
        "b",
        "does not broadcast",
        {"a": [0.1, 0.2], "b": [0.1, 0.2, 0.3]},
        ValueError,
        "shape",
    )
]
spec(
    "vae.linear_gaussian_terms",
    VA.linear_gaussian_terms,
    dict(_LG),
    dict(_LG_KINDS),
    extra=_LG_EXTRA,
)
spec(
    "vae.linear_gaussian_posterior",
    VA.linear_gaussian_posterior,
    {"b": 0.8, "w": 0.2},
    {"b": _LG_KINDS["b"], "w": _LG_KINDS["w"]},
    extra=[
        (
            "w",
            "does not broadcast",
            {"b": [0.1, 0.2], "w": [0.1, 0.2, 0.3]},
            ValueError,
            "shape",
        )
    ],
)
spec(
    "vae.beta_vae_objective",
    VA.beta_vae_objective,
    {**_LG, "beta": 2.0},
    {**_LG_KINDS, "beta": Array(positive=True, empty_ok=True, jax_ok=True)},
    extra=_LG_EXTRA
    + [
        (
            "beta",
            "does not broadcast",
            {"a": [0.1, 0.2], "beta": [1.0, 2.0, 3.0]},
            ValueError,
            "shape",
        )
    ],
)
spec(
    "vae.beta_vae_optimum",
    VA.beta_vae_optimum,
    {"s2": 1.0, "w": 0.2, "beta": [0.5, 2.0, 8.0]},
    {
        "s2": _LG_KINDS["s2"],
        "w": _LG_KINDS["w"],
        "beta": Array(positive=True, empty_ok=True, jax_ok=True),
    },
    extra=[("w", "does not broadcast", {"w": [0.1, 0.2]}, ValueError, "shape")],
)
spec(
    "vae.beta_vae_gap",
    VA.beta_vae_gap,
    {"beta": [0.5, 2.0]},
    {"beta": Array(positive=True, empty_ok=True, jax_ok=True)},
)
spec(
    "vae.linear_gaussian_frontier",
    VA.linear_gaussian_frontier,
    {"eigenvalues": [2.0, 1.0, 0.1], "w": 0.2, "beta": [0.5, 2.0]},
    {
        "eigenvalues": Array(vector=True, positive=True),
        "w": _B,
        "beta": Array(positive=True, empty_ok=True),
    },
)
_LGS = {"key": KEY, **_LG, "n": 16}
_LGS_KINDS = {
    "key": Key(),
    "s2": _B,
    "a": Real(),
    "b": Real(),
    "v": _B,
    "w": _B,
    "n": Int(2),
}
spec(
    "vae.linear_gaussian_samples",
    VA.linear_gaussian_samples,
    _LGS,
    _LGS_KINDS,
    compare=False,
    alternatives=False,
)
spec(
    "vae.linear_gaussian_mc",
    VA.linear_gaussian_mc,
    _LGS,
    _LGS_KINDS,
    compare=False,
    alternatives=False,
)


class Init(Kind):
    def bad(self, base):
        return [
            ("three numbers", (0.5, 0.5, 0.5), TypeError, "type"),
            ("nan a", (NAN, 0.5, 0.5, 1.0), ValueError, "nonfinite"),
            ("str b", (0.5, "b", 0.5, 1.0), TypeError, "type"),
            ("zero v", (0.5, 0.5, 0.0, 1.0), ValueError, "negative"),
            ("saddle", (0.0, 0.0, 0.5, 1.0), ValueError, "domain", "saddle"),
        ]


_BETAS = Array(vector=True, positive=True)
spec(
    "vae.fit_linear_beta_vae",
    VA.fit_linear_beta_vae,
    {
        "s2": 1.0,
        "betas": [0.5, 2.0],
        "w": 0.2,
        "steps": 3,
        "learning_rate": 0.05,
        "init": (0.5, 0.5, 0.5, 1.0),
    },
    {
        "s2": _B,
        "betas": _BETAS,
        "w": Real(positive=True, none_ok=True),
        "steps": Int(1),
        "learning_rate": _B,
        "init": Init(),
    },
    run_base=False,
    alternatives=False,  # each call compiles a descent
)
_COV = np.array([[2.0, 0.3], [0.3, 1.0]])
_MAT = {
    "cov": _COV,
    "A": np.eye(2) * 0.5,
    "B": np.eye(2),
    "V": np.eye(2) * 0.3,
    "w": 0.2,
}
spec(
    "vae.linear_vae_terms",
    VA.linear_vae_terms,
    _MAT,
    {
        "cov": Array(jax_ok=True),
        "A": Array(jax_ok=True),
        "B": Array(jax_ok=True),
        "V": Array(jax_ok=True),
        "w": _B,
    },
    extra=[
        ("A", "wrong shape", {"A": np.eye(3)}, ValueError, "shape"),
        ("cov", "not square", {"cov": np.ones((2, 3))}, ValueError, "shape"),
        (
            "V",
            "not positive-definite",
            {"V": -np.eye(2)},
            ValueError,
            "domain",
            "positive-definite",
        ),
    ],
)
spec(
    "vae.fit_linear_vae_matrix",
    VA.fit_linear_vae_matrix,
    {
        "cov": _COV,
        "w": 0.2,
        "betas": [0.5, 2.0],
        "key": KEY,
        "n_starts": 2,
        "steps": 3,
        "learning_rate": 0.01,
    },
    {
        "cov": Array(),
        "w": _B,
        "betas": _BETAS,
        "key": Key(),
        "n_starts": Int(1),
        "steps": Int(1),
        "learning_rate": _B,
    },
    extra=[
        ("cov", "not square", {"cov": np.ones((2, 3))}, ValueError, "shape"),
        (
            "cov",
            "not positive-definite",
            {"cov": -np.eye(2)},
            ValueError,
            "domain",
            "positive-definite",
        ),
    ],
    run_base=False,
    alternatives=False,
)
_MIX = VA.gaussian_mixture([0.3, 0.7], [[0.0, 0.0], [2.0, 1.0]], [0.5, 1.0])
spec(
    "vae.gaussian_mixture",
    VA.gaussian_mixture,
    {"weights": [0.3, 0.7], "means": [[0.0, 0.0], [2.0, 1.0]], "scales": [0.5, 1.0]},
    {"weights": Dist(jax_ok=False), "means": Array(), "scales": Array(positive=True)},
    extra=[
        ("means", "one too few", {"means": [[0.0, 0.0]]}, ValueError, "shape"),
        ("scales", "one too many", {"scales": [0.5, 1.0, 2.0]}, ValueError, "shape"),
    ],
)
_BAD_MIX = VA.GaussianMixture(np.array([0.5, 0.6]), np.zeros((2, 2)), np.ones(2))


class Mixture(Instance):
    def bad(self, base):
        return super().bad(base) + [
            ("unvalidated record", _BAD_MIX, ValueError, "unnormalised")
        ]


spec(
    "vae.mixture_log_density",
    VA.mixture_log_density,
    {"mix": _MIX, "x": [[0.0, 1.0]]},
    {"mix": Mixture(), "x": Array()},
    extra=[("x", "wrong d", {"x": [[0.0, 1.0, 2.0]]}, ValueError, "shape")],
)
spec(
    "vae.mixture_sample",
    VA.mixture_sample,
    {"mix": _MIX, "key": KEY, "n": 4},
    {"mix": Mixture(), "key": Key(), "n": Int(1)},
    compare=False,
    alternatives=False,
)
spec("vae.mixture_moments", VA.mixture_moments, {"mix": _MIX}, {"mix": Mixture()})
spec(
    "vae.mixture_entropy",
    VA.mixture_entropy,
    {"mix": _MIX, "n_grid": 41, "half_width": 8.0},
    {
        "mix": Mixture(),
        "n_grid": Int(3),
        "half_width": Real(positive=True, none_ok=True),
    },
    extra=[
        (
            "mix",
            "3-D",
            {"mix": VA.gaussian_mixture([1.0], [[0.0, 0.0, 0.0]], [1.0])},
            ValueError,
            "domain",
            "2-D|dimension",
        )
    ],
)
spec(
    "vae.vae_init",
    VA.vae_init,
    {"key": KEY, "x_dim": 2, "z_dim": 1, "hidden": 4},
    {"key": Key(), "x_dim": Int(1), "z_dim": Int(1), "hidden": Int(1)},
    compare=False,
)
_VP = {"encoder": _mlp(2, 4, 2), "decoder": _mlp(1, 4, 2)}


class VaeParams(Kind):
    def bad(self, base):
        return [
            ("list", [1, 2], TypeError, "type"),
            ("missing decoder", {"encoder": base["encoder"]}, TypeError, "type"),
            (
                "layers swapped",
                {"encoder": base["decoder"], "decoder": base["encoder"]},
                ValueError,
                "domain",
                "encoder",
            ),
            (
                "bad layer",
                {**base, "decoder": [(jnp.zeros((1, 4)), jnp.zeros(3))]},
                ValueError,
                "shape",
            ),
        ]


spec(
    "vae.vae_terms",
    VA.vae_terms,
    {"params": _VP, "key": KEY, "x": X, "w": 0.1},
    {"params": VaeParams(), "key": Key(), "x": Array(), "w": _B},
    extra=[
        ("x", "wrong d", {"x": np.ones((3, 3))}, ValueError, "shape"),
        ("x", "1-D", {"x": np.ones(2)}, ValueError, "shape"),
    ],
    compare=False,
    alternatives=False,
)


def _mix_data(key, n):
    return jax.random.normal(key, (n, 2))


spec(
    "vae.train_vaes",
    VA.train_vaes,
    {
        "key": KEY,
        "sample_data": _mix_data,
        "betas": [1.0, 2.0],
        "w": 0.1,
        "steps": 2,
        "batch": 4,
        "learning_rate": 1e-3,
        "hidden": 4,
        "z_dim": 1,
    },
    {
        "key": Key(),
        "sample_data": Callable_(),
        "betas": _BETAS,
        "w": _B,
        "steps": Int(1),
        "batch": Int(2),
        "learning_rate": _B,
        "hidden": Int(1),
        "z_dim": Int(1),
    },
    run_base=False,
    alternatives=False,
)
_VPS = jax.tree_util.tree_map(lambda a: jnp.stack([a, a]), _VP)
spec(
    "vae.vae_rate_distortion",
    VA.vae_rate_distortion,
    {"params": _VPS, "key": KEY, "x": X, "w": 0.1},
    {"params": VaeParams(), "key": Key(), "x": Array(), "w": _B},
    extra=[
        ("x", "one example", {"x": X[:1]}, ValueError, "empty"),
        ("params", "no model axis", {"params": _VP}, ValueError, "shape"),
    ],
    compare=False,
    alternatives=False,
)
# the functions of stacked models (a leading model axis): the same parameter,
# key and data checks; x is n examples of the decoder's dimension
_STACKED = {"params": VaeParams(), "key": Key(), "x": Array(), "w": _B}
_STACKED_EXTRA = [
    ("x", "wrong d", {"x": np.ones((3, 3))}, ValueError, "shape"),
    ("x", "1-D", {"x": np.ones(2)}, ValueError, "shape"),
    ("params", "no model axis", {"params": _VP}, ValueError, "shape"),
]
spec(
    "vae.vae_pointwise_terms",
    VA.vae_pointwise_terms,
    {"params": _VPS, "key": KEY, "x": X, "w": 0.1},
    _STACKED,
    extra=_STACKED_EXTRA,
    compare=False,
    alternatives=False,
)


class Ks(Kind):
    """Numbers of importance samples ``ks``: a non-empty 1-D array of ints >= 1."""

    def bad(self, base):
        return [
            ("empty", [], ValueError, "empty"),
            ("zero", [0, 1], ValueError, "domain"),
            ("float", [1.5, 2.0], TypeError, "type"),
            ("bool", [True], TypeError, "type"),
            ("str", "abc", TypeError, "type"),
            ("None", None, TypeError, "type"),
            ("2-D", [[1, 2]], ValueError, "shape"),
            ("scalar", 2, ValueError, "shape"),
        ]

    def ok(self, base):
        return [("ndarray", np.asarray(base)), ("tuple", tuple(base))]


# log weights of 2 models at 4 examples with 2 draws each: the shape vae_iwae
# gives below, so the two share one compiled function
_LW = np.linspace(-3.0, -1.0, 16).reshape(2, 4, 2)
_LM = np.full((2, 4), -2.0)
spec(
    "vae.iwae_terms",
    VA.iwae_terms,
    {"log_weights": _LW, "ks": [1, 2], "log_marginal": _LM},
    {
        "log_weights": Array(jax_ok=True),
        "ks": Ks(),
        "log_marginal": Array(jax_ok=True, none_ok=True),
    },
    extra=[
        ("log_weights", "scalar", {"log_weights": -1.0}, ValueError, "shape"),
        ("ks", "more than the draws", {"ks": [1, 4]}, ValueError, "domain"),
        ("log_marginal", "wrong shape", {"log_marginal": _LM[0]}, ValueError, "shape"),
    ],
)
_LGW = {"key": KEY, **_LG}
_LGW_KINDS = {k: v for k, v in _LGS_KINDS.items() if k != "n"}
spec(
    "vae.linear_gaussian_log_weights",
    VA.linear_gaussian_log_weights,
    {**_LGW, "n": 3, "k": 2},
    {**_LGW_KINDS, "n": Int(1), "k": Int(1)},
    compare=False,
    alternatives=False,
)
spec(
    "vae.linear_gaussian_iwae",
    VA.linear_gaussian_iwae,
    {**_LGW, "n": 4, "ks": [1, 2], "chunk": 2},
    {**_LGW_KINDS, "n": Int(2), "ks": Ks(), "chunk": Int(1)},
    run_base=False,  # a compiled map over chunks (tests/test_vae.py runs it)
    alternatives=False,
)
spec(  # a finite asymptote: 2v - u > 2 s^2 (g - a)^2
    "vae.linear_gaussian_iwae_asymptote",
    VA.linear_gaussian_iwae_asymptote,
    {**_LG, "a": 0.9},
    dict(_LG_KINDS),
    extra=_LG_EXTRA,
)
spec(
    "vae.vae_log_weights",
    VA.vae_log_weights,
    {"params": _VPS, "key": KEY, "x": X, "w": 0.1, "k": 2, "chunk": 8},
    {**_STACKED, "k": Int(1), "chunk": Int(1)},
    extra=_STACKED_EXTRA,
    compare=False,
    alternatives=False,
)
spec(  # k = max(ks) and chunk as for vae_log_weights: one compiled function
    "vae.vae_iwae",
    VA.vae_iwae,
    {
        "params": _VPS,
        "key": KEY,
        "x": X,
        "w": 0.1,
        "ks": [1, 2],
        "log_marginal": _LM,
        "chunk": 8,
    },
    {
        **_STACKED,
        "ks": Ks(),
        "log_marginal": Array(none_ok=True),
        "chunk": Int(1),
    },
    extra=_STACKED_EXTRA
    + [("log_marginal", "one model", {"log_marginal": _LM[:1]}, ValueError, "shape")],
    compare=False,
    alternatives=False,
)
# a coarse grid over the mixture, shared by vae_log_marginal and mixture_vae_kl
# (one compiled quadrature)
_GRID = {"x_step": 1.0, "pad": 3.0}
_QUAD = {"n_grid": 9, "half_width": 4.0}
_GRID_POINTS, _CELL = VA.mixture_grid(_MIX, **_GRID)
_VP3 = jax.tree_util.tree_map(
    lambda a: jnp.stack([a, a]), {"encoder": _mlp(2, 4, 6), "decoder": _mlp(3, 4, 2)}
)
spec(
    "vae.vae_log_marginal",
    VA.vae_log_marginal,
    {"params": _VPS, "x": _GRID_POINTS, "w": 0.1, **_QUAD, "chunk": 2**21},
    {
        "params": VaeParams(),
        "x": Array(),
        "w": _B,
        "n_grid": Int(3),
        "half_width": _B,
        "chunk": Int(1),
    },
    extra=_STACKED_EXTRA
    + [
        (
            "params",
            "3-D latent",
            {"params": _VP3},
            ValueError,
            "domain",
            "dimension 1 or 2",
        )
    ],
)
spec(
    "vae.vae_prior_ratio",
    VA.vae_prior_ratio,
    {
        "params": _VPS,
        "key": KEY,
        "x": X,
        "w": 0.1,
        "log_marginal": _LM,
        "n": 8,
        "chunk": 64,
    },
    {**_STACKED, "log_marginal": Array(), "n": Int(2), "chunk": Int(1)},
    extra=_STACKED_EXTRA
    + [("log_marginal", "one model", {"log_marginal": _LM[:1]}, ValueError, "shape")],
    compare=False,
    alternatives=False,
)
spec(
    "vae.vae_terms_gaussian",
    VA.vae_terms_gaussian,
    {
        "params": _VPS,
        "key": KEY,
        "mean": [0.0, 0.5],
        "cov": _COV,
        "w": 0.1,
        "n": 64,
        "betas": [1.0, 2.0],
    },
    {
        "params": VaeParams(),
        "key": Key(),
        "mean": Array(vector=True),
        "cov": Array(),
        "w": _B,
        "n": Int(64),
        "betas": _BETAS,
    },
    extra=[
        ("params", "no model axis", {"params": _VP}, ValueError, "shape"),
        ("mean", "wrong length", {"mean": [0.0, 0.0, 0.0]}, ValueError, "shape"),
        ("cov", "not square", {"cov": np.ones((2, 3))}, ValueError, "shape"),
        (
            "cov",
            "not symmetric",
            {"cov": [[2.0, 0.3], [0.0, 1.0]]},
            ValueError,
            "domain",
        ),
        (
            "cov",
            "not positive-definite",
            {"cov": -np.eye(2)},
            ValueError,
            "domain",
            "positive-definite",
        ),
        (
            "betas",
            "one too many",
            {"betas": [1.0, 2.0, 3.0]},
            ValueError,
            "domain",
            "one weight per model",
        ),
    ],
    run_base=False,  # a compiled map over models (tests/test_vae.py runs it)
    alternatives=False,
)
_MIX3 = VA.gaussian_mixture([1.0], [[0.0, 0.0, 0.0]], [1.0])
_NOT_2D = ("mix", "3-D", {"mix": _MIX3}, ValueError, "domain", "2-D|dimension")
spec(
    "vae.mixture_grid",
    VA.mixture_grid,
    {"mix": _MIX, **_GRID},
    {"mix": Mixture(), "x_step": _B, "pad": _B},
    extra=[_NOT_2D],
)
spec(  # one point, as for mixture_log_density: one compiled density
    "vae.marginal_gap_on_grid",
    VA.marginal_gap_on_grid,
    {
        "mix": _MIX,
        "points": [[0.0, 1.0]],
        "cell": 1.0,
        "log_marginal": np.full((2, 1), -3.0),
    },
    {"mix": Mixture(), "points": Array(), "cell": _B, "log_marginal": Array()},
    extra=[
        ("points", "wrong d", {"points": np.ones((3, 3))}, ValueError, "shape"),
        ("points", "1-D", {"points": [0.0, 1.0]}, ValueError, "shape"),
        (
            "log_marginal",
            "not one per point",
            {"log_marginal": np.zeros((2, 4))},
            ValueError,
            "shape",
        ),
        ("log_marginal", "1-D", {"log_marginal": np.zeros(3)}, ValueError, "shape"),
    ],
)
spec(
    "vae.mixture_vae_kl",
    VA.mixture_vae_kl,
    {"mix": _MIX, "params": _VPS, "w": 0.1, **_GRID, **_QUAD},
    {
        "mix": Mixture(),
        "params": VaeParams(),
        "w": _B,
        "x_step": _B,
        "pad": _B,
        "n_grid": Int(3),
        "half_width": _B,
    },
    extra=[
        (
            "params",
            "3-D data",
            {
                "params": jax.tree_util.tree_map(
                    lambda a: jnp.stack([a, a]),
                    {"encoder": _mlp(3, 4, 2), "decoder": _mlp(1, 4, 3)},
                )
            },
            ValueError,
            "domain",
            "dimension",
        ),
        ("params", "no model axis", {"params": _VP}, ValueError, "shape"),
    ],
)


# --- measures ---------------------------------------------------------------

MS = kn.measures
HALF = sp.Rational(1, 2)
UNI = MS.uniform()
PRIOR = HALF * MS.point_mass(HALF) + HALF * UNI


@dataclass
class Measure_(Kind):
    """A klnotes Measure (normalised when ``normalised``)."""

    normalised: bool = False

    def bad(self, base):
        out = [
            ("float", 0.5, TypeError, "type"),
            ("sympy expression", sp.Symbol("theta"), TypeError, "type"),
            ("None", None, TypeError, "type"),
        ]
        if self.normalised:
            out.append(("unnormalised", 2 * UNI, ValueError, "unnormalised"))
        return out


_LOC = Exact(nonnegative=True, rational=True)
_COUNT = Int(0)
spec(
    "measures.Measure",
    MS.Measure,
    {"atoms": (MS.Atom(HALF, HALF),), "kernels": (MS.BetaKernel(HALF, 0, 0),)},
    extra=[
        ("atoms", "list", {"atoms": [MS.Atom(HALF, HALF)]}, TypeError, "type"),
        (
            "atoms",
            "a kernel",
            {"atoms": (MS.BetaKernel(HALF, 0, 0),)},
            TypeError,
            "type",
        ),
        ("kernels", "an atom", {"kernels": (MS.Atom(HALF, HALF),)}, TypeError, "type"),
        (
            "location",
            "float location",
            {"atoms": (MS.Atom(0.5, HALF),)},
            TypeError,
            "type",
        ),
        (
            "location",
            "outside [0, 1]",
            {"atoms": (MS.Atom(sp.Rational(3, 2), HALF),)},
            ValueError,
            "domain",
        ),
        (
            "weight",
            "negative weight",
            {"atoms": (MS.Atom(HALF, -HALF),)},
            ValueError,
            "negative",
        ),
        (
            "weight",
            "nan weight",
            {"atoms": (MS.Atom(HALF, sp.nan),)},
            ValueError,
            "nonfinite",
        ),
        (
            "exponent",
            "not integrable",
            {"kernels": (MS.BetaKernel(HALF, -1, 0),)},
            ValueError,
            "domain",
        ),
        (
            "coefficient",
            "float coefficient",
            {"kernels": (MS.BetaKernel(0.5, 0, 0),)},
            TypeError,
            "type",
        ),
    ],
)
spec(
    "measures.point_mass",
    MS.point_mass,
    {"location": HALF, "weight": HALF},
    {"location": _LOC, "weight": Exact()},
    extra=[
        ("location", "outside [0, 1]", {"location": 2}, ValueError, "domain"),
    ],
)
spec(
    "measures.beta_kernel",
    MS.beta_kernel,
    {"a": 1, "b": HALF, "coefficient": 3},
    {
        "a": Exact(nonnegative=False, rational=True),
        "b": Exact(nonnegative=False, rational=True),
        "coefficient": Exact(),
    },
    extra=[("a", "not integrable", {"a": -1}, ValueError, "domain")],
)
spec(
    "measures.beta",
    MS.beta,
    {"alpha": 2, "beta_": 3},
    {
        "alpha": Exact(nonnegative=False, rational=True),
        "beta_": Exact(nonnegative=False, rational=True),
    },
    extra=[
        ("alpha", "zero", {"alpha": 0}, ValueError, "negative"),
        ("beta_", "negative", {"beta_": -1}, ValueError, "negative"),
    ],
)
for _f in ("total_mass", "normalise", "discrete_part", "continuous_part", "components"):
    spec(f"measures.{_f}", getattr(MS, _f), {"m": PRIOR}, {"m": Measure_()})
SPECS[-4].extra.append(
    ("m", "zero mass", {"m": MS.Measure()}, ValueError, "domain", "zero total mass")
)
spec(
    "measures.mass_at",
    MS.mass_at,
    {"m": PRIOR, "location": HALF},
    {"m": Measure_(), "location": _LOC},
)
_THETA = sp.Symbol("theta")
for _f in ("density_expr", "as_expr"):
    spec(
        f"measures.{_f}",
        getattr(MS, _f),
        {"m": PRIOR, "theta": _THETA},
        {"m": Measure_()},
        extra=[
            ("theta", "str", {"theta": "theta"}, TypeError, "type"),
            ("theta", "expression", {"theta": _THETA + 1}, TypeError, "type"),
        ],
    )
spec(
    "measures.density",
    MS.density,
    {"m": PRIOR, "grid": [0.0, 0.25, 1.0]},
    {"m": Measure_(), "grid": Array(prob=True, empty_ok=True)},
)
for _f in ("multiply_likelihood", "divide_likelihood"):
    spec(
        f"measures.{_f}",
        getattr(MS, _f),
        {"m": MS.beta(3, 4), "heads": 1, "tails": 2},
        {"m": Measure_(), "heads": _COUNT, "tails": _COUNT},
    )
SPECS[-1].extra.append(
    (
        "m",
        "mass where the likelihood is zero",
        {"m": MS.point_mass(0), "heads": 1},
        ValueError,
        "domain",
        "likelihood",
    )
)
spec(
    "measures.marginal_likelihood",
    MS.marginal_likelihood,
    {"prior": PRIOR, "heads": 2, "tails": 1, "binomial": False},
    {
        "prior": Measure_(normalised=True),
        "heads": _COUNT,
        "tails": _COUNT,
        "binomial": Bool(),
    },
)
spec(
    "measures.posterior",
    MS.posterior,
    {"prior": PRIOR, "heads": 2, "tails": 1},
    {"prior": Measure_(normalised=True), "heads": _COUNT, "tails": _COUNT},
    extra=[
        (
            "prior",
            "impossible data",
            {"prior": MS.point_mass(1)},
            ValueError,
            "domain",
            "probability zero",
        )
    ],
)
spec(
    "measures.implied_prior",
    MS.implied_prior,
    {"imaginary_posterior": MS.beta(4, 3), "heads": 2, "tails": 1},
    {
        "imaginary_posterior": Measure_(normalised=True),
        "heads": _COUNT,
        "tails": _COUNT,
    },
    extra=[
        (
            "imaginary_posterior",
            "improper",
            {"imaginary_posterior": UNI},
            ValueError,
            "domain",
            "improper",
        ),
        (
            "outside",
            "a mass where the data are possible",
            {"heads": 1, "tails": 1, "outside": HALF * MS.point_mass(HALF)},
            ValueError,
            "domain",
            "possible",
        ),
        (
            "outside",
            "a density",
            {"heads": 1, "tails": 1, "outside": HALF * UNI},
            ValueError,
            "domain",
            "point masses only",
        ),
        (
            "outside",
            "weight 1",
            {"heads": 1, "tails": 0, "outside": MS.point_mass(sp.Integer(0))},
            ValueError,
            "domain",
            "below 1",
        ),
        ("outside", "str", {"outside": "q"}, TypeError, "type", "Measure"),
    ],
)
spec(
    "measures.unidentified_points",
    MS.unidentified_points,
    {"heads": 3, "tails": 0},
    {"heads": _COUNT, "tails": _COUNT},
)
spec(
    "measures.restrict",
    MS.restrict,
    {"m": PRIOR, "exclude": (HALF,)},
    {"m": Measure_()},
    extra=[
        ("exclude", "int", {"exclude": 0}, TypeError, "type"),
        (
            "exclude",
            "a float location",
            {"exclude": (0.5,)},
            TypeError,
            "type",
            "exact|Rational|float|must",
        ),
        (
            "exclude",
            "outside [0, 1]",
            {"exclude": (sp.Rational(3, 2),)},
            ValueError,
            "domain",
            r"must hold locations in \[0, 1\]",
        ),
    ],
)
spec(
    "measures.combined_implied_prior",
    MS.combined_implied_prior,
    {"results": [(MS.beta(4, 3), 2, 1), (MS.beta(3, 4), 1, 2)]},
    extra=[
        ("results", "empty", {"results": []}, ValueError, "empty"),
        ("results", "str", {"results": "q"}, TypeError, "type"),
        (
            "results",
            "a pair",
            {"results": [(MS.beta(4, 3), 2)]},
            TypeError,
            "type",
            r"results\[0\]",
        ),
        (
            "results",
            "negative heads",
            {"results": [(MS.beta(4, 3), -1, 1)]},
            ValueError,
            "negative",
            "heads",
        ),
        (
            "results",
            "float tails",
            {"results": [(MS.beta(4, 3), 2, 1.0)]},
            TypeError,
            "type",
            "tails",
        ),
    ],
)
spec(
    "measures.moment",
    MS.moment,
    {"m": PRIOR, "k": 2},
    {"m": Measure_(normalised=True), "k": _COUNT},
)
for _f in ("mean", "variance"):
    spec(
        f"measures.{_f}",
        getattr(MS, _f),
        {"m": PRIOR},
        {"m": Measure_(normalised=True)},
    )
spec(
    "measures.predictive_pmf",
    MS.predictive_pmf,
    {"m": PRIOR, "n": 3},
    {"m": Measure_(normalised=True), "n": _COUNT},
)
for _f in ("bayes_factor", "bayes_factor_db"):
    spec(
        f"measures.{_f}",
        getattr(MS, _f),
        {"m1": MS.point_mass(HALF), "m2": UNI, "heads": 3, "tails": 2},
        {
            "m1": Measure_(normalised=True),
            "m2": Measure_(normalised=True),
            "heads": _COUNT,
            "tails": _COUNT,
        },
    )
spec(
    "measures.sample",
    MS.sample,
    {"m": PRIOR, "rng": KEY, "n": 5, "return_labels": True},
    {"m": Measure_(normalised=True), "n": Int(1), "return_labels": Bool()},
    extra=[
        ("rng", "int seed", {"rng": 42}, TypeError, "type"),
        ("rng", "batch of keys", {"rng": jax.random.split(KEY, 2)}, TypeError, "type"),
    ],
    compare=False,
)


# --- recipe and graphs ------------------------------------------------------

RE = kn.recipe
PW = RE.World("P", "p(x) p(z|x)", fixed=["p(x)"], observed=["x"])
QW = RE.World("Q", "q(z) q(x|z)")
TABLES = RE.random_tables([PW, QW], {"x": 3, "z": 2}, np.random.default_rng(1))
OBJ = RE.objective(
    PW, QW, {"D": ["q(x|z)"], "R": ["p(z|x)", "q(z)"]}, {"R": sp.Symbol("beta")}
)
BND = RE.bound(PW, QW)


class World_(Instance):
    pass


class Labels(Kind):
    """A sequence of factor labels or variable names."""

    def bad(self, base):
        return [
            ("int", 3, TypeError, "type"),
            ("int entry", [3], TypeError, "type"),
            ("unknown", ["w(u)"], ValueError, "domain"),
        ]


@dataclass
class Tables(Kind):
    """Conditional probability tables keyed by factor label (``missing`` is one that is needed)."""

    missing: str = "q(z)"

    def bad(self, base):
        return [
            ("list", [1, 2], TypeError, "type"),
            (
                "missing",
                {k: v for k, v in base.items() if k != self.missing},
                ValueError,
                "domain",
                "no table",
            ),
            (
                "unnormalised",
                {**base, "q(z)": np.array([0.5, 0.6])},
                ValueError,
                "unnormalised",
            ),
            (
                "negative",
                {**base, "q(z)": np.array([1.5, -0.5])},
                ValueError,
                "negative",
            ),
            ("nan", {**base, "q(z)": np.array([NAN, 1.0])}, ValueError, "nonfinite"),
            (
                "states differ",
                {**base, "q(z)": np.array([0.2, 0.3, 0.5])},
                ValueError,
                "shape",
            ),
            ("axes", {**base, "q(z)": np.ones((2, 2)) / 2}, ValueError, "shape"),
            ("str table", {**base, "q(z)": "0.5 0.5"}, TypeError, "type"),
            (
                "bad label",
                {**base, "q(": np.ones(2) / 2},
                ValueError,
                "domain",
                "parse",
            ),
            ("empty table", {**base, "q(z)": np.zeros(0)}, ValueError, "shape"),
        ]


_WORLD = World_()
spec(
    "recipe.tex_variable",
    RE.tex_variable,
    {"name": "theta"},
    extra=[
        ("name", "int", {"name": 3}, TypeError, "type"),
        ("name", "empty", {"name": ""}, ValueError, "domain"),
    ],
)
spec(
    "recipe.Factor",
    RE.Factor,
    {"dist": "q", "vars": ("y",), "parents": ("x", "theta")},
    extra=[
        ("dist", "int", {"dist": 3}, TypeError, "type"),
        ("dist", "not a name", {"dist": "q q"}, TypeError, "type"),
        ("vars", "a string", {"vars": "xy"}, TypeError, "type"),
        ("vars", "empty", {"vars": ()}, ValueError, "empty"),
        ("parents", "bad name", {"parents": ("1x",)}, TypeError, "type"),
        ("components", "labels", {"components": ("p(x)",)}, TypeError, "type"),
        ("summed", "int", {"summed": 3}, TypeError, "type"),
    ],
)
spec(
    "recipe.parse_factor",
    RE.parse_factor,
    {"label": "q(y|x,theta)"},
    extra=[
        ("label", "int", {"label": 3}, TypeError, "type"),
        ("label", "unparseable", {"label": "p(x"}, ValueError, "domain", "parse"),
        (
            "label",
            "two bars",
            {"label": "p(x|y|z)"},
            ValueError,
            "domain",
            "more than one",
        ),
        (
            "label",
            "conditioned on itself",
            {"label": "p(x|x)"},
            ValueError,
            "domain",
            "itself",
        ),
    ],
)
spec(
    "recipe.World",
    RE.World,
    {"name": "P", "factors": "p(x) p(z|x)", "fixed": ["p(x)"], "observed": ["x"]},
    extra=[
        ("name", "empty", {"name": ""}, TypeError, "type"),
        ("name", "int", {"name": 3}, TypeError, "type"),
        ("factors", "int", {"factors": 3}, TypeError, "type"),
        ("factors", "int entry", {"factors": ["p(x)", 3]}, TypeError, "type"),
        (
            "factors",
            "bad label",
            {"factors": ["p(x)", "p(z|"]},
            ValueError,
            "domain",
            "parse",
        ),
        (
            "factors",
            "unreadable",
            {"factors": "p(x) p(z|x"},
            ValueError,
            "domain",
            "cannot read",
        ),
        ("factors", "empty", {"factors": []}, ValueError, "empty"),
        (
            "factors",
            "two factors for x",
            {"factors": "p(x) p(x|z) p(z)"},
            ValueError,
            "domain",
            "more than one",
        ),
        (
            "factors",
            "missing parent",
            {"factors": "p(x|y) p(z|x)", "fixed": []},
            ValueError,
            "domain",
            "parent",
        ),
        (
            "factors",
            "cycle",
            {"factors": "p(x|z) p(z|x)", "fixed": []},
            ValueError,
            "domain",
            "acyclic",
        ),
        (
            "fixed",
            "not a factor",
            {"fixed": ["p(y)"]},
            ValueError,
            "domain",
            "not one of",
        ),
        ("fixed", "int", {"fixed": 3}, TypeError, "type"),
        ("observed", "not a variable", {"observed": ["y"]}, ValueError, "domain"),
        ("observed", "int entry", {"observed": [3]}, TypeError, "type"),
    ],
)
for _m in ("factor_of", "parents", "children", "ancestors"):
    spec(
        f"recipe.World.{_m}",
        getattr(PW, _m),
        {"var": "z"},
        extra=[
            ("var", "unknown", {"var": "y"}, ValueError, "domain"),
            ("var", "int", {"var": 3}, TypeError, "type"),
        ],
    )
spec(
    "recipe.World.factor",
    PW.factor,
    {"label": "p(z|x)"},
    extra=[
        ("label", "unknown", {"label": "q(z)"}, ValueError, "domain", "no such factor"),
        ("label", "int", {"label": 3}, TypeError, "type"),
        ("label", "unparseable", {"label": "p(z|"}, ValueError, "domain", "parse"),
    ],
)
spec(
    "recipe.marginalise",
    RE.marginalise,
    {"world": QW, "var": "z", "avoid": ["p(x)"]},
    {"world": _WORLD},
    extra=[
        ("var", "unknown", {"var": "y"}, ValueError, "domain"),
        ("var", "int", {"var": 3}, TypeError, "type"),
        (
            "var",
            "in a joint factor",
            {"world": RE.World("Q", "q(x,z)")},
            ValueError,
            "domain",
            "joint factor",
        ),
        ("avoid", "int", {"avoid": 3}, TypeError, "type"),
        ("avoid", "int entry", {"avoid": [3]}, TypeError, "type"),
    ],
)
spec(
    "recipe.Objective.log",
    OBJ.log,
    {"label": "q(z)"},
    extra=[
        ("label", "unknown", {"label": "r(z)"}, ValueError, "domain", "no such factor"),
        ("label", "int", {"label": 3}, TypeError, "type"),
    ],
)
spec("recipe.Objective.latex", OBJ.latex, {"weighted": False}, {"weighted": Bool()})
spec(
    "recipe.Objective.evaluate",
    OBJ.evaluate,
    {"expr": "loss", "tables": TABLES, "weights": {"beta": 2.0}},
    {"tables": Tables()},
    extra=[
        ("expr", "unknown piece", {"expr": "nope"}, ValueError, "domain", "piece"),
        ("expr", "int", {"expr": 3}, TypeError, "type"),
        (
            "expr",
            "not a log of a factor",
            {"expr": sp.Integer(1) + OBJ.pieces["D"]},
            ValueError,
            "domain",
            "logarithm",
        ),
        (
            "weights",
            "missing beta",
            {"weights": None},
            ValueError,
            "domain",
            "give numbers",
        ),
        ("weights", "nan", {"weights": {"beta": NAN}}, ValueError, "nonfinite"),
        ("weights", "str", {"weights": {"beta": "2"}}, TypeError, "type"),
        ("weights", "list", {"weights": [2.0]}, TypeError, "type"),
    ],
)
_PIECES_EXTRA = [
    ("pieces", "int", {"pieces": 3}, TypeError, "type"),
    (
        "pieces",
        "unknown factor",
        {"pieces": {"D": ["q(x|y)"]}},
        ValueError,
        "domain",
        "no factor",
    ),
    (
        "pieces",
        "fixed factor",
        {"pieces": {"D": ["p(x)"]}},
        ValueError,
        "domain",
        "outside our control",
    ),
    (
        "pieces",
        "two pieces",
        {"pieces": {"A": ["q(z)"], "B": ["q(z)"]}},
        ValueError,
        "domain",
        "two pieces",
    ),
    ("pieces", "int label", {"pieces": {"A": [3]}}, TypeError, "type"),
    (
        "pieces",
        "reserved name total",
        {"pieces": {"total": ["q(x|z)"]}},
        ValueError,
        "domain",
        "reserved",
    ),
    (
        "pieces",
        "reserved name loss",
        {"pieces": {"loss": ["q(x|z)"]}},
        ValueError,
        "domain",
        "reserved",
    ),
    (
        "pieces",
        "reserved name constant",
        {"pieces": {"constant": ["q(x|z)"]}},
        ValueError,
        "domain",
        "reserved",
    ),
    ("pieces", "empty name", {"pieces": {"": ["q(x|z)"]}}, ValueError, "empty"),
    (
        "weights",
        "unknown piece",
        {"weights": {"nope": 2}},
        ValueError,
        "domain",
        "unknown piece",
    ),
    ("weights", "nan weight", {"weights": {"R": NAN}}, ValueError, "nonfinite"),
    ("weights", "str weight", {"weights": {"R": "beta"}}, TypeError, "type"),
    ("weights", "infinite weight", {"weights": {"R": sp.oo}}, ValueError, "nonfinite"),
]
spec(
    "recipe.objective",
    RE.objective,
    {
        "P": PW,
        "Q": QW,
        "pieces": {"D": ["q(x|z)"], "R": ["p(z|x)", "q(z)"]},
        "weights": {"R": 2},
    },
    {"P": _WORLD, "Q": _WORLD},
    extra=_PIECES_EXTRA
    + [
        (
            "Q",
            "different variables",
            {"Q": RE.World("Q", "q(z) q(x|z,y) q(y)")},
            ValueError,
            "domain",
            "'y'",
        ),
    ],
)
spec(
    "recipe.bound",
    RE.bound,
    {
        "P": PW,
        "Q": QW,
        "drop": ["z"],
        "pieces": {"D": ["q(x|z)"], "R": ["p(z|x)", "q(z)"]},
        "weights": {"R": 2},
        "marginal_pieces": {"L": ["q(x)"]},
    },
    {"P": _WORLD, "Q": _WORLD},
    extra=_PIECES_EXTRA
    + [
        ("drop", "unknown", {"drop": ["w"]}, ValueError, "domain", "'w'"),
        ("drop", "int", {"drop": 3}, TypeError, "type"),
        ("drop", "int entry", {"drop": [3]}, TypeError, "type"),
        (
            "marginal_pieces",
            "unknown factor",
            {"marginal_pieces": {"L": ["q(z)"]}},
            ValueError,
            "domain",
            "no factor",
        ),
        ("marginal_pieces", "int", {"marginal_pieces": 3}, TypeError, "type"),
        (
            "marginal_pieces",
            "reserved name",
            {"marginal_pieces": {"loss": ["q(x)"]}},
            ValueError,
            "domain",
            "reserved",
        ),
    ],
)
# sums of objectives: CEB-like, two wished-for worlds against one real world
PS = RE.World("P", "p(x) p(y|x) p(z|x)", fixed=["p(x)", "p(y|x)"], observed=["x", "y"])
QB = RE.World("Q_b", "p(x) p(y|x) b(z|y)")
QC = RE.World("Q_c", "p(x) p(z|x) c(y|z)")
SUM_TERMS = {
    "residual": RE.bound(PS, QB, pieces={"R": ["p(z|x)", "b(z|y)"]}),
    "prediction": RE.bound(PS, QC, pieces={"C": ["c(y|z)"]}),
}
SUM = RE.objective_sum(SUM_TERMS, {"prediction": sp.Symbol("gamma")}).joint
SUM_TABLES = RE.random_tables(
    [PS, QB, QC], {"x": 3, "y": 2, "z": 2}, np.random.default_rng(2)
)
spec(
    "recipe.objective_sum",
    RE.objective_sum,
    {"terms": SUM_TERMS, "weights": {"prediction": 2}},
    extra=[
        ("terms", "list", {"terms": list(SUM_TERMS.values())}, TypeError, "type"),
        ("terms", "empty", {"terms": {}}, ValueError, "empty"),
        ("terms", "int key", {"terms": {3: SUM_TERMS["residual"]}}, TypeError, "type"),
        (
            "terms",
            "reserved name",
            {"terms": {"total": SUM_TERMS["residual"]}},
            ValueError,
            "domain",
            "reserved",
        ),
        ("terms", "a World", {"terms": {"a": PS}}, TypeError, "type"),
        (
            "terms",
            "mixed kinds",
            {"terms": {"a": SUM_TERMS["residual"], "b": RE.objective(PS, QC)}},
            TypeError,
            "type",
            "all Objective or all Bound",
        ),
        (
            "terms",
            "other real world",
            {"terms": {"a": SUM_TERMS["residual"], "b": BND}, "weights": None},
            ValueError,
            "domain",
            "one P",
        ),
        (
            "terms",
            "a piece name twice",
            {
                "terms": {
                    "a": SUM_TERMS["residual"],
                    "b": RE.bound(PS, QC, pieces={"R": ["c(y|z)"]}),
                },
                "weights": None,
            },
            ValueError,
            "domain",
            "different names",
        ),
        (
            "weights",
            "unknown term",
            {"weights": {"nope": 2}},
            ValueError,
            "domain",
            "unknown term",
        ),
        (
            "weights",
            "negative",
            {"weights": {"prediction": -1}},
            ValueError,
            "negative",
        ),
        ("weights", "nan", {"weights": {"prediction": NAN}}, ValueError, "nonfinite"),
        ("weights", "str", {"weights": {"prediction": "2"}}, TypeError, "type"),
        ("weights", "list", {"weights": [2]}, TypeError, "type"),
        (
            "weights",
            "infinite",
            {"weights": {"prediction": sp.oo}},
            ValueError,
            "nonfinite",
        ),
    ],
)
spec("recipe.ObjectiveSum.latex", SUM.latex, {"weighted": False}, {"weighted": Bool()})
spec(
    "recipe.ObjectiveSum.evaluate",
    SUM.evaluate,
    {"expr": "loss", "tables": SUM_TABLES, "weights": {"gamma": 2.0}},
    extra=[
        ("expr", "unknown piece", {"expr": "nope"}, ValueError, "domain", "piece"),
        ("expr", "int", {"expr": 3}, TypeError, "type"),
        (
            "expr",
            "not a log of a factor",
            {"expr": sp.Integer(1) + SUM.pieces["C"]},
            ValueError,
            "domain",
            "logarithm",
        ),
        (
            "weights",
            "missing gamma",
            {"weights": None},
            ValueError,
            "domain",
            "give numbers",
        ),
        ("weights", "nan", {"weights": {"gamma": NAN}}, ValueError, "nonfinite"),
        ("weights", "list", {"weights": [2.0]}, TypeError, "type"),
        ("tables", "list", {"tables": [1, 2]}, TypeError, "type"),
        (
            "tables",
            "missing",
            {"tables": {k: v for k, v in SUM_TABLES.items() if k != "c(y|z)"}},
            ValueError,
            "domain",
            "no table",
        ),
        (
            "tables",
            "unnormalised",
            {"tables": {**SUM_TABLES, "c(y|z)": np.full((2, 2), 0.6)}},
            ValueError,
            "unnormalised",
        ),
    ],
)
spec(
    "recipe.joint_table",
    RE.joint_table,
    {"world": PW, "tables": TABLES, "sizes": {"x": 3, "z": 2}},
    {"world": _WORLD, "tables": Tables(missing="p(x)")},
    extra=[("sizes", "list", {"sizes": [3, 2]}, TypeError, "type")],
)
spec(
    "recipe.joint_kl",
    RE.joint_kl,
    {"P": PW, "Q": QW, "tables": TABLES},
    {"P": _WORLD, "Q": _WORLD, "tables": Tables()},
)
spec(
    "recipe.marginal_kl",
    RE.marginal_kl,
    {"P": PW, "Q": QW, "tables": TABLES, "keep": ["x"]},
    {"P": _WORLD, "Q": _WORLD, "tables": Tables()},
    extra=[
        ("keep", "unknown", {"keep": ["w"]}, ValueError, "domain", "'w'"),
        ("keep", "int", {"keep": 3}, TypeError, "type"),
        ("keep", "int entry", {"keep": [3]}, TypeError, "type"),
    ],
)
spec(
    "recipe.random_tables",
    RE.random_tables,
    {
        "worlds": [PW, QW],
        "sizes": {"x": 3, "z": 2},
        "rng": np.random.default_rng(0),
        "concentration": 2.0,
    },
    {"rng": Generator(), "concentration": _B},
    extra=[
        ("worlds", "a World", {"worlds": PW}, TypeError, "type"),
        ("worlds", "str entry", {"worlds": ["P"]}, TypeError, "type"),
        ("worlds", "empty", {"worlds": []}, ValueError, "empty"),
        ("sizes", "list", {"sizes": [3, 2]}, TypeError, "type"),
        ("sizes", "missing z", {"sizes": {"x": 3}}, ValueError, "domain", "'z'"),
        ("sizes", "zero states", {"sizes": {"x": 3, "z": 0}}, ValueError, "domain"),
        ("sizes", "float states", {"sizes": {"x": 3, "z": 2.5}}, ValueError, "domain"),
    ],
    compare=False,
)
# --- style ------------------------------------------------------------------


@dataclass
class Svg(Kind):
    """The text of an SVG document."""

    def bad(self, base):
        return [
            ("int", 3, TypeError, "type"),
            ("None", None, TypeError, "type"),
            ("bytes", b"<svg/>", TypeError, "type"),
            ("not svg", "<html></html>", ValueError, "domain"),
        ]


_SVG = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="100pt" height="50pt">'
    "<!-- matplotlib.org -->"
    '<path style="fill: #000000"/></svg>'
)
spec(
    "style.dark_color",
    kn.style.dark_color,
    {"hexcode": "#1f5fa8"},
    {"hexcode": Choice()},
    extra=[("hexcode", "three digits", {"hexcode": "#fff"}, ValueError, "domain")],
)
for _f in ("dark_svg", "svg_width_pt", "svg_text_sizes"):
    spec(f"style.{_f}", getattr(kn.style, _f), {"svg": _SVG}, {"svg": Svg()})
spec(
    "style.is_matplotlib_svg",
    kn.style.is_matplotlib_svg,
    {"svg": _SVG},
    extra=[
        ("svg", "int", {"svg": 3}, TypeError, "type"),
        ("svg", "None", {"svg": None}, TypeError, "type"),
    ],
)


VALID_EXTRA: list[Valid] = [
    Valid(
        "recipe.random_tables",
        "sizes as np.int64",
        lambda: RE.random_tables(
            [PW], {"x": np.int64(3), "z": np.int64(2)}, np.random.default_rng(0)
        ),
    ),
]

GR = kn.graphs
spec("graphs.default_layout", GR.default_layout, {"world": PW}, {"world": _WORLD})
spec(
    "graphs.draw_objective",
    GR.draw_objective,
    {
        "objective": SUM,
        "layout": {"x": (0.0, 1.0), "y": (1.0, 1.0), "z": (0.5, 0.0)},
        "title": "CEB",
        "gap": 1.0,
        "dpi": 40,
    },
    {"objective": _WORLD, "gap": Real(nonnegative=True), "dpi": Int(1)},
    extra=[
        ("objective", "a World", {"objective": PS}, TypeError, "type"),
        (
            "layout",
            "missing z",
            {"layout": {"x": (0, 1), "y": (1, 1)}},
            ValueError,
            "domain",
            "'z'",
        ),
        ("layout", "list", {"layout": [(0, 0), (0, 1)]}, TypeError, "type"),
        (
            "layout",
            "nan position",
            {"layout": {"x": (0, 1), "y": (1, 1), "z": (NAN, 0.0)}},
            ValueError,
            "nonfinite",
        ),
        ("title", "int", {"title": 3}, TypeError, "type"),
    ],
)
spec(
    "graphs.draw_worlds",
    GR.draw_worlds,
    {
        "P": PW,
        "Q": QW,
        "layout": {"x": (0.0, 0.0), "z": (0.0, 1.0)},
        "title": "VAE",
        "gap": 1.0,
        "dpi": 40,
    },
    {"P": _WORLD, "Q": _WORLD, "gap": Real(nonnegative=True), "dpi": Int(1)},
    extra=[
        ("layout", "missing z", {"layout": {"x": (0, 0)}}, ValueError, "domain", "'z'"),
        ("layout", "list", {"layout": [(0, 0), (0, 1)]}, TypeError, "type"),
        (
            "layout",
            "not a pair",
            {"layout": {"x": (0, 0), "z": 1.0}},
            TypeError,
            "type",
        ),
        (
            "layout",
            "nan position",
            {"layout": {"x": (0, 0), "z": (NAN, 1.0)}},
            ValueError,
            "nonfinite",
        ),
        (
            "Q",
            "other variables",
            {"Q": RE.World("Q", "q(x)"), "layout": None},
            ValueError,
            "domain",
            "same variables",
        ),
        ("title", "int", {"title": 3}, TypeError, "type"),
    ],
    compare=False,
)


# --- valid input the review found rejected, and NumPy input to slow functions

_EMPTY = np.array([])


def _is_empty_array(x: Any) -> bool:
    return isinstance(x, np.ndarray) and x.shape == (0,)


VALID_EXTRA += [
    Valid(
        "montecarlo.kl_monte_carlo",
        "n = numpy.int64(10)",
        lambda: M.kl_monte_carlo(KEY, _sample_p, _log_p, _log_q, np.int64(10)),
        check=lambda e: e.n == 10 and type(e.n) is int,
    ),
    Valid(
        "evidence.screening_posterior",
        "a perfect test (sensitivity 1)",
        lambda: EV.screening_posterior(0.01, 1.0, 0.95),
        check=lambda p: p == pytest.approx(0.01 / (0.01 + 0.99 * 0.05), rel=1e-14),
    ),
    Valid(
        "evidence.screening_posterior",
        "a perfect test (specificity 1), negative result",
        lambda: EV.screening_posterior(0.01, 0.9, 1.0, positive=False),
        check=lambda p: p == pytest.approx(0.001 / (0.001 + 0.99), rel=1e-14),
    ),
    Valid(
        "coding.huffman_code",
        "a NumPy array",
        lambda: CO.huffman_code(np.array(DYADIC)),
        check=lambda c: c == {"A": "0", "B": "10", "C": "110", "D": "111"},
    ),
    Valid(
        "divergences.binary_entropy",
        "an empty array",
        lambda: D.binary_entropy(_EMPTY),
        check=_is_empty_array,
    ),
    Valid(
        "divergences.bernoulli_kl",
        "empty arrays",
        lambda: D.bernoulli_kl(_EMPTY, _EMPTY),
        check=_is_empty_array,
    ),
    Valid(
        "divergences.bernoulli_kl",
        "an empty p, scalar q",
        lambda: D.bernoulli_kl([], 0.5),
        check=_is_empty_array,
    ),
    Valid(
        "divergences.kl",
        "an empty batch",
        lambda: D.kl(np.zeros((0, 3)), np.zeros((0, 3))),
        check=_is_empty_array,
    ),
    Valid(
        "montecarlo.Estimate",
        "NumPy fields",
        lambda: M.Estimate(np.float64(1.0), np.float32(0.5), np.int64(10)),
        check=lambda e: (
            (type(e.mean), type(e.stderr), type(e.n)) == (float, float, int)
        ),
    ),
    Valid(
        "thermo.simulate_harmonic",
        "NumPy scalars and arrays",
        lambda: TH.simulate_harmonic(
            jax.random.key(1),
            np.array(_PROTO["stiffness"]),
            np.float64(0.0),
            n_traj=np.int64(8),
            dt=np.float64(0.1),
            kT=np.asarray(1.0),
        ),
        check=lambda sim: sim.work.shape == (8,),
    ),
    Valid(
        "diffusion.sample",
        "NumPy ints and a typed key",
        lambda: DF.sample(
            jax.random.key(1), np.int64(3), np.int64(2), LIN, _identity, np.int64(3)
        ),
        check=lambda x: x.shape == (3, 2),
    ),
    Valid(
        "diffusion.losses_against_steps",
        "Ts as a NumPy array of ints (the same compiled function and losses)",
        lambda: DF.losses_against_steps(X, LIN, _identity, KEY, np.array([1, 3])),
        reference=lambda: DF.losses_against_steps(X, LIN, _identity, KEY, (1, 3)),
    ),
    Valid(
        "diffusion.Schedule",
        "NumPy endpoints give the same, hashable schedule",
        lambda: DF.Schedule("linear", np.float64(-5.0), np.int64(5)),
        check=lambda sch: sch == LIN and hash(sch) == hash(LIN),
    ),
    Valid(
        "erasure.simulate_erasure",
        "NumPy scalars",
        lambda: ER.simulate_erasure(
            KEY,
            np.array([1.0, 3.0]),
            np.float64(0.5),
            np.int64(8),
            beta=np.float64(1.0),
        ),
        check=lambda r: r.heat.shape == (8,),
    ),
]


# ---------------------------------------------------------------------------
# expanding the specs into the table


def _bind(sp_: Spec, overrides: dict[str, Any]) -> Callable[[], Any]:
    args = {**sp_.args, **overrides}
    return lambda: sp_.call(**args)


def _once(call: Callable[[], Any]) -> Callable[[], Any]:
    """``call``, evaluated at most once (the reference result of a spec)."""
    box: list[Any] = []

    def cached() -> Any:
        if not box:
            box.append(call())
        return box[0]

    return cached


def _expand() -> tuple[list[Bad], list[Valid]]:
    """Expand the specs into the bad entries and the valid alternatives.

    The valid alternatives are combined: the k-th valid call gives *every*
    argument its k-th alternative at once (a NumPy scalar for each number, an
    array for each list, ...), so each alternative of each argument is still
    exercised while a JAX function is compiled a few times, not once per
    argument and alternative.
    """
    bad: list[Bad] = []
    valid: list[Valid] = []
    for s in SPECS:
        reference = _once(_bind(s, {}))
        if s.base_ok and s.run_base:
            valid.append(Valid(s.func, "as given", reference))
        rounds: list[dict[str, tuple[str, Any]]] = []
        for arg, kind in s.kinds.items():
            for label, value, exc, cls, *rest in kind.bad(s.args.get(arg)):
                problem = rest[0] if rest else None
                bad.append(
                    Bad(s.func, arg, label, _bind(s, {arg: value}), exc, cls, problem)
                )
            if s.alternatives:
                for k, (label, value) in enumerate(kind.ok(s.args.get(arg))):
                    if k == len(rounds):
                        rounds.append({})
                    rounds[k][arg] = (label, value)
        for k, chosen in enumerate(rounds):
            label = ", ".join(f"{arg} as {lab}" for arg, (lab, _) in chosen.items())
            valid.append(
                Valid(
                    s.func,
                    f"alternatives {k + 1}: {label}",
                    _bind(s, {arg: value for arg, (_, value) in chosen.items()}),
                    reference if s.compare else None,
                )
            )
        for item in s.extra:
            arg, label, overrides, exc, cls, *rest = item
            problem = rest[0] if rest else None
            bad.append(Bad(s.func, arg, label, _bind(s, overrides), exc, cls, problem))
    return bad, valid


BAD, VALID = _expand()
VALID += VALID_EXTRA


# ---------------------------------------------------------------------------
# the tests


def _by_function(entries: list[Any]) -> dict[str, list[Any]]:
    out: dict[str, list[Any]] = {}
    for e in entries:
        out.setdefault(e.func, []).append(e)
    return out


BAD_BY_FUNCTION = _by_function(BAD)
VALID_BY_FUNCTION = _by_function(VALID)


def _bad_entry_failure(entry: Bad) -> str | None:
    """None if ``entry`` raises as its table row says, else what happened."""
    try:
        entry.call()
    except entry.exc as err:
        if re.search(entry.regex, str(err)):
            return None
        return (
            f"{entry.id}: the message must name {entry.name or entry.arg!r} and say"
            f" {entry.problem or PROBLEM[entry.cls]!r}; got {type(err).__name__}: {err}"
        )
    except Exception as err:  # noqa: BLE001 - reported, not swallowed
        return f"{entry.id}: expected {entry.exc.__name__}, got {type(err).__name__}: {err}"
    return f"{entry.id}: no exception (expected {entry.exc.__name__})"


# One test per function (its rows of the table run together, and every
# failing row is reported): a test per row would cost more in pytest overhead
# than the rows themselves.
@pytest.mark.parametrize("func", sorted(BAD_BY_FUNCTION))
def test_bad_input_raises_naming_the_argument(func: str) -> None:
    failures = [f for e in BAD_BY_FUNCTION[func] if (f := _bad_entry_failure(e))]
    assert not failures, "\n".join(failures)


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, (str, Fraction, sp.Basic)):
        return a == b
    if isinstance(
        a, (float, int, np.ndarray, np.generic, jax.Array)
    ) and not isinstance(a, bool):
        a_, b_ = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
        return a_.shape == b_.shape and bool(
            np.allclose(a_, b_, rtol=1e-12, atol=0.0, equal_nan=False)
        )
    if isinstance(a, (tuple, list)):
        return type(a) is type(b) and len(a) == len(b) and all(map(_same, a, b))
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if dataclasses.is_dataclass(a) and not isinstance(a, type):
        return type(a) is type(b) and all(
            _same(getattr(a, f.name), getattr(b, f.name)) for f in dataclasses.fields(a)
        )
    return True  # figures, SymPy objects, callables: success is what is tested


def _valid_entry_failure(entry: Valid) -> str | None:
    try:
        result = entry.call()
    except Exception as err:  # noqa: BLE001 - reported, not swallowed
        return f"{entry.id}: valid input rejected with {type(err).__name__}: {err}"
    if entry.reference is not None and not _same(result, entry.reference()):
        return (
            f"{entry.id}: the result differs from the call with the original argument"
        )
    if entry.check is not None and not entry.check(result):
        return f"{entry.id}: unexpected result {result!r}"
    return None


@pytest.mark.parametrize("func", sorted(VALID_BY_FUNCTION))
def test_valid_input_is_accepted(func: str) -> None:
    failures = [f for e in VALID_BY_FUNCTION[func] if (f := _valid_entry_failure(e))]
    assert not failures, "\n".join(failures)


# ---------------------------------------------------------------------------
# every public function has entries


def public_callables() -> dict[str, Callable[..., Any]]:
    """Every public callable of every klnotes module, by introspection.

    Functions and classes defined in the module (not imported), not starting
    with ``_``, and the public methods of those classes, as ``module.name`` and
    ``module.Class.method``.
    """
    out: dict[str, Callable[..., Any]] = {}
    for info in pkgutil.iter_modules(kn.__path__):
        if info.name.startswith("_") or info.name in LEAD_MODULES:
            continue
        mod = importlib.import_module(f"klnotes.{info.name}")
        for name, obj in vars(mod).items():
            if name.startswith("_") or not callable(obj):
                continue
            if getattr(obj, "__module__", None) != mod.__name__:
                continue
            out[f"{info.name}.{name}"] = obj
            if inspect.isclass(obj):
                for meth, fn in vars(obj).items():
                    if isinstance(fn, (staticmethod, classmethod)):
                        fn = fn.__func__
                    if not meth.startswith("_") and inspect.isfunction(fn):
                        out[f"{info.name}.{name}.{meth}"] = fn
    for name in kn.__all__:
        obj = getattr(kn, name)
        mod = getattr(obj, "__module__", "") or ""
        if callable(obj) and not inspect.ismodule(obj):
            assert mod.startswith("klnotes."), name
    return out


def _takes_arguments(fn: Callable[..., Any]) -> bool:
    try:
        params = inspect.signature(fn).parameters
    except (TypeError, ValueError):  # pragma: no cover - builtins
        return True
    return any(p not in ("self", "cls") for p in params)


#: Result records: NamedTuples and frozen dataclasses that klnotes functions
#: build from inputs they have validated, and that hold no logic of their own.
#: NamedTuples are JAX pytrees, which JAX rebuilds with arbitrary leaves (even
#: tracers and placeholders), so their constructors must not validate. Their
#: public methods that take arguments still need entries.
RECORDS = frozenset(
    {
        "diffusion.TrainResult",
        "erasure.ErasureResult",
        "erasure.TrajectoryHeat",
        "evidence.OddsUpdate",
        "evidence.FirstPassage",
        "evidence.NeymanPearson",
        "evidence.DecibanTable",
        "evidence.WorkedMagnitudes",
        "measures.Atom",  # validated when a Measure is built from it
        "measures.BetaKernel",  # validated when a Measure is built from it
        "recipe.Objective",
        "recipe.ObjectiveSum",
        "recipe.Bound",
        "thermo.Simulation",
        "thermo.MetropolisSimulation",
        "thermo.CrooksFit",
        "vae.LinearGaussianTerms",
        "vae.BetaVAEOptimum",
        "vae.LinearFit",
        "vae.GaussianMixture",  # re-validated by every function that takes one
        "vae.IWAETerms",
        "vae.MarginalGap",
        "vae.GaussianDataTerms",
    }
)


#: Entry points called by a framework, not by readers: Sphinx calls
#: ``setup(app)`` with its application object.
ENTRY_POINTS = frozenset({"style.setup"})


def test_every_public_function_has_entries() -> None:
    public = public_callables()
    covered = {b.func for b in BAD}
    missing = sorted(
        name
        for name, fn in public.items()
        if name not in covered
        and name not in RECORDS
        and name not in ENTRY_POINTS
        and _takes_arguments(fn)
    )
    assert not missing, f"public functions without bad-input entries: {missing}"


def test_records_are_records() -> None:
    public = public_callables()
    for name in RECORDS:
        cls = public[name]
        assert inspect.isclass(cls), name
        assert dataclasses.is_dataclass(cls) or issubclass(cls, tuple), name


def test_every_spec_names_a_public_function_and_covers_its_arguments() -> None:
    """Each argument of each function has entries (or is listed in ``skip``)."""
    public = public_callables()
    covered: dict[str, set[str]] = {}
    for s in SPECS:
        assert s.func in public, f"{s.func} is not a public callable"
        covered.setdefault(s.func, set()).update(
            set(s.kinds) | {e[0] for e in s.extra} | set(s.skip)
        )
    for func, names in covered.items():
        params = [
            p.name
            for p in inspect.signature(public[func]).parameters.values()
            if p.name not in ("self", "cls")
            and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
        ]
        uncovered = [p for p in params if p not in names]
        assert not uncovered, f"{func}: no entries for {uncovered}"

"""Tests for klnotes.recipe: worlds, objectives, bounds and the numeric evaluator."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import sympy as sp

import klnotes as kn
from klnotes import recipe


def sym(label: str) -> sp.Symbol:
    return recipe.parse_factor(label).symbol


# --- parsing and validation -------------------------------------------------


def test_parse_factor():
    f = recipe.parse_factor("q(y|x, theta)")
    assert (f.dist, f.vars, f.parents) == ("q", ("y",), ("x", "theta"))
    assert f.label == "q(y|x,theta)"
    assert f.tex == r"q(y \mid x, \theta)"
    assert recipe.parse_factor("p(x,y)").vars == ("x", "y")


@pytest.mark.parametrize(
    "bad", ["p", "p(|x)", "p(x|y|z)", "p(x|x)", "p(x,x)", "p(1x)", "p((x))"]
)
def test_parse_factor_rejects(bad):
    with pytest.raises(ValueError):
        recipe.parse_factor(bad)


def test_parse_factor_type():
    with pytest.raises(TypeError):
        recipe.parse_factor(3)


def test_tex_variable():
    assert recipe.tex_variable("theta") == r"\theta"
    assert recipe.tex_variable("x3") == "x_{3}"
    assert recipe.tex_variable("D") == "D"


def test_world_structure():
    w = recipe.World("P", "p(x) p(y|x) p(z|x,y)", fixed=["p(x)"], observed=["x"])
    assert w.variables == ("x", "y", "z")
    assert w.children("x") == ("y", "z")
    assert w.ancestors("z") == {"x", "y"}
    assert set(w.edges()) == {("x", "y"), ("x", "z"), ("y", "z")}
    # order is topological even if factors are listed out of order
    assert recipe.World("Q", "q(x|z) q(z)").variables == ("z", "x")


@pytest.mark.parametrize(
    "factors, name",
    [
        ("p(x) p(x|z) p(z)", "'x'"),
        ("p(x|y) p(z|x)", "'y'"),
        ("p(x|z) p(z|x)", "acyclic"),
        ("p(a|c) p(b|a) p(c|b) p(d)", "acyclic"),
    ],
)
def test_world_rejects(factors, name):
    with pytest.raises(ValueError, match=name):
        recipe.World("W", factors)


def test_world_rejects_bad_fixed_and_observed():
    with pytest.raises(ValueError, match="fixed factor"):
        recipe.World("W", "p(x)", fixed=["p(y)"])
    with pytest.raises(ValueError, match="observed variable 'y'"):
        recipe.World("W", "p(x)", observed=["y"])
    with pytest.raises(TypeError):
        recipe.World("", "p(x)")
    with pytest.raises(ValueError, match="no factors"):
        recipe.World("W", [])
    with pytest.raises(ValueError, match="cannot read"):
        recipe.World("W", "p(x) p(z|x")


# --- the objective ---------------------------------------------------------------


@pytest.fixture
def vae():
    P = recipe.World("P", "p(x) p(z|x)", fixed=["p(x)"], observed=["x"])
    Q = recipe.World("Q", "q(z) q(x|z)")
    return P, Q


def test_objective_vae(vae):
    P, Q = vae
    beta = sp.Symbol("beta", positive=True)
    obj = recipe.objective(
        P, Q, {"D": ["q(x|z)"], "R": ["p(z|x)", "q(z)"]}, {"R": beta}
    )
    assert obj.cancelled == ()
    assert obj.constant_factors == ("p(x)",)
    assert sp.expand(obj.constant - sp.log(sym("p(x)"))) == 0
    assert sp.expand(obj.pieces["D"] + sp.log(sym("q(x|z)"))) == 0
    kn.check_symbolic(
        "loss",
        obj.loss,
        -sp.log(sym("q(x|z)")) + beta * sp.log(sym("p(z|x)") / sym("q(z)")),
    )
    kn.check_symbolic("total", obj.total, obj.integrand)
    assert "underbrace" in obj.latex()


def test_objective_cancels_shared_factor():
    P = recipe.World("P", "p(x) p(y|x)", fixed=["p(x)", "p(y|x)"])
    Q = recipe.World("Q", "p(x) q(y|x)")
    obj = recipe.objective(P, Q)
    assert obj.cancelled == ("p(x)",)
    assert sp.log(sym("p(x)")) not in sp.Add.make_args(sp.expand(obj.integrand))
    kn.check_symbolic("supervised", obj.total, sp.log(sym("p(y|x)") / sym("q(y|x)")))
    assert list(obj.pieces) == ["-log q(y|x)"]


def test_objective_false_claim_fails(vae):
    obj = recipe.objective(*vae)
    with pytest.raises(kn.SymbolicCheckFailed):
        kn.check_symbolic("wrong", obj.total, sp.log(sym("p(x)") / sym("q(x|z)")))


def test_fixed_factor_with_learned_ancestor_is_not_constant():
    P = recipe.World("P", "p(z) p(x|z)", fixed=["p(x|z)"])
    Q = recipe.World("Q", "q(z) q(x|z)")
    obj = recipe.objective(P, Q)
    assert obj.constant == 0


def test_objective_rejects(vae):
    P, Q = vae
    with pytest.raises(ValueError, match="'y'"):
        recipe.objective(P, recipe.World("Q", "q(z) q(x|z,y) q(y)"))
    with pytest.raises(ValueError, match="no factor"):
        recipe.objective(P, Q, {"D": ["q(x|y)"]})
    with pytest.raises(ValueError, match="outside our control"):
        recipe.objective(P, Q, {"D": ["p(x)"]})
    with pytest.raises(ValueError, match="two pieces"):
        recipe.objective(P, Q, {"A": ["q(z)"], "B": ["q(z)"]})
    with pytest.raises(ValueError, match="unknown piece"):
        recipe.objective(P, Q, weights={"nope": 2})
    with pytest.raises(TypeError):
        recipe.objective("P", Q)
    P2 = recipe.World("P", "p(x) p(y|x)")
    with pytest.raises(ValueError, match="cancels"):
        recipe.objective(P2, recipe.World("Q", "p(x) q(y|x)"), {"A": ["p(x)"]})


# --- marginalising and bounds -----------------------------------------------------


def test_marginalise_leaf_and_parent(vae):
    P, Q = vae
    assert [f.label for f in recipe.marginalise(P, "z").factors] == ["p(x)"]
    m = recipe.marginalise(Q, "z")
    assert [f.label for f in m.factors] == ["q(x)"]
    assert m.factors[0].summed == "z"
    w = recipe.World("Q", "q(theta) q(D|theta) q(x|theta)")
    assert [f.label for f in recipe.marginalise(w, "theta").factors] == ["q(D,x)"]


def test_bound_labels():
    P = recipe.World(
        "P", "p(x) p(y|x) p(z|x)", fixed=["p(x)", "p(y|x)"], observed=["x", "y"]
    )
    Q = recipe.World("Q", "p(x) q(z) q(y|z)")
    b = recipe.bound(P, Q)
    assert b.dropped == ("z",)
    kn.check_symbolic(
        "VIB bound", b.marginal.total, sp.log(sym("p(y|x)") / sym("q(y)"))
    )
    assert r"\geq" in b.latex()
    with pytest.raises(ValueError, match="'w'"):
        recipe.bound(P, Q, drop=["w"])


def test_bound_supervised_drop_x_labels_do_not_collide():
    P = recipe.World("P", "p(x) p(y|x)", fixed=["p(x)", "p(y|x)"])
    Q = recipe.World("Q", "p(x) q(y|x)")
    b = recipe.bound(P, Q, drop=["x"])
    kn.check_symbolic("labels", b.marginal.total, sp.log(sym("p(y)") / sym("q(y)")))
    t = recipe.random_tables([P, Q], {"x": 3, "y": 4}, np.random.default_rng(4))
    ref = recipe.marginal_kl(P, Q, t, ["y"])
    assert b.marginal.evaluate("total", t) == pytest.approx(ref, rel=1e-12)


# --- numbers --------------------------------------------------------------------

WORLDS = [
    ("p(x) p(z|x)", "q(z) q(x|z)", ["p(x)"], ["x"], {"x": 3, "z": 4}),
    (
        "p(x) p(y|x) p(z|x)",
        "p(x) q(z) q(y|z)",
        ["p(x)", "p(y|x)"],
        ["x", "y"],
        {"x": 3, "y": 2, "z": 3},
    ),
    (
        "p(x) p(y|x) p(theta|x,y) p(z|x,theta)",
        "q(theta) q(z) q(x|z) q(y|z)",
        ["p(x)", "p(y|x)"],
        ["x", "y"],
        {"x": 2, "y": 2, "z": 3, "theta": 2},
    ),
    (
        "p(D) p(x|D) p(theta|D,x)",
        "q(theta) q(D|theta) q(x|theta)",
        ["p(D)"],
        ["D", "x"],
        {"D": 3, "x": 2, "theta": 3},
    ),
]


def _brute_joint(P, Q, tables, sizes):
    """Independent reference: loop over every joint state."""
    order = sorted(P.variables)

    def prob(world, s):
        out = 1.0
        for f in world.factors:
            out *= tables[f.label][tuple(s[v] for v in f.vars + f.parents)]
        return out

    total = 0.0
    for state in itertools.product(*(range(sizes[v]) for v in order)):
        s = dict(zip(order, state, strict=True))
        p, q = prob(P, s), prob(Q, s)
        total += p * np.log(p / q)
    return total


@pytest.mark.parametrize("spec", WORLDS)
def test_numeric_joint_and_marginal(spec):
    pf, qf, fixed, observed, sizes = spec
    P = recipe.World("P", pf, fixed=fixed, observed=observed)
    Q = recipe.World("Q", qf)
    b = recipe.bound(P, Q)
    tables = recipe.random_tables([P, Q], sizes, np.random.default_rng(0))
    joint = recipe.joint_kl(P, Q, tables)
    assert joint == pytest.approx(_brute_joint(P, Q, tables, sizes), rel=1e-12)
    assert b.joint.evaluate("total", tables) == pytest.approx(joint, rel=1e-12)
    kept = [v for v in P.variables if v not in b.dropped]
    marg = recipe.marginal_kl(P, Q, tables, kept)
    assert b.marginal.evaluate("total", tables) == pytest.approx(
        marg, rel=1e-10, abs=1e-14
    )
    assert joint >= marg >= 0


def test_evaluate_pieces_and_weights(vae):
    P, Q = vae
    beta = sp.Symbol("beta", positive=True)
    obj = recipe.objective(
        P, Q, {"D": ["q(x|z)"], "R": ["p(z|x)", "q(z)"]}, {"R": beta}
    )
    t = recipe.random_tables([P, Q], {"x": 3, "z": 2}, np.random.default_rng(1))
    D, R = obj.evaluate("D", t), obj.evaluate("R", t)
    assert obj.evaluate("loss", t, {"beta": 2.5}) == pytest.approx(D + 2.5 * R)
    assert obj.evaluate("constant", t) == pytest.approx(-kn.entropy(t["p(x)"]))
    # rate against an independent formula
    pxz = t["p(x)"][:, None] * t["p(z|x)"].T
    R_ref = np.sum(pxz * np.log(t["p(z|x)"].T / t["q(z)"][None, :]))
    assert R == pytest.approx(R_ref, rel=1e-12)
    with pytest.raises(ValueError, match="beta"):
        obj.evaluate("loss", t)
    with pytest.raises(ValueError, match="piece"):
        obj.evaluate("nope", t)
    with pytest.raises(ValueError, match="not a logarithm"):
        obj.evaluate(sp.Integer(1) + obj.pieces["D"], t)


def test_tables_validated(vae):
    P, Q = vae
    t = recipe.random_tables([P, Q], {"x": 3, "z": 2}, np.random.default_rng(1))
    bad = dict(t, **{"q(z)": np.array([0.5, 0.6])})
    with pytest.raises(ValueError, match="not normalised"):
        recipe.joint_kl(P, Q, bad)
    bad = dict(t, **{"q(z)": np.array([1.5, -0.5])})
    with pytest.raises(ValueError, match="negative"):
        recipe.joint_kl(P, Q, bad)
    bad = dict(t, **{"q(z)": np.array([0.2, 0.3, 0.5])})
    with pytest.raises(ValueError, match="states"):
        recipe.joint_kl(P, Q, bad)
    bad = dict(t, **{"q(z)": np.array([np.nan, 1.0])})
    with pytest.raises(ValueError, match="non-finite"):
        recipe.joint_kl(P, Q, bad)
    missing = {k: v for k, v in t.items() if k != "q(z)"}
    with pytest.raises(ValueError, match="no table"):
        recipe.joint_kl(P, Q, missing)
    with pytest.raises(TypeError):
        recipe.random_tables([P], {"x": 2, "z": 2}, 0)
    with pytest.raises(ValueError, match="'z'"):
        recipe.random_tables([P], {"x": 2}, np.random.default_rng(0))


def test_zero_support_gives_infinite_kl(vae):
    P, Q = vae
    t = recipe.random_tables([P, Q], {"x": 2, "z": 2}, np.random.default_rng(2))
    t["q(z)"] = np.array([1.0, 0.0])
    assert recipe.joint_kl(P, Q, t) == np.inf
    obj = recipe.objective(P, Q)
    assert obj.evaluate("total", t) == np.inf


def test_bound_check_fails_on_false_claim(vae):
    """The chapter's numeric bound check must fail if the claim were reversed."""
    P, Q = vae
    t = recipe.random_tables([P, Q], {"x": 3, "z": 3}, np.random.default_rng(3))
    joint, marg = recipe.joint_kl(P, Q, t), recipe.marginal_kl(P, Q, t, ["x"])
    with pytest.raises(kn.BoundCheckFailed):
        kn.check_bound("reversed", marg - joint, lower=0.0)


# --- reserved names -------------------------------------------------------------


@pytest.mark.parametrize("name", recipe.RESERVED_NAMES)
def test_reserved_piece_names_are_refused(vae, name):
    P, Q = vae
    with pytest.raises(ValueError, match=f"'{name}' is reserved"):
        recipe.objective(P, Q, {name: ["q(x|z)"]})
    with pytest.raises(ValueError, match="marginal_pieces.*reserved"):
        recipe.bound(P, Q, marginal_pieces={name: ["q(x)"]})
    obj = recipe.objective(P, Q)
    with pytest.raises(ValueError, match="terms.*reserved"):
        recipe.objective_sum({name: obj})


def test_empty_piece_name_is_refused(vae):
    with pytest.raises(ValueError, match="empty name"):
        recipe.objective(*vae, {" ": ["q(x|z)"]})


def test_integer_weights_stay_exact(vae):
    obj = recipe.objective(*vae, {"R": ["p(z|x)", "q(z)"]}, {"R": 2})
    assert obj.weights["R"] == 2 and isinstance(obj.weights["R"], sp.Integer)
    kn.check_symbolic("exact weight", obj.loss.coeff(sp.log(sym("q(z)"))), -2)


# --- sums of objectives -----------------------------------------------------------


@pytest.fixture
def ceb():
    """The conditional entropy bottleneck: two wished-for worlds, one real world."""
    P = recipe.World(
        "P", "p(x) p(y|x) p(z|x)", fixed=["p(x)", "p(y|x)"], observed=["x", "y"]
    )
    Qb = recipe.World("Q_b", "p(x) p(y|x) b(z|y)")
    Qc = recipe.World("Q_c", "p(x) p(z|x) c(y|z)")
    gamma = sp.Symbol("gamma", positive=True)
    b = recipe.objective_sum(
        {
            "residual": recipe.bound(P, Qb, pieces={"R": ["p(z|x)", "b(z|y)"]}),
            "prediction": recipe.bound(P, Qc, pieces={"C": ["c(y|z)"]}),
        },
        weights={"prediction": gamma},
    )
    return P, Qb, Qc, gamma, b


def test_ceb_cannot_be_one_pair_of_worlds():
    with pytest.raises(ValueError, match="acyclic"):
        recipe.World("Q", "p(x) b(z|y) c(y|z)")


def test_objective_sum_symbolic(ceb):
    P, Qb, Qc, gamma, b = ceb
    assert isinstance(b.joint, recipe.ObjectiveSum)
    assert b.dropped == ("z",)
    assert list(b.joint.worlds) == ["residual", "prediction"]
    kn.check_symbolic(
        "CEB loss",
        b.joint.loss,
        sp.log(sym("p(z|x)") / sym("b(z|y)")) - gamma * sp.log(sym("c(y|z)")),
    )
    kn.check_symbolic("CEB constant", b.joint.constant, sp.log(sym("p(y|x)")))
    kn.check_symbolic("CEB total", b.joint.total, b.joint.integrand)
    kn.check_symbolic(
        "CEB marginal", b.marginal.total, sp.log(sym("p(y|x)") / sym("c(y|x)"))
    )
    assert b.joint.weights == {"R": 1, "C": gamma}
    assert "gamma" in b.joint.latex() and "gamma" not in b.joint.latex(False)


def test_objective_sum_numbers_against_brute_force(ceb):
    P, Qb, Qc, gamma, b = ceb
    sizes = {"x": 4, "y": 3, "z": 3}
    t = recipe.random_tables([P, Qb, Qc], sizes, np.random.default_rng(5))
    brute = _brute_joint(P, Qb, t, sizes) + _brute_joint(P, Qc, t, sizes)
    assert b.joint.evaluate("total", t) == pytest.approx(brute, rel=1e-12)
    # the loss is the terms' losses with their coefficients
    loss = b.joint.evaluate("loss", t, {"gamma": 2.5})
    parts = [b.joint.terms[k].evaluate("loss", t) for k in ("residual", "prediction")]
    assert loss == pytest.approx(parts[0] + 2.5 * parts[1], rel=1e-12)
    # the marginal: the residual term vanishes, the prediction term is the
    # conditional KL of the labels from the predictive c(y|x) = sum_z p(z|x) c(y|z)
    pred = t["c(y|z)"] @ t["p(z|x)"]  # axes (y, x)
    pxy = t["p(x)"][None, :] * t["p(y|x)"]
    ref = float(np.sum(pxy * np.log(t["p(y|x)"] / pred)))
    assert b.marginal.evaluate("total", t) == pytest.approx(ref, rel=1e-12)
    assert b.joint.evaluate("total", t) >= b.marginal.evaluate("total", t) >= 0
    pxyz = np.einsum("x,yx,zx->xyz", t["p(x)"], t["p(y|x)"], t["p(z|x)"])
    ref_c = -float(np.einsum("xyz,yz->", pxyz, np.log(t["c(y|z)"])))
    assert b.joint.evaluate("C", t) == pytest.approx(ref_c, rel=1e-12)
    with pytest.raises(ValueError, match="gamma"):
        b.joint.evaluate("loss", t)


def test_bound_latex_never_prints_zero_twice(ceb):
    P, Qb, Qc, gamma, b = ceb
    alone = recipe.bound(P, Qb)
    assert alone.marginal.total == 0
    tex = alone.latex()
    assert tex.count(r"\geq") == 1 and tex.endswith("0")
    assert b.latex().count(r"\geq") == 2
    assert "b(z" not in b.latex().split(r"\geq")[1]  # the residual's marginal is 0
    nothing = recipe.bound(
        recipe.World("P", "p(x)", fixed=["p(x)"], observed=["x"]),
        recipe.World("Q", "q(x)"),
    )
    assert nothing.latex().count(r"\geq") == 1


def test_objective_sum_of_objectives(ceb):
    P, Qb, Qc, gamma, _ = ceb
    s = recipe.objective_sum(
        {"a": recipe.objective(P, Qb), "b": recipe.objective(P, Qc)}, {"a": 2}
    )
    assert isinstance(s, recipe.ObjectiveSum)
    assert s.weights["-log b(z|y)"] == 2
    kn.check_symbolic("sum", s.total, s.integrand)


def test_objective_sum_rejects(ceb, vae):
    P, Qb, Qc, gamma, b = ceb
    ob, oc = recipe.objective(P, Qb), recipe.objective(P, Qc)
    with pytest.raises(ValueError, match="empty"):
        recipe.objective_sum({})
    with pytest.raises(TypeError, match="terms must map"):
        recipe.objective_sum([ob, oc])
    with pytest.raises(TypeError, match="all Objective or all Bound"):
        recipe.objective_sum({"a": ob, "b": recipe.bound(P, Qc)})
    with pytest.raises(TypeError, match=r"terms\['a'\] must be"):
        recipe.objective_sum({"a": P})
    with pytest.raises(ValueError, match="one P"):
        recipe.objective_sum({"a": ob, "b": recipe.objective(*vae)})
    shared = recipe.objective_sum({"a": ob, "b": oc}, {"b": gamma})
    assert shared.weights["log p(z|x)"] == 1  # cancelled in Q_c, so only in a
    both = recipe.objective_sum(
        {"a": ob, "b": recipe.objective(P, recipe.World("Q", "p(x) q(z) q(y|z)"))},
        {"b": gamma},
    )
    assert both.weights["log p(z|x)"] == 1 + gamma  # one piece, in both terms
    kn.check_symbolic("merged piece", both.total, ob.total + both.terms["b"].total)
    with pytest.raises(ValueError, match="piece 'R'"):
        recipe.objective_sum(
            {
                "a": recipe.objective(P, Qb, {"R": ["b(z|y)"]}),
                "b": recipe.objective(P, Qc, {"R": ["c(y|z)"]}),
            }
        )
    # summing z out of two worlds makes two different factors labelled c(y|x)
    Qd = recipe.World("Q_d", "p(x) d(z|x) c(y|z)")
    with pytest.raises(ValueError, match="another letter"):
        recipe.objective_sum({"a": recipe.bound(P, Qc), "b": recipe.bound(P, Qd)})
    with pytest.raises(ValueError, match="non-negative"):
        recipe.objective_sum({"a": ob, "b": oc}, {"b": -1})
    with pytest.raises(ValueError, match="non-negative"):
        recipe.objective_sum({"a": ob, "b": oc}, {"b": -gamma})
    with pytest.raises(ValueError, match="unknown term"):
        recipe.objective_sum({"a": ob, "b": oc}, {"c": 1})
    with pytest.raises(ValueError, match="same variables"):
        recipe.objective_sum(
            {"a": recipe.bound(P, Qb), "b": recipe.bound(P, Qc, drop=["x", "z"])}
        )
    with pytest.raises(TypeError, match="itself a sum"):
        recipe.objective_sum({"a": b})


def test_hierarchical_vae_against_brute_force():
    P = recipe.World("P", "p(x) p(z1|x) p(z2|z1)", fixed=["p(x)"], observed=["x"])
    Q = recipe.World("Q", "q(z2) q(z1|z2) q(x|z1)")
    h = recipe.bound(P, Q)
    sizes = {"x": 4, "z1": 3, "z2": 2}
    t = recipe.random_tables([P, Q], sizes, np.random.default_rng(6))
    assert h.joint.evaluate("total", t) == pytest.approx(
        _brute_joint(P, Q, t, sizes), rel=1e-12
    )
    qx = np.einsum("c,bc,ab->a", t["q(z2)"], t["q(z1|z2)"], t["q(x|z1)"])
    assert h.marginal.evaluate("total", t) == pytest.approx(
        float(kn.kl(t["p(x)"], qx)), rel=1e-12
    )

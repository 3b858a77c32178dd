"""Tests for klnotes.graphs: drawing two worlds with daft."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.colors as mcolors  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402

from klnotes import graphs, recipe, style  # noqa: E402


@pytest.fixture
def worlds():
    P = recipe.World(
        "P", "p(x) p(y|x) p(z|x)", fixed=["p(x)", "p(y|x)"], observed=["x", "y"]
    )
    Q = recipe.World("Q", "p(x) q(z) q(y|z)")
    return P, Q


def test_default_layout(worlds):
    P, _ = worlds
    pos = graphs.default_layout(P)
    assert set(pos) == {"x", "y", "z"}
    assert pos["x"][1] > pos["y"][1]  # roots on top


def test_draw_worlds_colours(worlds):
    P, Q = worlds
    fig = graphs.draw_worlds(P, Q, {"x": (0, 1), "y": (1, 1), "z": (0.5, 0)})
    ax = fig.axes[0]
    edge_colours = {mcolors.to_hex(p.get_edgecolor()) for p in ax.patches}
    assert style.P_COLOR in edge_colours and style.Q_COLOR in edge_colours
    labels = [t.get_text() for t in ax.texts]
    assert "$P$" in labels and "$Q$" in labels
    plt.close(fig)


def test_draw_worlds_rejects(worlds):
    P, Q = worlds
    with pytest.raises(ValueError, match="'z'"):
        graphs.draw_worlds(P, Q, {"x": (0, 0), "y": (1, 0)})
    with pytest.raises(ValueError):
        graphs.draw_worlds(P, recipe.World("Q", "q(x)"))
    with pytest.raises(TypeError):
        graphs.draw_worlds(P, "Q")


def test_draw_objective_draws_every_world_of_a_sum(worlds):
    P, Q = worlds
    Qb = recipe.World("Q_b", "p(x) p(y|x) b(z|y)")
    s = recipe.objective_sum({"a": recipe.bound(P, Q), "b": recipe.bound(P, Qb)})
    layout = {"x": (0, 1), "y": (1, 1), "z": (0.5, 0)}
    for obj, names in (
        (s, ["$P$", "$Q$", "$Q_b$"]),
        (s.joint, ["$P$", "$Q$", "$Q_b$"]),
        (recipe.objective(P, Qb), ["$P$", "$Q_b$"]),
    ):
        fig = graphs.draw_objective(obj, layout)
        ax = fig.axes[0]
        labels = [
            t.get_text()
            for t in ax.texts
            if t.get_text().startswith("$Q") or t.get_text() == "$P$"
        ]
        assert labels == names
        colours = {t.get_text(): mcolors.to_hex(t.get_color()) for t in ax.texts}
        assert colours["$P$"] == style.P_COLOR and colours[names[-1]] == style.Q_COLOR
        # three variables per world, one node each
        assert sum(1 for t in ax.texts if t.get_text() == "$z$") == len(names)
        plt.close(fig)
    with pytest.raises(TypeError, match="objective must be"):
        graphs.draw_objective(P)

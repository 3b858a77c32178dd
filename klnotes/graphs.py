r"""Drawing the two worlds of the recipe side by side with daft-pgm.

:func:`draw_worlds` renders the real world :math:`P` (in
:data:`klnotes.style.P_COLOR`) and the wished-for world :math:`Q` (in
:data:`klnotes.style.Q_COLOR`) as directed graphical models in one daft
figure. Observed variables are shaded; a factor of :math:`Q` that is the same
as in :math:`P` (and so cancels from the objective) is drawn in the colour of
:math:`P`. :func:`draw_objective` draws the worlds of an objective, including
a sum of objectives (:class:`klnotes.recipe.ObjectiveSum`): :math:`P` and then
each term's :math:`Q_k`.
"""

from __future__ import annotations

from collections.abc import Mapping

import daft
import matplotlib.figure

from ._validate import real_scalar, require_instance, whole_number
from .recipe import Bound, Objective, ObjectiveSum, World, tex_variable
from .style import GREY, P_COLOR, Q_COLOR

__all__ = ["default_layout", "draw_objective", "draw_worlds"]


def default_layout(world: World) -> dict[str, tuple[float, float]]:
    """Positions by depth in ``world``: roots on top, one row per generation."""
    require_instance(world, World, "world", "a klnotes.recipe.World")
    depth: dict[str, int] = {}
    for v in world.variables:
        pa = world.parents(v)
        depth[v] = 1 + max((depth[u] for u in pa), default=-1)
    rows: dict[int, list[str]] = {}
    for v in world.variables:
        rows.setdefault(depth[v], []).append(v)
    top = max(rows)
    return {
        v: (float(i), float(top - d))
        for d, vs in rows.items()
        for i, v in enumerate(vs)
    }


def draw_worlds(
    P: World,
    Q: World,
    layout: Mapping[str, tuple[float, float]] | None = None,
    *,
    title: str | None = None,
    gap: float = 1.0,
    dpi: int = 120,
) -> matplotlib.figure.Figure:
    """Both worlds side by side as directed graphical models; returns the figure.

    ``layout`` maps each variable to ``(x, y)`` in grid units, used for both
    worlds (default: :func:`default_layout` of ``P``).
    """
    require_instance(P, World, "P", "a klnotes.recipe.World")
    require_instance(Q, World, "Q", "a klnotes.recipe.World")
    if set(P.variables) != set(Q.variables):
        raise ValueError(
            f"P and Q must have the same variables, got {sorted(P.variables)} and"
            f" {sorted(Q.variables)}"
        )
    return _draw(P, [Q], layout, title, gap, dpi)


def draw_objective(
    objective: Objective | ObjectiveSum | Bound,
    layout: Mapping[str, tuple[float, float]] | None = None,
    *,
    title: str | None = None,
    gap: float = 1.0,
    dpi: int = 120,
) -> matplotlib.figure.Figure:
    """The worlds of an objective side by side: :math:`P`, then every :math:`Q`.

    ``objective`` is an :class:`~klnotes.recipe.Objective` (one wished-for
    world), an :class:`~klnotes.recipe.ObjectiveSum` (one per term, in the
    order of its terms) or a :class:`~klnotes.recipe.Bound` (its joint
    objective). ``layout`` is as for :func:`draw_worlds`. A factor of a
    :math:`Q` that is also a factor of :math:`P` is drawn in the colour of
    :math:`P`, since it cancels from that term.
    """
    require_instance(
        objective,
        (Objective, ObjectiveSum, Bound),
        "objective",
        "a klnotes.recipe Objective, ObjectiveSum or Bound",
    )
    obj = objective.joint if isinstance(objective, Bound) else objective
    Qs = list(obj.worlds.values()) if isinstance(obj, ObjectiveSum) else [obj.Q]
    return _draw(obj.P, Qs, layout, title, gap, dpi)


def _draw(
    P: World,
    Qs: list[World],
    layout: Mapping[str, tuple[float, float]] | None,
    title: str | None,
    gap: float,
    dpi: int,
) -> matplotlib.figure.Figure:
    if layout is not None and not isinstance(layout, Mapping):
        raise TypeError(
            f"layout must map variables to (x, y) positions, got {type(layout).__name__}"
        )
    pos = dict(layout) if layout is not None else default_layout(P)
    for v in P.variables:
        if v not in pos:
            raise ValueError(f"layout has no position for variable {v!r}")
        xy = pos[v]
        if not isinstance(xy, (tuple, list)) or len(xy) != 2:
            raise TypeError(
                f"layout must give each variable an (x, y) pair, got {xy!r} for {v!r}"
            )
        pos[v] = tuple(real_scalar(c, f"layout[{v!r}]") for c in xy)
    if title is not None and not isinstance(title, str):
        raise TypeError(f"title must be a string or None, got {type(title).__name__}")
    gap = real_scalar(gap, "gap")
    if gap < 0:
        raise ValueError(f"gap must be non-negative, got {gap}")
    dpi = whole_number(dpi, "dpi", 1)
    xs = [pos[v][0] for v in P.variables]
    ys = [pos[v][1] for v in P.variables]
    width = max(xs) - min(xs) + 1.0
    shift = width + gap
    observed = P.observed.union(*(Q.observed for Q in Qs))
    pgm = daft.PGM(node_unit=0.8, grid_unit=1.6, dpi=dpi)
    p_labels = {f.label for f in P.factors}
    names = []
    for k, world in enumerate([P, *Qs]):
        dx = k * shift
        colour = P_COLOR if k == 0 else Q_COLOR

        def edge_colour(v: str, world: World = world, colour: str = colour) -> str:
            return P_COLOR if world.factor_of(v).label in p_labels else colour

        for v in world.variables:
            x, y = pos[v]
            c = edge_colour(v)
            pgm.add_node(
                f"{k}:{v}",
                f"${tex_variable(v)}$",
                x + dx,
                y,
                observed=v in observed,
                plot_params={
                    "ec": c,
                    "lw": 1.6,
                    "fc": "#e6e6e6" if v in observed else "w",
                },
            )
        for u, v in world.edges():
            c = edge_colour(v)
            pgm.add_edge(
                f"{k}:{u}",
                f"{k}:{v}",
                plot_params={"ec": c, "fc": c, "head_width": 0.18, "head_length": 0.22},
            )
        cx = min(xs) + dx + (width - 1.0) / 2
        name = f"${world.name}$"
        names.append((name, colour))
        pgm.add_text(cx - 0.15, max(ys) + 0.55, name, fontsize=13)
    pgm.render()
    fig = pgm.figure
    colours = dict(reversed(names))  # a Q named like P keeps P's colour
    for t in fig.axes[0].texts:
        if t.get_text() in colours:
            t.set_color(colours[t.get_text()])
    if title:
        fig.suptitle(title, fontsize=10, color=GREY, y=1.02)
    return fig

r"""Drawing the two worlds of the recipe side by side with daft-pgm.

:func:`draw_worlds` renders the real world :math:`P` (in
:data:`klnotes.style.P_COLOR`) and the wished-for world :math:`Q` (in
:data:`klnotes.style.Q_COLOR`) as directed graphical models in one daft
figure. Observed variables are shaded; a factor of :math:`Q` that is the same
as in :math:`P` (and so cancels from the objective) is drawn in the colour of
:math:`P`.
"""

from __future__ import annotations

from collections.abc import Mapping

import daft
import matplotlib.figure

from ._validate import real_scalar, require_instance, whole_number
from .recipe import World, tex_variable
from .style import GREY, P_COLOR, Q_COLOR

__all__ = ["default_layout", "draw_worlds"]


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
    xs = [x for x, _ in pos.values()]
    ys = [y for _, y in pos.values()]
    width = max(xs) - min(xs) + 1.0
    shift = width + gap
    observed = P.observed | Q.observed
    pgm = daft.PGM(node_unit=0.8, grid_unit=1.6, dpi=dpi)
    shared = {f.label for f in P.factors} & {f.label for f in Q.factors}
    for k, (world, colour) in enumerate(((P, P_COLOR), (Q, Q_COLOR))):
        dx = k * shift
        for v in world.variables:
            x, y = pos[v]
            f = world.factor_of(v)
            c = P_COLOR if (k == 1 and f.label in shared) else colour
            pgm.add_node(
                f"{world.name}:{v}",
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
            f = world.factor_of(v)
            c = P_COLOR if (k == 1 and f.label in shared) else colour
            pgm.add_edge(
                f"{world.name}:{u}",
                f"{world.name}:{v}",
                plot_params={"ec": c, "fc": c, "head_width": 0.18, "head_length": 0.22},
            )
        cx = min(xs) + dx + (width - 1.0) / 2
        pgm.add_text(cx - 0.15, max(ys) + 0.55, f"${world.name}$", fontsize=13)
    pgm.render()
    fig = pgm.figure
    for t in fig.axes[0].texts:
        if t.get_text() == f"${P.name}$":
            t.set_color(P_COLOR)
        elif t.get_text() == f"${Q.name}$":
            t.set_color(Q_COLOR)
    if title:
        fig.suptitle(title, fontsize=10, color=GREY, y=1.02)
    return fig

"""One matplotlib look for every figure in the book."""

from __future__ import annotations

import matplotlib as mpl

#: Colours for the two worlds: the real one (p) and the model (q).
P_COLOR = "#1f5fa8"
Q_COLOR = "#c8553d"
ACCENT = "#2a9d8f"
GREY = "#6c757d"


def use_style() -> None:
    """Apply the book's matplotlib defaults (deterministic, print-friendly)."""
    mpl.rcParams.update(
        {
            "figure.figsize": (6.4, 4.0),
            "figure.dpi": 110,
            "savefig.dpi": 110,
            "axes.spines.top": False,
            "axes.spines.right": False,
            "axes.grid": True,
            "grid.alpha": 0.25,
            "axes.titlesize": 11,
            "axes.labelsize": 10,
            "legend.frameon": False,
            "font.size": 10,
            "axes.prop_cycle": mpl.cycler(
                color=[P_COLOR, Q_COLOR, ACCENT, "#e9c46a", GREY]
            ),
            "svg.hashsalt": "klnotes",
        }
    )

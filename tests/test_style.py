"""The figure style: SVG output in Jupyter, text sizes, deterministic files, dark variants.

What needs a browser (the dark variant shown in dark mode, figure text as
displayed) is in tests/site/test_browser.py.
"""

import io
import re
import subprocess
import sys
import textwrap

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402

from klnotes import style  # noqa: E402


@pytest.fixture
def styled():
    with matplotlib.rc_context():
        style.use_style()
        yield
    plt.close("all")


def figure_svg(width_in=6.4, *, legend_size=None, color=style.P_COLOR) -> str:
    fig, ax = plt.subplots(figsize=(width_in, 4.0))
    ax.plot([0, 1, 2], [0, 1, 4], color=color, label=r"$D_{\mathrm{KL}}$")
    ax.scatter([1], [1], color="k")
    ax.set_xlabel("rate $R$ (nats)")
    ax.set_title("a title")
    ax.legend(fontsize=legend_size)
    buf = io.StringIO()
    fig.savefig(buf, format="svg", metadata={"Date": None}, bbox_inches="tight")
    plt.close(fig)
    return buf.getvalue()


def shown_px(svg: str) -> float:
    """The smallest text, in CSS px, as shown in the 1280-px desktop column."""
    width_pt = style.svg_width_pt(svg)
    shown = min(style.DESKTOP_COLUMN_PX, width_pt * 4 / 3)
    return min(style.svg_text_sizes(svg)) * shown / width_pt


def test_use_style_sets_the_book_defaults(styled):
    rc = matplotlib.rcParams
    assert rc["svg.fonttype"] == "path"
    assert rc["svg.hashsalt"] == "klnotes"
    assert rc["axes.prop_cycle"].by_key()["color"][:2] == [style.P_COLOR, style.Q_COLOR]
    assert rc["savefig.dpi"] >= 192  # rasterised parts of an SVG are sharp at 2x


def test_default_text_is_at_least_9px_up_to_a_10_inch_figure(styled):
    for width in (4.0, 6.4, 8.0, 10.0):
        assert shown_px(figure_svg(width)) >= style.MIN_TEXT_PX, width


def test_an_explicit_8pt_legend_on_a_wide_figure_is_too_small(styled):
    """What the browser test flags in today's chapters: fontsize=8 in a wide figure."""
    assert shown_px(figure_svg(12.0, legend_size=8)) < style.MIN_TEXT_PX
    assert shown_px(figure_svg(6.4, legend_size=8)) >= style.MIN_TEXT_PX


def test_svg_text_sizes_reads_every_text_at_its_size(styled):
    sizes = style.svg_text_sizes(figure_svg(legend_size=8))
    assert 8.0 in sizes  # the legend, including its math
    assert 10.5 in sizes  # tick labels
    assert 12.0 in sizes  # the title
    assert min(sizes) == 8.0


def test_svg_width_is_the_figure_width(styled):
    fig = plt.figure(figsize=(5.0, 3.0))
    fig.add_subplot().plot([0, 1])
    buf = io.StringIO()
    fig.savefig(buf, format="svg", metadata={"Date": None})
    assert style.svg_width_pt(buf.getvalue()) == pytest.approx(5.0 * 72)
    with pytest.raises(ValueError, match="width"):
        style.svg_width_pt("<svg></svg>")


def test_svg_files_are_deterministic(styled):
    first, second = figure_svg(), figure_svg()
    assert first == second
    assert "<dc:date>" not in first
    assert style.is_matplotlib_svg(first)


def test_dark_colour_mirrors_greys_and_keeps_other_colours():
    assert style.dark_color("#000000") == style.DARK_INK
    assert style.dark_color("#FFFFFF") == style.DARK_PAGE
    for light, dark in style.DARK_TWINS.items():
        assert style.dark_color(light) == dark
    assert style.dark_color("#440154") == "#440154"  # viridis: data colours stay
    mid = style.dark_color("#808080")
    assert style.DARK_PAGE < mid < style.DARK_INK  # a grey lands between page and ink
    for bad in ("black", "#fff", "#12345g"):
        with pytest.raises(ValueError, match="hexcode"):
            style.dark_color(bad)
    for bad in (None, 0x123456):
        with pytest.raises(TypeError, match="hexcode"):
            style.dark_color(bad)


def luminance(hexcode: str) -> float:
    def lin(c):
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (lin(int(hexcode[i : i + 2], 16) / 255) for i in (1, 3, 5))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: str, b: str) -> float:
    hi, lo = sorted((luminance(a), luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def test_dark_variant_colours_are_legible_on_the_dark_page():
    """WCAG: 4.5:1 for text, 3:1 for lines and marks."""
    assert contrast(style.DARK_INK, style.DARK_PAGE) >= 4.5
    assert contrast(style.INK, "#ffffff") >= 4.5
    for light, dark in style.DARK_TWINS.items():
        assert contrast(dark, style.DARK_PAGE) >= 3.0, (light, dark)


def test_dark_svg_is_drawn_for_the_dark_page(styled):
    light = figure_svg()
    dark = style.dark_svg(light)
    colours = set(re.findall(r"(?:fill|stroke): (#[0-9a-f]{6})", dark))
    assert "#ffffff" not in colours and "#000000" not in colours
    assert style.INK.lower() not in colours and style.P_COLOR not in colours
    assert {style.DARK_INK, style.DARK_TWINS[style.P_COLOR]} <= colours
    # The backgrounds of the figure and of the axes are transparent.
    backgrounds = re.findall(
        r'<g id="(?:figure|axes)_\d+">\s*<g id="patch_\d+">\s*<path\b[^>]*?style="fill: (\w+)',
        dark,
    )
    assert backgrounds == ["none", "none"]
    # Text matplotlib leaves at SVG's default (black) fill inherits the ink.
    assert re.search(rf'<svg style="fill: {style.DARK_INK}"', dark)
    # Same drawing, other colours: the geometry is untouched.
    strip = lambda s: re.sub(r"#[0-9a-f]{6}|none|<svg style=\"[^\"]*\"", "", s)  # noqa: E731
    assert strip(dark).replace("<svg", "") == strip(light).replace("<svg", "")
    with pytest.raises(ValueError, match="svg"):
        style.dark_svg("not an svg")


def test_jupyter_shows_figures_as_svg_without_a_timestamp():
    """In an IPython shell with the inline backend, a figure displays as SVG only."""
    script = textwrap.dedent(
        """
        import json
        from IPython.core.interactiveshell import InteractiveShell
        shell = InteractiveShell.instance()
        import matplotlib
        matplotlib.use("module://matplotlib_inline.backend_inline")
        from matplotlib_inline.backend_inline import configure_inline_support
        import matplotlib.pyplot as plt
        configure_inline_support(shell, "inline")
        from klnotes import style
        style.use_style()
        fig, ax = plt.subplots()
        ax.plot([0, 1], [0, 1])
        data, _ = shell.display_formatter.format(fig)
        svg = data.get("image/svg+xml", "")
        print(json.dumps({"mimes": sorted(data), "date": "<dc:date>" in svg,
                          "svg": style.is_matplotlib_svg(svg)}))
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    ).stdout
    result = __import__("json").loads(out.strip().splitlines()[-1])
    assert result == {
        "mimes": ["image/svg+xml", "text/plain"],
        "date": False,
        "svg": True,
    }

"""One look for every figure in the book, in light and in dark.

:func:`use_style` (called at the top of every chapter) sets matplotlib's
defaults and, inside Jupyter, makes the inline backend emit SVG: vector
figures stay sharp on any screen, and their text keeps the size it was set in.

**How big figure text looks.** An SVG figure ``W`` inches wide has a natural
width of ``96·W`` CSS pixels. The book shows it at that size or, if that is
wider, at the width of the text column: :data:`DESKTOP_COLUMN_PX` = 672 px on a
1280-px desktop, i.e. 7 in. Text of ``s`` points is therefore shown at
``s · 4/3 · min(1, 7/W)`` pixels. The smallest default size here (ticks and
legends, 10.5 pt) stays at 9 px or more up to ``W = 10.9`` in; a smaller
explicit ``fontsize``, or a wider figure, shrinks below :data:`MIN_TEXT_PX`.
:func:`svg_text_sizes` and :func:`svg_width_pt` read both numbers back from an
SVG, for the tests.

**Dark mode.** The light figure is what Jupyter shows. For the web book,
:func:`dark_svg` derives a dark variant from the same SVG: the figure's and
axes' backgrounds become transparent; the book's ink and the neutral greys are
mirrored onto the dark theme (black text becomes its light text colour, white
its page colour); the palette colours become their lighter twins in
:data:`DARK_TWINS`; every other colour (colormaps, embedded images) is kept, so
a colour bar still matches its data. The Sphinx extension in :func:`setup`
(listed in ``_config.yml``) writes that variant next to every figure and the
theme shows one of the two.
"""

from __future__ import annotations

import re
from pathlib import Path

import matplotlib as mpl

#: Colours for the two worlds: the real one (p) and the model (q).
P_COLOR = "#1f5fa8"
Q_COLOR = "#c8553d"
ACCENT = "#2a9d8f"
GOLD = "#e9c46a"
GREY = "#6c757d"
#: Text, axes and ticks: the light theme's text colour.
INK = "#222832"

#: The dark theme's text and page colours (sphinx-book-theme 1.3).
DARK_INK = "#ced6dd"
DARK_PAGE = "#121212"
#: Lighter twins of the palette, drawn on the dark page.
DARK_TWINS = {
    P_COLOR: "#7db3ff",
    Q_COLOR: "#f08f78",
    ACCENT: "#52d1c0",
    GOLD: "#f0d58c",
    GREY: "#aab3bd",
    INK: DARK_INK,
}

#: Smallest figure text, in CSS pixels as shown on a 1280-px desktop.
MIN_TEXT_PX = 9.0
#: The width figures are shown at on a 1280-px desktop (sphinx-book-theme's
#: text column), in CSS pixels.
DESKTOP_COLUMN_PX = 672


def use_style() -> None:
    """Apply the book's matplotlib defaults (deterministic, sized for the page)."""
    mpl.rcParams.update(
        {
            "figure.figsize": (6.4, 4.0),
            "figure.dpi": 110,
            # Anything rasterised inside an SVG (images) is sharp at 2x.
            "savefig.dpi": 192,
            "axes.spines.top": False,
            "axes.spines.right": False,
            "axes.grid": True,
            "grid.alpha": 0.25,
            "font.size": 11,
            "axes.titlesize": 12,
            "axes.labelsize": 11,
            "xtick.labelsize": 10.5,
            "ytick.labelsize": 10.5,
            "legend.fontsize": 10.5,
            "legend.frameon": False,
            "text.color": INK,
            "axes.labelcolor": INK,
            "axes.edgecolor": INK,
            "xtick.color": INK,
            "ytick.color": INK,
            "axes.prop_cycle": mpl.cycler(color=[P_COLOR, Q_COLOR, ACCENT, GOLD, GREY]),
            "svg.fonttype": "path",  # glyphs as paths: the same text on every machine
            "svg.hashsalt": "klnotes",
        }
    )
    _inline_svg()


def _inline_svg() -> None:
    """Inside IPython, show figures as SVG with no timestamp in them."""
    try:
        from IPython import get_ipython
        from matplotlib_inline.config import InlineBackend
    except ImportError:  # plain Python: nothing is displayed inline
        return
    shell = get_ipython()
    if shell is None:
        return
    cfg = InlineBackend.instance(parent=shell)
    cfg.print_figure_kwargs = {"bbox_inches": "tight", "metadata": {"Date": None}}
    cfg.figure_formats = {"svg"}


# ---------------------------------------------------------------- SVG helpers

_HEX = r"#([0-9a-fA-F]{6})\b"
_STYLE_COLOR = re.compile(r"((?:fill|stroke|stop-color|flood-color)\s*:\s*)" + _HEX)
_ATTR_COLOR = re.compile(r'((?:fill|stroke|stop-color)=")' + _HEX)
_TEXT_SCALE = re.compile(
    r'<g id="text_\d+"[^>]*>\s*(?:<!--.*?-->\s*)?<g\b[^>]*?\btransform="[^"]*?scale\(([-0-9.e]+)',
    re.S,
)
# The first patch of the figure and of each axes is its background.
_BACKGROUND = re.compile(
    r'(<g id="(?:figure|axes)_\d+">\s*<g id="patch_\d+">\s*<path\b[^>]*?style=")'
    r"fill: #ffffff\b"
)
_FONT_SCALE = 100.0  # matplotlib.textpath.TextToPath.FONT_SCALE
_SVG_WIDTH = re.compile(r'<svg\b[^>]*?\swidth="([0-9.]+)pt"', re.S)


def _rgb(hexcode: str) -> tuple[float, float, float]:
    h = hexcode.lstrip("#")
    return tuple(int(h[i : i + 2], 16) / 255 for i in (0, 2, 4))  # type: ignore[return-value]


def _hex(rgb: tuple[float, float, float]) -> str:
    return "#" + "".join(f"{round(min(1.0, max(0.0, c)) * 255):02x}" for c in rgb)


def _svg_text(svg: object) -> str:
    if not isinstance(svg, str):
        raise TypeError(
            f"svg must be a string holding an SVG document, got {type(svg).__name__}"
        )
    if "<svg" not in svg:
        raise ValueError(
            "svg must be the text of an SVG document (no <svg element found)"
        )
    return svg


def dark_color(hexcode: str) -> str:
    """The colour a light-theme colour ``#rrggbb`` takes in the dark variant.

    A palette colour becomes its twin in :data:`DARK_TWINS`. A neutral grey
    (channels within 0.07 of each other) of lightness ``L`` becomes the mix
    ``DARK_INK + L·(DARK_PAGE − DARK_INK)``: black turns into the dark theme's
    text colour and white into its page colour, so contrast is mirrored.
    Any other colour is returned unchanged (lower case).
    """
    if not isinstance(hexcode, str):
        raise TypeError(
            f"hexcode must be a '#rrggbb' string, got {type(hexcode).__name__}"
        )
    if not re.fullmatch(_HEX, hexcode):
        raise ValueError(f"hexcode must be a '#rrggbb' string, got {hexcode!r}")
    key = hexcode.lower()
    for light, dark in DARK_TWINS.items():
        if key == light.lower():
            return dark
    rgb = _rgb(key)
    if max(rgb) - min(rgb) > 0.07:
        return key
    lightness = (max(rgb) + min(rgb)) / 2
    ink, page = _rgb(DARK_INK), _rgb(DARK_PAGE)
    return _hex(tuple(i + lightness * (p - i) for i, p in zip(ink, page)))  # type: ignore[arg-type]


def dark_svg(svg: str) -> str:
    """The dark-theme variant of a matplotlib SVG (see :func:`dark_color`).

    The figure's and the axes' background patches become transparent (so the
    figure sits on whatever the dark page or block behind it is); every other
    explicit fill and stroke colour is mapped; text that matplotlib leaves at
    SVG's default black fill gets the dark ink from the root element.
    """
    _svg_text(svg)

    def swap(m: re.Match) -> str:
        return m.group(1) + dark_color("#" + m.group(2))

    out = _BACKGROUND.sub(r"\1fill: none", svg)
    out = _ATTR_COLOR.sub(swap, _STYLE_COLOR.sub(swap, out))
    return re.sub(r"<svg\b", f'<svg style="fill: {DARK_INK}"', out, count=1)


def svg_width_pt(svg: str) -> float:
    """The width of a matplotlib SVG, in points (1 pt = 4/3 CSS px)."""
    m = _SVG_WIDTH.search(_svg_text(svg))
    if m is None:
        raise ValueError("svg has no width in points on its root element")
    return float(m.group(1))


def svg_text_sizes(svg: str) -> list[float]:
    """The font size, in points, of every text matplotlib drew into ``svg``.

    Needs text drawn as paths (``svg.fonttype = "path"``, set by
    :func:`use_style`); a subscript counts at its base text's size.
    """
    return [abs(float(s)) * _FONT_SCALE for s in _TEXT_SCALE.findall(_svg_text(svg))]


def is_matplotlib_svg(svg: str) -> bool:
    """Whether ``svg`` (a string) is an SVG document written by matplotlib."""
    if not isinstance(svg, str):
        raise TypeError(f"svg must be a string, got {type(svg).__name__}")
    return "<svg" in svg[:2000] and "matplotlib.org" in svg[:4000]


# ---------------------------------------------------- Sphinx: the web book


def setup(app):  # pragma: no cover - exercised by the site build and tests/site
    """Sphinx extension for the web book (listed in ``_config.yml``).

    * every matplotlib SVG figure gets a dark variant written next to it; the
      two are shown by the theme's ``only-light`` / ``only-dark`` classes,
      inside one wrapper so the figure's caption stays visible in both modes;
    * ``book/_static`` (the site's CSS and JavaScript) is registered when the
      book has it;
    * the thebe configuration scripts are dropped: thebe is off, and
      sphinx-thebe emits its ``const`` declarations twice, a console error.
    """
    from docutils import nodes
    from sphinx.transforms import SphinxTransform

    class ThemeVariants(SphinxTransform):
        # myst-nb wrote each output's file while parsing the notebook, before
        # any transform; this one only has to run before the HTML is written.
        default_priority = 880

        def apply(self, **kwargs) -> None:
            for img in list(self.document.findall(nodes.image)):
                uri = img.get("uri", "")
                if not uri.endswith(".svg") or "only-light" in img["classes"]:
                    continue
                if "://" in uri or uri.startswith("data:"):
                    continue
                # Sphinx may already have collected the image (then its
                # candidate is the path relative to the source folder).
                collected = img.get("candidates", {}).get("*")
                rel = collected or self.env.relfn2path(uri, self.env.docname)[0]
                path = Path(self.app.srcdir) / rel
                if not path.is_file():
                    continue
                text = path.read_text(encoding="utf-8")
                if not is_matplotlib_svg(text):
                    continue
                dark = dark_svg(text)
                dark_path = path.with_name(path.stem + "-dark.svg")
                if not dark_path.is_file() or dark_path.read_text("utf-8") != dark:
                    dark_path.write_text(dark, encoding="utf-8")
                dark_img = img.deepcopy()
                dark_img["uri"] = uri[: -len(".svg")] + "-dark.svg"
                if collected:
                    dark_rel = collected[: -len(".svg")] + "-dark.svg"
                    dark_img["candidates"] = {"*": dark_rel}
                    self.env.images.add_file(self.env.docname, dark_rel)
                alt = _alt_text(img)
                img["classes"] = [*img["classes"], "only-light"]
                dark_img["classes"] = [*dark_img["classes"], "only-dark"]
                img["alt"] = dark_img["alt"] = alt
                wrapper = nodes.container()
                img.replace_self(wrapper)  # replace_self copies the classes over,
                wrapper["classes"] = ["klnotes-figure"]  # which would hide it
                wrapper += [img, dark_img]

    app.add_transform(ThemeVariants)
    app.connect("builder-inited", _register_static)
    app.connect("build-finished", _refresh_static)
    app.connect("html-page-context", _drop_thebe_assets)
    app.connect("doctree-resolved", _drop_thebe_nodes, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}


def _alt_text(img) -> str:
    from docutils import nodes

    figure = img.parent
    while figure is not None and not isinstance(figure, nodes.figure):
        figure = figure.parent
    caption = (
        next(iter(figure.findall(nodes.caption)), None) if figure is not None else None
    )
    if caption is None:
        return "Figure"
    return " ".join(caption.astext().split())


def _register_static(app) -> None:
    static = Path(app.srcdir) / "book" / "_static"
    if not static.is_dir():
        return
    app.config.html_static_path.append(str(static))
    for css in sorted(static.glob("*.css")):
        app.add_css_file(css.name)
    for js in sorted(static.glob("*.js")):
        app.add_js_file(js.name, defer="defer")
    favicon = static / "favicon.svg"
    if favicon.is_file() and not app.config.html_favicon:
        app.config.html_favicon = str(favicon)


def _refresh_static(app, exception) -> None:
    """Copy book/_static again when no page was out of date.

    Sphinx copies static files only when it writes pages, so an edit to the
    site's CSS or JavaScript alone would otherwise not reach _build/html.
    """
    static = Path(app.srcdir) / "book" / "_static"
    out = Path(app.outdir) / "_static"
    if exception is not None or app.builder.format != "html" or not static.is_dir():
        return
    for src in static.iterdir():
        dst = out / src.name
        if src.is_file() and dst.parent.is_dir():
            if not dst.is_file() or dst.read_bytes() != src.read_bytes():
                dst.write_bytes(src.read_bytes())


def _drop_thebe_assets(app, pagename, templatename, context, doctree) -> None:
    def thebe(asset) -> bool:
        name = str(getattr(asset, "filename", asset) or "")
        body = str(getattr(asset, "attributes", {}).get("body", ""))
        return "thebe" in name or "THEBE_JS_URL" in body

    for key in ("script_files", "css_files"):
        if key in context:
            context[key] = [a for a in context[key] if not thebe(a)]


def _drop_thebe_nodes(app, doctree, docname) -> None:
    from docutils import nodes

    for raw in list(doctree.findall(nodes.raw)):
        text = raw.astext()
        if "x-thebe-config" in text or text.strip().startswith("<script>kernelName"):
            raw.parent.remove(raw)

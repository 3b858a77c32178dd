"""The built site as readers see it, in headless Chromium (tools/site_check.py).

Every page is read at 1280 px and 390 px, in light and in dark mode, from one
browser session (the `survey` fixture in conftest.py): MathJax, formulas that
fit, code and outputs, figures, console errors, requests, links, navigation
and search. A failure names the page and what is wrong; `tools/site_report.py`
prints the same measurements for every page.
"""

from __future__ import annotations

import pytest
import site_check
from site_check import DESKTOP, PHONE

try:
    PAGES = site_check.site_pages()
except OSError:
    PAGES = []
PAGES = PAGES or ["(site not built)"]

per_page = pytest.mark.parametrize("page", PAGES)


def visits(survey, page: str) -> list[site_check.Visit]:
    found = [v for v in survey.visits if v.page == page]
    assert found, f"{page}: not visited"
    return found


def at(survey, page: str, width: int) -> site_check.Visit:
    return next(v for v in visits(survey, page) if v.width == width)


@per_page
def test_mathjax_typesets_every_formula(survey, page):
    for v in visits(survey, page):
        full = v.full
        assert full, f"{page} at {v.width} px: not read"
        assert not full["texErrors"], f"{page}: TeX errors {full['texErrors']}"
        assert not full["untypeset"], f"{page}: math left as TeX: {full['untypeset']}"
        if full["mathjax"]:
            assert v.typeset_ms is not None, f"{page}: MathJax never finished"


@per_page
def test_no_console_error(survey, page):
    for v in visits(survey, page):
        assert not v.console, f"{page} at {v.width} px:\n" + "\n".join(v.console)


@per_page
def test_no_request_leaves_localhost(survey, page):
    for v in visits(survey, page):
        assert not v.blocked, f"{page} at {v.width} px tried to fetch {v.blocked}"


@per_page
def test_every_image_loads(survey, page):
    for v in visits(survey, page):
        for theme, probe in v.probes.items():
            broken = [i["src"] for i in probe["images"] if not i["loaded"]]
            assert not broken, (
                f"{page} at {v.width} px, {theme}: images not loaded {broken}"
            )


@per_page
def test_navigation_buttons_open_and_close_the_sidebars(survey, page):
    for v in visits(survey, page):
        assert not v.navigation, f"{page}: " + "; ".join(v.navigation)


def test_navigation_on_a_phone_and_a_tablet(survey):
    """Real touch contexts (a first visit, system in dark mode) and a 900-px tablet."""
    assert survey.phone and survey.tablet
    for v in survey.phone + survey.tablet:
        assert not v.navigation, f"{v.page} at {v.width} px: " + "; ".join(v.navigation)
        assert not v.console, f"{v.page} at {v.width} px:\n" + "\n".join(v.console)
    for v in survey.phone:
        assert v.full["theme"] == "dark", (
            f"{v.page}: a dark-mode phone gets {v.full['theme']!r}"
        )


@per_page
def test_dark_mode_shows_the_dark_figure_variant(survey, page):
    for v in visits(survey, page):
        for theme, probe in v.probes.items():
            assert probe["theme"] == theme, f"{page}: theme is {probe['theme']!r}"
            figures = [i for i in probe["images"] if i["inFigure"]]
            undrawn = [
                i["src"]
                for i in figures
                if not {"only-light", "only-dark"} & set(i["classes"].split())
            ]
            assert not undrawn, f"{page}: figures without a dark variant {undrawn}"
            shown = [i for i in figures if i["visible"]]
            wrong = [
                i["src"] for i in shown if f"only-{theme}" not in i["classes"].split()
            ]
            assert not wrong, f"{page} at {v.width} px, {theme}: shows {wrong}"
            if theme == "dark":
                dimmed = [i["src"] for i in shown if i["filter"] not in ("none", "")]
                assert not dimmed, f"{page}: dark figures dimmed by the theme {dimmed}"
            assert len(shown) * 2 == len(figures), (
                f"{page}, {theme}: one variant per figure"
            )


@per_page
def test_no_theorem_formula_is_wider_than_its_column(survey, page):
    """At 1280 px, inside prf theorem/proposition/lemma/corollary/definition blocks."""
    v = at(survey, page, DESKTOP)
    wide = [f for f in site_check.over_wide(v.full) if f["theorem"]]
    assert not wide, f"{page}: " + "; ".join(
        f"{f['theorem'][:30]}: {site_check.formula_name(f)} {f['width']} px in {f['avail']} px"
        for f in wide
    )


@per_page
def test_wide_formulas_show_that_they_scroll(survey, page):
    for v in visits(survey, page):
        hidden = [
            site_check.formula_name(f)
            for f in site_check.over_wide(v.full)
            if not (f["cue"] and "gradient" in f["cueMask"])
        ]
        assert not hidden, f"{page} at {v.width} px: no scroll cue on {hidden}"


@per_page
def test_code_cells_of_88_columns_fit_at_1280px(survey, page):
    v = at(survey, page, DESKTOP)
    bad = [c for c in v.full["code"] if not c["fits88"]]
    assert not bad, (
        f"{page}: 88 columns take {bad[0]['cols88']} px of {bad[0]['avail']} px"
    )


@per_page
def test_outputs_wrap(survey, page):
    for v in visits(survey, page):
        cut = [o["text"][:40] for o in v.full["outputs"] if o["scrolls"]]
        assert not cut, f"{page} at {v.width} px: outputs that scroll sideways {cut}"


@per_page
def test_no_output_is_a_bare_repr(survey, page):
    v = at(survey, page, DESKTOP)
    reprs = [o["repr"] for o in v.full["outputs"] if o["repr"]]
    assert not reprs, f"{page}: outputs that are a raw Python repr {reprs}"


@per_page
def test_figure_text_is_at_least_9px_at_1280px(survey, page):
    v = at(survey, page, DESKTOP)
    small = [
        f"{r['figure'] or r['src']}: {r['min_px']:.1f} px ({r['width_in']:.1f}-in figure)"
        for r in site_check.figure_text(v.full)
        if r["min_px"] is not None and r["min_px"] < 9.0
    ]
    assert not small, f"{page}: " + "; ".join(small)


@per_page
def test_figures_are_sharp_at_2x(survey, page):
    for v in visits(survey, page):
        soft = [r["src"] for r in site_check.figure_text(v.full) if not r["sharp_2x"]]
        assert not soft, f"{page}: figures neither SVG nor 2x PNG {soft}"


def test_every_internal_link_and_anchor_resolves(survey):
    broken = site_check.broken_links(survey.visits)
    assert not broken, "\n".join(broken)


@per_page
def test_one_search_box(survey, page):
    """One search field on a desktop; on a phone, one search button in the header."""
    for v in visits(survey, page):
        for probe in v.probes.values():
            want = ["field"] if v.width >= site_check.WIDE else ["icon"]
            assert probe["search"] == want, (
                f"{page} at {v.width} px: search {probe['search']}"
            )


def test_search_finds_a_chapter_by_a_word_in_it(survey):
    targets = site_check.search_targets()
    assert targets, "no chapter titles to search for"
    for word, page in targets.items():
        results = survey.search.get(word, [])
        assert any(r.split("?")[0].endswith(page) for r in results), (
            f"searching {word!r} does not find {page}: {results}"
        )


def test_phone_layout_does_not_scroll_sideways(survey):
    wide = [
        f"{v.page}: {v.full['scrollWidth']} px"
        for v in survey.at(PHONE)
        if v.full and v.full["scrollWidth"] > v.full["viewportWidth"] + 1
    ]
    assert not wide, "pages wider than a 390-px phone: " + ", ".join(wide)

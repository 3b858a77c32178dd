"""Checks of the built site in _build/html (run by `make test` after the build).

They assert what a reader needs: every chapter page exists and carries the
chapter's parts (statement, figure, numbered equations), no page
shows an error or an unresolved reference, and nothing is loaded from the
network (MathJax is served from _static/).
"""

import re
from pathlib import Path

import pytest
import site_check
from bs4 import BeautifulSoup

import book

HTML = book.ROOT / "_build" / "html"
CHAPTERS = book.chapters_in_toc()

if not (HTML / "index.html").exists():  # never skip silently: build it first
    pytest.fail(
        f"{HTML / 'index.html'} does not exist: build the book first (`make test` does)",
        pytrace=False,
    )


def page(rel: str) -> BeautifulSoup:
    """A built page, parsed once for all the site tests (they only read it)."""
    return site_check.parsed(rel, HTML)


def all_pages() -> list[Path]:
    return sorted(p for p in HTML.rglob("*.html") if "_static" not in p.parts)


@pytest.mark.parametrize("chapter", CHAPTERS, ids=[c.stem for c in CHAPTERS])
def test_chapter_page_has_every_part(chapter):
    soup = page(f"book/{chapter.stem}.html")
    main = soup.find("main") or soup
    assert main.select(
        ".proof.theorem, .proof.proposition, div.theorem, div.proposition"
    ), f"{chapter.stem}: no theorem or proposition block"
    assert main.find("img"), f"{chapter.stem}: no figure"
    assert main.select("div.math-wrapper span.eqno, .math .eqno, span.eqno"), (
        f"{chapter.stem}: no numbered equation"
    )


@pytest.mark.parametrize("chapter", CHAPTERS, ids=[c.stem for c in CHAPTERS])
def test_chapter_page_shows_no_error(chapter):
    soup = page(f"book/{chapter.stem}.html")
    text = soup.get_text(" ")
    assert not soup.select(
        ".output.error, .output.traceback, div.cell_output .traceback"
    ), chapter.stem
    for marker in (
        "Traceback (most recent call last)",
        "Executing notebook failed",
        "??",
    ):
        assert marker not in text, f"{chapter.stem}: page shows {marker!r}"
    # A glue key or a reference that did not resolve is left as literal markup.
    assert not re.search(r"\{(glue|eq|ref|cite|numref)(:text)?\}`", text), chapter.stem
    # Math the parser did not recognise (e.g. broken by a line starting with "- ")
    # shows its dollar signs in the prose.
    prose = [
        p.get_text(" ")
        for p in soup.select("main p, main li")
        if not p.find_parent("pre")
    ]
    stray = [p[:120] for p in prose if "$" in p]
    assert not stray, f"{chapter.stem}: unrendered math in {stray}"


def test_mathjax_is_bundled_locally():
    script = page("book/chain-rule.html").find("script", src=re.compile("mathjax"))
    assert script is not None
    assert not script["src"].startswith(("http:", "https:", "//"))
    target = (HTML / "book" / script["src"].split("?")[0]).resolve()
    assert target.exists(), f"MathJax not copied into the site: {target}"
    assert (
        HTML / "_static" / "mathjax" / "output" / "chtml" / "fonts" / "woff-v2"
    ).is_dir()


def test_no_page_loads_anything_from_the_network():
    offenders = []
    for path in all_pages():
        soup = page(str(path.relative_to(HTML)))
        for tag, attr in (
            ("script", "src"),
            ("link", "href"),
            ("img", "src"),
            ("iframe", "src"),
        ):
            for el in soup.find_all(tag):
                url = el.get(attr, "")
                if url.startswith(("http:", "https:", "//")):
                    offenders.append(f"{path.relative_to(HTML)}: <{tag} {attr}={url}>")
    assert not offenders, "\n".join(offenders)


def test_bibliography_lists_the_sources():
    text = page("book/bibliography.html").get_text(" ").lower()
    for title in ("why kl?", "fixing a broken elbo", "variational diffusion models"):
        assert title in text


def test_no_empty_or_raw_label_indexes():
    """The book has no index entries, and sphinx-proof's index lists raw labels."""
    assert not (HTML / "genindex.html").exists()
    assert not list(HTML.glob("prf-*.html"))
    for path in all_pages():
        text = path.read_text(encoding="utf-8")
        assert 'href="genindex.html"' not in text and "prf-prf.html" not in text, path

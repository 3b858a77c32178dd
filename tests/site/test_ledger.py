"""The verification ledger of the built book: ledger.json, the page, the summaries.

Run by `make test` after the strict build. The build itself refuses an
unverified theorem (tests/test_build_strictness.py shows that); these tests
check that what it wrote is complete and consistent with the pages.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path

import pytest
import site_check
from bs4 import BeautifulSoup

import book

HTML = book.ROOT / "_build" / "html"
LEDGER = HTML / "ledger.json"
CHAPTERS = book.chapters_in_toc()

if not LEDGER.exists():  # never skip silently: the site must have been built
    pytest.fail(
        f"{LEDGER} does not exist: build the book first (`make test` does)",
        pytrace=False,
    )

DATA = json.loads(LEDGER.read_text(encoding="utf-8"))
ledger = book._load_by_path("ledger")
THEOREM_CLASSES = ("theorem", "proposition", "lemma", "corollary")


def soup(rel: str) -> BeautifulSoup:
    return site_check.parsed(rel, HTML)


@functools.cache
def page_ids(rel: str) -> frozenset[str] | None:
    """Every id on a built page (parsed once per page), or None if it is missing."""
    if not (HTML / rel).exists():
        return None
    return frozenset(tag["id"] for tag in soup(rel).find_all(id=True))


def anchor_exists(url: str) -> bool:
    page, _, anchor = url.partition("#")
    ids = page_ids(page)
    return ids is not None and anchor in ids


def test_schema():
    assert DATA["schema"] == ledger.LEDGER_SCHEMA
    assert set(DATA) >= {"klnotes_hash", "chapters", "counts", "edges", "claims"}
    assert DATA["klnotes_hash"] == book.helper_hash()
    for c in DATA["claims"]:
        assert set(c) >= {
            "label",
            "kind",
            "title",
            "chapter",
            "url",
            "status",
            "uses",
            "used_by",
            "post",
            "book",
            "reason",
            "checks",
        }, c["label"]
        assert c["kind"] in ledger.THEOREM_KINDS + ledger.DECLARED_KINDS
        assert c["status"] in ledger.STATUSES
        assert c["chapter"] in DATA["chapters"]
        for r in c["checks"]:
            assert r["role"] in ledger.ROLES
            assert r["claim"] == c["label"]
            for key in ("name", "expected", "actual", "tolerance", "kind"):
                assert isinstance(r[key], str) and r[key], (c["label"], key)
            if r["role"] == "monte carlo":
                assert r["power"] >= 0.95, (c["label"], r["name"])
    counts = {}
    for c in DATA["claims"]:
        counts[c["status"]] = counts.get(c["status"], 0) + 1
    assert counts == DATA["counts"]


def test_every_claim_is_verified_or_stated_without_proof():
    bad = [
        (c["label"], c["status"])
        for c in DATA["claims"]
        if not (
            ledger.is_verified(c["status"]) or c["status"] == "stated without proof"
        )
    ]
    assert not bad


def test_every_theorem_like_block_of_the_book_is_in_the_ledger():
    labels = {c["label"] for c in DATA["claims"]}
    missing = []
    for chapter in CHAPTERS:
        page = soup(f"book/{chapter.stem}.html")
        for div in page.select("div.proof"):
            kind = next((k for k in THEOREM_CLASSES if k in div.get("class", [])), None)
            if kind and div.get("id") not in labels:
                missing.append((chapter.stem, kind, div.get("id")))
    assert not missing


def test_every_chapter_has_claims_and_a_summary_and_a_graph():
    by_chapter = {c["chapter"] for c in DATA["claims"]}
    for chapter in CHAPTERS:
        assert chapter.stem in by_chapter, chapter.stem
        page = soup(f"book/{chapter.stem}.html")
        summary = page.select_one("div.klnotes-summary")
        assert summary is not None, f"{chapter.stem}: no checks summary"
        link = summary.find("a", href=True)
        assert link["href"] == f"ledger.html#ledger-{chapter.stem}"
        assert page.select_one("svg.kl-graph"), f"{chapter.stem}: no ledger graph"
        assert not page.select("table.klnotes-checks"), (
            f"{chapter.stem}: a long checks table"
        )


def test_links_resolve():
    for c in DATA["claims"]:
        assert anchor_exists(c["url"]), c["url"]
        for r in c["checks"]:
            assert r["url"] is None or anchor_exists(r["url"]), r["url"]
    labels = {c["label"] for c in DATA["claims"]}
    for user, used in DATA["edges"]:
        assert user in labels and used in labels


def test_ledger_page_has_every_chapter_and_claim():
    page = soup("book/ledger.html")
    for chapter in DATA["chapters"]:
        if any(c["chapter"] == chapter for c in DATA["claims"]):
            assert page.find("details", id=f"ledger-{chapter}") is not None, chapter
    for c in DATA["claims"]:
        assert page.find(id=f"ledger-claim-{c['label']}") is not None, c["label"]
    svg = page.select_one("svg.kl-graph")
    assert svg is not None and len(svg.select("a.kl-node")) == len(DATA["claims"])
    assert not page.find("table"), "the ledger must not need a side-scroll on a phone"


def test_the_book_has_cross_chapter_dependencies():
    chapter_of = {c["label"]: c["chapter"] for c in DATA["claims"]}
    assert DATA["edges"], "no claim uses another"
    assert any(chapter_of[a] != chapter_of[b] for a, b in DATA["edges"])


def test_ledger_json_is_deterministic_in_shape():
    # written next to the HTML, readable by a program that knows only the README
    text = Path(LEDGER).read_text(encoding="utf-8")
    assert json.loads(text) == DATA

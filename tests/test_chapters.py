"""Every chapter of the book, executed as a test.

Each chapter listed in _toc.yml runs top to bottom in a fresh kernel, exactly
as the book build runs it. A failing cell (a failing klnotes check raises)
fails the test whose id is the chapter's name, and the message names the
chapter, the code cell and the check. The executed notebook is saved for the
site build, so `make test` executes every chapter exactly once.
"""

import pytest

import book

CHAPTERS = book.chapters_in_toc()


@pytest.mark.book
@pytest.mark.parametrize("chapter", CHAPTERS, ids=[c.stem for c in CHAPTERS])
def test_chapter_executes(chapter):
    try:
        nb, seconds = book.execute_chapter(chapter)
    except book.ChapterFailed as exc:
        pytest.fail(str(exc), pytrace=False)
    book.save_executed(chapter, nb, seconds)
    print(f"{chapter.stem}: {seconds:.1f} s")
    payload = book.chapter_records(nb)
    assert payload is not None, f"{chapter.stem}: no checks.summary() cell"
    assert payload["chapter"] == chapter.stem, (
        f"{chapter.stem}: CheckLog is named {payload['chapter']!r}"
    )
    _check_cells(chapter, nb, payload)
    _compare_with_manifest(chapter, payload)


def _check_cells(chapter, nb, payload):
    """Every record points at the code cell that ran it."""
    sources = {c.execution_count: c.source for c in nb.cells if c.cell_type == "code"}
    for r in payload["checks"]:
        assert r["cell"] in sources and "checks." in sources[r["cell"]], (
            f"{chapter.stem}: check {r['name']!r} points at cell {r['cell']},"
            " which does not run it"
        )


def _compare_with_manifest(chapter, payload):
    """The checks a chapter runs are the committed list: none disappears silently."""
    want = book.read_manifest(chapter)
    got = book.manifest_lines(payload)
    rel = book.manifest_path(chapter).relative_to(book.ROOT)
    if want is None:
        pytest.fail(
            f"{chapter.stem}: no committed list of checks ({rel});"
            " run `python tools/book.py manifest` and commit it",
            pytrace=False,
        )
    if want != got:
        import difflib

        diff = "\n".join(
            difflib.unified_diff(want, got, "committed", "executed", lineterm="", n=0)
        )
        pytest.fail(
            f"{chapter.stem}: the checks the chapter runs differ from {rel}"
            " (a check was removed, added, renamed or changed role). If that is"
            " intended, run `python tools/book.py manifest` and commit the list"
            f" with the change.\n{diff}",
            pytrace=False,
        )


def test_toc_lists_every_chapter():
    """A chapter file that is not in the table of contents would never be tested."""
    listed = {c.resolve() for c in CHAPTERS}
    on_disk = {
        p.resolve()
        for p in (book.ROOT / "book").glob("*.md")
        if p.read_text().startswith("---\njupytext:")
    }
    assert on_disk <= listed, (
        f"chapters missing from _toc.yml: {sorted(p.name for p in on_disk - listed)}"
    )

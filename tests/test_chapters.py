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

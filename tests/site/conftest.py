"""The browser survey of the built site, run once per session (tests/site/test_browser.py).

`make test` builds the site, makes sure a Chromium is there
(tools/site_browser.py ensure), then runs tests/site. Without a built site or
without a Chromium the browser tests fail, saying how to get one; they never
skip.
"""

from __future__ import annotations

import shutil
import time

import pytest
import site_browser
import site_check

SHOTS = site_check.ROOT / "_build" / "screenshots"
_timing: dict[str, float] = {}


@pytest.fixture(scope="session")
def survey() -> site_check.Survey:
    if not (site_check.HTML / "index.html").is_file():
        pytest.fail(
            "the site is not built: run `make test` (or `make book`) first",
            pytrace=False,
        )
    chromium = site_browser.find_chromium()
    if chromium is None:
        pytest.fail(site_browser.HOW_TO_GET_ONE, pytrace=False)
    if SHOTS.exists():
        shutil.rmtree(SHOTS)
    start = time.perf_counter()
    pages = site_check.site_pages()
    chapters = [p for p in pages if p.startswith("book/") and p != "book/index.html"]
    result = site_check.survey(
        pages=pages,
        shots=SHOTS,
        phone_pages=["book/index.html", *chapters[:1]],
        tablet_pages=["book/index.html", *chapters[:1]],
        search_words=list(site_check.search_targets()),
        chromium=chromium,
    )
    _timing["survey"] = time.perf_counter() - start
    return result


def pytest_terminal_summary(terminalreporter):
    if "survey" in _timing:
        terminalreporter.write_line(
            f"browser survey of the site: {_timing['survey']:.1f} s "
            f"(screenshots in {SHOTS.relative_to(site_check.ROOT)}/)"
        )

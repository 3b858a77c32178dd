"""Read the built book in headless Chromium: the measurements behind tests/site.

:func:`survey` serves ``_build/html`` on 127.0.0.1 (:mod:`site_server`) and
opens it in one headless Chromium (:mod:`site_browser`). Every page is loaded
once at 1280 px in light mode and, after MathJax's typeset promise resolves:

1. read (:file:`site_probe.js`: formulas, code cells, outputs, images, links)
   and screenshot; the ☰ button collapses and restores the sidebar;
2. the theme button switches to dark mode: images read again, screenshot;
3. the window narrows to 390 px (a phone's width): read again, in dark mode,
   screenshot; ☰ and the contents button open and close their sidebars;
4. the theme button switches back to light mode: images read, screenshot.

Each page thus gives one :class:`Visit` per width, both with the console
errors, the requests that tried to leave 127.0.0.1 (blocked and recorded) and
the time from navigation to the typeset promise. A few pages are also opened
in a real phone context (390 px, touch, no hover, the system in dark mode: a
first visit) and at 900 px (a tablet: navigation only); and the site is
searched the way a reader searches it.

Used by ``tests/site/test_browser.py`` and ``tools/site_report.py``.
"""

from __future__ import annotations

import asyncio
import functools
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

import site_browser
from site_server import SiteServer

ROOT = Path(__file__).resolve().parent.parent
HTML = ROOT / "_build" / "html"
PROBE = Path(__file__).with_name("site_probe.js").read_text()

DESKTOP, TABLET, PHONE = 1280, 900, 390
#: The theme's breakpoint: from here up the primary sidebar is part of the page.
WIDE = 992

# Records when MathJax's startup promise resolves (the page is typeset), and
# turns off CSS transitions, so that a sidebar is open or closed as soon as its
# button is pressed rather than a fraction of a second later.
TYPESET_HOOK = """
(() => {
  document.addEventListener("DOMContentLoaded", () => {
    const style = document.createElement("style");
    style.textContent = "*, *::before, *::after { transition: none !important; }";
    document.head.appendChild(style);
  });
  const poll = setInterval(() => {
    const s = window.MathJax && window.MathJax.startup;
    if (s && s.promise) {
      clearInterval(poll);
      s.promise.then(() => { window.__klnotesTypesetMs = performance.now(); });
    }
  }, 5);
  window.addEventListener("load", () => {
    if (!document.querySelector("script[src*='mathjax']")) {
      clearInterval(poll);
      window.__klnotesTypesetMs = null;
    }
  });
})();
"""

# True once klnotes.js has re-marked the formulas for the current width.
CUES_SETTLED = """() => [...document.querySelectorAll('div.math > mjx-container')]
  .every(b => (b.scrollWidth > b.clientWidth + 1) === b.classList.contains('klnotes-scroll'))"""


@dataclass(repr=False)
class Visit:
    """One page at one width: the full probe in one theme, images in the other."""

    page: str
    width: int
    probes: dict[str, dict] = field(default_factory=dict)  # theme -> probe
    console: list[str] = field(default_factory=list)
    blocked: list[str] = field(default_factory=list)
    navigation: list[str] = field(default_factory=list)  # what failed; empty if fine
    errors: list[str] = field(default_factory=list)  # steps of the survey that failed
    phases: dict[str, float] = field(default_factory=dict)  # seconds per step
    typeset_ms: float | None = None
    seconds: float = 0.0

    def __repr__(self) -> str:
        return f"Visit({self.page!r}, {self.width})"

    @property
    def full(self) -> dict:
        """The complete probe (formulas, code, outputs, images, links)."""
        return next((p for p in self.probes.values() if "formulas" in p), {})


@dataclass(repr=False)
class Survey:
    visits: list[Visit]
    phone: list[Visit]  # real phone contexts (touch, dark system theme)
    tablet: list[Visit]  # navigation at 900 px
    search: dict[str, list[str]]  # word -> result links
    seconds: float = 0.0

    def __repr__(self) -> str:
        return f"Survey({len(self.visits)} visits, {self.seconds:.0f} s)"

    def at(self, width: int) -> list[Visit]:
        return [v for v in self.visits if v.width == width]


@functools.cache
def parsed(rel: str, html: Path = HTML):
    """The built page ``rel`` parsed by BeautifulSoup, once per process.

    The site tests only read the tree, so every test shares one parse of each
    page (parsing the eight chapter pages takes a few seconds).
    """
    from bs4 import BeautifulSoup

    return BeautifulSoup((html / rel).read_text(encoding="utf-8"), "html.parser")


def site_pages(html: Path = HTML) -> list[str]:
    """Every HTML page of the site (relative paths), without the root redirect."""
    pages = []
    for p in sorted(html.rglob("*.html")):
        rel = p.relative_to(html).as_posix()
        if rel.startswith(("_static/", "_sources/", "_images/")) or rel == "index.html":
            continue
        pages.append(rel)
    return pages


def search_targets(html: Path = HTML) -> dict[str, str]:
    """For three chapters, a word of their title (5+ letters) that few other titles share."""
    titles = {}
    for rel in site_pages(html):
        if not rel.startswith("book/") or rel in (
            "book/index.html",
            "book/bibliography.html",
        ):
            continue
        m = re.search(
            r"<h1[^>]*>(.*?)</h1>", (html / rel).read_text(encoding="utf-8"), re.S
        )
        if m:
            titles[rel] = re.sub(r"<[^>]+>", " ", m.group(1))
    words = {rel: set(re.findall(r"[A-Za-z]{5,}", t)) for rel, t in titles.items()}
    picks = sorted(titles)
    chosen = {}
    for rel in sorted({picks[0], picks[len(picks) // 2], picks[-1]}) if picks else []:
        others = [w for r, ws in words.items() if r != rel for w in ws]
        best = min(
            sorted(words[rel]), key=lambda w: (others.count(w), -len(w)), default=None
        )
        if best:
            chosen[best] = rel
    return chosen


# ------------------------------------------------------------------ the browser


async def _first_visible(locator):
    for i in range(await locator.count()):
        if await locator.nth(i).is_visible():
            return locator.nth(i)
    return None


TOOLTIP_SHOWN = """() => [...document.querySelectorAll('.tooltip.show')]
  .some(t => t.getClientRects().length > 0)"""


async def _tooltip_shown(page, touch: bool, linger: float = 0) -> bool:
    """Whether a tooltip stays on screen after a button was used.

    With a mouse, the pointer first leaves the buttons; a tooltip may then
    take the theme's hide delay (100 ms) to go, and must be gone within 1.5 s.
    With ``linger`` (ms), a tooltip that appears within that time counts too
    (the theme shows them after 500 ms, e.g. on a focused button).
    """
    if not touch:
        size = page.viewport_size
        await page.mouse.move(size["width"] / 2, size["height"] - 5)
    if linger:
        try:
            await page.wait_for_function(TOOLTIP_SHOWN, timeout=linger)
        except Exception:
            return False
    try:
        await page.wait_for_function(f"() => !({TOOLTIP_SHOWN})()", timeout=1500)
    except Exception:
        return True
    return False


async def _check_navigation(
    page, width: int, touch: bool = False, linger: float = 0
) -> list[str]:
    """Open and close each sidebar with its header button; return what failed.

    With ``touch`` the buttons are tapped, and a tooltip must not be left
    showing even though no pointer ever leaves them.
    """
    problems: list[str] = []

    async def press(button) -> None:
        await (button.tap() if touch else button.click())

    primary = await _first_visible(page.locator(".bd-header-article .primary-toggle"))
    if primary is None:
        return [f"{width} px: no visible ☰ (primary sidebar) button"]
    if width >= WIDE:
        for state, want in (("collapse", True), ("come back", False)):
            await press(primary)
            try:
                await page.wait_for_function(
                    "(want) => { const s = document.getElementById('pst-primary-sidebar');"
                    " return s.classList.contains('pst-sidebar-hidden') === want"
                    " && (getComputedStyle(s).visibility === 'hidden') === want; }",
                    arg=want,
                    timeout=5000,
                )
            except Exception:
                problems.append(f"{width} px: ☰ does not make the sidebar {state}")
            if await page.evaluate("() => !!document.querySelector('dialog[open]')"):
                problems.append(f"{width} px: ☰ opened a dialog instead")
                await page.keyboard.press("Escape")
            if await _tooltip_shown(page, touch, linger):
                problems.append(f"{width} px: a tooltip stays on screen after ☰")
        return problems

    for name, button_sel, dialog_sel, content_sel, close in (
        (
            "☰",
            ".primary-toggle",
            "#pst-primary-sidebar-modal",
            ".bd-docs-nav a",
            "Escape",
        ),
        (
            "contents",
            ".secondary-toggle",
            "#pst-secondary-sidebar-modal",
            "nav.page-toc a",
            "backdrop",
        ),
    ):
        button = await _first_visible(page.locator(f".bd-header-article {button_sel}"))
        if button is None:
            if (
                name == "contents"
                and not await page.locator(
                    "#pst-secondary-sidebar nav.page-toc a"
                ).count()
            ):
                continue  # a page without sections has no contents button
            problems.append(f"{width} px: no visible {name} button")
            continue
        await press(button)
        try:
            await page.wait_for_function(
                "([d, c]) => { const dialog = document.querySelector(d);"
                " return dialog.open && [...dialog.querySelectorAll(c)].some("
                " a => { const r = a.getBoundingClientRect();"
                " return r.width > 0 && r.right > 0 && r.left < innerWidth; }); }",
                arg=[dialog_sel, content_sel],
                timeout=5000,
            )
        except Exception:
            problems.append(f"{width} px: {name} does not open its sidebar")
            await page.keyboard.press("Escape")
            continue
        if close == "Escape":
            await page.keyboard.press("Escape")
        else:  # tap the backdrop beside the dialog (it slides in from one side)
            box = await page.locator(dialog_sel).bounding_box() or {"x": 0, "width": 0}
            left, right = box["x"], width - box["x"] - box["width"]
            x = left / 2 if left > right else width - right / 2
            await (page.touchscreen.tap(x, 400) if touch else page.mouse.click(x, 400))
        try:
            await page.wait_for_function(
                f"() => !document.querySelector({dialog_sel!r}).open", timeout=5000
            )
        except Exception:
            problems.append(f"{width} px: the {name} sidebar does not close ({close})")
            await page.keyboard.press("Escape")
        if await _tooltip_shown(page, touch, linger):
            problems.append(f"{width} px: a tooltip stays on screen after {name}")
    return problems


def _first_line(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {str(exc).strip().splitlines()[0] if str(exc).strip() else ''}"


async def _settle_cues(page) -> None:
    """Wait (up to 3 s) for klnotes.js to mark the formulas wider than their line."""
    try:
        await page.wait_for_function(CUES_SETTLED, timeout=3000)
    except Exception:
        pass  # the scroll-cue test reports the formulas left unmarked


async def _switch_theme(page, want: str) -> str | None:
    button = await _first_visible(page.locator(".theme-switch-button"))
    if button is None:
        return "no visible theme button"
    for _ in range(3):  # the button cycles auto -> dark -> light
        await button.click()
        if await page.evaluate("() => document.documentElement.dataset.theme") == want:
            break
    await page.wait_for_function(
        "() => [...document.images].every(i => i.complete)", timeout=30_000
    )
    return None


class _Session:
    def __init__(
        self, browser, server: SiteServer, shots: Path | None, full_page: bool
    ):
        self.browser = browser
        self.server = server
        self.shots = shots
        self.full_page = full_page

    async def context(self, visit_log: list[Visit], **options):
        """A fresh context that blocks and records requests leaving 127.0.0.1."""
        ctx = await self.browser.new_context(
            device_scale_factor=1, reduced_motion="reduce", **options
        )
        await ctx.add_init_script(TYPESET_HOOK)
        host = urlsplit(self.server.base).netloc

        async def route(r):
            parts = urlsplit(r.request.url)
            if parts.scheme in ("http", "https", "ws", "wss") and parts.netloc != host:
                for v in visit_log:
                    v.blocked.append(r.request.url)
                await r.abort()
            else:
                await r.continue_()

        await ctx.route("**/*", route)
        page = await ctx.new_page()

        def log(message: str) -> None:
            for v in visit_log:
                v.console.append(message)

        page.on(
            "console",
            lambda m: log(f"console.{m.type}: {m.text}") if m.type == "error" else None,
        )
        page.on("pageerror", lambda e: log(f"page error: {e}"))
        page.on(
            "response",
            lambda r: log(f"HTTP {r.status}: {r.url}") if r.status >= 400 else None,
        )
        return ctx, page

    async def shot(self, page, rel: str, width: int, theme: str) -> None:
        if self.shots:
            stem = rel.replace("/", "_").removesuffix(".html")
            await page.screenshot(
                path=self.shots / f"{stem}-{width}-{theme}.jpg",
                full_page=self.full_page,
                quality=70,
            )

    async def page_pass(self, rel: str) -> list[Visit]:
        """Steps 1-4 of the module docstring for one page."""
        wide, narrow = Visit(rel, DESKTOP), Visit(rel, PHONE)
        start = time.perf_counter()
        ctx, page = await self.context(
            [wide, narrow],
            viewport={"width": DESKTOP, "height": 900},
            color_scheme="light",
        )
        last = start

        def lap(step: str) -> None:
            nonlocal last
            now = time.perf_counter()
            wide.phases[step] = round(now - last, 2)
            last = now

        try:
            await page.goto(self.server.url(rel), wait_until="load")
            await page.wait_for_function(
                "() => window.__klnotesTypesetMs !== undefined", timeout=120_000
            )
            wide.typeset_ms = narrow.typeset_ms = await page.evaluate(
                "() => window.__klnotesTypesetMs"
            )
            lap("typeset")
            await _settle_cues(page)
            wide.probes["light"] = await page.evaluate(PROBE, True)
            lap("probe")
            await self.shot(page, rel, DESKTOP, "light")
            lap("shot")
            wide.navigation += await _check_navigation(page, DESKTOP)
            lap("nav")
            if problem := await _switch_theme(page, "dark"):
                wide.navigation.append(problem)
            wide.probes["dark"] = await page.evaluate(PROBE, False)
            lap("dark")
            await self.shot(page, rel, DESKTOP, "dark")
            lap("shot dark")

            await page.set_viewport_size({"width": PHONE, "height": 844})
            await _settle_cues(page)
            narrow.probes["dark"] = await page.evaluate(PROBE, True)
            lap("narrow probe")
            await self.shot(page, rel, PHONE, "dark")
            narrow.navigation += await _check_navigation(page, PHONE)
            lap("narrow nav")
            if problem := await _switch_theme(page, "light"):
                narrow.navigation.append(problem)
            narrow.probes["light"] = await page.evaluate(PROBE, False)
            await self.shot(page, rel, PHONE, "light")
            lap("narrow light")
        except Exception as exc:  # report, and go on with the other pages
            wide.errors.append(_first_line(exc))
            narrow.errors.append(_first_line(exc))
        finally:
            wide.seconds = narrow.seconds = time.perf_counter() - start
            await ctx.close()
        return [wide, narrow]

    async def phone_pass(self, rel: str) -> Visit:
        """A first visit from a phone whose system is in dark mode."""
        visit = Visit(rel, PHONE)
        start = time.perf_counter()
        ctx, page = await self.context(
            [visit],
            viewport={"width": PHONE, "height": 844},
            is_mobile=True,
            has_touch=True,
            color_scheme="dark",
        )
        try:
            await page.goto(self.server.url(rel), wait_until="load")
            await page.wait_for_function(
                "() => window.__klnotesTypesetMs !== undefined", timeout=120_000
            )
            visit.typeset_ms = await page.evaluate("() => window.__klnotesTypesetMs")
            await page.wait_for_function(
                "() => [...document.images].every(i => i.complete)", timeout=30_000
            )
            visit.probes["dark"] = await page.evaluate(PROBE, True)
            visit.navigation += await _check_navigation(
                page, PHONE, touch=True, linger=800
            )
        except Exception as exc:
            visit.errors.append(_first_line(exc))
        finally:
            visit.seconds = time.perf_counter() - start
            await ctx.close()
        return visit

    async def tablet_pass(self, rel: str) -> Visit:
        visit = Visit(rel, TABLET)
        start = time.perf_counter()
        ctx, page = await self.context(
            [visit], viewport={"width": TABLET, "height": 1000}, color_scheme="light"
        )
        try:
            await page.goto(self.server.url(rel), wait_until="load")
            visit.navigation += await _check_navigation(page, TABLET, linger=800)
            await page.set_viewport_size({"width": DESKTOP, "height": 900})
            visit.navigation += await _check_navigation(page, DESKTOP, linger=800)
        except Exception as exc:
            visit.errors.append(_first_line(exc))
        finally:
            visit.seconds = time.perf_counter() - start
            await ctx.close()
        return visit

    async def search(self, word: str) -> list[str]:
        """Search from the sidebar's search field, as a reader does."""
        visit = Visit("search", DESKTOP)
        ctx, page = await self.context(
            [visit], viewport={"width": DESKTOP, "height": 900}
        )
        try:
            await page.goto(self.server.url("book/index.html"))
            await (await _first_visible(page.locator(".search-button__button"))).click()
            field_ = page.locator("#pst-search-dialog input[name=q]")
            await field_.fill(word)
            await field_.press("Enter")
            await page.wait_for_url(re.compile(r"search\.html"))
            await page.locator("#search-results li a").first.wait_for(timeout=30_000)
            return await page.eval_on_selector_all(
                "#search-results li a", "as => as.map(a => a.getAttribute('href'))"
            )
        except Exception as exc:
            return [f"search failed: {exc}".splitlines()[0]]
        finally:
            await ctx.close()


async def _survey(
    html,
    pages,
    shots,
    full_page,
    phone_pages,
    tablet_pages,
    words,
    concurrency,
    chromium,
) -> Survey:
    from playwright.async_api import async_playwright

    if shots:
        shots.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    with SiteServer(html) as server:
        async with async_playwright() as pw:
            browser = await pw.chromium.launch(
                executable_path=chromium, args=site_browser.CHROMIUM_ARGS
            )
            session = _Session(browser, server, shots, full_page)
            gate = asyncio.Semaphore(concurrency)

            async def gated(coro):
                async with gate:
                    return await coro

            try:
                passes = await asyncio.gather(
                    *(gated(session.page_pass(r)) for r in pages),
                    *(gated(session.phone_pass(r)) for r in phone_pages),
                    *(gated(session.tablet_pass(r)) for r in tablet_pages),
                    *(gated(session.search(w)) for w in words),
                )
            finally:
                await browser.close()
    n, m, k = len(pages), len(phone_pages), len(tablet_pages)
    return Survey(
        visits=[v for pair in passes[:n] for v in pair],
        phone=list(passes[n : n + m]),
        tablet=list(passes[n + m : n + m + k]),
        search=dict(zip(words, passes[n + m + k :])),
        seconds=time.perf_counter() - start,
    )


def survey(
    html: Path = HTML,
    pages: list[str] | None = None,
    *,
    shots: Path | None = None,
    full_page: bool = False,
    phone_pages: list[str] = (),
    tablet_pages: list[str] = (),
    search_words: list[str] = (),
    concurrency: int = 2,
    chromium: str | None = None,
) -> Survey:
    """Visit ``pages`` (default: all); see the module docstring.

    ``shots``: a folder for screenshots (the first screen of each page and
    width, or whole pages with ``full_page``). ``phone_pages`` and
    ``tablet_pages`` get the phone and tablet passes; ``search_words`` are
    searched for.
    """
    chromium = chromium or site_browser.find_chromium()
    if chromium is None:
        raise RuntimeError(site_browser.HOW_TO_GET_ONE)
    return asyncio.run(
        _survey(
            html,
            pages or site_pages(html),
            shots,
            full_page,
            list(phone_pages),
            list(tablet_pages),
            list(search_words),
            concurrency,
            chromium,
        )
    )


# ------------------------------------------------------------- derived checks


def over_wide(probe: dict) -> list[dict]:
    """Display formulas wider than the line they sit on."""
    return [f for f in probe.get("formulas", []) if f["width"] > f["avail"] + 1]


def formula_name(f: dict) -> str:
    """An equation's number, else its label, else the start of its TeX."""
    if f["eqno"]:
        return f"({f['eqno'].strip('()')})"
    if f["id"]:
        return "#" + f["id"]
    return f["tex"][:40]


def figure_text(probe: dict, html: Path = HTML) -> list[dict]:
    """Each visible figure with its smallest text as shown (CSS px), from its SVG."""
    from klnotes import style

    out = []
    for img in probe.get("images", []):
        if not (img["inFigure"] and img["visible"]):
            continue
        path = _local_path(img["url"], html)
        row = {
            "src": img["src"],
            "figure": img["figure"],
            "caption": img.get("caption", ""),
            "width": img["width"],
            "min_pt": None,
            "svg": path is not None and path.suffix == ".svg",
            "min_px": None,
            "width_in": None,
            "sharp_2x": img["naturalWidth"] >= 2 * img["width"],
        }
        if row["svg"] and path.is_file():
            svg = path.read_text(encoding="utf-8")
            sizes = style.svg_text_sizes(svg)
            width_pt = style.svg_width_pt(svg)
            row["width_in"] = width_pt / 72
            row["sharp_2x"] = True  # vector
            row["width_pt"] = width_pt
            if sizes and img["width"]:
                row["min_pt"] = min(sizes)
                row["min_px"] = min(sizes) * img["width"] / width_pt
        out.append(row)
    return out


def _local_path(url: str, html: Path) -> Path | None:
    parts = urlsplit(url)
    if parts.hostname != "127.0.0.1":
        return None
    path = html / unquote(parts.path).lstrip("/")
    if path.is_dir():
        path = path / "index.html"
    return path


def broken_links(visits: list[Visit], html: Path = HTML) -> list[str]:
    """Internal links whose file or anchor does not exist."""
    ids: dict[Path, set[str]] = {}
    for v in visits:
        if v.full:
            ids[(html / v.page).resolve()] = set(v.full["ids"])
    broken, seen = [], set()
    for v in visits:
        for link in v.full.get("links", []):
            parts = urlsplit(link["url"])
            if parts.scheme not in ("http", "https") or parts.hostname != "127.0.0.1":
                continue
            if (v.page, link["url"]) in seen:
                continue
            seen.add((v.page, link["url"]))
            target = _local_path(link["url"], html)
            if target is None or not target.exists():
                broken.append(f"{v.page}: {link['href']} (no such file)")
                continue
            frag = unquote(parts.fragment)
            if not frag or target.suffix != ".html":
                continue
            known = ids.get(target.resolve())
            if known is None:
                text = target.read_text(encoding="utf-8", errors="replace")
                known = ids[target.resolve()] = set(re.findall(r'\bid="([^"]+)"', text))
            if frag not in known:
                broken.append(f"{v.page}: {link['href']} (no anchor #{frag})")
    return broken

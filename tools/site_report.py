"""What a reader's browser makes of the built book, page by page.

    python tools/site_report.py [--html DIR] [--pages book/elbo.html ...]
                                [--screenshots DIR] [--json FILE] [--jobs N]

Runs the same survey as tests/site (tools/site_check.py: headless Chromium on
127.0.0.1, 1280 px and 390 px, light and dark) and prints:

* per page: formulas typeset, display formulas, the widest display formula
  against the line it sits on, how many display formulas are wider than their
  line at 1280 px (in theorem-like blocks) and at 390 px, console errors, and
  the time from navigation to MathJax's typeset promise;
* every display formula wider than its line at 1280 px: page, equation number
  (or label, or its first TeX characters), width against the line, and the
  theorem-like block it is in;
* figures whose smallest text is under 9 px as shown at 1280 px, with the
  font size or figure width that would fix them;
* outputs that are a bare Python repr (``(array(``, ``(Eq(``, ``<Figure size``
  ...), with the last line of the cell that left them;
* code cells and outputs that scroll sideways at 1280 px, console errors,
  blocked requests, navigation failures and broken links.

Pages are read one at a time by default (``--jobs 1``), so that the typeset
times are not inflated by each other. ``--screenshots DIR`` saves whole pages.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict
from pathlib import Path

import site_check
from site_check import DESKTOP, PHONE

MIN_PX = 9.0


def _table(rows: list[list[str]], header: list[str]) -> str:
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    line = lambda r: "  ".join(  # noqa: E731
        str(c).ljust(w) if i == 0 else str(c).rjust(w)
        for i, (c, w) in enumerate(zip(r, widths))
    )
    return "\n".join([line(header), line(["-" * w for w in widths]), *map(line, rows)])


def report(survey: site_check.Survey, html: Path) -> str:
    out: list[str] = []
    pages = sorted({v.page for v in survey.visits})
    by = {(v.page, v.width): v for v in survey.visits}

    rows = []
    for page in pages:
        wide, narrow = by[(page, DESKTOP)], by[(page, PHONE)]
        full = wide.full
        if not full:
            rows.append(
                [page, "-", "-", "(not read)", "-", "-", len(wide.console), "-"]
            )
            continue
        formulas = full["formulas"]
        widest = max(formulas, key=lambda f: f["width"] - f["avail"], default=None)
        over = site_check.over_wide(full)
        in_thm = sum(1 for f in over if f["theorem"])
        rows.append(
            [
                page,
                full["mathCount"],
                len(formulas),
                f"{widest['width']} / {widest['avail']} px" if widest else "-",
                f"{len(over)} ({in_thm})",
                len(site_check.over_wide(narrow.full)),
                len(set(wide.console)),
                f"{wide.typeset_ms / 1000:.2f} s" if wide.typeset_ms else "-",
            ]
        )
    out.append(
        _table(
            rows,
            [
                "page",
                "formulas",
                "display",
                "widest display / its line",
                "over-wide 1280 (in thm)",
                "over-wide 390",
                "console errors",
                "load to typeset",
            ],
        )
    )
    total = sum(by[(p, DESKTOP)].full.get("mathCount", 0) for p in pages)
    out.append(
        f"\n{total} formulas on {len(pages)} pages; survey took {survey.seconds:.0f} s."
    )

    def section(title: str, lines: list[str]) -> None:
        out.append(f"\n{title}: {len(lines) if lines else 'none'}")
        out.extend(f"  {line}" for line in lines)

    lines = []
    for page in pages:
        for f in site_check.over_wide(by[(page, DESKTOP)].full):
            where = f"  [{f['theorem']}]" if f["theorem"] else ""
            lines.append(
                f"{page}  {site_check.formula_name(f)}  {f['width']} px in {f['avail']} px"
                f"{where}  {f['tex'][:50]}"
            )
    section("Display formulas wider than their line at 1280 px", lines)

    lines = []
    for page in pages:
        for r in site_check.figure_text(by[(page, DESKTOP)].full, html):
            if r["min_px"] is None or r["min_px"] >= MIN_PX:
                continue
            name = r["caption"] or r["figure"] or r["src"]
            need_pt = MIN_PX * r["width_pt"] / r["width"]
            fix = f"text >= {need_pt:.1f} pt at this width"
            if r["min_pt"] * 4 / 3 >= MIN_PX:
                fix += f", or the figure <= {r['width'] / 96:.1f} in wide"
            lines.append(
                f"{page}  {name}: {r['min_px']:.1f} px (smallest text {r['min_pt']:.1f} pt,"
                f" {r['width_in']:.1f}-in figure shown at {r['width']} px); needs {fix}"
            )
    section(f"Figures with text under {MIN_PX:g} px at 1280 px", lines)

    lines = [
        f"{page}  {o['repr'][:60]!r}  (cell ending: {o['cellSource']!r})"
        for page in pages
        for o in by[(page, DESKTOP)].full.get("outputs", [])
        if o["repr"]
    ]
    section("Outputs that are a bare Python repr", lines)

    lines = [
        f"{page}  {c['maxColumns']} columns: {c['first'][:60]!r}"
        for page in pages
        for c in by[(page, DESKTOP)].full.get("code", [])
        if c["scrolls"]
    ]
    section("Code cells that scroll sideways at 1280 px (lines over 88 columns)", lines)

    lines = [
        f"{page} at {w} px: 88 columns need {c['cols88']} px of {c['avail']} px"
        for page in pages
        for w in (DESKTOP,)
        for c in by[(page, w)].full.get("code", [])
        if not c["fits88"]
    ][:20]
    section("Code cells where 88 columns do not fit at 1280 px", lines)

    lines = [
        f"{page} at {w} px: {o['text'][:60]!r}"
        for page in pages
        for w in (DESKTOP, PHONE)
        for o in by[(page, w)].full.get("outputs", [])
        if o["scrolls"]
    ]
    section("Outputs that scroll sideways", lines)

    visits = survey.visits + survey.phone + survey.tablet
    section(
        "Console errors", sorted({f"{v.page}: {c}" for v in visits for c in v.console})
    )
    section(
        "Requests that tried to leave 127.0.0.1",
        sorted({f"{v.page}: {b}" for v in visits for b in v.blocked}),
    )
    section(
        "Navigation", sorted({f"{v.page}: {n}" for v in visits for n in v.navigation})
    )
    section(
        "Survey errors",
        sorted({f"{v.page} at {v.width} px: {e}" for v in visits for e in v.errors}),
    )
    section("Broken internal links", site_check.broken_links(survey.visits, html))
    search = [f"{w!r}: {', '.join(r[:4])}" for w, r in survey.search.items()]
    section("Search", search)
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--html", type=Path, default=site_check.HTML)
    parser.add_argument(
        "--pages", nargs="*", help="pages relative to the site (default: all)"
    )
    parser.add_argument(
        "--screenshots", type=Path, help="save whole-page screenshots here"
    )
    parser.add_argument(
        "--json", type=Path, help="also write every measurement as JSON"
    )
    parser.add_argument(
        "--jobs", type=int, default=1, help="pages read at once (default 1)"
    )
    args = parser.parse_args(argv)
    html = args.html.resolve()
    if not (html / "index.html").is_file():
        print(f"no built site in {html}: run `make book` first", file=sys.stderr)
        return 2
    try:
        survey = site_check.survey(
            html,
            args.pages,
            shots=args.screenshots,
            full_page=True,
            search_words=list(site_check.search_targets(html)),
            concurrency=args.jobs,
        )
    except RuntimeError as exc:
        print(exc, file=sys.stderr)
        return 1
    print(report(survey, html))
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "visits": [asdict(v) for v in survey.visits],
                    "search": survey.search,
                    "seconds": survey.seconds,
                },
                indent=1,
            )
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())

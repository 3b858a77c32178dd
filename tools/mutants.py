"""Mutation testing of the book: each realistic error must fail the chapter named for it.

    python tools/mutants.py [--jobs N] [--only NAME ...] [FILE.toml ...]

Every file in ``tests/mutants/`` lists mutants as TOML tables::

    [[mutant]]
    name = "kl-scaled"                    # short id
    why = "kn.kl 1% too large"            # the realistic error it stands for
    file = "klnotes/divergences.py"       # the file to change
    find = "return from_nats(xp.sum(terms, axis=-1), base)"   # exact text, once
    replace = "return from_nats(1.01 * xp.sum(terms, axis=-1), base)"
    chapters = ["chain-rule"]             # each must FAIL with the change

For each mutant the tree is copied to a temporary folder, the one change is
applied there, and each named chapter is executed in a fresh kernel that
imports the mutated ``klnotes`` (``PYTHONPATH`` points at the copy). The mutant
is *killed* when the chapter fails; a chapter that still passes is a
*survivor*, and any survivor makes the command exit 1. A ``find`` text that
does not occur exactly once is an error too, so a list cannot rot silently.
"""

from __future__ import annotations

import argparse
import concurrent.futures as cf
import os
import re
import shutil
import sys
import tempfile
import time
import tomllib
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MUTANTS = ROOT / "tests" / "mutants"
COPIED = (
    "klnotes",
    "book",
    "_config.yml",
    "_toc.yml",
    "pyproject.toml",
    "constraints.txt",
)


@dataclass(frozen=True)
class Mutant:
    name: str
    why: str
    file: str
    find: str
    replace: str
    chapters: tuple[str, ...]
    source: str


def load(files: list[Path]) -> list[Mutant]:
    out, seen = [], set()
    for f in files:
        data = tomllib.loads(f.read_text(encoding="utf-8"))
        for i, m in enumerate(data.get("mutant", [])):
            where = f"{f.relative_to(ROOT)} mutant {i + 1}"
            missing = {"name", "why", "file", "find", "replace", "chapters"} - set(m)
            if missing:
                raise SystemExit(f"{where}: missing {sorted(missing)}")
            if m["name"] in seen:
                raise SystemExit(f"{where}: duplicate name {m['name']!r}")
            seen.add(m["name"])
            if m["find"] == m["replace"]:
                raise SystemExit(f"{where}: find and replace are the same")
            out.append(
                Mutant(
                    m["name"],
                    m["why"],
                    m["file"],
                    m["find"],
                    m["replace"],
                    tuple(m["chapters"]),
                    str(f.relative_to(ROOT)),
                )
            )
    return out


def check_applies(m: Mutant) -> None:
    text = (ROOT / m.file).read_text(encoding="utf-8")
    count = text.count(m.find)
    if count != 1:
        raise SystemExit(
            f"{m.source} {m.name}: the text to change occurs {count} times in {m.file}"
            " (it must occur exactly once); update the mutant with the code"
        )
    for ch in m.chapters:
        if not (ROOT / "book" / f"{ch}.md").exists():
            raise SystemExit(f"{m.source} {m.name}: no chapter book/{ch}.md")


def run_one(m: Mutant) -> tuple[Mutant, list[tuple[str, bool, str, float]]]:
    sys.path.insert(0, str(ROOT / "tools"))
    import book

    results = []
    with tempfile.TemporaryDirectory(prefix=f"mutant-{m.name}-") as tmp:
        tmp = Path(tmp)
        for name in COPIED:
            src = ROOT / name
            if src.is_dir():
                shutil.copytree(
                    src, tmp / name, ignore=shutil.ignore_patterns("__pycache__")
                )
            else:
                shutil.copy(src, tmp / name)
        target = tmp / m.file
        target.write_text(
            target.read_text(encoding="utf-8").replace(m.find, m.replace),
            encoding="utf-8",
        )
        os.environ["PYTHONPATH"] = str(tmp)
        for ch in m.chapters:
            start = time.perf_counter()
            try:
                book.execute_chapter(tmp / "book" / f"{ch}.md")
            except book.ChapterFailed as exc:
                text = str(exc)
                cell = re.search(r"\(code cell (\d+)\)", text)
                check = re.search(r"(\w*CheckFailed): ([^\n]*)", text)
                detail = f"cell {cell.group(1) if cell else '?'}: " + (
                    f"{check.group(1)}: {check.group(2)[:90]}"
                    if check
                    else text.splitlines()[-1][:110]
                )
                results.append((ch, True, detail, time.perf_counter() - start))
            else:
                results.append(
                    (ch, False, "every check passed", time.perf_counter() - start)
                )
    return m, results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("files", nargs="*", type=Path)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--only", nargs="*", default=None, help="mutant names to run")
    args = parser.parse_args(argv)
    files = [f.resolve() for f in args.files] or sorted(MUTANTS.glob("*.toml"))
    mutants = load(files)
    if args.only:
        mutants = [m for m in mutants if m.name in set(args.only)]
    if not mutants:
        print("[mutants] no mutants to run", file=sys.stderr)
        return 1
    for m in mutants:
        check_applies(m)
    start = time.perf_counter()
    survivors = 0
    print(
        f"[mutants] {len(mutants)} mutants from {len(files)} file(s), {args.jobs} at a time"
    )
    with cf.ProcessPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        for i, (m, results) in enumerate(pool.map(run_one, mutants), 1):
            for ch, killed, detail, seconds in results:
                survivors += not killed
                mark = "killed  " if killed else "SURVIVED"
                print(
                    f"[{i}/{len(mutants)}] {mark} {m.name} ({m.why}) in {ch}, {seconds:.1f} s — {detail}"
                )
    total = time.perf_counter() - start
    verdict = "every mutant was killed" if not survivors else f"{survivors} survivor(s)"
    print(f"[mutants] {verdict}; {total:.0f} s")
    return 1 if survivors else 0


if __name__ == "__main__":
    sys.exit(main())

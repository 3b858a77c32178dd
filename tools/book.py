"""Execute and build the book: the one script behind `make book` and `make test`.

    python tools/book.py execute [CHAPTER ...] [--jobs N] [--stale-only]
        Execute chapters (default: every chapter in _toc.yml) in parallel, each
        in a fresh kernel, and store the executed notebooks in the Jupyter cache
        that the build reads. A failure names the chapter and the failing cell.

    python tools/book.py build [--fresh] [--root DIR]
        Build the HTML with Sphinx warnings as errors (-W --keep-going).
        Chapters already executed come from the cache; any that are not are
        executed by myst-nb, which raises on the first error.

    python tools/book.py check CHAPTER
        Execute one chapter and build it alone into _build/single/NAME, for
        working on a chapter without building the whole book.

    python tools/book.py manifest [CHAPTER ...]
        Execute the chapters (reusing the cache) and rewrite their committed
        lists of checks, tests/chapter_checks/NAME.tsv (role, claim, name).

Cache safety: the cache is keyed by each chapter's code, and this script wipes
it whenever the helper package (klnotes/), pyproject.toml, constraints.txt or
the installed versions of the numerical stack change (a provenance hash stamp
in the cache folder, klnotes/provenance.py). Notebooks executed by the tests
carry the same hash and are discarded if it no longer matches; every chapter's
check records carry it too, and the build refuses a page whose records were
made by other helpers. So a cached output can never hide a change to klnotes.
"""

from __future__ import annotations

import argparse
import concurrent.futures as cf
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STAMP_NAME = "klnotes.sha256"
RECORDS_MIME = "application/vnd.klnotes.checks+json"
MANIFESTS = ROOT / "tests" / "chapter_checks"


class ChapterFailed(RuntimeError):
    """A chapter raised while executing; the message names chapter and cell."""


def chapters_in_toc(root: Path = ROOT) -> list[Path]:
    """Every notebook chapter listed in ``_toc.yml`` (files with a jupytext header)."""
    import yaml

    toc = yaml.safe_load((root / "_toc.yml").read_text())
    files = [toc["root"]]

    def walk(node: object) -> None:
        if isinstance(node, dict):
            if "file" in node:
                files.append(node["file"])
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(toc.get("parts", toc.get("chapters", [])))
    paths = [root / (f if f.endswith(".md") else f + ".md") for f in files]
    return [p for p in paths if p.read_text().startswith("---\njupytext:")]


def _load_by_path(name: str):
    """Load a stdlib-only module of klnotes without importing the package (and JAX)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        f"_klnotes_{name}", ROOT / "klnotes" / f"{name}.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


provenance = _load_by_path("provenance")
HASHED = provenance.HASHED


def helper_hash(root: Path = ROOT) -> str:
    """The provenance hash of ``root``: klnotes/, the pins and the installed versions."""
    return provenance.source_hash(root)


def cache_dir(root: Path = ROOT) -> Path:
    return root / "_build" / ".jupyter_cache"


def guard_cache(root: Path = ROOT) -> None:
    """Wipe the execution cache if klnotes (or the environment spec) changed."""
    cdir = cache_dir(root)
    stamp = cdir / STAMP_NAME
    current = helper_hash(root)
    if cdir.exists() and (not stamp.exists() or stamp.read_text().strip() != current):
        print(
            f"[book] klnotes or the environment changed: clearing {cdir.relative_to(root)}"
        )
        shutil.rmtree(cdir)
    cdir.mkdir(parents=True, exist_ok=True)
    stamp.write_text(current + "\n")


def read_chapter(path: Path):
    """Read a chapter exactly as myst-nb does, so cache keys match the build's."""
    from myst_nb.core.read import read_myst_markdown_notebook
    from myst_parser.config.main import MdParserConfig

    return read_myst_markdown_notebook(
        path.read_text(), MdParserConfig(), path=str(path)
    )


def execute_chapter(path: Path, timeout: int = 600) -> tuple[object, float]:
    """Execute one chapter in a fresh kernel with the chapter's folder as cwd.

    Returns the executed notebook and the wall-clock seconds. Raises
    :class:`ChapterFailed` naming the chapter, the cell and the error.
    """
    import zmq
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError
    from traitlets.config import Config

    path = Path(path).resolve()
    nb = read_chapter(path)
    # CurveZMQ keys for the kernel's sockets: ipykernel otherwise warns, once per
    # chapter, that it runs over TCP without encryption.
    encrypt = "auto" if zmq.has("curve") else "disabled"
    client = NotebookClient(
        nb,
        timeout=timeout,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
        allow_errors=False,
        record_timing=False,  # timing metadata would change the cache key
        config=Config({"KernelManager": {"transport_encryption": encrypt}}),
    )
    start = time.perf_counter()
    try:
        client.execute()
    except CellExecutionError as exc:
        cell = next(
            (
                i
                for i, c in enumerate(nb.cells)
                if c.cell_type == "code"
                and any(o.get("output_type") == "error" for o in c.get("outputs", []))
            ),
            None,
        )
        line = ""
        if cell is not None:
            line = f" (code cell {sum(1 for c in nb.cells[:cell] if c.cell_type == 'code') + 1})"
        rel = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path
        message = re.sub(r"\x1b\[[0-9;]*m", "", str(exc))
        raise ChapterFailed(f"chapter {rel}{line} failed:\n{message}") from None
    return nb, time.perf_counter() - start


def cache_executed(path: Path, nb: object, seconds: float, root: Path = ROOT) -> None:
    """Store an executed chapter in the Jupyter cache used by the build."""
    from jupyter_cache import get_cache
    from jupyter_cache.base import CacheBundleIn

    cache = get_cache(str(cache_dir(root)))
    cache.cache_notebook_bundle(
        CacheBundleIn(
            nb, str(Path(path).resolve()), data={"execution_seconds": seconds}
        ),
        check_validity=False,
        overwrite=True,
    )


def executed_dir(root: Path = ROOT) -> Path:
    return root / "_build" / "executed"


def save_executed(path: Path, nb: object, seconds: float, root: Path = ROOT) -> Path:
    """Write an executed chapter to _build/executed/ for the next build to cache.

    Used by the chapter tests, which run in parallel worker processes: they
    write plain files, and the build imports them into the cache one by one.
    The file carries the provenance hash of the helpers it was executed with,
    taken from the chapter's own check records when it has them.
    """
    import nbformat

    out = executed_dir(root)
    out.mkdir(parents=True, exist_ok=True)
    payload = chapter_records(nb)
    nb.metadata["klnotes_execution"] = {
        "source": str(Path(path).resolve()),
        "seconds": seconds,
        "klnotes_hash": payload["klnotes_hash"] if payload else helper_hash(root),
    }
    target = out / (Path(path).stem + ".ipynb")
    nbformat.write(nb, str(target))
    return target


def import_executed(root: Path = ROOT) -> int:
    """Move chapters executed by the tests into the cache (after :func:`guard_cache`).

    A notebook executed with other helpers than the tree has now (its
    ``klnotes_hash`` differs, or it has none) is discarded, never cached: the
    build then executes that chapter afresh, so a page can never show outputs
    of an older klnotes, and a chapter broken by the change fails the build.
    """
    import nbformat

    current = helper_hash(root)
    count = 0
    for f in sorted(executed_dir(root).glob("*.ipynb")):
        nb = nbformat.read(str(f), as_version=4)
        meta = nb.metadata.pop("klnotes_execution", {})
        if meta.get("klnotes_hash") != current:
            print(
                f"[book] discarding {f.relative_to(root)}: it was executed with other"
                " klnotes or environment than the tree has now; it will be re-executed"
            )
            f.unlink()
            continue
        cache_executed(
            Path(meta.get("source", f)), nb, float(meta.get("seconds", 0.0)), root
        )
        f.unlink()
        count += 1
    return count


def chapter_records(nb: object) -> dict | None:
    """The check payload a chapter's ``checks.summary()`` cell left, or None."""
    found = [
        out["metadata"][RECORDS_MIME]
        for cell in nb.cells
        if cell.cell_type == "code"
        for out in cell.get("outputs", [])
        if RECORDS_MIME in out.get("metadata", {})
    ]
    if len(found) > 1:
        raise ChapterFailed("a chapter must show checks.summary() exactly once")
    return found[0] if found else None


def manifest_path(chapter: Path) -> Path:
    return MANIFESTS / f"{Path(chapter).stem}.tsv"


MANIFEST_HEADER = (
    "# The checks this chapter runs: role, claim, name (one line each, in order).\n"
    "# Generated by `python tools/book.py manifest`; tests/test_chapters.py fails when a\n"
    "# check disappears, is added or changes role until this file is updated with it.\n"
)


def manifest_lines(payload: dict) -> list[str]:
    return [
        "\t".join((r["role"], r["claim"], r["name"].replace("\t", " ")))
        for r in payload["checks"]
    ]


def read_manifest(chapter: Path) -> list[str] | None:
    path = manifest_path(chapter)
    if not path.exists():
        return None
    return [
        line
        for line in path.read_text(encoding="utf-8").splitlines()
        if line and not line.startswith("#")
    ]


def write_manifest(chapter: Path, payload: dict) -> Path:
    path = manifest_path(chapter)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        MANIFEST_HEADER + "".join(f"{line}\n" for line in manifest_lines(payload)),
        encoding="utf-8",
    )
    return path


def manifest(chapters: list[Path], root: Path = ROOT) -> int:
    """Execute the chapters (reusing the cache) and rewrite their check manifests."""
    from jupyter_cache import get_cache

    code = execute(chapters, stale_only=True, root=root)
    if code:
        return code
    cache = get_cache(str(cache_dir(root)))
    for chapter in chapters:
        record = cache.match_cache_notebook(read_chapter(chapter))
        payload = chapter_records(cache.get_cache_bundle(record.pk).nb)
        if payload is None:
            print(
                f"[book] {chapter.name} has no checks.summary() cell", file=sys.stderr
            )
            return 1
        path = write_manifest(chapter, payload)
        print(
            f"[book] wrote {path.relative_to(root)} ({len(payload['checks'])} checks)"
        )
    return 0


def is_cached(path: Path, root: Path = ROOT) -> bool:
    from jupyter_cache import get_cache

    cache = get_cache(str(cache_dir(root)))
    try:
        cache.match_cache_notebook(read_chapter(path))
    except KeyError:
        return False
    return True


def _execute_one(path: str) -> tuple[str, object, float, str | None]:
    try:
        nb, seconds = execute_chapter(Path(path))
    except ChapterFailed as exc:
        return path, None, 0.0, str(exc)
    return path, nb, seconds, None


def execute(
    chapters: list[Path], jobs: int = 2, stale_only: bool = False, root: Path = ROOT
) -> int:
    guard_cache(root)
    todo = [c for c in chapters if not (stale_only and is_cached(c, root))]
    if not todo:
        print("[book] every chapter is up to date in the cache")
        return 0
    failures = []
    print(
        f"[book] executing {len(todo)} chapter(s), {max(1, jobs)} at a time", flush=True
    )
    with cf.ProcessPoolExecutor(max_workers=max(1, jobs)) as pool:
        results = pool.map(_execute_one, [str(c) for c in todo])
        for i, (path, nb, seconds, err) in enumerate(results, 1):
            step = f"[{i}/{len(todo)}] {Path(path).stem}"
            if err:
                failures.append(err)
                print(f"{step} FAILED", file=sys.stderr, flush=True)
            else:
                cache_executed(Path(path), nb, seconds, root)
                print(f"{step} … {seconds:.1f} s", flush=True)
    for err in failures:
        print(err, file=sys.stderr)
    return 1 if failures else 0


def run_build(
    root: Path = ROOT,
    *,
    fresh: bool = False,
    strict: bool = True,
    capture: bool = False,
    env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess:
    """Guard the cache, then run `jupyter-book build` on ``root``.

    ``strict`` turns every Sphinx warning into an error (``-W --keep-going``:
    all warnings are reported, then the build fails). ``fresh`` rebuilds every
    page, so that warnings from unchanged pages are reported again.
    """
    guard_cache(root)
    imported = import_executed(root)
    if imported:
        print(f"[book] cached {imported} chapter(s) executed by the tests")
    cmd = [str(Path(sys.executable).parent / "jupyter-book"), "build", str(root)]
    if strict:
        cmd += ["--warningiserror", "--keep-going"]
    if fresh:
        cmd.append("--all")
    kwargs: dict = {"cwd": root, "env": {**os.environ, **(env or {})}}
    kwargs.update(stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if capture:
        return subprocess.run(cmd, **kwargs)
    # Show only warnings and errors as they come; print the whole log if it fails.
    print("[book] building the HTML (every Sphinx warning is an error)", flush=True)
    log = []
    with subprocess.Popen(cmd, **kwargs) as proc:
        for line in proc.stdout:
            log.append(line)
            plain = re.sub(r"\x1b\[[0-9;]*m", "", line)
            if re.search(r"WARNING|ERROR|Executing notebook", plain):
                print(plain, end="", flush=True)
    if proc.returncode:
        print(
            "".join(re.sub(r"\x1b\[[0-9;]*m", "", x) for x in log),
            end="",
            file=sys.stderr,
        )
    return subprocess.CompletedProcess(cmd, proc.returncode, "".join(log))


def build(root: Path = ROOT, fresh: bool = False) -> int:
    """Build the HTML with warnings as errors; return the exit code."""
    start = time.perf_counter()
    proc = run_build(root, fresh=fresh)
    seconds = time.perf_counter() - start
    index = root / "_build" / "html" / "index.html"
    if not proc.returncode:
        where = index.relative_to(ROOT) if index.is_relative_to(ROOT) else index
        print(
            f"[book] built in {seconds:.1f} s: open {where} in a browser"
            f" ({index.as_uri()}); no server or network needed"
        )
    if proc.returncode:
        print(
            "[book] BUILD FAILED: look above for the chapter named in 'Executing notebook failed'"
            " or for lines containing 'WARNING' / 'ERROR' (each names its file and line).",
            file=sys.stderr,
        )
    return proc.returncode


def statement_labels(chapter: Path) -> dict[str, str]:
    """The labels of a chapter's prf blocks (label -> kind) and of its declared
    claims (MyST targets used as claims, kind "claim")."""
    text = Path(chapter).read_text(encoding="utf-8")
    out = {}
    for kind, body in re.findall(r"```\{prf:(\w+)\}[^\n]*\n((?::\w+:[^\n]*\n)*)", text):
        m = re.search(r":label:\s*(\S+)", body)
        if m:
            out[m.group(1)] = kind
    for label in re.findall(r"^\(([a-z0-9][a-z0-9-]*)\)=\s*$", text, flags=re.M):
        out.setdefault(label, "claim")
    return out


def check(chapter: Path) -> int:
    """Execute one chapter, then build it alone (its own toc) into _build/single/NAME."""
    chapter = chapter.resolve()
    name = chapter.stem
    work = ROOT / "_build" / "single" / name
    src = work / "src"
    if src.exists():
        shutil.rmtree(src)
    (src / "book").mkdir(parents=True)
    shutil.copy(ROOT / "_config.yml", src / "_config.yml")
    for f in (ROOT / "book").iterdir():
        if f.is_file() and f.suffix != ".md":
            shutil.copy(f, src / "book" / f.name)
    for d in (ROOT / "book").iterdir():
        if d.is_dir() and not d.name.startswith((".", "_build")):
            shutil.copytree(d, src / "book" / d.name)
    shutil.copy(chapter, src / "book" / chapter.name)
    for page in ("bibliography", "ledger"):
        shutil.copy(ROOT / "book" / f"{page}.md", src / "book" / f"{page}.md")
    (src / "tools").mkdir()
    shutil.copy(
        ROOT / "tools" / "klnotes_ledger.py", src / "tools" / "klnotes_ledger.py"
    )
    shutil.copytree(ROOT / "tools" / "ledger_static", src / "tools" / "ledger_static")
    (src / "_toc.yml").write_text(
        f"format: jb-book\nroot: book/{name}\nchapters:\n"
        "  - file: book/ledger\n  - file: book/bibliography\n"
    )
    # A lone chapter cannot resolve links to its siblings; the full build checks those.
    # The claims of the other chapters are passed to the ledger as external ones, so
    # {prf:ref}s and uses across chapters do not fail this preview build.
    cfg = (
        (src / "_config.yml")
        .read_text()
        .replace(
            "suppress_warnings: []",
            "suppress_warnings: [myst.xref_missing, ref.doc, ref.ref, ref.eq]",
        )
    )
    external = {
        label: kind
        for other in chapters_in_toc()
        if other.resolve() != chapter
        for label, kind in statement_labels(other).items()
    }
    cfg = cfg.replace(
        "    suppress_warnings:",
        f"    klnotes_ledger_external: {json.dumps(external)}\n    suppress_warnings:",
    )
    (src / "_config.yml").write_text(cfg)
    (src / "_build").mkdir()
    shutil.copytree(ROOT / "klnotes", src / "klnotes")
    for f in HASHED[1:]:
        shutil.copy(ROOT / f, src / f)
    guard_cache(src)
    start = time.perf_counter()
    try:
        nb, seconds = execute_chapter(src / "book" / chapter.name)
    except ChapterFailed as exc:
        print(exc, file=sys.stderr)
        return 1
    print(
        f"[book] executed {name} in {seconds:.1f} s (wall {time.perf_counter() - start:.1f} s)"
    )
    cache_executed(src / "book" / chapter.name, nb, seconds, src)
    code = build(src, fresh=True)
    print(f"[book] HTML: {src / '_build' / 'html' / 'book' / (name + '.html')}")
    return code


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="cmd", required=True)
    p_exec = sub.add_parser("execute")
    p_exec.add_argument("chapters", nargs="*", type=Path)
    p_exec.add_argument("--jobs", type=int, default=2)
    p_exec.add_argument("--stale-only", action="store_true")
    p_build = sub.add_parser("build")
    p_build.add_argument("--fresh", action="store_true")
    p_build.add_argument("--root", type=Path, default=ROOT)
    p_check = sub.add_parser("check")
    p_check.add_argument("chapter", type=Path)
    p_man = sub.add_parser("manifest")
    p_man.add_argument("chapters", nargs="*", type=Path)
    args = parser.parse_args(argv)
    if args.cmd == "execute":
        chapters = [c.resolve() for c in args.chapters] or chapters_in_toc()
        return execute(chapters, jobs=args.jobs, stale_only=args.stale_only)
    if args.cmd == "build":
        return build(args.root.resolve(), fresh=args.fresh)
    if args.cmd == "manifest":
        return manifest([c.resolve() for c in args.chapters] or chapters_in_toc())
    return check(args.chapter)


if __name__ == "__main__":
    sys.exit(main())

"""The build is strict, and each safeguard is shown to matter.

Every test builds a small book in a temporary folder with the project's real
_config.yml and tools/book.py, after breaking something on purpose:

* a chapter whose klnotes check is false fails the build, and the output names
  the chapter and the check (and, as a contrast, `raise_on_error: false`
  without `-W` lets the same kind of broken chapter through silently);
* a Sphinx warning fails the build (and passes without `-W`);
* changing the helper package invalidates cached outputs, so a broken helper
  is noticed (and, as a contrast, Jupyter Book's cache alone does not notice).
"""

import shutil
import textwrap
from pathlib import Path

import pytest

import book

pytestmark = pytest.mark.book

HEADER = textwrap.dedent(
    """\
    ---
    jupytext:
      text_representation:
        extension: .md
        format_name: myst
        format_version: 0.13
    kernelspec:
      display_name: Python 3
      language: python
      name: python3
    ---
    """
)


def make_book(tmp: Path, chapters: dict[str, str], *, config_edit=None) -> Path:
    """A book in ``tmp`` with the project's config and the given chapters."""
    (tmp / "book").mkdir(parents=True)
    config = (book.ROOT / "_config.yml").read_text()
    if config_edit:
        config = config_edit(config)
    (tmp / "_config.yml").write_text(config)
    shutil.copy(book.ROOT / "book" / "references.bib", tmp / "book" / "references.bib")
    (tmp / "book" / "index.md").write_text("# A test book\n")
    for name, text in chapters.items():
        (tmp / "book" / f"{name}.md").write_text(text)
    toc = "format: jb-book\nroot: book/index\nchapters:\n" + "".join(
        f"  - file: book/{name}\n" for name in chapters
    )
    (tmp / "_toc.yml").write_text(toc)
    return tmp


def chapter(*cells: str, prose: str = "Some prose.") -> str:
    body = "".join(f"\n```{{code-cell}} ipython3\n{c}\n```\n" for c in cells)
    return HEADER + f"\n# A chapter\n\n{prose}\n{body}"


def test_false_claim_fails_build_naming_chapter_and_check(tmp_path):
    """A real chapter with one claim made false: the build fails and says where."""
    text = (book.ROOT / "book" / "chain-rule.md").read_text()
    broken = text.replace(
        'checks.symbolic("f(1) = 0", f.subs(x, 1), 0)',
        'checks.symbolic("f(1) = 0", f.subs(x, 1), 1)',
    )
    assert broken != text, "the chapter changed: update the line this test breaks"
    root = make_book(tmp_path, {"chain-rule-broken": broken})
    proc = book.run_build(root, capture=True)
    assert proc.returncode != 0
    assert "chain-rule-broken" in proc.stdout
    assert "f(1) = 0: identity not proved" in proc.stdout


def test_failing_cell_passes_silently_without_raise_on_error_and_W(tmp_path):
    """Why the config sets raise_on_error: without it (and -W) a broken chapter 'builds'."""
    root = make_book(
        tmp_path,
        {"broken": chapter("raise RuntimeError('deliberately broken')")},
        config_edit=lambda c: c.replace(
            "raise_on_error: true", "raise_on_error: false"
        ),
    )
    proc = book.run_build(root, strict=False, capture=True)
    assert proc.returncode == 0, proc.stdout[-2000:]
    strict = book.run_build(root, fresh=True, capture=True)
    assert strict.returncode != 0
    assert "broken" in strict.stdout


def test_sphinx_warning_fails_build_only_with_W(tmp_path):
    """An unresolved citation is only a warning to Sphinx; -W makes it fatal."""
    root = make_book(
        tmp_path, {"badref": chapter("x = 1", prose="See {cite}`no-such-key`.")}
    )
    lenient = book.run_build(root, strict=False, capture=True)
    assert lenient.returncode == 0, lenient.stdout[-2000:]
    assert "no-such-key" in lenient.stdout
    strict = book.run_build(root, fresh=True, capture=True)
    assert strict.returncode != 0
    assert "badref.md" in strict.stdout and "no-such-key" in strict.stdout


def test_changing_klnotes_invalidates_cached_outputs(tmp_path):
    """A cached chapter output must never hide a broken helper package."""
    root = make_book(
        tmp_path,
        {
            "uses-helper": chapter(
                "import klnotes\nassert klnotes.answer() == 42, 'helper broke'"
            )
        },
    )
    (root / "klnotes").mkdir()
    helper = root / "klnotes" / "__init__.py"
    helper.write_text("def answer():\n    return 42\n")
    env = {"PYTHONPATH": str(root)}  # the temporary klnotes shadows the real one

    assert book.run_build(root, capture=True, env=env).returncode == 0

    helper.write_text("def answer():\n    return 41  # broken\n")
    # Jupyter Book alone keys its cache on the chapter's code only: it would
    # happily serve the stale output. Shown here by bypassing the guard.
    stale = book.subprocess.run(
        [
            str(Path(book.sys.executable).parent / "jupyter-book"),
            "build",
            str(root),
            "-W",
        ],
        cwd=root,
        env={**book.os.environ, **env},
        capture_output=True,
        text=True,
    )
    assert stale.returncode == 0, "expected Jupyter Book's own cache to miss the change"
    # tools/book.py hashes klnotes/ and clears the cache, so the chapter re-runs and fails.
    guarded = book.run_build(root, fresh=True, capture=True, env=env)
    assert guarded.returncode != 0
    assert "uses-helper" in guarded.stdout and "helper broke" in guarded.stdout

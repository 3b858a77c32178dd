"""The build is strict, and each safeguard is shown to matter.

Every test builds a small book in a temporary folder with the project's real
_config.yml and tools/book.py, after breaking something on purpose:

* a chapter whose klnotes check is false fails the build, and the output names
  the chapter and the check (and, as a contrast, `raise_on_error: false`
  without `-W` lets the same kind of broken chapter through silently);
* a Sphinx warning fails the build (and passes without `-W`);
* changing the helper package invalidates cached outputs, so a broken helper
  is noticed (and, as a contrast, Jupyter Book's cache alone does not notice);
* a notebook the tests executed with one version of the helpers is never
  used after the helpers change: the chapter is re-executed, and a chapter the
  change broke fails the build and is named;
* the verification ledger refuses a theorem nothing verifies, a check that
  names a claim that does not exist, a claim resting on consistency checks
  only and a declared claim with no target in the text, all in one build;
  and a check that breaks fails the build rather than leaving a row out.
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
    (tmp / "tools").mkdir()
    shutil.copy(book.ROOT / "tools" / "klnotes_ledger.py", tmp / "tools")
    shutil.copytree(
        book.ROOT / "tools" / "ledger_static", tmp / "tools" / "ledger_static"
    )
    return tmp


def chapter(*cells: str, prose: str = "Some prose.") -> str:
    body = "".join(f"\n```{{code-cell}} ipython3\n{c}\n```\n" for c in cells)
    return HEADER + f"\n# A chapter\n\n{prose}\n{body}"


def test_false_claim_fails_build_naming_chapter_and_check(tmp_path):
    """A real chapter with one claim made false: the build fails, says where,
    and writes no ledger (a broken check never just drops its row)."""
    text = (book.ROOT / "book" / "chain-rule.md").read_text()
    broken = text.replace(
        'checks.symbolic("$f(1) = 0$", f.subs(x, 1), 0, claim="thm-chain-rule")',
        'checks.symbolic("$f(1) = 0$", f.subs(x, 1), 1, claim="thm-chain-rule")',
    )
    assert broken != text, "the chapter changed: update the line this test breaks"
    root = make_book(
        tmp_path,
        {
            "chain-rule-broken": broken.replace(
                'CheckLog("chain-rule")', 'CheckLog("chain-rule-broken")'
            )
        },
    )
    proc = book.run_build(root, capture=True)
    assert proc.returncode != 0
    assert "chain-rule-broken" in proc.stdout
    assert "$f(1) = 0$: identity not proved" in proc.stdout
    # A failing check stops the build: the ledger is not written with that
    # claim's row left out (or with its other checks alone).
    assert not (root / "_build" / "html" / "ledger.json").exists()


def test_without_raise_on_error_and_W_a_broken_book_builds(tmp_path):
    """Why the config sets raise_on_error and the build passes -W.

    Without them a chapter whose cell raises and a chapter citing a key that
    does not exist both 'build' (the citation is only a warning to Sphinx);
    with -W the same book fails, naming both chapters. One book, two builds.
    """
    root = make_book(
        tmp_path,
        {
            "broken": chapter("raise RuntimeError('deliberately broken')"),
            "badref": chapter("x = 1", prose="See {cite}`no-such-key`."),
        },
        config_edit=lambda c: c.replace(
            "raise_on_error: true", "raise_on_error: false"
        ),
    )
    lenient = book.run_build(root, strict=False, capture=True)
    assert lenient.returncode == 0, lenient.stdout[-2000:]
    assert "no-such-key" in lenient.stdout
    strict = book.run_build(root, fresh=True, capture=True)
    assert strict.returncode != 0
    assert "broken" in strict.stdout
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


def tiny_chapter(name: str, *cells: str, statements: str = "") -> str:
    """A chapter that uses the real klnotes and ends with checks.summary()."""
    setup = f'import klnotes as kn\n\nchecks = kn.CheckLog("{name}")'
    return chapter(setup, *cells, "checks.summary()", prose=statements or "Prose.")


THEOREM = """
```{prf:theorem} Two equal coins
:label: thm-LABEL

$I[p; p] = 0$.
```
"""


def test_stale_executed_notebook_is_never_used(tmp_path, monkeypatch, capsys):
    """Executed by the tests with one klnotes, then klnotes changes: the saved
    notebook is discarded, the chapter re-runs, and the change that broke it
    fails the build naming the chapter."""
    root = make_book(
        tmp_path,
        {
            "coins": tiny_chapter(
                "coins",
                'checks.close("KL of a coin with itself", kn.kl([0.5, 0.5], [0.5, 0.5]),'
                ' 0.0, atol=1e-12, role="independent", claim="thm-coins")',
                statements=THEOREM.replace("LABEL", "coins"),
            )
        },
    )
    shutil.copytree(
        book.ROOT / "klnotes",
        root / "klnotes",
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    for f in ("pyproject.toml", "constraints.txt"):
        shutil.copy(book.ROOT / f, root / f)
    monkeypatch.setenv("PYTHONPATH", str(root))  # kernels import the copy
    nb, seconds = book.execute_chapter(root / "book" / "coins.md")
    book.save_executed(root / "book" / "coins.md", nb, seconds, root)
    assert nb.metadata["klnotes_execution"]["klnotes_hash"] == book.helper_hash(root)

    div = root / "klnotes" / "divergences.py"
    text = div.read_text()
    mutated = text.replace(
        "return _in_unit(xp.sum(terms, axis=-1), base)",
        "return _in_unit(xp.sum(terms, axis=-1) + 0.5, base)",
    )
    assert mutated != text, "kn.kl changed: update the line this test breaks"
    div.write_text(mutated)
    capsys.readouterr()
    proc = book.run_build(root, capture=True)
    said = capsys.readouterr().out
    assert "discarding" in said and "coins.ipynb" in said
    assert proc.returncode != 0
    assert (
        "coins" in proc.stdout
        and "KL of a coin with itself: not within tolerance" in proc.stdout
    )


def test_ledger_refuses_unverified_claims_in_one_build(tmp_path):
    """Four ways to leave a claim unverified, in one chapter: all four reported."""
    statements = "".join(
        THEOREM.replace("LABEL", label) for label in ("bare", "other", "selfish")
    )
    root = make_book(
        tmp_path,
        {
            "refused": tiny_chapter(
                "refused",
                # thm-bare: nothing checks it (thm-other is checked properly)
                'checks.close("unrelated", 1.0, 1.0, role="independent", claim="thm-other")',
                'checks.close("a check of nothing", 1.0, 1.0, role="independent",'
                ' claim="thm-no-such-claim")',
                'checks.close("the code agrees with itself", 1.0, 1.0,'
                ' role="consistency", claim="thm-selfish")',
                'checks.claim("untargeted-figure", "A figure", kind="source figure",'
                ' post="1.0")',
                'checks.source("the figure", 1.0, "1.0", claim="untargeted-figure")',
                'checks.close("the figure, independently", 1.0, 1.0, role="independent",'
                ' claim="untargeted-figure")',
                statements=statements,
            ),
        },
    )
    proc = book.run_build(root, capture=True)
    assert proc.returncode != 0
    out = proc.stdout
    assert "the verification ledger refuses the book" in out
    assert "refused: theorem 'thm-bare'" in out and "has no check at all" in out
    assert "check 'a check of nothing' names claim 'thm-no-such-claim'" in out
    assert "refused: theorem 'thm-selfish'" in out and "only consistency checks" in out
    assert "refused: declared claim 'untargeted-figure' has no target" in out
    assert "thm-other" not in out.split("refuses the book")[1]

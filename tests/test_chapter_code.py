"""The code in the chapters meets the same ruff standard as the package.

Each code cell must be ruff-formatted (`make format` formats them), and each
chapter's code, taken as one script, must pass ruff's lint. Three notebook
idioms are allowed: imports after the first cell (E402), `import klnotes`
deliberately first so that JAX starts in float64 (I001), and a bare expression
as a cell's last line to display it (B018). Unlike the package, chapter code
keeps to 88 columns (E501): a longer line scrolls sideways on the page.
"""

import subprocess
import sys
from pathlib import Path

import pytest

import book

RUFF = str(Path(sys.executable).parent / "ruff")
CHAPTERS = book.chapters_in_toc()


def code_cells(chapter: Path) -> list[str]:
    nb = book.read_chapter(chapter)
    return [c.source for c in nb.cells if c.cell_type == "code"]


@pytest.mark.parametrize("chapter", CHAPTERS, ids=[c.stem for c in CHAPTERS])
def test_code_cells_are_formatted(chapter):
    unformatted = []
    for n, source in enumerate(code_cells(chapter), start=1):
        proc = subprocess.run(
            [RUFF, "format", "--check", "--stdin-filename", "cell.py", "-"],
            input=source + "\n",
            capture_output=True,
            text=True,
            cwd=book.ROOT,
        )
        if proc.returncode:
            unformatted.append(n)
    assert not unformatted, (
        f"{chapter.stem}: code cells {unformatted} need `make format`"
    )


@pytest.mark.parametrize("chapter", CHAPTERS, ids=[c.stem for c in CHAPTERS])
def test_chapter_code_passes_lint(chapter):
    script = "\n\n".join(code_cells(chapter)) + "\n"
    proc = subprocess.run(
        [
            RUFF,
            "check",
            "--extend-ignore",
            "E402,I001,B018",
            # a line over 88 columns scrolls sideways in the rendered book
            "--extend-select",
            "E501",
            "--stdin-filename",
            f"{chapter.stem}.py",
            "-",
        ],
        input=script,
        capture_output=True,
        text=True,
        cwd=book.ROOT,
    )
    assert proc.returncode == 0, proc.stdout

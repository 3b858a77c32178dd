"""Where a chapter spends its time: execute it once and list its slowest cells.

    .venv/bin/python benchmarks/chapter_cells.py book/elbo.md [--top 12]

The chapter runs in a fresh kernel exactly as ``tools/book.py`` runs it, but
with nbclient's per-cell timing switched on (the book's own execution leaves
it off, because timing metadata would change the cache key). Prints the
wall-clock total, the kernel start-up and imports (the first cell), and the
slowest cells with the first line of each. Nothing is cached or written.
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))

import book  # noqa: E402


def _seconds(a: str, b: str) -> float:
    def parse(s: str) -> datetime:
        return datetime.fromisoformat(s.replace("Z", "+00:00"))

    return (parse(b) - parse(a)).total_seconds()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("chapter", type=Path)
    ap.add_argument("--top", type=int, default=12)
    args = ap.parse_args(argv)

    import zmq
    from nbclient import NotebookClient
    from traitlets.config import Config

    path = args.chapter.resolve()
    nb = book.read_chapter(path)
    client = NotebookClient(
        nb,
        timeout=900,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
        record_timing=True,
        # as tools/book.py: CurveZMQ keys, so ipykernel does not warn about TCP
        config=Config(
            {
                "KernelManager": {
                    "transport_encryption": "auto" if zmq.has("curve") else "disabled"
                }
            }
        ),
    )
    start = time.perf_counter()
    client.execute()
    total = time.perf_counter() - start

    rows = []
    for c in nb.cells:
        if c.cell_type != "code":
            continue
        ex = c.metadata.get("execution", {})
        a, b = ex.get("iopub.execute_input"), ex.get("shell.execute_reply")
        if a and b:
            first = next((ln for ln in c.source.splitlines() if ln.strip()), "")
            rows.append((_seconds(a, b), c.execution_count, first[:72]))
    in_cells = sum(r[0] for r in rows)
    print(f"{path.name}: {total:.1f} s wall, {in_cells:.1f} s in {len(rows)} cells")
    if rows:
        print(f"  first cell (imports): {rows[0][0]:.1f} s")
    for dt, n, first in sorted(rows, reverse=True)[: args.top]:
        print(f"  {dt:6.1f} s  [{n:3d}]  {first}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

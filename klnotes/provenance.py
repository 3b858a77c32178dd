"""Provenance: the hash that ties an executed chapter to the code that ran it.

A chapter's check records carry :func:`source_hash` of the ``klnotes`` it
imported and of the environment it ran in; the book's build recomputes the
hash for its own tree and refuses any executed notebook whose hash differs, so
a page can never show outputs of an older ``klnotes``.

This module uses the standard library only, so the build tools can load it by
path without importing the numerical stack.
"""

from __future__ import annotations

import hashlib
from importlib import metadata
from pathlib import Path

#: Files and folders under the repository root that define the code's behaviour.
HASHED = ("klnotes", "pyproject.toml", "constraints.txt")

#: Installed distributions whose versions are part of the environment's identity.
DISTRIBUTIONS = ("numpy", "scipy", "sympy", "jax", "jaxlib", "matplotlib")


def package_root() -> Path:
    """The folder that holds this copy of ``klnotes`` (the repository root)."""
    return Path(__file__).resolve().parent.parent


def source_hash(root: Path | str | None = None) -> str:
    """SHA-256 over the helper package, the environment pins and installed versions.

    Covers every file under ``root/klnotes`` (path and bytes; caches excluded),
    ``root/pyproject.toml`` and ``root/constraints.txt`` when present, and the
    installed versions of :data:`DISTRIBUTIONS`. ``root`` defaults to the
    repository this module lives in.
    """
    base = Path(root).resolve() if root is not None else package_root()
    h = hashlib.sha256()
    for name in HASHED:
        path = base / name
        files = (
            sorted(p for p in path.rglob("*") if p.is_file())
            if path.is_dir()
            else [path]
        )
        for f in files:
            if f.exists() and "__pycache__" not in f.parts and f.suffix != ".pyc":
                h.update(str(f.relative_to(base)).encode())
                h.update(f.read_bytes())
    for dist in DISTRIBUTIONS:
        try:
            version = metadata.version(dist)
        except metadata.PackageNotFoundError:
            version = "absent"
        h.update(f"{dist}=={version}".encode())
    return h.hexdigest()

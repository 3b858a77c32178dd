"""Shared test configuration: make tools/ importable and keep hypothesis deterministic."""

import sys
from pathlib import Path

from hypothesis import settings

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))

settings.register_profile("klnotes", deadline=None, derandomize=True, max_examples=60)
settings.load_profile("klnotes")

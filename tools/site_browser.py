"""Find (or install) the headless Chromium that the site tests drive.

    python tools/site_browser.py ensure    # print the browser's path; install one if none
    python tools/site_browser.py find      # print the path, or exit 1

Used by `make test` before `pytest tests/site` (reading or building the book
needs none of this). The order:

1. ``$KLNOTES_CHROMIUM`` if set;
2. a Chromium already on the machine: Debian/Ubuntu's (``/usr/lib/chromium/chromium``,
   behind ``/usr/bin/chromium``), ``chromium-browser``, Google Chrome;
3. Playwright's own download (``~/.cache/ms-playwright``), if present.

If none is found, ``ensure`` installs one: with ``apt-get install -y chromium``
when run as root on Debian or Ubuntu, otherwise with
``python -m playwright install chromium``. If that fails too it exits with a
message saying how to get one; the browser tests then fail (they never skip).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

#: Flags for a headless Chromium that stays on 127.0.0.1: no GPU, no QUIC, no
#: first-run, background, component-update or sync traffic to Google's hosts;
#: shared memory in /tmp, as containers often have a tiny /dev/shm (Debian's
#: /usr/bin/chromium wrapper adds that one too). Playwright gives every launch
#: a fresh temporary user-data-dir.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]

SYSTEM_CANDIDATES = [
    "/usr/lib/chromium/chromium",  # Debian's binary, without the /usr/bin wrapper
    "chromium",
    "chromium-browser",
    "google-chrome",
    "google-chrome-stable",
    "/Applications/Chromium.app/Contents/MacOS/Chromium",
    "/Applications/Google Chrome.app/Contents/MacOS/Google Chrome",
]

HOW_TO_GET_ONE = """\
No Chromium for the site tests (tests/site drive a headless Chromium through Playwright).
Get one of:
  * your system's package:  sudo apt-get install chromium   (Debian/Ubuntu)
                            brew install --cask chromium    (macOS)
  * Playwright's build:     .venv/bin/python -m playwright install chromium
  * any Chromium or Chrome: export KLNOTES_CHROMIUM=/path/to/chrome
then run `make test` again. (`make book` and reading the book need no browser.)"""


def _executable(path: str) -> str | None:
    found = shutil.which(path) if os.sep not in path else path
    if found and os.path.isfile(found) and os.access(found, os.X_OK):
        return found
    return None


def playwright_chromium() -> str | None:
    """Playwright's own Chromium, if it has been downloaded."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        return None
    try:
        with sync_playwright() as p:
            path = p.chromium.executable_path
    except Exception:
        return None
    return path if path and Path(path).is_file() else None


def find_chromium() -> str | None:
    """The Chromium to use, or None (see the module docstring for the order)."""
    env = os.environ.get("KLNOTES_CHROMIUM")
    if env:
        return _executable(env)
    for candidate in SYSTEM_CANDIDATES:
        found = _executable(candidate)
        if found:
            return found
    return playwright_chromium()


def _debian_like() -> bool:
    try:
        text = Path("/etc/os-release").read_text()
    except OSError:
        return False
    ids = {
        line.split("=", 1)[1].strip().strip('"')
        for line in text.splitlines()
        if line.startswith(("ID=", "ID_LIKE="))
    }
    words = {w for i in ids for w in i.split()}
    return bool(words & {"debian", "ubuntu"}) and shutil.which("apt-get") is not None


def install_chromium() -> str | None:
    """Install a Chromium (apt-get as root on Debian/Ubuntu, else Playwright's)."""
    if hasattr(os, "geteuid") and os.geteuid() == 0 and _debian_like():
        print("[site] installing Chromium with apt-get (for the browser tests)")
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        ok = subprocess.run(
            ["apt-get", "install", "-y", "chromium"], env=env
        ).returncode == 0 or (
            subprocess.run(["apt-get", "update"], env=env).returncode == 0
            and subprocess.run(
                ["apt-get", "install", "-y", "chromium"], env=env
            ).returncode
            == 0
        )
        if ok and find_chromium():
            return find_chromium()
    print("[site] installing Playwright's Chromium (for the browser tests)")
    subprocess.run([sys.executable, "-m", "playwright", "install", "chromium"])
    return find_chromium()


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    command = args[0] if args else "find"
    if command not in ("find", "ensure"):
        print(__doc__, file=sys.stderr)
        return 2
    path = find_chromium()
    if path is None and command == "ensure":
        path = install_chromium()
    if path is None:
        print(HOW_TO_GET_ONE, file=sys.stderr)
        return 1
    print(
        f"[site] Chromium for the browser tests: {path}"
        if command == "ensure"
        else path
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

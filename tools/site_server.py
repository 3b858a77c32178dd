"""Serve the built book on 127.0.0.1, for the browser tests and for reading.

    python tools/site_server.py [DIR] [--port N]    # default DIR: _build/html

In code, :class:`SiteServer` serves a folder from a background thread on a
free port of 127.0.0.1 only, records every request, and stops on exit::

    with SiteServer(html_dir) as server:
        page.goto(server.url("book/elbo.html"))
"""

from __future__ import annotations

import argparse
import functools
import http.server
import sys
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


class _Handler(http.server.SimpleHTTPRequestHandler):
    def log_request(self, code="-", size="-") -> None:  # record, do not print
        self.server.requests.append(
            (int(code) if str(code).isdigit() else 0, self.path)
        )  # type: ignore[attr-defined]

    def log_message(self, format, *args) -> None:
        pass


class SiteServer:
    """A static file server for ``directory`` on ``127.0.0.1`` (a free port by default)."""

    def __init__(self, directory: Path | str, port: int = 0) -> None:
        self.directory = Path(directory).resolve()
        if not (self.directory / "index.html").is_file():
            raise FileNotFoundError(
                f"no built site in {self.directory}: run `make book` first"
            )
        handler = functools.partial(_Handler, directory=str(self.directory))
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
        self.httpd.daemon_threads = True
        self.httpd.requests = []  # type: ignore[attr-defined]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_port}/"

    def url(self, rel: str = "") -> str:
        return self.base + rel.lstrip("/")

    @property
    def requests(self) -> list[tuple[int, str]]:
        """Every (status, path) served so far."""
        return self.httpd.requests  # type: ignore[attr-defined]

    def __enter__(self) -> SiteServer:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("directory", nargs="?", default=ROOT / "_build" / "html")
    parser.add_argument("--port", type=int, default=8000)
    args = parser.parse_args(argv)
    with SiteServer(args.directory, args.port) as server:
        print(f"Serving {server.directory} at {server.base} (Ctrl+C stops)")
        try:
            server.thread.join()
        except KeyboardInterrupt:
            pass
    return 0


if __name__ == "__main__":
    sys.exit(main())

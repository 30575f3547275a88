"""A small static file server for ``bot/web/static``, on loopback, with security headers.

    python -m bot.web.static_server --rasa-url http://127.0.0.1:5005 [--port 8080]

Every response (files, redirects, errors) carries a Content-Security-Policy, nosniff,
no-referrer and X-Frame-Options: DENY. The CSP allows scripts and styles from this origin only
(the widget's styles are constructable stylesheets, which CSP does not block; an HTML page's own
``<style>`` blocks are allowed by their sha256 hash, computed when the page is served) and
network requests to this origin and the Rasa server.

HTML pages are served with ``__RASA_URL__`` replaced by the Rasa server's URL and ``__REGION__``
by the ``?region=`` query parameter (one of the known regions, else US), so the demo page needs
no inline script. There are no directory listings; ``/`` redirects to the demo page.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import html
import re
import threading
from http import HTTPStatus
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from guardrails.responses import DEFAULT_REGION, REGIONS

STATIC = Path(__file__).resolve().parent / "static"
DEMO = "/demo.html"
_STYLE_BLOCK = re.compile(r"<style(?:\s[^>]*)?>(.*?)</style>", re.DOTALL | re.IGNORECASE)
_HOST = re.compile(r"^(?:[A-Za-z0-9.-]+|[0-9A-Fa-f:.]+)$")


def origin_of(url: str) -> str:
    """``scheme://host[:port]`` of an http(s) URL; refuses anything that could break a header."""
    parts = urlsplit(url)
    port = parts.port  # raises ValueError on a bad port
    host = parts.hostname or ""
    if parts.scheme not in ("http", "https") or not _HOST.match(host) or parts.username or parts.password:
        raise ValueError(f"not a plain http(s) URL: {url!r}")
    if ":" in host:
        host = f"[{host}]"
    return f"{parts.scheme}://{host}" + (f":{port}" if port else "")


def style_hashes(page: str) -> list[str]:
    return [
        "'sha256-" + base64.b64encode(hashlib.sha256(block.encode("utf-8")).digest()).decode() + "'"
        for block in _STYLE_BLOCK.findall(page)
    ]


def content_security_policy(rasa_url: str, extra_styles: list[str] = ()) -> str:
    styles = " ".join(["'self'", *extra_styles])
    return "; ".join(
        [
            "default-src 'self'",
            "script-src 'self'",
            f"style-src {styles}",
            f"connect-src 'self' {origin_of(rasa_url)}",
            "img-src 'self' data:",
            "object-src 'none'",
            "frame-ancestors 'none'",
            "base-uri 'none'",
            "form-action 'none'",
        ]
    )


class Handler(SimpleHTTPRequestHandler):
    server: "StaticServer"
    extensions_map = {
        **SimpleHTTPRequestHandler.extensions_map,
        ".js": "text/javascript; charset=utf-8",
        ".html": "text/html; charset=utf-8",
        ".css": "text/css; charset=utf-8",
        ".png": "image/png",
        ".svg": "image/svg+xml",
    }

    def __init__(self, request, client_address, server: "StaticServer"):
        self._csp: str | None = None
        super().__init__(request, client_address, server, directory=str(server.directory))

    # -- headers on every response -----------------------------------------------------------
    def end_headers(self) -> None:
        self.send_header("Content-Security-Policy", self._csp or content_security_policy(self.server.rasa_url))
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Referrer-Policy", "no-referrer")
        self.send_header("X-Frame-Options", "DENY")
        self.send_header("Cache-Control", "no-store")
        super().end_headers()

    # -- routes --------------------------------------------------------------------------------
    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        self._csp = None
        if self._special(head=False):
            return
        super().do_GET()

    def do_HEAD(self) -> None:  # noqa: N802
        self._csp = None
        if self._special(head=True):
            return
        super().do_HEAD()

    def _special(self, head: bool) -> bool:
        path = urlsplit(self.path).path
        if path in ("/", ""):
            self.send_response(HTTPStatus.FOUND)
            self.send_header("Location", DEMO)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return True
        if path.endswith(".html"):
            self._send_page(path, head)
            return True
        return False

    def _send_page(self, path: str, head: bool) -> None:
        file = Path(self.translate_path(path))
        if not file.is_file() or self.server.directory not in file.resolve().parents:
            self.send_error(HTTPStatus.NOT_FOUND, "File not found")
            return
        query = parse_qs(urlsplit(self.path).query)
        region = (query.get("region") or [DEFAULT_REGION])[0].upper()
        if region not in REGIONS:
            region = DEFAULT_REGION
        page = file.read_text(encoding="utf-8")
        page = page.replace("__RASA_URL__", html.escape(self.server.rasa_url, quote=True))
        page = page.replace("__REGION__", region)
        body = page.encode("utf-8")
        self._csp = content_security_policy(self.server.rasa_url, style_hashes(page))
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if not head:
            self.wfile.write(body)

    def list_directory(self, path):  # no directory listings
        self.send_error(HTTPStatus.NOT_FOUND, "File not found")
        return None

    def log_message(self, format: str, *args) -> None:  # noqa: A002
        if self.server.verbose:
            super().log_message(format, *args)


class StaticServer(ThreadingHTTPServer):
    """``with StaticServer(rasa_url) as web: ... web.url`` serves in a background thread."""

    daemon_threads = True

    def __init__(self, rasa_url: str, host: str = "127.0.0.1", port: int = 0,
                 directory: Path = STATIC, verbose: bool = False):
        origin_of(rasa_url)  # fail early on a URL the CSP could not carry
        self.rasa_url = rasa_url.rstrip("/")
        self.directory = Path(directory).resolve()
        self.verbose = verbose
        self._thread: threading.Thread | None = None
        super().__init__((host, port), Handler)

    @property
    def origin(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def url(self) -> str:
        return self.origin + DEMO

    def start(self) -> "StaticServer":
        self._thread = threading.Thread(target=self.serve_forever, name="static-server", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._thread is not None:
            self.shutdown()
            self._thread.join(5)
            self._thread = None
        self.server_close()

    def __enter__(self) -> "StaticServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rasa-url", default="http://127.0.0.1:5005")
    parser.add_argument("--port", type=int, default=8080)
    args = parser.parse_args(argv)
    server = StaticServer(args.rasa_url, port=args.port, verbose=True)
    print(f"serving {STATIC} at {server.url} (Ctrl-C stops)", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

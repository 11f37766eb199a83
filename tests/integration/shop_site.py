"""A shop's web site on loopback, as the README's "Web push sign-up" tells a shop to set it up:
an account page with the pasted snippet (taken from the README itself, so the README stays
true), and the gateway's service worker proxied onto the shop's own origin."""

from __future__ import annotations

import re
import threading
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

README = Path(__file__).resolve().parents[2] / "README.md"
WORKER_PATH = "/aftercart-sw.js"


def readme_snippet(language: str) -> str:
    """The first `language` code block of the README's "Web push sign-up" section."""
    section = README.read_text().split("### Web push sign-up", 1)[1].split("\n## ", 1)[0]
    match = re.search(rf"```{language}\n(.*?)\n\s*```", section, re.S)
    assert match, f"README's Web push sign-up section has no {language} block"
    return match[1]


def account_page(gateway: str, token: str) -> str:
    """The shop's page with the snippet pasted in, the gateway's address and token filled in."""
    snippet = readme_snippet("html")
    snippet = snippet.replace("https://hooks.example", gateway).replace("{{ push_token }}", token)
    return f'<!doctype html><html><head><meta charset="utf-8"><title>My account</title></head><body>\n{snippet}\n</body></html>'  # noqa: E501


class _Shop(BaseHTTPRequestHandler):
    def __init__(self, page: str, gateway: str, *args: object) -> None:
        self.page, self.gateway = page, gateway
        super().__init__(*args)  # type: ignore[arg-type]

    def do_GET(self) -> None:
        if self.path == "/account":
            self._answer(200, "text/html; charset=utf-8", self.page.encode())
        elif self.path == WORKER_PATH:  # the shop's proxy rule for the gateway's sw.js
            with urllib.request.urlopen(f"{self.gateway}/push/sw.js", timeout=10) as upstream:
                self._answer(200, upstream.headers["Content-Type"], upstream.read())
        else:
            self._answer(404, "text/plain", b"not found")

    def _answer(self, status: int, kind: str, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@contextmanager
def shop_site(port: int, gateway: str, token: str) -> Iterator[str]:
    """Serve the shop on 127.0.0.1:port until the block ends; yields its origin."""
    handler = partial(_Shop, account_page(gateway, token), gateway)
    server = ThreadingHTTPServer(("127.0.0.1", port), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)

"""Fixtures for intel: the snapshot loaded once, hand-written samples, a loopback HTTP server."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest

from rempart.intel.osv import OsvIndex
from rempart.intel.store import Intel

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="session")
def intel() -> Intel:
    """The shipped snapshot only (no feeds folder)."""
    return Intel.load(None)


def sample_records() -> list[dict[str, Any]]:
    return [json.loads(p.read_text()) for p in sorted((DATA / "osv").glob("*.json"))]


@pytest.fixture
def samples() -> OsvIndex:
    index = OsvIndex()
    for record in sample_records():
        index.add(record)
    return index


# -- a local HTTP server on 127.0.0.1 (never the internet) -------------------------------

Route = Callable[[dict[str, list[str]]], tuple[int, bytes]]


@dataclass
class Server:
    base: str
    routes: dict[str, Route | tuple[int, bytes]] = field(default_factory=dict)
    requests: list[tuple[str, dict[str, list[str]], dict[str, str]]] = field(default_factory=list)

    def serve(self, path: str, body: bytes, status: int = 200) -> str:
        self.routes[path] = (status, body)
        return self.base + path

    def url(self, path: str) -> str:
        return self.base + path


@pytest.fixture
def http_server() -> Iterator[Server]:
    state = Server(base="")

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            parsed = urlparse(self.path)
            query = parse_qs(parsed.query)
            state.requests.append((parsed.path, query, dict(self.headers)))
            route = state.routes.get(parsed.path)
            if route is None:
                status, body = 404, b"not found"
            elif callable(route):
                status, body = route(query)
            else:
                status, body = route
            self.send_response(status)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:  # quiet tests
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.base = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)

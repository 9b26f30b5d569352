"""End-to-end fixtures: the portal served for real, a Celery worker, and Debian's chromium.

The portal runs as a user would run it: ``rempart serve`` (gunicorn + a Celery worker on the
filesystem broker) over a SQLite FILE database in a throw-away data folder, pointed at the
session's lab (its DNS server and CA). The test process never touches that database through
pytest-django: what a browser cannot do (create a staff user, seed a scanned business) runs in
a child process with the portal's own environment (``tests/e2e/orm.py``).
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
START_TIMEOUT = 90.0
STOP_TIMEOUT = 25.0  # rempart serve gives each child 15 s


@dataclass
class Portal:
    base_url: str
    env: dict[str, str]
    data_dir: Path
    logs: list[Path] = field(default_factory=list)

    def orm(self, *args: str) -> dict:
        """Run one command of tests/e2e/orm.py in the portal's environment; its JSON answer."""
        done = subprocess.run(
            [sys.executable, "-m", "tests.e2e.orm", *args],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=240,
        )
        if done.returncode != 0:
            raise AssertionError(f"orm {args[0]} failed:\n{done.stdout}\n{done.stderr}")
        return json.loads(done.stdout.strip().splitlines()[-1])

    def log_tail(self, lines: int = 60) -> str:
        parts = []
        for path in self.logs:
            text = path.read_text(errors="replace").splitlines() if path.exists() else []
            parts.append(f"--- {path.name}\n" + "\n".join(text[-lines:]))
        return "\n".join(parts)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _portal_env(data_dir: Path, lab, port: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "REMPART_"))}
    env.update(
        DJANGO_SETTINGS_MODULE="rempart.web.settings",
        REMPART_DATA_DIR=str(data_dir),
        REMPART_LAB="1",
        REMPART_RESOLVER=f"{lab.resolver[0]}:{lab.resolver[1]}",
        REMPART_CA_FILE=str(lab.ca_file),
        SITE_URL=f"http://127.0.0.1:{port}",  # the address attestations give for checking
        PYTHONPATH=str(ROOT),
        PATH=f"{VENV_BIN}{os.pathsep}{env.get('PATH', '')}",
    )
    return env


def _serve(portal: Portal, lab, port: int) -> subprocess.Popen:
    """``rempart serve``: migrate, then gunicorn and a Celery worker (with beat) as children."""
    log = portal.data_dir / "serve.log"
    portal.logs.append(log)
    cmd = [str(VENV_BIN / "rempart"), "serve", "--lab-dir", str(lab.directory)]
    cmd += ["--host", "127.0.0.1", "--port", str(port)]
    with log.open("wb") as out:
        return subprocess.Popen(cmd, cwd=ROOT, env=portal.env, stdout=out, stderr=out)


def _wait_ready(portal: Portal, proc: subprocess.Popen) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"rempart serve exited with {proc.returncode}")
        try:  # any HTTP answer means the server is up; the pages are judged by the tests
            with urllib.request.urlopen(portal.base_url + "/", timeout=2):
                return
        except urllib.error.HTTPError:
            return
        except OSError:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"the portal did not answer within {START_TIMEOUT:.0f} s")


def _ours(data_dir: Path) -> list[int]:
    """Processes started for this portal: their environment names its data folder."""
    marker = f"REMPART_DATA_DIR={data_dir}".encode() + b"\0"
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and int(entry.name) != os.getpid():
            try:
                if marker in (entry / "environ").read_bytes():
                    pids.append(int(entry.name))
            except OSError:  # gone meanwhile, or not ours to read
                continue
    return pids


def _stop(proc: subprocess.Popen, data_dir: Path) -> str:
    """SIGTERM to ``rempart serve``, which stops its children; what was left behind, if any."""
    problem = ""
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        problem = f"rempart serve still ran {STOP_TIMEOUT:.0f} s after SIGTERM. "
        proc.kill()
        proc.wait(timeout=5)
    deadline = time.monotonic() + 3
    while (left := _ours(data_dir)) and time.monotonic() < deadline:
        time.sleep(0.1)
    for pid in left:
        problem += f"orphan process {pid}: {Path(f'/proc/{pid}/cmdline').read_bytes()!r}. "
        os.kill(pid, signal.SIGKILL)
    return problem


@pytest.fixture(scope="package")
def portal(lab, tmp_path_factory) -> Iterator[Portal]:
    data_dir = tmp_path_factory.mktemp("portal")
    port = _free_port()
    portal = Portal(f"http://127.0.0.1:{port}", _portal_env(data_dir, lab, port), data_dir)
    proc = _serve(portal, lab, port)
    try:
        _wait_ready(portal, proc)
    except RuntimeError as exc:
        _stop(proc, data_dir)
        pytest.fail(f"{exc}\n{portal.log_tail()}")
    yield portal
    problem = _stop(proc, data_dir)
    if problem:
        pytest.fail(f"the portal did not stop cleanly: {problem}\n{portal.log_tail()}")


@pytest.fixture(scope="package")
def artifacts(tmp_path_factory) -> Path:
    """Where screenshots and rendered pages go for a person to look at (REMPART_E2E_ARTIFACTS;
    scripts/test.sh sets it to test-artifacts/)."""
    folder = Path(
        os.environ.get("REMPART_E2E_ARTIFACTS") or tmp_path_factory.getbasetemp() / "e2e-artifacts"
    )
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture(scope="package")
def browser():
    if not CHROMIUM.exists():
        pytest.skip(
            "BROWSER TESTS SKIPPED: /usr/bin/chromium is missing; "
            "install it with `apt-get install -y chromium chromium-driver`"
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


class ServerErrors:
    """Every answer of 500 or more the browser received: a traceback page reached a user."""

    def __init__(self) -> None:
        self.seen: list[str] = []

    def __call__(self, response) -> None:
        if response.status >= 500:
            self.seen.append(f"{response.status} {response.request.method} {response.url}")


@pytest.fixture
def new_page(browser, portal):
    """A factory of pages, each in its own context (own cookies: one person each).

    French is what a small business in Brittany has in its browser; the server must answer
    in French by default anyway. Every page fails the test at the end if it saw a 5xx.
    """
    contexts, errors = [], ServerErrors()

    def make(locale: str = "fr-FR", storage_state: object = None):
        context = browser.new_context(
            base_url=portal.base_url, locale=locale, storage_state=storage_state
        )
        context.set_default_timeout(15_000)
        contexts.append(context)
        page = context.new_page()
        page.on("response", errors)
        return page

    yield make
    for context in contexts:
        context.close()
    assert not errors.seen, "server errors reached the browser:\n" + "\n".join(errors.seen)


@pytest.fixture
def page(new_page):
    return new_page()

"""`rempart serve` as an operator meets it: one command up, one signal down, nothing left over.

No lab here: these tests need no scan, only the processes (a worker on the embedded broker
and the portal under gunicorn) and a fresh data folder.
"""

from __future__ import annotations

import signal
import socket
import sqlite3
import subprocess
import time
import urllib.error
import urllib.request

import psutil
import pytest

from tests.web.jobs.conftest import Service, child_env, free_port, rempart_cmd, wait_until


def _get(url: str) -> tuple[int, str, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.headers.get("Content-Type", ""), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers.get("Content-Type", ""), exc.read()


def _alive(processes: list[psutil.Process]) -> list[psutil.Process]:
    alive = []
    for process in processes:
        try:
            if process.is_running() and process.status() != psutil.STATUS_ZOMBIE:
                alive.append(process)
        except psutil.NoSuchProcess:
            continue
    return alive


@pytest.fixture
def served(tmp_path):
    port = free_port()
    cmd = rempart_cmd("serve", "--port", str(port), "--workers", "1", "--web-workers", "1")
    service = Service("serve", cmd, child_env(tmp_path / "data"), tmp_path / "serve.log")
    service.wait_for_line(r"rempart serve ready", timeout=90)
    service.wait_for_line(r"celery@\S+ ready", timeout=60)
    yield service, port, tmp_path / "data"
    service.stop(timeout=30)


def test_serve_migrates_then_serves_the_portal_and_its_static_files(served):
    service, port, data = served
    status, kind, body = _get(f"http://127.0.0.1:{port}/static/rempart/rempart.css")
    assert (status, kind.split(";")[0]) == (200, "text/css") and b"{" in body
    assert _get(f"http://127.0.0.1:{port}/no-such-page/")[0] == 404  # Django answers the rest
    with sqlite3.connect(data / "rempart.sqlite3") as db:
        applied = {app for (app,) in db.execute("SELECT app FROM django_migrations")}
        assert {"orgs", "assets", "scans", "findings"} <= applied
        assert db.execute("SELECT count(*) FROM rempart_cache").fetchone() == (0,)
    commands = " ".join(" ".join(p.cmdline()) for p in service.tree())
    assert "celery" in commands and "worker --beat" in commands and "gunicorn" in commands


def test_sigterm_stops_the_worker_and_the_portal_and_leaves_no_process(served):
    service, port, _data = served
    processes = service.tree()
    assert len(processes) >= 5  # serve, celery + its pool, gunicorn + its worker
    began = time.monotonic()
    service.proc.send_signal(signal.SIGTERM)
    assert service.proc.wait(timeout=30) == 0
    stopped_in = time.monotonic() - began
    wait_until(lambda: not _alive(processes), 10, "every child of serve to exit")
    assert "Warm shutdown" in service.text()  # the worker was asked, not killed
    assert stopped_in < 20
    with pytest.raises(OSError):
        _get(f"http://127.0.0.1:{port}/static/rempart/rempart.css")


def test_when_a_child_dies_serve_stops_the_other_and_says_so(served):
    service, _port, _data = served
    portal = next(p for p in service.tree() if "gunicorn" in " ".join(p.cmdline()))
    processes = service.tree()
    portal.kill()
    assert service.proc.wait(timeout=30) == 1
    wait_until(lambda: not _alive(processes), 10, "every child of serve to exit")
    assert "the portal stopped on its own" in service.text()


def test_serve_reports_an_unusable_database_in_one_line(tmp_path):
    env = child_env(tmp_path / "data", DATABASE_URL="mysql://root@127.0.0.1/rempart")
    proc = subprocess.run(
        rempart_cmd("serve", "--port", str(free_port())),
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 1
    assert "error: the settings are not valid" in proc.stderr and "mysql" in proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout


def test_manage_is_django_admin_with_rempart_settings(tmp_path):
    proc = subprocess.run(
        rempart_cmd("manage", "showmigrations", "scans"),
        env=child_env(tmp_path / "data"),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    assert "scans" in proc.stdout and "[ ] 0001_initial" in proc.stdout


def test_serve_refuses_a_port_another_program_listens_on(tmp_path):
    with socket.socket() as other:
        other.bind(("127.0.0.1", 0))
        other.listen()
        port = other.getsockname()[1]
        proc = subprocess.run(
            rempart_cmd("serve", "--port", str(port)),
            env=child_env(tmp_path / "data"),
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert proc.returncode == 1
    assert f"127.0.0.1:{port} is already in use" in proc.stderr
    assert not (tmp_path / "data" / "rempart.sqlite3").exists()  # refused before any work

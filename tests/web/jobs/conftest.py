"""Helpers of the jobs tests: real worker processes sharing a real database with the test.

pytest-django's test database lives in this process only (SQLite in memory), which a worker
process cannot see. These tests therefore point the test process's ORM at a database the
workers also open (a SQLite file, or a throw-away PostgreSQL database), and its Celery app
at the workers' broker, for the time of a module; everything else is the real code.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psutil
from django.db import connections
from django.db.utils import load_backend
from django.test import override_settings

from rempart.cli.democenter import demo_siren
from rempart.lab.control import publish_txt, remove_txt
from rempart.web.assets.models import Asset, AssetKind, Schedule
from rempart.web.assets.services import do_verify_asset
from rempart.web.orgs.models import Organisation

LAB_RESOLVER = "127.53.0.1:53"
# Variables of the test run that must not leak into a child's idea of its deployment.
PRIVATE_ENV = ("DATABASE_URL", "CELERY_BROKER_URL", "CACHE_URL", "REMPART_DATA_DIR")


def child_env(data_dir: Path, lab_dir: Path | None = None, **extra: str) -> dict[str, str]:
    """The environment of a platform process, as an operator would set it."""
    env = {k: v for k, v in os.environ.items() if k not in PRIVATE_ENV}
    env.update(
        DJANGO_SETTINGS_MODULE="rempart.web.settings",
        REMPART_DATA_DIR=str(data_dir),
        LOG_LEVEL="INFO",
        PYTHONUNBUFFERED="1",
    )
    if lab_dir is not None:
        env["REMPART_LAB_DIR"] = str(lab_dir)
    env.update(extra)
    return env


def rempart_cmd(*args: str) -> list[str]:
    return [sys.executable, "-m", "rempart.cli.main", *args]


class Service:
    """A platform process started like an operator would, in a session of its own."""

    def __init__(self, name: str, cmd: list[str], env: dict[str, str], log: Path) -> None:
        self.name, self.log = name, log
        with log.open("wb") as sink:
            self.proc = subprocess.Popen(
                cmd, env=env, stdout=sink, stderr=subprocess.STDOUT, start_new_session=True
            )

    def tree(self) -> list[psutil.Process]:
        try:
            root = psutil.Process(self.proc.pid)
            return [root, *root.children(recursive=True)]
        except psutil.NoSuchProcess:
            return []

    def text(self) -> str:
        return self.log.read_text(errors="replace")

    def wait_for_line(self, pattern: str, timeout: float) -> None:
        wait_until(
            lambda: re.search(pattern, self.text()) is not None or self.proc.poll() is not None,
            timeout,
            f"{self.name} to print {pattern!r}",
            (self,),
        )
        assert self.proc.poll() is None, f"{self.name} stopped:\n{self.text()[-3000:]}"

    def stop(self, timeout: float = 30) -> None:
        """SIGTERM to the main process, then SIGKILL to its whole group if it lingers."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                pass
        self.kill()

    def kill(self) -> None:
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.proc.wait()


def wait_until(
    predicate: Callable[[], object],
    timeout: float,
    what: str,
    logs: tuple[Service, ...] = (),
) -> float:
    """Poll until ``predicate()`` is true; the seconds it took. Fails the test after timeout,
    with the end of the given services' logs."""
    began = time.monotonic()
    while not predicate():
        if time.monotonic() - began > timeout:
            tails = "".join(f"\n--- {s.name} ---\n{s.text()[-4000:]}" for s in logs)
            raise AssertionError(f"waited {timeout:g} s for {what}{tails}")
        time.sleep(0.2)
    return time.monotonic() - began


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def shared_database(django_db_blocker: Any, settings_dict: dict[str, Any]) -> Iterator[None]:
    """This process's ORM on the workers' database, instead of pytest-django's.

    The test database connection is set aside untouched (an in-memory SQLite database
    would vanish if closed) and put back afterwards.
    """
    configured = connections.configure_settings({"default": dict(settings_dict)})["default"]
    wrapper = load_backend(configured["ENGINE"]).DatabaseWrapper(configured, "default")
    saved = connections["default"]
    connections["default"] = wrapper
    try:
        with django_db_blocker.unblock():
            yield
    finally:
        wrapper.close()
        connections["default"] = saved


def _forget_broker_connections() -> None:
    # The app keeps its producer pool once made; a new broker needs new connections. The
    # pools themselves stay open in kombu's registry (keyed by broker URL and options), for
    # whoever uses that broker next.
    from rempart.web.celery_app import app

    app._pool = None
    amqp = app.__dict__.get("amqp")
    if amqp is not None:
        amqp._producer_pool = None


@contextmanager
def platform_settings(lab_ca: Path, **overrides: Any) -> Iterator[None]:
    """Settings of this process for the module: the lab, and the workers' broker."""
    with override_settings(
        REMPART_LAB=True, REMPART_RESOLVER=LAB_RESOLVER, REMPART_CA_FILE=str(lab_ca), **overrides
    ):
        _forget_broker_connections()
        try:
            yield
        finally:
            _forget_broker_connections()


@dataclass
class LabAsset:
    asset: Asset
    truth: dict[str, Any] | None  # the lab's ground truth of the business, if it is one


def lab_asset(index: int, domain: str, *, verify: bool, truth: dict | None = None) -> LabAsset:
    """A business of the platform owning ``domain``; control proven through the lab DNS."""
    org = Organisation.objects.create(
        name=f"Entreprise {domain}",
        siren=demo_siren(index),
        naf="62.01Z",
        headcount="1-9",
        departement="31",
    )
    # No automatic schedule: the beat must not add scans of its own during the tests.
    asset = Asset.objects.create(
        organisation=org, kind=AssetKind.DOMAIN, name=domain, schedule=Schedule.OFF
    )
    if verify:
        publish_txt(asset.txt_name, asset.txt_value)
        assert do_verify_asset(asset, None), asset.last_check_error
    return LabAsset(asset, truth)


def withdraw_proofs(assets: list[LabAsset]) -> None:
    """Take the lab TXT records down again (the lab is shared by the whole session)."""
    for item in assets:
        if item.asset.is_verified:
            remove_txt(item.asset.txt_name, item.asset.txt_value)

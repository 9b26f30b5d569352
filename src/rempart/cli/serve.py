"""``rempart serve``, ``worker``, ``beat`` and ``manage``: run the platform (docs/deploy.md).

``serve`` is the embedded default on one machine: it brings the database up to date, then
starts two children, a Celery worker (with the beat inside it) and the portal under
gunicorn, and stops both on Ctrl-C or SIGTERM. ``worker`` and ``beat`` are thin wrappers
over Celery for scale-out machines; ``manage`` is ``django-admin`` with rempart's settings.
The same commands run on PostgreSQL and Redis when ``DATABASE_URL``/``CELERY_BROKER_URL``
say so: the settings read the environment, the children inherit it.
"""

from __future__ import annotations

import argparse
import ctypes
import ctypes.util
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

CELERY_APP = "rempart.web.celery_app"
SETTINGS = "rempart.web.settings"
LAB_RESOLVER = "127.53.0.1:53"
# gthread: each web process serves several requests at once, and a slow client or an open
# keep-alive connection holds a thread, not a whole process. gunicorn's sync workers need a
# buffering proxy in front (gunicorn's "Design" docs), which the embedded default has not.
WEB_THREADS = 4


def add_parsers(commands: Any) -> None:
    _add_serve(commands)
    for name, role in (("worker", "run scans and other jobs"), ("beat", "send periodic jobs")):
        p = commands.add_parser(name, help=f"Celery {name}: {role} (scale-out machines)")
        if name == "worker":
            p.add_argument("-c", "--concurrency", type=int, help="processes (default: CPUs)")
            p.add_argument("-n", "--hostname", help="node name, e.g. w1@%%h")
            _add_lab_dir(p)
        p.add_argument("--loglevel", default="INFO", help="DEBUG, INFO, WARNING… (default INFO)")
        p.add_argument("celery_args", nargs=argparse.REMAINDER, help="after --: given to Celery")
        p.set_defaults(handler=run_worker if name == "worker" else run_beat)
    p = commands.add_parser("manage", help="django-admin with rempart's settings")
    p.add_argument("django_args", nargs=argparse.REMAINDER, help="command and its arguments")
    p.set_defaults(handler=run_manage)


def _add_serve(commands: Any) -> None:
    p = commands.add_parser("serve", help="the platform on one machine: jobs worker and portal")
    p.add_argument("--host", default="127.0.0.1", help="address of the portal (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8000, help="port of the portal (default 8000)")
    p.add_argument("--workers", type=int, default=2, help="job processes; 0: none (default 2)")
    p.add_argument("--web-workers", type=int, default=2, help="portal processes (default 2)")
    p.add_argument(
        "--no-static",
        action="store_true",
        help="do not serve /static/ (a reverse proxy serves `rempart manage collectstatic`)",
    )
    p.add_argument("--no-migrate", action="store_true", help="do not migrate the database at start")
    p.add_argument(
        "--stop-timeout",
        type=float,
        default=15.0,
        help="seconds a child may take to stop before it is killed (default 15)",
    )
    _add_lab_dir(p)
    p.set_defaults(handler=run_serve)


def _add_lab_dir(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--lab-dir",
        default=os.environ.get("REMPART_LAB_DIR", ""),
        help="scan the running lab of this folder (env REMPART_LAB_DIR): loopback, its DNS, CA",
    )


def child_environment(lab_dir: str, *, requeue_on_start: bool = False) -> dict[str, str]:
    """The environment of the children: ours, plus the settings module and lab mode."""
    env = dict(os.environ)
    env.setdefault("DJANGO_SETTINGS_MODULE", SETTINGS)
    if lab_dir:
        env.update(
            REMPART_LAB="1",
            REMPART_RESOLVER=LAB_RESOLVER,
            REMPART_CA_FILE=str(Path(lab_dir).resolve() / "ca.pem"),
        )
    if requeue_on_start:
        env["REMPART_REQUEUE_ON_START"] = "1"
    return env


def _celery(*args: str) -> list[str]:
    return [sys.executable, "-m", "celery", "-A", CELERY_APP, *args]


def _passthrough(extra: list[str]) -> list[str]:
    return extra[1:] if extra[:1] == ["--"] else extra


def run_worker(args: argparse.Namespace) -> int:
    cmd = _celery("worker", "--loglevel", args.loglevel)
    if args.concurrency:
        cmd += ["-c", str(args.concurrency)]
    if args.hostname:
        cmd += ["-n", args.hostname]
    return _exec(cmd + _passthrough(args.celery_args), child_environment(args.lab_dir))


def run_beat(args: argparse.Namespace) -> int:
    cmd = _celery("beat", "--loglevel", args.loglevel, *_passthrough(args.celery_args))
    return _exec(cmd, child_environment(""))


def _exec(cmd: list[str], env: dict[str, str]) -> int:
    """Become Celery: the service manager then signals it directly (warm shutdown on TERM)."""
    sys.stdout.flush()
    os.execve(cmd[0], cmd, env)  # noqa: S606 - our own interpreter and arguments, no shell
    return 1  # not reached


def run_manage(args: argparse.Namespace) -> int:
    from django.core.management import execute_from_command_line

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", SETTINGS)
    execute_from_command_line(["rempart manage", *_passthrough(args.django_args)])
    return 0


def embedded_application() -> Any:
    """The portal plus its static files (gunicorn factory ``rempart.cli.serve:embedded_…()``).

    Django's static view reads the files from the apps (no collectstatic), with
    Last-Modified and 304 answers; enough for the embedded default, where no reverse proxy
    serves /static/. Scale-out web servers run with --no-static behind one.
    """
    from django.contrib.staticfiles.handlers import StaticFilesHandler
    from django.core.wsgi import get_wsgi_application

    return StaticFilesHandler(get_wsgi_application())


# -- serve ---------------------------------------------------------------------------------


class ServeError(Exception):
    """The platform could not start; the message says why."""


@dataclass
class Child:
    name: str
    proc: subprocess.Popen[bytes]


def run_serve(args: argparse.Namespace) -> int:
    if args.workers < 0 or args.web_workers < 1 or not 0 < args.port < 65536:
        print("error: --workers ≥ 0, --web-workers ≥ 1 and a port in 1-65535", file=sys.stderr)
        return 2
    if args.lab_dir and not (Path(args.lab_dir) / "ca.pem").exists():
        print(f"warning: no ca.pem in {args.lab_dir}: is the lab running?", file=sys.stderr)
    stop = _StopRequest()
    children: list[Child] = []
    try:
        _check_port_free(args.host, args.port)
        _prepare_database(args.no_migrate)
        _start_children(args, children)
        _wait_for_port(args.host, args.port, children, stop)
        if stop.requested:
            return 0
        print(f"rempart serve ready: http://{_url_host(args.host)}:{args.port}/", flush=True)
        return _supervise(children, stop)
    except ServeError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    finally:
        _stop_all(children, args.stop_timeout, stop)


def _prepare_database(skip: bool) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", SETTINGS)
    import django
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import call_command
    from django.db import DatabaseError, connections

    try:
        django.setup()
    except ImproperlyConfigured as exc:
        raise ServeError(f"the settings are not valid: {exc}") from exc
    try:
        if not skip:
            call_command("migrate", interactive=False, verbosity=0)
        call_command("createcachetable", verbosity=0)
    except DatabaseError as exc:
        raise ServeError(f"the database is not usable: {exc}") from exc
    finally:
        connections.close_all()  # the children open their own


def _check_port_free(host: str, port: int) -> None:
    """Refuse early: else "ready" could be said of another program answering on the port."""
    try:
        with socket.create_connection((host, port), timeout=1):
            pass
    except OSError:
        return
    raise ServeError(f"{host}:{port} is already in use; choose another --port")


def _start_children(args: argparse.Namespace, children: list[Child]) -> None:
    if args.workers:
        cmd = _celery("worker", "--beat", "-c", str(args.workers), "--loglevel", "INFO")
        env = child_environment(args.lab_dir, requeue_on_start=True)
        children.append(Child("worker", _spawn(cmd, env)))
    app = "rempart.web.wsgi:application" if args.no_static else f"{__name__}:embedded_application()"
    cmd = [sys.executable, "-m", "gunicorn", app, "--bind", f"{args.host}:{args.port}"]
    cmd += ["--workers", str(args.web_workers), "--worker-class", "gthread"]
    cmd += ["--threads", str(WEB_THREADS), "--graceful-timeout", str(int(args.stop_timeout))]
    if _gunicorn_version() >= (25, 1):
        # Its control socket has one default path per user: two servers would fight for it,
        # and serve is the supervisor here.
        cmd.append("--no-control-socket")
    children.append(Child("portal", _spawn(cmd, child_environment(args.lab_dir))))


def _gunicorn_version() -> tuple[int, ...]:
    from importlib.metadata import version

    return tuple(int(p) for p in version("gunicorn").split(".")[:2] if p.isdigit())


def _spawn(cmd: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    # A session of its own: a terminal's Ctrl-C reaches us only, and we stop each child in
    # order; the group lets us sweep whatever a child leaves behind.
    return subprocess.Popen(  # noqa: S603 - our own interpreter and arguments, no shell
        cmd, env=env, start_new_session=True, preexec_fn=_die_with_parent
    )


def _die_with_parent() -> None:
    """Linux: the child gets SIGTERM if serve itself is killed, so it is never orphaned."""
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # 1 = PR_SET_PDEATHSIG


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


class _StopRequest:
    """Set by SIGINT/SIGTERM; a second signal asks to stop at once."""

    def __init__(self) -> None:
        self.count = 0
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, self._handle)

    def _handle(self, signum: int, _frame: object) -> None:
        self.count += 1
        if self.count == 1:
            print("stopping… (again to stop at once)", file=sys.stderr, flush=True)

    @property
    def requested(self) -> bool:
        return self.count > 0


def _wait_for_port(host: str, port: int, children: list[Child], stop: _StopRequest) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not stop.requested:
        _raise_if_exited(children)
        try:
            with socket.create_connection((host, port), timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    if not stop.requested:
        raise ServeError(f"the portal did not listen on {host}:{port} within 60 s")


def _raise_if_exited(children: list[Child]) -> None:
    for child in children:
        code = child.proc.poll()
        if code is not None:
            raise ServeError(f"the {child.name} stopped on its own (exit code {code})")


def _supervise(children: list[Child], stop: _StopRequest) -> int:
    while not stop.requested:
        try:
            _raise_if_exited(children)
        except ServeError as exc:
            print(f"error: {exc}; stopping the others", file=sys.stderr, flush=True)
            return 1
        time.sleep(0.3)
    return 0


def _stop_all(children: list[Child], timeout: float, stop: _StopRequest) -> None:
    """SIGTERM to each child's main process (warm shutdown), then SIGKILL to its group."""
    for child in children:
        _signal(child, signal.SIGTERM, group=False)
    deadline = time.monotonic() + timeout
    for child in children:
        while child.proc.poll() is None and time.monotonic() < deadline and stop.count < 2:
            time.sleep(0.1)
    for child in children:
        # Also reaps pool processes a killed main process could leave behind.
        _signal(child, signal.SIGKILL, group=True)
        child.proc.wait()


def _signal(child: Child, sig: int, *, group: bool) -> None:
    try:
        if group:
            os.killpg(child.proc.pid, sig)
        elif child.proc.poll() is None:
            child.proc.send_signal(sig)
    except ProcessLookupError:
        pass

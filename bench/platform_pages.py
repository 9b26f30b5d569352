"""Portal pages under load: dashboard and findings list of 1,000 businesses × 50 findings.

Seeds a fresh database (bench/seed_center.py: SQLite in a temporary data folder, or a
throw-away PostgreSQL database with ``--postgres``), serves it with ``rempart serve`` (gunicorn
gthread workers, plus its Celery worker as in production), logs in 50 business owners through
the real log-in form (one session each) and the center analyst through log-in and TOTP, then
drives each page with wrk (bench/wrk_pages.lua rotates the users' cookies and paths) for a
warm-up and a measured period: p50/p90/p95/p99 and throughput per page. Before serving, each
page is also rendered in this process to count its SQL queries and their time. Results are
merged into bench/results/platform.json under "pages_sqlite" / "pages_postgresql".

    .venv/bin/python bench/platform_pages.py [--orgs 1000] [--findings 50] [--users 50]
        [--levels 50] [--duration 20] [--warmup 5] [--postgres] [--out FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))
from seed_center import (
    Seeded,
    SeedSpec,
    configure,
    create_postgres_db,
    drop_postgres_db,
    platform_env,
    seed,
)

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "platform.json"
LUA = Path(__file__).with_name("wrk_pages.lua")
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
TARGET_P95_MS = 150.0


class BenchError(Exception):
    """A step of the benchmark failed; the message says which."""


@dataclass
class Page:
    name: str
    targets: list[tuple[str, str]]  # (Cookie header, path), one per virtual user
    connections: int


@dataclass
class Load:
    page: str
    connections: int
    requests: int
    seconds: float
    rps: float
    p50_ms: float
    p90_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float
    statuses: dict[str, int]
    errors: dict[str, int]

    @property
    def all_ok(self) -> bool:
        return set(self.statuses) == {"200"} and not any(self.errors.values())


# -- in-process profile: SQL queries per page ------------------------------------------------


class _QueryTimer:
    """Counts and times every SQL query of this process (a database execute wrapper)."""

    def __init__(self) -> None:
        self.count = 0
        self.seconds = 0.0

    def __call__(self, execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        began = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.count += 1
            self.seconds += time.perf_counter() - began


def profile_pages(seeded: Seeded, repeat: int = 5) -> dict[str, dict[str, float]]:
    """Each page rendered in this process: queries, SQL time and total time (medians)."""
    owner, analyst = _clients(seeded)
    org = seeded.org_ids[0]
    plan = {"dashboard": (owner, f"/o/{org}/"), "findings": (owner, f"/o/{org}/findings/")}
    plan["center"] = (analyst, "/center/")
    profile: dict[str, dict[str, float]] = {}
    for name, (client, path) in plan.items():
        client.get(path)  # warm: templates compiled, caches filled
        runs = [_timed_get(client, path) for _ in range(repeat)]
        profile[name] = {
            "ms": statistics.median(r[0] for r in runs),
            "queries": runs[-1][1],
            "sql_ms": statistics.median(r[2] for r in runs),
        }
    return profile


def _clients(seeded: Seeded) -> tuple[Any, Any]:
    from django.test import Client

    from rempart.web.orgs.middleware import OTP_SESSION_KEY
    from rempart.web.orgs.models import User

    owner, analyst = Client(), Client()
    owner.force_login(User.objects.get(email=seeded.owner_emails[0]))
    analyst.force_login(User.objects.get(email=seeded.analyst_email))
    session = analyst.session
    session[OTP_SESSION_KEY] = True  # the analyst has passed the second factor
    session.save()
    return owner, analyst


def _timed_get(client: Any, path: str) -> tuple[float, int, float]:
    """(milliseconds, queries, milliseconds of SQL) of one GET rendered in this process."""
    from django.db import connection

    timer = _QueryTimer()
    with connection.execute_wrapper(timer):
        began = time.perf_counter()
        response = client.get(path)
        elapsed = time.perf_counter() - began
    if response.status_code != 200:
        raise BenchError(f"{path} answered {response.status_code} in-process")
    return elapsed * 1000, timer.count, timer.seconds * 1000


# -- the server and the users ----------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_serve(port: int, args: argparse.Namespace, log: Path) -> subprocess.Popen[bytes]:
    """``rempart serve`` as a user starts it; returns once it says it is ready."""
    cmd = [str(ROOT / ".venv/bin/rempart"), "serve", "--port", str(port), "--no-migrate"]
    cmd += ["--workers", str(args.job_workers), "--web-workers", str(args.web_workers)]
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=out, start_new_session=True)
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if "rempart serve ready" in log.read_text(errors="replace"):
            return proc
        if proc.poll() is not None:
            break
        time.sleep(0.2)
    stop_serve(proc)
    raise BenchError(f"rempart serve did not start; see {log}")


def stop_serve(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)  # serve stops its children in order
        try:
            proc.wait(timeout=40)
        except subprocess.TimeoutExpired:
            pass
    try:
        os.killpg(proc.pid, signal.SIGKILL)  # whatever a child left behind
    except ProcessLookupError:
        pass
    proc.wait()


def log_in(base: str, email: str, password: str, totp_secret: str = "") -> str:
    """Log in through the portal's forms (and the TOTP step); returns the session cookie."""
    import httpx
    import pyotp

    with httpx.Client(base_url=base, timeout=30) as client:
        answer = _post_form(client, "/account/login/", {"email": email, "password": password})
        if totp_secret:
            code = pyotp.TOTP(totp_secret).now()
            answer = _post_form(client, answer.headers["location"], {"code": code})
        session = client.cookies.get("sessionid")
    if not session:
        raise BenchError(f"{email} got no session cookie")
    return f"sessionid={session}"


def _post_form(client: Any, path: str, fields: dict[str, str]) -> Any:
    page = client.get(path)
    token = CSRF.search(page.text)
    if page.status_code != 200 or not token:
        raise BenchError(f"GET {path}: {page.status_code}, no form")
    answer = client.post(path, data={"csrfmiddlewaretoken": token.group(1), **fields})
    if answer.status_code != 302:
        raise BenchError(f"POST {path}: {answer.status_code} instead of a redirect")
    return answer


def check_page(base: str, cookie: str, path: str, expect: str) -> None:
    """The page answers 200 to this user and shows ``expect`` (their business, say)."""
    import httpx

    answer = httpx.get(base + path, headers={"Cookie": cookie}, timeout=30)
    if answer.status_code != 200 or expect not in answer.text:
        raise BenchError(f"GET {path}: {answer.status_code}, {expect!r} not on the page")


def build_pages(base: str, seeded: Seeded, users: int) -> list[Page]:
    """50 owners of businesses spread over the whole center, and the one analyst."""
    from rempart.web.orgs.models import Organisation

    step = max(1, len(seeded.org_ids) // users)
    chosen = list(range(0, len(seeded.org_ids), step))[:users]
    names = dict(Organisation.objects.values_list("pk", "name"))
    dashboard, findings = [], []
    for index in chosen:
        org, email = seeded.org_ids[index], seeded.owner_emails[index]
        cookie = log_in(base, email, seeded.password)
        check_page(base, cookie, f"/o/{org}/", names[_uuid(org)])
        dashboard.append((cookie, f"/o/{org}/"))
        findings.append((cookie, f"/o/{org}/findings/"))
    analyst = log_in(base, seeded.analyst_email, seeded.password, seeded.analyst_totp)
    check_page(base, analyst, "/center/", "Entreprise 0")  # a seeded business
    return [
        Page("dashboard", dashboard, len(dashboard)),
        Page("findings", findings, len(findings)),
        Page("center", [(analyst, "/center/")], 1),
    ]


def _uuid(text: str) -> Any:
    import uuid

    return uuid.UUID(text)


# -- load ------------------------------------------------------------------------------------


def run_wrk(base: str, page: Page, seconds: float, work: Path) -> Load:
    """wrk, one thread (it keeps the two cores for the server), ``page.connections`` users."""
    targets = work / f"targets-{page.name}.tsv"
    targets.write_text("".join(f"{cookie}\t{path}\n" for cookie, path in page.targets))
    cmd = ["wrk", "-t1", "-c", str(page.connections), "-d", f"{seconds:g}s", "--timeout", "10s"]
    cmd += ["-s", str(LUA), base]
    env = {**os.environ, "WRK_TARGETS": str(targets)}
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    line = next((x for x in done.stdout.splitlines() if x.startswith("RESULT ")), None)
    if done.returncode or line is None:
        raise BenchError(f"wrk failed ({done.returncode}): {done.stderr or done.stdout}")
    raw = json.loads(line.removeprefix("RESULT "))
    statuses: dict[str, int] = {}
    for per_thread in raw["statuses"]:
        for status, count in per_thread.items():
            statuses[status] = statuses.get(status, 0) + count
    duration = raw["duration_us"] / 1e6
    return Load(
        page.name,
        page.connections,
        raw["requests"],
        duration,
        raw["requests"] / duration if duration else 0.0,
        *(raw[k] / 1000 for k in ("p50_us", "p90_us", "p95_us", "p99_us", "max_us")),
        statuses,
        raw["errors"],
    )


def run_users(base: str, page: Page, args: argparse.Namespace, work: Path) -> dict[str, Any]:
    """50 users who pause to read (bench/users_load.py, its own process)."""
    targets = work / f"targets-{page.name}.tsv"
    targets.write_text("".join(f"{cookie}\t{path}\n" for cookie, path in page.targets))
    cmd = [sys.executable, str(Path(__file__).with_name("users_load.py")), "--base", base]
    cmd += ["--targets", str(targets), "--users", str(len(page.targets))]
    cmd += ["--think", str(args.think), "--duration", str(args.duration)]
    cmd += ["--warmup", str(args.warmup)]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if done.returncode:
        raise BenchError(f"users_load failed: {done.stderr[-2000:]}")
    result = {"page": page.name, **json.loads(done.stdout.strip().splitlines()[-1])}
    print(
        f"{page.name:10} {result['users']:5d} users thinking {args.think:g} s: "
        f"{result['requests']} requests, {result['rps']:.1f} req/s, p50 {result['p50_ms']:.1f} "
        f"p95 {result['p95_ms']:.1f} p99 {result['p99_ms']:.1f} ms, non-200: {result['non_200']}",
        flush=True,
    )
    return result


def drive(base: str, pages: list[Page], args: argparse.Namespace, work: Path) -> list[Load]:
    """Each page at each concurrency level (the analyst's page with its one user only)."""
    loads = []
    for page in pages:
        levels = args.levels if len(page.targets) > 1 else [1]
        for level in levels:
            run = Page(page.name, page.targets, level)
            if args.warmup > 0:
                run_wrk(base, run, args.warmup, work)
            load = run_wrk(base, run, args.duration, work)
            print(_row(load), flush=True)
            loads.append(load)
    return loads


def _row(x: Load) -> str:
    verdict = "" if x.all_ok else f"  NOT ALL 200: {x.statuses} {x.errors}"
    return (
        f"{x.page:10} {x.connections:5d} {x.requests:8d} {x.rps:8.1f} {x.p50_ms:8.1f} "
        f"{x.p95_ms:8.1f} {x.p99_ms:8.1f} {x.max_ms:8.1f}{verdict}"
    )


# -- the run ---------------------------------------------------------------------------------


def run(args: argparse.Namespace, work: Path) -> dict[str, Any]:
    url = create_postgres_db(args.pg_name) if args.postgres else ""
    configure(platform_env(work / "center", url))
    spec = SeedSpec(orgs=args.orgs, findings=args.findings, scans=args.scans)
    seeded = seed(spec)
    print(f"seeded in {seeded.seconds:.1f} s: {seeded.counts}", flush=True)
    profile = profile_pages(seeded)
    for name, p in profile.items():
        print(
            f"in-process {name}: {p['ms']:.1f} ms, {p['queries']:.0f} queries "
            f"({p['sql_ms']:.1f} ms of SQL)",
            flush=True,
        )
    _close_connections()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    serve = start_serve(port, args, work / "serve.log")
    load_before = os.getloadavg()
    try:
        pages = build_pages(base, seeded, args.users)
        print(
            f"{'page':10} {'users':>5} {'requests':>8} {'req/s':>8} {'p50 ms':>8} "
            f"{'p95 ms':>8} {'p99 ms':>8} {'max ms':>8}",
            flush=True,
        )
        loads = drive(base, pages, args, work)
        users = [run_users(base, p, args, work) for p in pages if len(p.targets) > 1]
    finally:
        stop_serve(serve)
    return {
        "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "database": "postgresql" if args.postgres else "sqlite",
        "seed": asdict(spec),
        "seed_seconds": seeded.seconds,
        "rows": seeded.counts,
        "server": f"rempart serve --web-workers {args.web_workers} (gunicorn gthread, 4 "
        f"threads each) --workers {args.job_workers}",
        "cpus": os.cpu_count(),
        "load_average_before": load_before,
        "load_average_after": os.getloadavg(),
        "duration_s": args.duration,
        "warmup_s": args.warmup,
        "target_p95_ms": TARGET_P95_MS,
        "in_process": profile,
        "loads": [asdict(x) | {"all_ok": x.all_ok} for x in loads],
        "users_with_think_time": users,
    }


def _close_connections() -> None:
    from django.db import connections

    connections.close_all()


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--orgs", type=int, default=1000, help="businesses (default 1000)")
    parser.add_argument("--findings", type=int, default=50, help="per business (default 50)")
    parser.add_argument("--scans", type=int, default=4, help="finished scans per business")
    parser.add_argument("--users", type=int, default=50, help="owners logged in (default 50)")
    parser.add_argument(
        "--levels", default="50", help="concurrent connections, comma-separated (default 50)"
    )
    parser.add_argument("--duration", type=float, default=20, help="measured seconds per page")
    parser.add_argument(
        "--think", type=float, default=2.0, help="users' mean think time, seconds (default 2)"
    )
    parser.add_argument("--warmup", type=float, default=5, help="warm-up seconds per page")
    parser.add_argument("--web-workers", type=int, default=2, help="rempart serve's (2)")
    parser.add_argument("--job-workers", type=int, default=2, help="rempart serve's (2)")
    parser.add_argument("--postgres", action="store_true", help="a throw-away PostgreSQL DB")
    parser.add_argument("--out", type=Path, default=RESULTS, help="results file (merged)")
    parser.add_argument("--keep", action="store_true", help="keep the work folder")
    args = parser.parse_args()
    args.pg_name = f"rempart_bench_pages_{os.getpid()}"
    args.levels = [int(x) for x in args.levels.split(",") if x.strip()]
    return args


def main() -> int:
    args = parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is needed (Debian: apt-get install wrk)")
    work = Path(tempfile.mkdtemp(prefix="rempart-bench-pages-"))
    print(f"work folder: {work}", flush=True)
    try:
        result = run(args, work)
    except BenchError as exc:
        print(f"error: {exc} (logs in {work})", file=sys.stderr)
        return 1
    finally:
        if args.postgres:
            drop_postgres_db(args.pg_name)
    key = f"pages_{result['database']}"
    data = json.loads(args.out.read_text()) if args.out.exists() else {}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(data | {key: result}, indent=2) + "\n")
    print(f"written: {args.out} ({key})")
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    return 0 if all(x["all_ok"] for x in result["loads"]) else 1


if __name__ == "__main__":
    sys.exit(main())

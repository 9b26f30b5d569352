"""Scans through the platform against the engine alone, on the same lab in the same run.

Starts ``rempart lab`` (a separate process), times ``rempart scan`` on the lab's targets (the
engine alone), then builds a center whose businesses own the lab's domains, each proving
control for real (the TXT record published on the lab's DNS, then ``do_verify_asset``),
starts real Celery worker processes (embedded filesystem broker and SQLite; PostgreSQL and
Redis with ``--postgres``) and times a campaign (``do_request_campaign``) from the request to
the last scan finished. The engine alone runs again afterwards, so that the machine's noise
shows. Both results are judged against the lab's ground truth; the figures are merged into
bench/results/platform.json under "scans".

    flock /tmp/rempart-lab.lock .venv/bin/python bench/platform_scan.py [--size 200]
        [--seed 1] [--workers 1] [--concurrency 2] [--batch 20] [--postgres]
        [--lab-dir DIR (a lab already running)] [--out FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))
from recall import Finding, Truth, load_truth, rempart_findings, score
from scan_lab import start_lab, stop_lab
from seed_center import (
    configure,
    create_postgres_db,
    drop_postgres_db,
    platform_env,
    siren,
)

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / ".venv" / "bin"
RESOLVER = "127.53.0.1:53"
REDIS_DB = 14  # a database number of its own on the shared Redis, flushed before each run
RESULTS = ROOT / "bench" / "results" / "platform.json"


@dataclass
class EngineRun:
    seconds: float
    failures: int
    recall: float
    false_alarms: int


@dataclass
class PlatformRun:
    seconds: float  # from the campaign request to the last scan finished
    scans: int
    statuses: dict[str, int]
    first_start_s: float  # request → first scan claimed by a worker
    mean_scan_s: float  # claim → finish, averaged over scans
    findings: int
    recall: float
    false_alarms: int
    verified: int
    verify_seconds: float
    workers: int
    concurrency: int
    batch: int
    database: str
    broker: str


def time_engine(labdir: Path, work: Path, name: str, truth: Truth) -> EngineRun:
    """``rempart scan`` of every lab target, timed as its own process."""
    out = work / f"{name}.json"
    cmd = [str(VENV / "rempart"), "scan", "--lab", "--resolver", RESOLVER]
    cmd += ["--ca-file", str(labdir / "ca.pem"), "-f", str(labdir / "targets.txt")]
    with (work / f"{name}.log").open("w") as log:
        began = time.perf_counter()
        subprocess.run([*cmd, "--json", str(out), "-q"], stdout=log, stderr=log, check=False)
        seconds = time.perf_counter() - began
    found = rempart_findings(json.loads(out.read_text()))
    judged = score(truth, found, truth.ids)
    print(f"engine alone ({name}): {seconds:.1f} s, recall {judged.recall:.3f}", flush=True)
    return EngineRun(seconds, len(found), judged.recall, judged.false_alarms)


def build_center(doc: dict[str, Any]) -> tuple[list[Any], Any, float, int]:
    """One organisation and owner per lab business, owning its domain, control proven.

    Returns the assets, the analyst who launches the campaign, the seconds the proofs took
    and how many assets are verified.
    """
    from django.contrib.auth.hashers import make_password

    from rempart.lab.control import publish_txt
    from rempart.web.assets.models import AssetKind
    from rempart.web.assets.services import do_add_asset, do_verify_asset
    from rempart.web.orgs.models import Membership, Organisation, Role, StaffRole, User

    hashed = make_password("bench password 2026 rempart")  # hashed once: not what we measure
    assets, owners = [], []
    for i, business in enumerate(doc["businesses"]):
        org = Organisation.objects.create(
            name=business["domain"],
            siren=siren(i),
            naf="62.01Z",
            headcount="1-9",
            departement="31",
        )
        email = f"dirigeant@{business['domain']}"
        owner = User.objects.create(username=email, email=email, password=hashed)
        Membership.objects.create(user=owner, organisation=org, role=Role.OWNER)
        assets.append(do_add_asset(org, AssetKind.DOMAIN, business["domain"], owner))
        owners.append(owner)
    analyst = User.objects.create(
        username="analyste@centre.bench",
        email="analyste@centre.bench",
        password=hashed,
        staff_role=StaffRole.ANALYST,
    )
    began = time.perf_counter()
    for asset in assets:
        publish_txt(asset.txt_name, asset.txt_value)
    verified = sum(do_verify_asset(a, o) for a, o in zip(assets, owners, strict=True))
    return assets, analyst, time.perf_counter() - began, verified


def start_workers(count: int, concurrency: int, work: Path) -> list[subprocess.Popen[bytes]]:
    """``rempart worker`` processes (Celery, prefork pool); returns once all are ready."""
    workers = []
    for i in range(count):
        cmd = [str(VENV / "rempart"), "worker", "-c", str(concurrency), "-n", f"bench{i}@%h"]
        cmd += ["--", "--without-gossip", "--without-mingle", "--without-heartbeat"]
        with (work / f"worker{i}.log").open("wb") as log:
            workers.append(subprocess.Popen(cmd, stdout=log, stderr=log, start_new_session=True))
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        logs = [(work / f"worker{i}.log").read_text(errors="replace") for i in range(count)]
        if all(" ready." in text for text in logs):
            return workers
        if any(w.poll() is not None for w in workers):
            break
        time.sleep(0.2)
    stop_workers(workers)
    sys.exit(f"the Celery workers did not start; see {work}/worker*.log")


def stop_workers(workers: list[subprocess.Popen[bytes]]) -> None:
    for worker in workers:
        if worker.poll() is None:
            os.killpg(worker.pid, signal.SIGTERM)
    for worker in workers:
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait()


def run_campaign(assets: list[Any], analyst: Any, timeout: float) -> tuple[float, Any]:
    """Request a campaign over ``assets`` and wait for its last scan; (seconds, campaign)."""
    from django.db import transaction

    from rempart.web.scans.models import UNFINISHED, Scan
    from rempart.web.scans.services import do_request_campaign

    began = time.perf_counter()
    with transaction.atomic():
        campaign = do_request_campaign(assets, analyst, "benchmark campaign")
    pending = Scan.objects.filter(campaign=campaign, status__in=UNFINISHED)
    deadline = began + timeout
    while pending.exists():
        if time.perf_counter() > deadline:
            sys.exit(f"the campaign did not finish within {timeout:g} s")
        time.sleep(0.1)
    return time.perf_counter() - began, campaign


def describe_campaign(campaign: Any, seconds: float, truth: Truth) -> dict[str, Any]:
    """What the campaign did, read back from the database (the record of every job)."""
    from django.db.models import Min

    from rempart.web.findings.models import ACTIVE_STATUSES, Finding
    from rempart.web.scans.models import Scan

    scans = Scan.objects.filter(campaign=campaign)
    statuses = Counter(scans.values_list("status", flat=True))
    first = scans.aggregate(first=Min("started_at"))["first"]
    durations = [
        (s.finished_at - s.started_at).total_seconds()
        for s in scans.only("started_at", "finished_at")
        if s.finished_at and s.started_at
    ]
    found: set[Finding] = set(
        Finding.objects.filter(status__in=ACTIVE_STATUSES).values_list("asset__name", "check_id")
    )
    judged = score(truth, found, truth.ids)
    return {
        "scans": scans.count(),
        "statuses": dict(statuses),
        "first_start_s": (first - campaign.created_at).total_seconds() if first else -1.0,
        "mean_scan_s": sum(durations) / len(durations) if durations else 0.0,
        "findings": Finding.objects.count(),
        "recall": judged.recall,
        "false_alarms": judged.false_alarms,
        "seconds": seconds,
    }


def platform_run(
    args: argparse.Namespace, work: Path, labdir: Path, doc: dict[str, Any]
) -> PlatformRun:
    env = platform_env(work / "center", _database(args))
    env.update(
        REMPART_LAB="1",
        REMPART_RESOLVER=RESOLVER,
        REMPART_CA_FILE=str(labdir / "ca.pem"),
        REMPART_SCAN_BATCH=str(args.batch),
    )
    if args.postgres:
        subprocess.run(
            ["redis-cli", "-n", str(REDIS_DB), "flushdb"], check=True, capture_output=True
        )
        env["CELERY_BROKER_URL"] = f"redis://127.0.0.1:6379/{REDIS_DB}"
    configure(env)
    assets, analyst, verify_s, verified = build_center(doc)
    print(f"center: {len(assets)} businesses, {verified} proved control in {verify_s:.1f} s")
    workers = start_workers(args.workers, args.concurrency, work)
    try:
        seconds, campaign = run_campaign(assets, analyst, args.timeout)
    finally:
        stop_workers(workers)
    facts = describe_campaign(campaign, seconds, load_truth(doc))
    return PlatformRun(
        **facts,
        verified=verified,
        verify_seconds=verify_s,
        workers=args.workers,
        concurrency=args.concurrency,
        batch=args.batch,
        database="postgresql" if args.postgres else "sqlite",
        broker="redis" if args.postgres else "filesystem",
    )


def _database(args: argparse.Namespace) -> str:
    return create_postgres_db(args.pg_name) if args.postgres else ""


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--size", type=int, default=200, help="lab businesses (default 200)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workers", type=int, default=1, help="worker processes (default 1)")
    parser.add_argument("--concurrency", type=int, default=2, help="per worker (default 2)")
    parser.add_argument("--batch", type=int, default=50, help="REMPART_SCAN_BATCH (default 50)")
    parser.add_argument("--postgres", action="store_true", help="PostgreSQL + Redis")
    parser.add_argument("--timeout", type=float, default=240, help="campaign bound, seconds")
    parser.add_argument("--lab-dir", type=Path, help="use this running lab (no start, no stop)")
    parser.add_argument("--out", type=Path, default=RESULTS, help="results file (merged)")
    args = parser.parse_args()
    args.pg_name = f"rempart_bench_scan_{os.getpid()}"
    work = Path(tempfile.mkdtemp(prefix="rempart-bench-scan-"))
    print(f"work folder (logs, reports): {work}", flush=True)
    labdir = args.lab_dir or work / "lab"
    lab = None if args.lab_dir else start_lab(args.size, args.seed, labdir)
    try:
        doc = json.loads((labdir / "ground-truth.json").read_text())
        if args.lab_dir:  # someone else's lab: its size is what it holds, its seed unknown
            args.size, args.seed = len(doc["businesses"]), None
        truth = load_truth(doc)
        before = time_engine(labdir, work, "engine-before", truth)
        platform = platform_run(args, work, labdir, doc)
        after = time_engine(labdir, work, "engine-after", truth)
    finally:
        if lab is not None:
            stop_lab(lab)
        if args.postgres:
            _close_and_drop(args.pg_name)
    report(args, before, platform, after)


def _close_and_drop(name: str) -> None:
    from django.core.exceptions import ImproperlyConfigured

    try:
        from django.db import connections

        connections.close_all()
    except ImproperlyConfigured:
        pass  # Django was never configured: nothing is connected
    drop_postgres_db(name)


def report(args: argparse.Namespace, before: EngineRun, run: PlatformRun, after: EngineRun) -> None:
    engine = min(before.seconds, after.seconds)
    ratio = run.seconds / engine
    print(f"\nlab: {args.size} businesses, seed {args.seed}")
    print(
        f"engine alone: {before.seconds:.1f} s before, {after.seconds:.1f} s after "
        f"(recall {before.recall:.3f} / {after.recall:.3f})"
    )
    print(
        f"platform: {run.seconds:.1f} s for {run.scans} scans {run.statuses} "
        f"({run.workers} worker × {run.concurrency}, batch {run.batch}, {run.database} + "
        f"{run.broker}); first scan claimed after {run.first_start_s:.2f} s, "
        f"mean scan {run.mean_scan_s:.1f} s; recall {run.recall:.3f}, "
        f"false alarms {run.false_alarms}"
    )
    print(f"ratio platform / engine alone (the faster engine run): {ratio:.2f} (target ≤ 1.5)")
    entry = {
        "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "size": args.size,
        "seed": args.seed,
        "engine_before": asdict(before),
        "engine_after": asdict(after),
        "platform": asdict(run),
        "ratio": ratio,
        "ratio_vs_mean_engine": run.seconds / ((before.seconds + after.seconds) / 2),
        "load_average_end": os.getloadavg(),
        "cpus": os.cpu_count(),
    }
    key = f"scans_{run.database}_batch{run.batch}_{run.workers}x{run.concurrency}"
    merge_results(args.out, key, entry)


def merge_results(path: Path, key: str, entry: dict[str, Any]) -> None:
    """Write ``entry`` under ``key`` in the results file, keeping the other keys."""
    path.parent.mkdir(parents=True, exist_ok=True)
    data = json.loads(path.read_text()) if path.exists() else {}
    data[key] = entry
    path.write_text(json.dumps(data, indent=2) + "\n")
    print(f"written: {path} ({key})")


if __name__ == "__main__":
    main()

"""The scale-out deployment under a fault: PostgreSQL, Redis, two workers, one beat, one kill.

A campaign scans every business of the lab through two `rempart worker -c 2` processes; once
some scans are done and some are running on the first worker, that worker's whole process
group is SIGKILLed, and at the same moment the broker loses every message it holds (its
Redis database is flushed, as a Redis restarted without persistence would be). The beat's
reaper (every 15 s; a running scan is stale after 10 s, a queued scan's message presumed
lost after 12 s here) must hand the killed worker's scans to the other worker and send the
lost messages again; in the end every scan is finished exactly once and every finding
exists once, opened once.
"""

from __future__ import annotations

import os
import time
import uuid
from dataclasses import dataclass, field

import pytest
from django.db.models import Count

from rempart.web.env import database_from_url
from rempart.web.findings.models import EventKind, Finding, FindingEvent
from rempart.web.scans.models import UNFINISHED, Scan, ScanStatus
from rempart.web.scans.services import do_request_campaign
from tests.web.jobs.conftest import (
    LabAsset,
    Service,
    child_env,
    lab_asset,
    platform_settings,
    rempart_cmd,
    shared_database,
    wait_until,
    withdraw_proofs,
)

pytestmark = pytest.mark.lab

PG = {"host": "127.0.0.1", "port": 5432, "user": "postgres"}
REDIS_HOST, REDIS_PORT = "127.0.0.1", 6379
REDIS_DB = int(os.environ.get("REMPART_TEST_REDIS_DB", "13"))  # a db of its own, flushed
STALE_AFTER = 10
VISIBILITY_TIMEOUT = 20
BATCH = 4  # small batches spread the campaign over both workers
RECOVERY_BOUND = 180
REQUEUE_QUEUED_AFTER = 12  # a queued scan's message is presumed lost after this


def _postgres_admin():
    import psycopg

    return psycopg.connect(dbname="postgres", connect_timeout=3, autocommit=True, **PG)


def _reachable() -> str:
    """Why the services are unreachable, or '' when both answer."""
    import psycopg
    import redis

    try:
        _postgres_admin().close()
    except psycopg.Error as exc:
        return f"PostgreSQL at {PG['host']}:{PG['port']} (user postgres, trust): {exc}"
    try:
        redis.Redis(host=REDIS_HOST, port=REDIS_PORT, socket_connect_timeout=3).ping()
    except redis.RedisError as exc:
        return f"Redis at {REDIS_HOST}:{REDIS_PORT}: {exc}"
    return ""


@pytest.fixture(scope="module")
def backends():
    """A throw-away PostgreSQL database and a flushed Redis database for this run."""
    reason = _reachable()
    if reason:
        pytest.skip(f"DISTRIBUTED JOBS TEST SKIPPED: cannot reach {reason}")
    import redis

    name = f"rempart_jobs_{uuid.uuid4().hex[:12]}"
    with _postgres_admin() as admin:
        # template0: nobody may connect to it, so another client sitting on template1 (a
        # concurrent CREATE DATABASE, a psql session) cannot make this one fail.
        admin.execute(f"CREATE DATABASE \"{name}\" TEMPLATE template0 ENCODING 'UTF8'")
    broker = redis.Redis(host=REDIS_HOST, port=REDIS_PORT, db=REDIS_DB)
    broker.flushdb()
    try:
        yield (
            f"postgres://{PG['user']}@{PG['host']}:{PG['port']}/{name}",
            f"redis://{REDIS_HOST}:{REDIS_PORT}/{REDIS_DB}",
        )
    finally:
        broker.flushdb()
        with _postgres_admin() as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _broker():
    import redis

    return redis.Redis(host=REDIS_HOST, port=REDIS_PORT, db=REDIS_DB)


@dataclass
class Cluster:
    workers: list[Service]
    beat: Service
    services: list[Service] = field(default_factory=list)

    def pids_of(self, service: Service) -> set[int]:
        return {p.pid for p in service.tree()}


def _start_cluster(env: dict[str, str], root) -> Cluster:
    workers = [
        Service(
            f"worker {n}",
            rempart_cmd("worker", "-c", "2", "-n", f"w{n}@%h"),
            env,
            root / f"worker{n}.log",
        )
        for n in (1, 2)
    ]
    beat = Service("beat", rempart_cmd("beat"), env, root / "beat.log")
    for worker in workers:
        worker.wait_for_line(r"w\d@\S+ ready", timeout=60)
    return Cluster(workers, beat, [*workers, beat])


def _running_on(cluster: Cluster, worker: Service, ids: list[str]) -> list[Scan]:
    pids = cluster.pids_of(worker)
    running = Scan.objects.filter(pk__in=ids, status=ScanStatus.RUNNING)
    return [s for s in running if int(s.claimed_by.rsplit(":", 1)[1]) in pids]


@dataclass
class Outcome:
    ids: list[str]
    killed_running: list[str]
    done_at_kill: int
    seconds: float
    queued_at_broker_loss: int


@pytest.fixture(scope="module")
def campaign(lab, backends, django_db_blocker, tmp_path_factory):
    database_url, broker_url = backends
    root = tmp_path_factory.mktemp("distributed")
    env = child_env(
        root / "data",
        lab.directory,
        DATABASE_URL=database_url,
        CELERY_BROKER_URL=broker_url,
        REMPART_SCAN_STALE_AFTER=str(STALE_AFTER),
        REMPART_VISIBILITY_TIMEOUT=str(VISIBILITY_TIMEOUT),
        REMPART_SCAN_BATCH=str(BATCH),
        REMPART_SCAN_REQUEUE_QUEUED_AFTER=str(REQUEUE_QUEUED_AFTER),
    )
    # Migrations once, by the operator's command, before any worker starts.
    migrate = Service("migrate", rempart_cmd("manage", "migrate", "-v", "0"), env, root / "m.log")
    assert migrate.proc.wait(timeout=120) == 0, migrate.text()[-4000:]
    cluster = _start_cluster(env, root)
    items: list[LabAsset] = []
    try:
        with (
            shared_database(django_db_blocker, database_from_url(database_url, root)),
            platform_settings(
                lab.ca_file,
                CELERY_BROKER_URL=broker_url,
                CELERY_BROKER_TRANSPORT_OPTIONS={"visibility_timeout": VISIBILITY_TIMEOUT},
                REMPART_SCAN_BATCH=BATCH,
            ),
        ):
            items = [
                lab_asset(i, b["domain"], verify=True, truth=b)
                for i, b in enumerate(lab.truth["businesses"])
            ]
            yield _run(cluster, items)
            withdraw_proofs(items)
    finally:
        for service in cluster.services:
            service.stop(timeout=30)


def _run(cluster: Cluster, items: list[LabAsset]) -> Outcome:
    began = time.monotonic()
    campaign = do_request_campaign([i.asset for i in items], None, "distributed")
    ids = [str(s.pk) for s in Scan.objects.filter(campaign=campaign)]
    victim = cluster.workers[0]

    def some_done_some_running_on_victim() -> bool:
        done = Scan.objects.filter(pk__in=ids, status__in=(ScanStatus.DONE, ScanStatus.PARTIAL))
        return done.exists() and bool(_running_on(cluster, victim, ids))

    wait_until(
        some_done_some_running_on_victim,
        120,
        "some scans done, some running on w1",
        tuple(cluster.services),
    )
    in_flight = [s.pk for s in _running_on(cluster, victim, ids)]
    victim.kill()  # SIGKILL to the worker's whole process group: no goodbye, no ack
    # Those still running now were interrupted (one may have finished just before the kill).
    interrupted = Scan.objects.filter(pk__in=in_flight, status=ScanStatus.RUNNING)
    killed = [str(pk) for pk in interrupted.values_list("pk", flat=True)]
    done_at_kill = Scan.objects.filter(pk__in=ids).exclude(status__in=UNFINISHED).count()
    # And the broker loses every message, as a Redis restarted without persistence does:
    # the queued scans survive through the database only (design.md §3).
    queued = Scan.objects.filter(pk__in=ids, status=ScanStatus.QUEUED).count()
    _broker().flushdb()
    print(
        f"\nkilled w1 after {time.monotonic() - began:.1f} s: {done_at_kill} scans finished, "
        f"{len(killed)} running on w1"
    )
    wait_until(
        lambda: not Scan.objects.filter(pk__in=ids, status__in=UNFINISHED).exists(),
        RECOVERY_BOUND,
        "every scan to finish after the kill",
        tuple(cluster.services),
    )
    seconds = time.monotonic() - began
    print(f"distributed: campaign of {len(ids)} scans through 2 workers in {seconds:.1f} s")
    return Outcome(ids, killed, done_at_kill, seconds, queued)


def test_the_kill_hit_a_worker_with_scans_in_flight(campaign, lab):
    assert len(campaign.ids) == len(lab.truth["businesses"])
    assert 0 < campaign.done_at_kill < len(campaign.ids)
    assert campaign.killed_running
    # Every interrupted scan was handed to the other worker by the reaper and run again.
    interrupted = Scan.objects.filter(pk__in=campaign.killed_running)
    assert not interrupted.filter(attempts__lt=2).exists()


def test_scans_whose_messages_the_broker_lost_were_sent_again_and_ran(campaign):
    # The flush came while scans were still waiting in the queue: only the database knew them.
    assert campaign.queued_at_broker_loss > 0


def test_every_scan_finished_exactly_once(campaign):
    scans = Scan.objects.filter(pk__in=campaign.ids)
    statuses = dict(scans.values_list("status").annotate(n=Count("pk")))
    assert set(statuses) <= {ScanStatus.DONE, ScanStatus.PARTIAL}, statuses
    assert not scans.filter(attempts__lt=1).exists()
    assert not scans.filter(finished_at__isnull=True).exists()


def test_every_finding_exists_once_and_was_opened_once(campaign):
    findings = Finding.objects.all()
    assert findings.count() > len(campaign.ids)  # lab businesses all have weaknesses
    distinct = findings.values("organisation", "fingerprint").distinct().count()
    assert findings.count() == distinct
    opened = FindingEvent.objects.filter(kind=EventKind.OPENED)
    assert opened.count() == findings.count()  # each scan's observations folded once
    assert not opened.values("finding").annotate(n=Count("pk")).filter(n__gt=1).exists()
    # A fresh database and one scan per asset: nothing was seen twice, fixed or reopened.
    assert not FindingEvent.objects.exclude(kind=EventKind.OPENED).exists()


def test_findings_come_only_from_the_scan_that_finished(campaign):
    for scan in Scan.objects.filter(pk__in=campaign.ids).select_related("asset"):
        failing = {o["check"] for o in scan.observations if o["status"] == "fail"}
        found = set(Finding.objects.filter(asset=scan.asset).values_list("check_id", flat=True))
        assert found == failing, scan.asset.name

"""Seed a center's database for the platform benchmarks, fast (bulk_create throughout).

N businesses, one owner each, a few assets each (the domain verified), F findings each with
varied severities, statuses and due dates (some overdue, some known exploited, some accepted
or false positive), S finished scans each with grades, counts and observations (the trend),
their finding history and a few audit events; plus one center analyst enrolled in TOTP.
1,000 × 50 takes well under a minute on SQLite.

    .venv/bin/python bench/seed_center.py --orgs 1000 --findings 50 --dir /tmp/center
    .venv/bin/python bench/seed_center.py --postgres ...   # a throw-away PostgreSQL database

Standalone it only seeds; bench/platform_pages.py imports ``configure`` and ``seed``.
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
POSTGRES = "postgres://postgres@127.0.0.1:5432/"
PASSWORD = "bench password 2026 rempart"  # only ever used on a throw-away database
ANALYST_EMAIL = "analyste@centre.bench"
STATUS_WEIGHTS = {"open": 55, "reopened": 8, "fixed": 25, "accepted": 7, "false_positive": 5}
GRADES = "ABCDE"
_HUMAN = ("accepted", "false_positive")  # statuses only a person sets
_EVENT_OF_STATUS = {"fixed": "fixed", "reopened": "reopened", "accepted": "accepted"}


@dataclass(frozen=True)
class SeedSpec:
    orgs: int = 1000
    findings: int = 50
    assets: int = 3
    scans: int = 4
    seed: int = 1


@dataclass
class Seeded:
    org_ids: list[str]
    owner_emails: list[str]
    analyst_email: str
    analyst_totp: str
    password: str
    seconds: float = 0.0
    counts: dict[str, int] = field(default_factory=dict)


# -- database ------------------------------------------------------------------------------


def create_postgres_db(name: str) -> str:
    """A fresh, empty PostgreSQL database (trust auth as user postgres); its DATABASE_URL."""
    drop_postgres_db(name)
    _psql(f'CREATE DATABASE "{name}"')
    return POSTGRES + name


def drop_postgres_db(name: str) -> None:
    _psql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _psql(sql: str) -> None:
    cmd = ["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", "postgres", "-qc", sql]
    subprocess.run(cmd, check=True, capture_output=True)


def platform_env(data_dir: Path, database_url: str = "") -> dict[str, str]:
    """The environment of every platform process of a benchmark (this one and its children)."""
    # Every variable that picks a database, broker or cache is set, so that none is
    # inherited from the caller's environment (a benchmark never touches a real center).
    return {
        "DJANGO_SETTINGS_MODULE": "rempart.web.settings",
        "REMPART_DATA_DIR": str(data_dir),
        "DATABASE_URL": database_url,  # empty: SQLite in the data folder
        "CELERY_BROKER_URL": "filesystem://",
        "CACHE_URL": "",
        "DEBUG": "0",
        "LOG_LEVEL": "WARNING",
    }


def configure(env: dict[str, str]) -> None:
    """Point Django at the benchmark's database, migrate it and create the cache table."""
    os.environ.update(env)
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0, interactive=False)
    call_command("createcachetable", verbosity=0)


# -- seeding -------------------------------------------------------------------------------


def seed(spec: SeedSpec) -> Seeded:
    """Create the whole center; returns who can log in and how many rows each table got."""
    from django.db import transaction

    began = time.perf_counter()
    rng = random.Random(spec.seed)
    with transaction.atomic():
        orgs = _organisations(spec)
        owners, analyst = _people(orgs)
        assets = _assets(spec, orgs)
        scans = _scans(spec, rng, assets)
        findings = _findings(spec, rng, assets)
        _history(findings, scans)
        _audit(orgs, owners, assets)
    result = Seeded(
        [str(o.pk) for o in orgs],
        [u.email for u in owners],
        analyst.email,
        analyst.totp_secret,
        PASSWORD,
    )
    _analyze()
    result.seconds = time.perf_counter() - began
    result.counts = count_rows()
    return result


def _analyze() -> None:
    """PostgreSQL: table statistics now, as autovacuum would soon after a bulk load.

    Without them the planner has no idea of the 50,000 findings and picked plans several times
    slower for the center's view. SQLite is left as the embedded default runs it (nothing
    runs ANALYZE there).
    """
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


def count_rows() -> dict[str, int]:
    from rempart.web.assets.models import Asset
    from rempart.web.findings.models import Finding, FindingEvent
    from rempart.web.orgs.models import AuditEvent, Membership, Organisation, User
    from rempart.web.scans.models import Scan

    models = (Organisation, User, Membership, Asset, Scan, Finding, FindingEvent, AuditEvent)
    return {m.__name__: m.objects.count() for m in models}


def siren(index: int) -> str:
    """A SIREN with a valid Luhn key, in a range INSEE does not allocate (8…)."""
    from rempart.web.orgs.siren import luhn_ok

    base = f"8{index:07d}"
    return next(base + str(k) for k in range(10) if luhn_ok(base + str(k)))


def _organisations(spec: SeedSpec) -> list[Any]:
    from rempart.web.orgs.models import HeadcountBand, Organisation

    bands = [b.value for b in HeadcountBand]
    deps = ("31", "34", "30", "66", "11", "81", "82", "12", "46", "32", "65", "09", "48")
    nafs = ("10.71C", "45.20A", "69.20Z", "47.73Z", "16.23Z", "43.22A", "55.10Z", "71.11Z")
    orgs = [
        Organisation(
            name=f"Entreprise {i:04d}",
            siren=siren(i),
            naf=nafs[i % len(nafs)],
            headcount=bands[i % len(bands)],
            departement=deps[i % len(deps)],
        )
        for i in range(spec.orgs)
    ]
    Organisation.objects.bulk_create(orgs, batch_size=1000)
    return orgs


def _people(orgs: list[Any]) -> tuple[list[Any], Any]:
    """One owner per business (one password hash computed once), and the center analyst."""
    import pyotp
    from django.contrib.auth.hashers import make_password
    from django.utils import timezone

    from rempart.web.orgs.models import Membership, Role, StaffRole, User

    hashed = make_password(PASSWORD)
    owners = [
        User(username=f"owner{i:04d}@bench.lab", email=f"owner{i:04d}@bench.lab", password=hashed)
        for i in range(len(orgs))
    ]
    User.objects.bulk_create(owners, batch_size=1000)
    owners = list(User.objects.filter(email__endswith="@bench.lab").order_by("email"))
    Membership.objects.bulk_create(
        [
            Membership(user=u, organisation=o, role=Role.OWNER)
            for u, o in zip(owners, orgs, strict=True)
        ],
        batch_size=1000,
    )
    analyst = User(
        username=ANALYST_EMAIL,
        email=ANALYST_EMAIL,
        password=hashed,
        staff_role=StaffRole.ANALYST,
        totp_secret=pyotp.random_base32(),
        totp_confirmed_at=timezone.now(),
    )
    analyst.save()
    return owners, analyst


def _assets(spec: SeedSpec, orgs: list[Any]) -> list[list[Any]]:
    """Per business: its domain (verified), then a website and a host (unverified)."""
    from django.utils import timezone

    from rempart.web.assets.models import Asset, AssetKind, VerificationMethod

    now = timezone.now()
    kinds = [AssetKind.DOMAIN, AssetKind.WEBSITE, AssetKind.HOST]
    per_org: list[list[Any]] = []
    for i, org in enumerate(orgs):
        domain = f"entreprise-{i:04d}.bench.lab"
        names = [domain, f"https://www.{domain}/", f"vpn.{domain}"]
        per_org.append(
            [
                Asset(
                    organisation=org,
                    kind=kinds[k % 3],
                    name=names[k % 3] if k < 3 else f"h{k}.{domain}",
                    verified_at=now if k == 0 else None,
                    verification_method=VerificationMethod.DNS_TXT if k == 0 else "",
                    next_scan_at=now + timedelta(days=7),
                )
                for k in range(spec.assets)
            ]
        )
    Asset.objects.bulk_create([a for group in per_org for a in group], batch_size=1000)
    return per_org


def _scans(spec: SeedSpec, rng: random.Random, assets: list[list[Any]]) -> list[list[Any]]:
    """Finished weekly scans of each business's domain, oldest first, grades improving."""
    from django.utils import timezone

    from rempart.web.scans.models import Scan, ScanMode, ScanStatus, Trigger

    now = timezone.now()
    per_org: list[list[Any]] = []
    for group in assets:
        domain = group[0]
        start = rng.randrange(len(GRADES))
        scans = []
        for k in range(spec.scans):
            when = now - timedelta(days=7 * (spec.scans - k), hours=rng.randrange(24))
            score = min(100, 40 + 10 * k + rng.randrange(20))
            scans.append(
                Scan(
                    organisation_id=domain.organisation_id,
                    asset=domain,
                    trigger=Trigger.SCHEDULE,
                    mode=ScanMode.ACTIVE,
                    status=ScanStatus.DONE,
                    started_at=when,
                    finished_at=when + timedelta(seconds=20),
                    attempts=1,
                    progress_done=5,
                    progress_total=5,
                    grade=GRADES[max(0, start - k)],
                    score=score,
                    counts=_counts(rng),
                    observations=_observations(rng, domain.name),
                )
            )
        per_org.append(scans)
    Scan.objects.bulk_create([s for group in per_org for s in group], batch_size=500)
    # created_at is auto_now_add: set it to the scan's own date so that the trend has a past.
    for group in per_org:
        for scan in group:
            scan.created_at = scan.started_at
    Scan.objects.bulk_update([s for g in per_org for s in g], ["created_at"], batch_size=500)
    return per_org


def _counts(rng: random.Random) -> dict[str, int]:
    severities = ("critical", "high", "medium", "low", "info")
    return {s: rng.randrange(0, 8) for s in severities} | {"errors": 0}


def _observations(rng: random.Random, domain: str) -> list[dict[str, object]]:
    """About what a real scan of one domain stores (some 60 observations, ~12 KB)."""
    from rempart.engine.catalog import CATALOG

    checks = list(CATALOG.values())
    return [
        {
            "check": spec.id,
            "status": "fail" if rng.random() < 0.3 else "pass",
            "severity": str(spec.severity),
            "location": f"{domain}:443",
            "evidence": f"seen on {domain}: {spec.title}",
            "references": [],
            "target": domain,
        }
        for spec in checks
    ]


def _findings(spec: SeedSpec, rng: random.Random, assets: list[list[Any]]) -> list[Any]:
    from django.utils import timezone

    from rempart.engine.catalog import CATALOG
    from rempart.web.findings.models import SEVERITY_RANK, Finding
    from rempart.web.findings.policy import due_date, fingerprint

    now = timezone.now()
    checks = list(CATALOG.values())
    statuses, weights = zip(*STATUS_WEIGHTS.items(), strict=True)
    findings: list[Any] = []
    for group in assets:
        for j in range(spec.findings):
            asset, check = group[j % len(group)], checks[(j * 7 + rng.randrange(5)) % len(checks)]
            location = f"{asset.host}:{443 + j}"
            severity = str(check.severity)
            kev = check.id == "net.service.known_exploited" or rng.random() < 0.02
            first = now - timedelta(days=rng.randrange(1, 180))
            status = rng.choices(statuses, weights)[0]
            findings.append(
                Finding(
                    organisation_id=asset.organisation_id,
                    asset=asset,
                    fingerprint=fingerprint(
                        asset.organisation_id, str(asset.pk), check.id, location
                    ),
                    check_id=check.id,
                    location=location,
                    title=check.title,
                    severity=severity,
                    severity_rank=SEVERITY_RANK[severity],
                    known_exploited=kev,
                    status=status,
                    evidence=f"{check.title} ({location})",
                    sources=["rempart"],
                    first_seen=first,
                    last_seen=now - timedelta(days=rng.randrange(0, 7)),
                    fixed_at=now - timedelta(days=2) if status == "fixed" else None,
                    due_date=due_date(severity, kev, first.date()),
                    triage_reason="Seeded for the benchmark." if status in _HUMAN else "",
                    accepted_until=(now + timedelta(days=90)).date()
                    if status == "accepted"
                    else None,
                )
            )
    Finding.objects.bulk_create(findings, batch_size=2000)
    return findings


def _history(findings: list[Any], scans: list[list[Any]]) -> None:
    """Each finding was opened by its business's first scan; later transitions follow."""
    from rempart.web.findings.models import FindingEvent

    first_scan = {group[0].organisation_id: group[0] for group in scans if group}
    events = []
    for f in findings:
        scan = first_scan.get(f.organisation_id)
        events.append(_event(f, f.first_seen, "opened", "", "open", scan))
        if f.status in _EVENT_OF_STATUS or f.status == "false_positive":
            kind = _EVENT_OF_STATUS.get(f.status, "false_positive")
            events.append(_event(f, f.last_seen, kind, "open", f.status, None))
    FindingEvent.objects.bulk_create(events, batch_size=2000)


def _event(finding: Any, at: datetime, kind: str, old: str, new: str, scan: Any) -> Any:
    from rempart.web.findings.models import FindingEvent

    return FindingEvent(
        finding=finding, at=at, kind=kind, from_status=old, to_status=new, scan=scan
    )


def _audit(orgs: list[Any], owners: list[Any], assets: list[list[Any]]) -> None:
    """What a sign-up leaves in the log: the sign-up, each asset added, the domain proven."""
    from rempart.web.orgs.models import AuditAction, AuditEvent

    rows = []
    for org, owner, group in zip(orgs, owners, assets, strict=True):
        who = {"actor": owner, "actor_label": owner.email, "organisation": org}
        rows.append(AuditEvent(**who, action=AuditAction.SIGNUP))
        for asset, action in [(a, AuditAction.ASSET_ADDED) for a in group] + [
            (group[0], AuditAction.ASSET_VERIFIED)
        ]:
            rows.append(
                AuditEvent(**who, action=action, object_type="asset", object_id=str(asset.pk))
            )
    AuditEvent.objects.bulk_create(rows, batch_size=2000)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--orgs", type=int, default=1000)
    parser.add_argument("--findings", type=int, default=50, help="findings per business")
    parser.add_argument("--scans", type=int, default=4, help="finished scans per business")
    parser.add_argument("--dir", help="data folder (default: a new temporary folder)")
    parser.add_argument("--postgres", action="store_true", help="a fresh PostgreSQL database")
    args = parser.parse_args()
    data_dir = Path(args.dir or tempfile.mkdtemp(prefix="rempart-center-"))
    url = create_postgres_db(f"rempart_seed_{os.getpid()}") if args.postgres else ""
    configure(platform_env(data_dir, url))
    done = seed(SeedSpec(orgs=args.orgs, findings=args.findings, scans=args.scans))
    print(f"seeded in {done.seconds:.1f} s into {url or data_dir}: {done.counts}")
    print(f"log in as {done.owner_emails[0]} / {done.password!r}")


if __name__ == "__main__":
    sys.exit(main())

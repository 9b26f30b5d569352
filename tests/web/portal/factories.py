"""Findings and scans for the portal tests, written straight to the database (bulk where
there are many), as the scan workers would have left them."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from itertools import count

from django.utils import timezone

from rempart.web.assets.models import Asset, AssetKind
from rempart.web.findings.models import SEVERITY_RANK, Finding, FindingStatus
from rempart.web.orgs.models import Organisation
from rempart.web.scans.models import Scan, ScanMode, ScanStatus

_serial = count()
CHECKS = (
    ("mail.spf.missing", "high"),
    ("mail.dmarc.missing", "high"),
    ("tls.protocol.tls10", "medium"),
    ("dns.dnssec", "low"),
    ("net.smb.v1", "critical"),
)


def finding(organisation: Organisation, asset: Asset | None = None, **fields: object) -> Finding:
    """An unsaved finding; ``fields`` override the defaults."""
    now = timezone.now()
    n = next(_serial)
    check_id, severity = CHECKS[n % len(CHECKS)]
    values: dict[str, object] = {
        "organisation": organisation,
        "asset": asset,
        "fingerprint": hashlib.sha256(f"{organisation.pk}-{n}".encode()).hexdigest(),
        "check_id": check_id,
        "location": f"host{n}.example.lab",
        "title": check_id,
        "severity": severity,
        "status": FindingStatus.OPEN,
        "first_seen": now,
        "last_seen": now,
        "due_date": (now + timedelta(days=30)).date(),
        "sources": ["rempart"],
    }
    values.update(fields)
    values["severity_rank"] = SEVERITY_RANK[str(values["severity"])]
    return Finding(**values)


def save_finding(organisation: Organisation, asset: Asset | None = None, **fields: object):
    made = finding(organisation, asset, **fields)
    made.save()
    return made


def finished_scan(asset: Asset, grade: str, score: int | None, **fields: object) -> Scan:
    now = timezone.now()
    values: dict[str, object] = {
        "organisation_id": asset.organisation_id,
        "asset": asset,
        "trigger": "portal",
        "mode": ScanMode.ACTIVE,
        "status": ScanStatus.DONE,
        "finished_at": now,
        "grade": grade,
        "score": score,
        "counts": {"high": 2, "low": 1, "errors": 0},
    }
    values.update(fields)
    return Scan.objects.create(**values)


def many_businesses(how_many: int, findings_each: int) -> list[Organisation]:
    """``how_many`` businesses with one verified asset, one graded scan and findings."""
    orgs = Organisation.objects.bulk_create(
        Organisation(
            name=f"Entreprise {i:04d}",
            siren=f"9{i:08d}",
            naf="62.01Z",
            headcount="1-9",
            departement="35" if i % 2 else "29",
        )
        for i in range(how_many)
    )
    assets = Asset.objects.bulk_create(
        Asset(
            organisation=org,
            kind=AssetKind.DOMAIN,
            name=f"entreprise-{i:04d}.lab",
            verified_at=timezone.now(),
        )
        for i, org in enumerate(orgs)
    )
    Scan.objects.bulk_create(
        Scan(
            organisation=asset.organisation,
            asset=asset,
            trigger="schedule",
            mode=ScanMode.ACTIVE,
            status=ScanStatus.DONE,
            finished_at=timezone.now(),
            grade="ABCDE"[i % 5],
            score=100 - 10 * (i % 5),
            counts={"high": 1},
        )
        for i, asset in enumerate(assets)
    )
    Finding.objects.bulk_create(
        finding(asset.organisation, asset) for asset in assets for _ in range(findings_each)
    )
    return orgs

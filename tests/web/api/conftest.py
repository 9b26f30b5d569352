"""API test helpers: clients that carry a user's token, and findings and scans to read."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from rempart.web.findings.models import SEVERITY_RANK, Finding
from rempart.web.scans.models import Scan, ScanStatus


def client_for(user) -> APIClient:
    client = APIClient()
    if user is not None:
        token, _ = Token.objects.get_or_create(user=user)
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


@pytest.fixture
def api(world):
    """One authenticated API client per person of the world, and an anonymous one."""
    return {
        name: client_for(getattr(world, name) if name != "anonymous" else None)
        for name in ("alice", "bob", "charlie", "dave", "olga", "anonymous")
    }


def make_finding(organisation, asset, check_id="mail.spf.missing", **extra) -> Finding:
    now = timezone.now()
    severity = extra.pop("severity", "high")
    values = {
        "organisation": organisation,
        "asset": asset,
        "fingerprint": uuid.uuid4().hex,
        "check_id": check_id,
        "location": asset.name if asset else "imported.example",
        "title": "No SPF record",
        "severity": severity,
        "severity_rank": SEVERITY_RANK[severity],
        "first_seen": now - timedelta(days=3),
        "last_seen": now,
        "due_date": (now + timedelta(days=30)).date(),
    }
    values.update(extra)
    return Finding.objects.create(**values)


def make_scan(organisation, asset, **extra) -> Scan:
    values = {
        "organisation": organisation,
        "asset": asset,
        "trigger": "portal",
        "mode": "passive",
        "status": ScanStatus.DONE,
        "finished_at": timezone.now(),
        "grade": "C",
        "score": 61,
        "counts": {"high": 1, "errors": 0},
        "progress_done": 2,
        "progress_total": 2,
        "observations": [
            {
                "check": "mail.spf.missing",
                "status": "fail",
                "severity": "high",
                "location": asset.name,
                "evidence": "no TXT record starting with v=spf1",
                "references": [],
                "target": asset.name,
            }
        ],
    }
    values.update(extra)
    return Scan.objects.create(**values)

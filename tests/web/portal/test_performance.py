"""The main pages cost the same number of queries for 2 businesses or 32 with 50 findings each."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from rempart.web.findings.models import Finding
from tests.web.conftest import otp_login
from tests.web.portal.factories import finding, finished_scan, many_businesses

MAX_QUERIES = 15


def _count(client, url: str) -> int:
    client.get(url)  # warm-up: caches of the session, content types, translations
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(captured)


def _measure(client, world) -> dict[str, int]:
    otp_login(client, world.alice)
    counts = {
        "dashboard": _count(client, reverse("portal:dashboard", kwargs={"org": world.org_a.pk})),
        "findings": _count(client, reverse("portal:findings", kwargs={"org": world.org_a.pk})),
        "assets": _count(client, reverse("portal:assets", kwargs={"org": world.org_a.pk})),
    }
    otp_login(client, world.olga)
    counts["center"] = _count(client, reverse("portal:center"))
    return counts


def test_queries_do_not_grow_with_the_number_of_businesses_and_findings(client, world):
    finished_scan(world.asset_a, "C", 60)
    Finding.objects.bulk_create([finding(world.org_a, world.asset_a)])
    small = _measure(client, world)
    many_businesses(30, 50)
    Finding.objects.bulk_create(finding(world.org_a, world.asset_a) for _ in range(80))
    for _ in range(12):
        finished_scan(world.asset_a, "D", 50)
    assert Finding.objects.count() == 30 * 50 + 81
    large = _measure(client, world)
    assert large == small
    assert max(large.values()) <= MAX_QUERIES, large

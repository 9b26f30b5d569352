"""The API stays fast as data grows: the number of queries of a page does not depend on the
number of rows (no N+1), and stays small."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from rempart.web.assets.models import Asset
from rempart.web.findings.models import FindingEvent
from rempart.web.orgs.models import Organisation
from tests.web.api.conftest import make_finding, make_scan

MAX_QUERIES = 6


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
        if response.streaming:
            b"".join(response.streaming_content)  # a stream queries while it is read
    assert response.status_code == 200, url
    return len(captured)


def _grow(world, count: int) -> None:
    start = Asset.objects.count()
    for i in range(start, start + count):
        asset = Asset.objects.create(
            organisation=world.org_a, kind="domain", name=f"s{i}.alice.lab"
        )
        finding = make_finding(world.org_a, asset)
        make_scan(world.org_a, asset)
        FindingEvent.objects.create(
            finding=finding, at=timezone.now(), kind="accepted", actor=world.alice
        )


def _org_pages(world) -> list[str]:
    org = f"/api/organisations/{world.org_a.pk}"
    return [
        f"{org}/assets/",
        f"{org}/scans/",
        f"{org}/findings/",
        f"{org}/findings/?overdue=false&severity=high",
        f"{org}/audit/",
        f"{org}/findings/export.json",
        f"{org}/findings/export.csv",
        f"{org}/findings/export.sarif",
        "/api/me/",
    ]


def test_list_pages_cost_the_same_for_3_and_60_rows(api, world):
    _grow(world, 3)
    small = {url: _queries(api["alice"], url) for url in _org_pages(world)}
    _grow(world, 57)
    large = {url: _queries(api["alice"], url) for url in _org_pages(world)}
    assert small == large
    assert max(large.values()) <= MAX_QUERIES, large


def test_the_analyst_lists_many_organisations_in_constant_queries(api, world):
    for i in range(150):
        Organisation.objects.create(
            name=f"Entreprise {i}",
            siren=f"{i:09d}",
            naf="62.02A",
            headcount="1-9",
            departement="35",
        )
    assert _queries(api["olga"], "/api/organisations/?limit=200") <= MAX_QUERIES


def test_a_finding_with_a_long_history_costs_a_few_queries(api, world):
    finding = make_finding(world.org_a, world.asset_a)
    for _ in range(40):
        FindingEvent.objects.create(
            finding=finding, at=timezone.now(), kind="seen", actor=world.bob
        )
    assert _queries(api["alice"], f"/api/findings/{finding.pk}/") <= MAX_QUERIES

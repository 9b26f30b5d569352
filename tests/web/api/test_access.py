"""Who may do what through the API: every endpoint for each person of the world.

alice owns A, bob reads A, dave is A's IT provider, olga is a center analyst (reads every
organisation, changes none), charlie owns B and must get 404 on everything of A, and an
anonymous caller gets 401 everywhere but the token and the schema.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from rempart.web.assets.models import Asset
from rempart.web.findings.models import Finding, FindingStatus
from rempart.web.scans.models import Scan
from tests.web.api.conftest import make_finding, make_scan


@pytest.fixture
def a_objects(world):
    finding = make_finding(world.org_a, world.asset_a)
    scan = make_scan(world.org_a, world.asset_a)
    return {"org": world.org_a.pk, "asset": world.asset_a.pk, "scan": scan.pk, "finding": finding}


READS = [
    "/api/organisations/{org}/",
    "/api/organisations/{org}/assets/",
    "/api/organisations/{org}/scans/",
    "/api/organisations/{org}/findings/",
    "/api/organisations/{org}/findings/export.json",
    "/api/organisations/{org}/findings/export.csv",
    "/api/organisations/{org}/findings/export.sarif",
    "/api/assets/{asset}/",
    "/api/scans/{scan}/",
    "/api/findings/{finding}/",
]


def _fill(template: str, objects) -> str:
    return template.format(
        org=objects["org"],
        asset=objects["asset"],
        scan=objects["scan"],
        finding=objects["finding"].pk,
    )


def _writes(objects):
    """(method, url, body) of every change, with a body that would be accepted."""
    until = (timezone.localdate() + timedelta(days=90)).isoformat()
    reason = "The supplier replaces this server next month."
    finding = f"/api/findings/{objects['finding'].pk}"
    return [
        (
            "post",
            f"/api/organisations/{objects['org']}/assets/",
            {"kind": "domain", "name": "x.lab"},
        ),
        ("post", f"/api/assets/{objects['asset']}/scans/", {}),
        ("post", f"/api/assets/{objects['asset']}/verify/", {}),
        ("post", f"{finding}/accept-risk/", {"reason": reason, "until": until}),
        ("post", f"{finding}/false-positive/", {"reason": reason}),
        ("post", f"{finding}/revert/", {}),
        ("delete", f"/api/assets/{objects['asset']}/", None),
    ]


def _state(world):
    return (
        Asset.objects.count(),
        Scan.objects.count(),
        list(Finding.objects.values_list("status", flat=True)),
        Asset.objects.get(pk=world.asset_a.pk).last_check_at,
    )


@pytest.mark.parametrize("who", ["alice", "bob", "dave", "olga"])
def test_everyone_of_a_and_the_analyst_read_every_object_of_a(api, a_objects, who):
    for template in READS:
        response = api[who].get(_fill(template, a_objects))
        assert response.status_code == 200, (who, template, response.status_code)


def test_charlie_gets_404_on_every_object_of_a_read_or_write(api, world, a_objects):
    for template in [*READS, "/api/organisations/{org}/audit/"]:
        response = api["charlie"].get(_fill(template, a_objects))
        assert response.status_code == 404, template
    before = _state(world)
    for method, url, body in _writes(a_objects):
        response = getattr(api["charlie"], method)(url, body, format="json")
        assert response.status_code == 404, url
    assert _state(world) == before


@pytest.mark.parametrize("who", ["bob", "olga"])
def test_readers_get_403_on_every_change_and_nothing_changes(api, world, a_objects, who):
    before = _state(world)
    for method, url, body in _writes(a_objects):
        response = getattr(api[who], method)(url, body, format="json")
        assert response.status_code == 403, (who, url, response.status_code)
    assert _state(world) == before


def test_anonymous_callers_get_401_everywhere_but_the_token_and_the_schema(api, a_objects):
    for template in [*READS, "/api/me/", "/api/organisations/", "/api/organisations/{org}/audit/"]:
        assert api["anonymous"].get(_fill(template, a_objects)).status_code == 401, template
    for method, url, body in _writes(a_objects):
        assert getattr(api["anonymous"], method)(url, body, format="json").status_code == 401
    assert api["anonymous"].get("/api/schema/").status_code == 200


def test_lists_show_only_what_the_caller_may_see(api, world):
    make_finding(world.org_b, world.asset_b)
    names = {
        who: [o["name"] for o in api[who].get("/api/organisations/").json()["results"]]
        for who in ("alice", "charlie", "dave", "olga")
    }
    assert names == {
        "alice": ["Boulangerie Alice"],
        "charlie": ["Garage Charlie"],
        "dave": ["Boulangerie Alice", "Garage Charlie"],
        "olga": ["Boulangerie Alice", "Garage Charlie"],
    }


def test_me_says_who_i_am_and_where_i_belong(api, world):
    dave = api["dave"].get("/api/me/").json()
    assert dave["email"] == world.dave.email
    assert [(m["name"], m["role"]) for m in dave["memberships"]] == [
        ("Boulangerie Alice", "provider"),
        ("Garage Charlie", "provider"),
    ]
    olga = api["olga"].get("/api/me/").json()
    assert (olga["staff_role"], olga["two_factor"], olga["memberships"]) == ("analyst", True, [])


@pytest.mark.parametrize(
    ("who", "expected"), [("alice", 200), ("olga", 200), ("bob", 403), ("dave", 403)]
)
def test_the_audit_log_is_for_owners_and_staff(api, world, who, expected):
    api["alice"].post(f"/api/assets/{world.asset_a.pk}/scans/", format="json")
    response = api[who].get(f"/api/organisations/{world.org_a.pk}/audit/")
    assert response.status_code == expected
    if expected == 200:
        actions = [e["action"] for e in response.json()["results"]]
        assert "scan_requested" in actions


def test_the_it_provider_acts_for_both_of_his_businesses(api, world):
    for org, asset in ((world.org_a, world.asset_a), (world.org_b, world.asset_b)):
        finding = make_finding(org, asset)
        response = api["dave"].post(
            f"/api/findings/{finding.pk}/false-positive/",
            {"reason": "The record exists under another name."},
            format="json",
        )
        assert response.status_code == 200
        finding.refresh_from_db()
        assert finding.status == FindingStatus.FALSE_POSITIVE


def test_an_unknown_id_and_a_malformed_id_are_404(api):
    for url in (
        "/api/findings/00000000-0000-0000-0000-000000000000/",
        "/api/findings/not-a-uuid/",
        "/api/organisations/12345/assets/",
    ):
        assert api["alice"].get(url).status_code == 404, url

"""Tenant walls, for every route of the URL configuration (a new endpoint is covered by itself).

alice belongs to business A only. For each URL pattern, the test fills the object ids with
business B's objects and checks that alice gets 404 (or 405: a method the route does not
have) whatever the method; that pages without an object id show nothing of B; and that an
anonymous visitor gets nothing private. A route whose parameter the test cannot fill fails
the test, so that a new kind of object gets its wall checked, not skipped.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from rempart.web.diagnostic.models import ActionItem
from rempart.web.findings.models import Finding
from rempart.web.imports.models import Alert, Import
from rempart.web.orgs.models import Invitation, Membership
from rempart.web.scans.models import Scan, ScanStatus
from tests.web.conftest import otp_login

# Pages anyone may see (they must still show nothing of any business).
PUBLIC = {
    # The attestation register is public by design: whoever holds a serial (a random UUID,
    # printed on the report) may check what the center signed.
    "attestations:detail",
    "attestations:key",
    "attestations:verify",
    "portal:home",
    "orgs:login",
    "orgs:signup",
    "orgs:invitation",
    "orgs:totp_verify",
    "orgs:totp_setup",
    "orgs:logout",
    "set_language",
    "schema",
    "api:schema",
    "api:token",
}
NOT_FOUND_OR_METHOD = {404, 405}
ANONYMOUS_OK = {302, 401, 403, 404, 405}


@dataclass(frozen=True)
class Route:
    name: str
    kwargs: tuple[str, ...]


def _routes() -> list[Route]:
    found: list[Route] = []

    def walk(patterns, namespace: str) -> None:
        for entry in patterns:
            if isinstance(entry, URLResolver):
                ns = namespace
                if entry.namespace:
                    ns = f"{namespace}{entry.namespace}:"
                if ns.startswith("admin:"):
                    continue  # Django admin: its own staff gate, checked below
                walk(entry.url_patterns, ns)
            elif isinstance(entry, URLPattern):
                assert entry.name, f"unnamed URL pattern {entry.pattern}: name it to test it"
                kwargs = tuple(entry.pattern.regex.groupindex)
                found.append(Route(namespace + entry.name, kwargs))

    walk(get_resolver().url_patterns, "")
    return sorted(set(found), key=lambda r: (r.name, r.kwargs))


ROUTES = _routes()


@pytest.fixture
def b_objects(world):
    now = timezone.now()
    scan = Scan.objects.create(
        organisation=world.org_b,
        asset=world.asset_b,
        trigger="api",
        mode="passive",
        status=ScanStatus.DONE,
        finished_at=now,
    )
    finding = Finding.objects.create(
        organisation=world.org_b,
        asset=world.asset_b,
        fingerprint="f" * 64,
        check_id="mail.spf.missing",
        location="garage-charlie.lab",
        title="No SPF record",
        severity="high",
        severity_rank=3,
        first_seen=now,
        last_seen=now,
    )
    invitation = Invitation.objects.create(
        organisation=world.org_b,
        email="eve@garage-charlie.lab",
        role="member",
        token_hash="0" * 64,
        expires_at=now,
    )
    member = Membership.objects.get(user=world.charlie, organisation=world.org_b)
    report = Import.objects.create(
        organisation=world.org_b,
        file_name="garage-charlie-nmap.xml",
        stored_as="none",
        size=10,
        sha256="0" * 64,
    )
    alert = Alert.objects.create(
        organisation=world.org_b, kind="kev_hit", cve="CVE-2017-0144", subject="smb"
    )
    item = ActionItem.objects.create(
        organisation=world.org_b,
        key=f"f:{finding.pk}",
        source="finding",
        title="Garage Charlie: SPF",
        finding=finding,
    )
    return {
        "item": item.pk,
        "theme": "backup",
        "report": report.pk,
        "alert": alert.pk,
        "org": world.org_b.pk,
        "asset": world.asset_b.pk,
        "scan": scan.pk,
        "finding": finding.pk,
        "invitation": invitation.pk,
        "member": member.pk,
        "token": "not-a-real-token",
        "format": "json",
        "pk": world.org_b.pk,
        "serial": uuid.uuid4(),
    }


def _markers(world, objects) -> list[str]:
    return [
        world.org_b.name,
        world.asset_b.name,
        world.charlie.email,
        str(world.org_b.pk),
        str(objects["scan"]),
        str(objects["finding"]),
        str(objects["report"]),
        "garage-charlie-nmap.xml",
    ]


def _url(route: Route, objects) -> str:
    missing = [k for k in route.kwargs if k not in objects]
    assert not missing, f"{route.name}: the wall test does not know how to fill {missing}"
    return reverse(route.name, kwargs={k: objects[k] for k in route.kwargs})


def test_every_route_was_found():
    names = {r.name for r in ROUTES}
    # A sanity floor: if URL discovery breaks, this test says so instead of passing empty.
    assert len(ROUTES) >= 20, names
    assert {"portal:home", "orgs:login", "schema"} <= names


@pytest.mark.parametrize("route", ROUTES, ids=lambda r: r.name)
def test_alice_gets_404_for_any_object_of_business_b(route, client, world, b_objects):
    otp_login(client, world.alice)
    url = _url(route, b_objects)
    object_kwargs = [k for k in route.kwargs if k not in ("format", "token")]
    methods = ["get", "post"]
    if url.startswith("/api/"):
        methods += ["put", "patch", "delete"]
    for method in methods:
        response = getattr(client, method)(url, content_type="application/json")
        if object_kwargs:
            assert response.status_code in NOT_FOUND_OR_METHOD, (
                f"{method.upper()} {url} ({route.name}) answered {response.status_code} to alice"
            )
        else:
            assert response.status_code < 500, f"{method.upper()} {url}: server error"
            body = response.content.decode(errors="replace")
            for marker in _markers(world, b_objects):
                assert marker not in body, f"{method.upper()} {url} shows B's {marker!r}"


@pytest.mark.parametrize("route", ROUTES, ids=lambda r: r.name)
def test_anonymous_visitors_get_nothing_private(route, client, world, b_objects):
    url = _url(route, b_objects)
    response = client.get(url)
    if route.name not in PUBLIC:
        assert response.status_code in ANONYMOUS_OK, (
            f"GET {url} ({route.name}) answered {response.status_code} to an anonymous visitor"
        )
    body = response.content.decode(errors="replace")
    a_and_b = [*_markers(world, b_objects), world.org_a.name, world.asset_a.name]
    for marker in a_and_b:
        assert marker not in body, f"GET {url} shows {marker!r} to an anonymous visitor"


def test_the_admin_is_closed_to_business_users(client, world, b_objects):
    otp_login(client, world.alice)
    for url in (
        reverse("admin:index"),
        reverse("admin:findings_finding_change", args=[b_objects["finding"]]),
        reverse("admin:orgs_organisation_changelist"),
    ):
        response = client.get(url)
        assert response.status_code == 302 and "/admin/login/" in response["Location"], url


def test_an_unknown_uuid_and_another_tenants_uuid_look_the_same(client, world, b_objects):
    otp_login(client, world.alice)
    routes = [r for r in ROUTES if "finding" in r.kwargs and r.name.startswith("portal:")]
    assert routes, "no portal route takes a finding"
    for route in routes:
        theirs = client.get(_url(route, b_objects))
        nobody = client.get(_url(route, {**b_objects, "finding": uuid.uuid4()}))
        assert theirs.status_code == nobody.status_code == 404
        assert theirs.content == nobody.content

"""Assets through the API: declare (with per-field errors), remove, prove control, scan."""

from __future__ import annotations

import pytest
from django.test import override_settings

from rempart.lab.control import publish_txt, remove_txt
from rempart.web.assets.models import Asset
from rempart.web.orgs.models import AuditAction, AuditEvent
from rempart.web.scans.models import Scan, ScanMode, ScanStatus, Trigger


def _assets_url(world) -> str:
    return f"/api/organisations/{world.org_a.pk}/assets/"


def _add(api, world, kind: str, name: str, who: str = "alice"):
    return api[who].post(_assets_url(world), {"kind": kind, "name": name}, format="json")


def test_alice_declares_a_domain_and_is_told_how_to_prove_control(api, world):
    response = _add(api, world, "domain", "  Fournil-Alice.LAB ")
    assert response.status_code == 201
    body = response.json()
    asset = Asset.objects.get(pk=body["id"])
    assert (asset.organisation, asset.name, body["name"]) == (
        world.org_a,
        "fournil-alice.lab",
        "fournil-alice.lab",
    )
    assert body["verified"] is False and body["verification_method"] == ""
    assert body["verification"] == {
        "txt_name": "_rempart-challenge.fournil-alice.lab",
        "txt_value": f"rempart-verification={asset.token}",
        "well_known_url": "https://fournil-alice.lab/.well-known/rempart-verification.txt",
    }
    assert AuditEvent.objects.filter(action=AuditAction.ASSET_ADDED, object_id=str(asset.pk))


def test_the_it_provider_may_declare_an_asset_too(api, world):
    assert (
        _add(api, world, "website", "https://www.boulangerie-alice.lab/", "dave").status_code == 201
    )


@pytest.mark.parametrize(
    ("kind", "name", "field"),
    [
        ("domain", "not a domain!", "name"),
        ("domain", "https://boulangerie-alice.lab/", "name"),
        ("website", "boulangerie-alice.lab", "name"),
        ("host", "https://boulangerie-alice.lab/", "name"),
        ("domain", "", "name"),
        ("domain", "a" * 5000 + ".lab", "name"),
        ("planet", "boulangerie-alice.lab", "kind"),
    ],
)
def test_bad_names_get_a_message_on_their_field(api, world, kind, name, field):
    before = Asset.objects.count()
    response = _add(api, world, kind, name)
    assert response.status_code == 400
    assert list(response.json()) == [field] and response.json()[field][0]
    assert Asset.objects.count() == before


def test_a_missing_field_and_a_body_that_is_not_json_are_400(api, world):
    assert set(api["alice"].post(_assets_url(world), {}, format="json").json()) == {"kind", "name"}
    response = api["alice"].post(_assets_url(world), "{not json", content_type="application/json")
    assert response.status_code == 400


def test_a_duplicate_asset_is_refused_on_its_name(api, world):
    response = _add(api, world, "domain", world.asset_a.name)
    assert response.status_code == 400 and "name" in response.json()


@override_settings(REMPART_LAB=False)
@pytest.mark.parametrize("address", ["10.0.0.1", "127.0.0.1", "169.254.169.254", "192.168.1.1"])
def test_private_addresses_are_refused_outside_lab_mode(api, world, address):
    response = _add(api, world, "host", address)
    assert response.status_code == 400 and response.json()["name"]


def test_loopback_is_accepted_in_lab_mode_only(api, world):
    assert _add(api, world, "host", "127.20.0.9").status_code == 201


def test_alice_removes_an_asset(api, world):
    response = api["alice"].delete(f"/api/assets/{world.asset_a.pk}/")
    assert response.status_code == 204
    assert not Asset.objects.filter(pk=world.asset_a.pk).exists()
    assert AuditEvent.objects.filter(action=AuditAction.ASSET_REMOVED).count() == 1
    assert api["alice"].get(f"/api/assets/{world.asset_a.pk}/").status_code == 404


def test_a_scan_request_is_accepted_once_per_unfinished_scan(api, world):
    url = f"/api/assets/{world.asset_a.pk}/scans/"
    first = api["alice"].post(url, format="json")
    assert first.status_code == 202
    body = first.json()
    assert (body["status"], body["mode"], body["trigger"]) == (
        ScanStatus.QUEUED,
        ScanMode.PASSIVE,  # the asset is not verified yet: DNS and mail records only
        Trigger.API,
    )
    again = api["alice"].post(url, format="json")
    assert again.status_code == 202 and again.json()["id"] == body["id"]
    assert Scan.objects.filter(asset=world.asset_a).count() == 1
    assert AuditEvent.objects.filter(action=AuditAction.SCAN_REQUESTED).count() == 1


def test_the_scan_is_then_readable_in_the_list_and_alone(api, world):
    scan_id = (
        api["alice"].post(f"/api/assets/{world.asset_a.pk}/scans/", format="json").json()["id"]
    )
    listed = api["bob"].get(f"/api/organisations/{world.org_a.pk}/scans/").json()
    assert [s["id"] for s in listed["results"]] == [scan_id]
    assert "observations" not in listed["results"][0]
    alone = api["bob"].get(f"/api/scans/{scan_id}/").json()
    assert alone["observations"] == [] and alone["progress"]["percent"] == 0


@pytest.mark.lab
@pytest.mark.django_db(transaction=True)
def test_publishing_the_txt_record_proves_control_through_the_api(lab_settings, api, world):
    domain = lab_settings.truth["businesses"][0]["domain"]
    created = _add(api, world, "domain", domain).json()
    url = f"/api/assets/{created['id']}/verify/"
    refused = api["alice"].post(url, format="json").json()
    assert refused["verified"] is False and refused["last_check_error"]
    txt = created["verification"]
    publish_txt(txt["txt_name"], txt["txt_value"])
    try:
        proven = api["alice"].post(url, format="json").json()
    finally:
        remove_txt(txt["txt_name"])
    assert proven["verified"] is True and proven["verification_method"] == "dns_txt"
    actions = list(
        AuditEvent.objects.filter(object_id=created["id"]).values_list("action", flat=True)
    )
    assert AuditAction.ASSET_VERIFICATION_FAILED in actions
    assert AuditAction.ASSET_VERIFIED in actions

"""Assets: adding one (and the per-field errors), proving control, scans, schedule, removal."""

from __future__ import annotations

import time

from django.test import override_settings
from django.urls import reverse

from rempart.web.assets.models import Asset
from rempart.web.orgs.models import AuditAction, AuditEvent
from rempart.web.scans.models import Scan, ScanMode, ScanStatus
from tests.web.conftest import otp_login


def _add(client, world, kind: str, name: str):
    return client.post(
        reverse("portal:assets", kwargs={"org": world.org_a.pk}), {"kind": kind, "name": name}
    )


def test_alice_adds_a_domain_and_is_shown_how_to_prove_control(client, world):
    otp_login(client, world.alice)
    response = _add(client, world, "domain", "  Fournil-Alice.LAB ")
    added = Asset.objects.get(organisation=world.org_a, name="fournil-alice.lab")
    assert response.status_code == 302
    assert response["Location"] == reverse("portal:asset", kwargs={"asset": added.pk})
    assert AuditEvent.objects.filter(
        action=AuditAction.ASSET_ADDED, object_id=str(added.pk)
    ).exists()
    page = client.get(response["Location"]).content.decode()
    for value in (added.txt_name, added.txt_value, added.well_known_url, added.token):
        assert f">{value}</code>" in page
    assert "passive" in page  # unverified: the page says scans are passive until proven


def _assert_refused(response, world, fragment: str) -> None:
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert list(errors) == ["name"], errors
    assert fragment in " ".join(errors["name"])
    assert 'aria-invalid="true"' in response.content.decode()
    assert Asset.objects.filter(organisation=world.org_a).count() == 1  # only the fixture's


def test_a_malformed_domain_is_refused_on_its_field(client, world):
    otp_login(client, world.alice)
    _assert_refused(_add(client, world, "domain", "https://exa mple..fr/x"), world, "valid")


def test_a_domain_written_as_a_website_is_refused_on_its_field(client, world):
    otp_login(client, world.alice)
    _assert_refused(_add(client, world, "domain", "https://example.fr/"), world, "example.fr")


@override_settings(REMPART_LAB=False)
def test_a_private_address_is_refused_when_lab_mode_is_off(client, world):
    otp_login(client, world.alice)
    _assert_refused(_add(client, world, "host", "10.0.0.1"), world, "cannot be scanned")


def test_an_oversized_name_is_refused_on_its_field(client, world):
    otp_login(client, world.alice)
    _assert_refused(_add(client, world, "domain", "a" * 400 + ".fr"), world, "too long")


def test_a_duplicate_asset_is_refused_on_its_field(client, world):
    otp_login(client, world.alice)
    _assert_refused(_add(client, world, "domain", world.asset_a.name), world, "already")


def test_an_unknown_kind_is_refused_without_a_server_error(client, world):
    otp_login(client, world.alice)
    response = _add(client, world, "printer", "example.fr")
    assert response.status_code == 400 and "kind" in response.context["form"].errors
    assert Asset.objects.filter(organisation=world.org_a).count() == 1


def test_check_now_proves_control_with_the_published_txt_record(client, world, dns_responder):
    asset = world.asset_a
    dns_responder.txt[asset.txt_name] = [asset.txt_value]
    otp_login(client, world.alice)
    response = client.post(reverse("portal:asset_verify", kwargs={"asset": asset.pk}))
    assert response.status_code == 302
    asset.refresh_from_db()
    assert asset.is_verified and asset.verification_method == "dns_txt"
    assert f"{asset.txt_name} TXT" in dns_responder.questions
    assert AuditEvent.objects.filter(action=AuditAction.ASSET_VERIFIED).count() == 1


def test_check_now_without_the_record_shows_why_it_failed(client, world, dns_responder):
    asset = world.asset_a
    otp_login(client, world.alice)
    started = time.monotonic()
    response = client.post(reverse("portal:asset_verify", kwargs={"asset": asset.pk}), follow=True)
    assert time.monotonic() - started < 10  # bounded by the engine's timeouts
    asset.refresh_from_db()
    assert not asset.is_verified and asset.last_check_error
    body = response.content.decode()
    assert asset.txt_name in asset.last_check_error
    assert response.context["reasons"] and response.context["reasons"][0] in body
    assert AuditEvent.objects.filter(action=AuditAction.ASSET_VERIFICATION_FAILED).count() == 1


def test_scan_now_queues_a_passive_scan_of_an_unverified_asset(client, world):
    otp_login(client, world.alice)
    response = client.post(reverse("portal:asset_scan", kwargs={"asset": world.asset_a.pk}))
    scan = Scan.objects.get(asset=world.asset_a)
    assert response.status_code == 302
    assert response["Location"] == reverse("portal:scan", kwargs={"scan": scan.pk})
    assert scan.mode == ScanMode.PASSIVE and scan.status == ScanStatus.QUEUED
    assert scan.requested_by == world.alice and scan.trigger == "portal"
    page = client.get(response["Location"]).content.decode()
    assert 'hx-trigger="every 1s"' in page and 'aria-live="polite"' in page


def test_a_second_click_on_scan_now_does_not_start_a_second_scan(client, world):
    otp_login(client, world.dave)  # the IT provider may act too
    url = reverse("portal:asset_scan", kwargs={"asset": world.asset_a.pk})
    first, second = client.post(url), client.post(url)
    assert first["Location"] == second["Location"]
    assert Scan.objects.filter(asset=world.asset_a).count() == 1


def test_the_schedule_is_saved_and_a_bad_value_is_ignored(client, world):
    otp_login(client, world.alice)
    url = reverse("portal:asset_schedule", kwargs={"asset": world.asset_a.pk})
    client.post(url, {"schedule": "off"})
    world.asset_a.refresh_from_db()
    assert world.asset_a.schedule == "off" and world.asset_a.next_scan_at is None
    client.post(url, {"schedule": "daily"})
    world.asset_a.refresh_from_db()
    assert world.asset_a.schedule == "daily" and world.asset_a.next_scan_at is not None
    response = client.post(url, {"schedule": "hourly"})
    world.asset_a.refresh_from_db()
    assert response.status_code == 302 and world.asset_a.schedule == "daily"


def test_removing_an_asset_asks_first_then_removes_and_audits(client, world):
    otp_login(client, world.alice)
    url = reverse("portal:asset_remove", kwargs={"asset": world.asset_a.pk})
    confirm = client.get(url)
    assert confirm.status_code == 200 and 'id="remove-asset-form"' in confirm.content.decode()
    assert Asset.objects.filter(pk=world.asset_a.pk).exists()
    response = client.post(url)
    assert response["Location"] == reverse("portal:assets", kwargs={"org": world.org_a.pk})
    assert not Asset.objects.filter(pk=world.asset_a.pk).exists()
    assert AuditEvent.objects.filter(action=AuditAction.ASSET_REMOVED).count() == 1


def test_the_asset_list_shows_the_verification_state_and_the_last_scan(client, world):
    Scan.objects.create(
        organisation=world.org_a,
        asset=world.asset_a,
        trigger="portal",
        mode="passive",
        status=ScanStatus.DONE,
        grade="B",
        score=80,
    )
    otp_login(client, world.bob)
    response = client.get(reverse("portal:assets", kwargs={"org": world.org_a.pk}))
    body = response.content.decode()
    (row,) = response.context["page"].object_list
    assert row.last_scan_grade == "B" and row.last_scan_status == "done"
    assert "passive checks only" in body
    assert 'id="add-asset-form"' not in body  # bob only reads

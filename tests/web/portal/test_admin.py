"""The Django admin of assets, scans and findings: usable by a superuser, audit fields locked."""

from __future__ import annotations

import pyotp
from django.urls import reverse
from django.utils import timezone

from rempart.web.orgs.models import User
from tests.web.conftest import PASSWORD, otp_login
from tests.web.portal.factories import finished_scan, save_finding


def _superuser() -> User:
    return User.objects.create_superuser(
        username="root@centre.lab",
        email="root@centre.lab",
        password=PASSWORD,
        totp_secret=pyotp.random_base32(),
        totp_confirmed_at=timezone.now(),
    )


def test_a_superuser_browses_assets_scans_and_findings(client, world):
    scan = finished_scan(world.asset_a, "B", 80)
    finding = save_finding(world.org_a, world.asset_a)
    otp_login(client, _superuser())
    for url in (
        reverse("admin:assets_asset_changelist") + "?q=boulangerie",
        reverse("admin:assets_asset_change", args=[world.asset_a.pk]),
        reverse("admin:scans_scan_changelist") + "?status__exact=done",
        reverse("admin:scans_scan_change", args=[scan.pk]),
        reverse("admin:scans_campaign_changelist"),
        reverse("admin:findings_finding_changelist") + "?severity__exact=high",
        reverse("admin:findings_finding_change", args=[finding.pk]),
    ):
        response = client.get(url)
        assert response.status_code == 200, url


def test_the_proof_of_control_and_the_triage_cannot_be_edited_in_the_admin(client, world):
    finding = save_finding(world.org_a, world.asset_a)
    otp_login(client, _superuser())
    asset_page = client.get(reverse("admin:assets_asset_change", args=[world.asset_a.pk]))
    form_fields = asset_page.context["adminform"].form.fields
    assert "verified_at" not in form_fields and "token" not in form_fields
    finding_page = client.get(reverse("admin:findings_finding_change", args=[finding.pk]))
    assert "status" not in finding_page.context["adminform"].form.fields
    delete = client.get(reverse("admin:findings_finding_delete", args=[finding.pk]))
    assert delete.status_code == 403

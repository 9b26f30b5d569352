"""The center's view: every business worst first, filters, campaigns; closed to others."""

from __future__ import annotations

from django.urls import reverse
from django.utils import timezone

from rempart.web.assets.models import Asset, AssetKind
from rempart.web.orgs.models import AuditAction, AuditEvent, Organisation
from rempart.web.scans.models import Campaign, Scan, Trigger
from tests.web.conftest import otp_login
from tests.web.portal.factories import finished_scan, save_finding


def _rows(response) -> list[str]:
    return [row.name for row in response.context["page"].object_list]


def test_business_users_get_404_on_the_center_and_its_campaigns(client, world):
    for user in (world.alice, world.bob, world.dave, world.charlie):
        otp_login(client, user)
        assert client.get(reverse("portal:center")).status_code == 404
        assert client.post(reverse("portal:campaign"), {}).status_code == 404
    assert not Campaign.objects.exists()


def test_the_analyst_sees_every_business_worst_first_with_its_figures(client, world):
    finished_scan(world.asset_a, "B", 80)
    finished_scan(world.asset_b, "E", 20)
    Organisation.objects.create(
        name="Nouvelle", siren="356000000", naf="47.11B", headcount="1-9", departement="22"
    )
    save_finding(world.org_b, world.asset_b, severity="critical")
    save_finding(
        world.org_b,
        world.asset_b,
        severity="high",
        due_date=timezone.localdate().replace(year=2000),
    )
    otp_login(client, world.olga)
    response = client.get(reverse("portal:center"))
    assert response.status_code == 200
    assert _rows(response) == ["Garage Charlie", "Boulangerie Alice", "Nouvelle"]
    first = response.context["page"].object_list[0]
    assert (first.grade, first.score, first.critical, first.high, first.overdue) == (
        "E",
        20,
        1,
        1,
        1,
    )
    assert first.last_scan_at is not None
    body = response.content.decode()
    assert "45.20A" in body and "10 to 49 people" in body


def test_the_grade_of_a_business_is_its_worst_assets_latest_grade(client, world):
    second = Asset.objects.create(organisation=world.org_a, kind=AssetKind.DOMAIN, name="x.lab")
    finished_scan(world.asset_a, "E", 10, finished_at=timezone.now().replace(year=2020))
    finished_scan(world.asset_a, "A", 95)  # fixed since: the latest scan counts
    finished_scan(second, "C", 62)
    otp_login(client, world.olga)
    response = client.get(reverse("portal:center"), {"departement": "35"})
    (row,) = response.context["page"].object_list
    assert (row.grade, row.score) == ("C", 62)


def test_the_filters_select_by_departement_and_grade(client, world):
    finished_scan(world.asset_a, "B", 80)
    otp_login(client, world.olga)
    center = reverse("portal:center")
    assert _rows(client.get(center, {"departement": "35"})) == ["Boulangerie Alice"]
    assert _rows(client.get(center, {"grade": "B"})) == ["Boulangerie Alice"]
    assert _rows(client.get(center, {"grade": "none"})) == ["Garage Charlie"]
    bad = client.get(center, {"departement": "999<script>"})
    assert bad.status_code == 200 and "departement" in bad.context["form"].errors
    assert len(_rows(bad)) == 2  # an invalid filter is ignored, and said so


def test_a_campaign_rescans_the_verified_assets_of_the_filtered_businesses(client, world):
    now = timezone.now()
    Asset.objects.filter(pk__in=[world.asset_a.pk, world.asset_b.pk]).update(verified_at=now)
    Asset.objects.create(organisation=world.org_a, kind=AssetKind.DOMAIN, name="unproven.lab")
    otp_login(client, world.olga)
    page = client.get(reverse("portal:center"), {"departement": "35"})
    assert page.context["campaign"] == {"assets": 1, "businesses": 1}
    response = client.post(reverse("portal:campaign"), {"departement": "35", "grade": ""})
    assert response.status_code == 302 and "departement=35" in response["Location"]
    (scan,) = Scan.objects.all()
    assert scan.asset == world.asset_a and scan.trigger == Trigger.CAMPAIGN
    assert scan.campaign is not None and scan.campaign.created_by == world.olga
    assert (
        AuditEvent.objects.filter(action=AuditAction.SCAN_REQUESTED, actor=world.olga).count() == 1
    )

"""Findings: filters and pages of the list, the detail page, and triage decisions."""

from __future__ import annotations

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from rempart.web.assets.models import Asset, AssetKind
from rempart.web.findings.models import EventKind, Finding, FindingEvent, FindingStatus
from rempart.web.orgs.models import AuditAction, AuditEvent
from tests.web.conftest import otp_login
from tests.web.portal.factories import finding, save_finding


def _list(client, world, **params):
    url = reverse("portal:findings", kwargs={"org": world.org_a.pk})
    return client.get(url, params)


def _ids(response) -> set:
    return {f.pk for f in response.context["page"].object_list}


def test_the_list_filters_by_each_criterion(client, world):
    other = Asset.objects.create(organisation=world.org_a, kind=AssetKind.DOMAIN, name="b.lab")
    yesterday = timezone.localdate() - timedelta(days=1)
    spf = save_finding(world.org_a, world.asset_a, check_id="mail.spf.missing", severity="high")
    tls = save_finding(
        world.org_a,
        other,
        check_id="tls.protocol.tls10",
        severity="medium",
        location="b.lab:443",
        known_exploited=True,
    )
    late = save_finding(
        world.org_a, other, check_id="dns.dnssec", severity="low", due_date=yesterday
    )
    fixed = save_finding(world.org_a, world.asset_a, status=FindingStatus.FIXED)
    save_finding(world.org_b, world.asset_b)  # another tenant's: never listed
    otp_login(client, world.alice)
    assert _ids(_list(client, world)) == {spf.pk, tls.pk, late.pk}  # active by default
    assert _ids(_list(client, world, status="all")) == {spf.pk, tls.pk, late.pk, fixed.pk}
    assert _ids(_list(client, world, status="fixed")) == {fixed.pk}
    assert _ids(_list(client, world, severity="high")) == {spf.pk}
    assert _ids(_list(client, world, asset=str(other.pk))) == {tls.pk, late.pk}
    assert _ids(_list(client, world, family="tls")) == {tls.pk}
    assert _ids(_list(client, world, known_exploited="on")) == {tls.pk}
    assert _ids(_list(client, world, overdue="on")) == {late.pk}
    assert _ids(_list(client, world, q="b.lab:443")) == {tls.pk}
    assert _ids(_list(client, world, q="SPF")) == {spf.pk}


def test_priority_puts_known_exploited_then_severity_then_due_date_first(client, world):
    soon = timezone.localdate() + timedelta(days=2)
    later = timezone.localdate() + timedelta(days=20)
    high_later = save_finding(world.org_a, severity="high", due_date=later)
    high_soon = save_finding(world.org_a, severity="high", due_date=soon)
    critical = save_finding(world.org_a, severity="critical")
    kev_low = save_finding(world.org_a, severity="low", known_exploited=True)
    otp_login(client, world.alice)
    rows = list(_list(client, world, sort="priority").context["page"].object_list)
    assert [f.pk for f in rows] == [kev_low.pk, critical.pk, high_soon.pk, high_later.pk]


def test_a_bad_filter_value_is_reported_on_its_field_not_as_a_server_error(client, world):
    save_finding(world.org_a, world.asset_a)
    otp_login(client, world.alice)
    response = _list(client, world, severity="apocalyptic", asset="not-a-uuid", page="x")
    assert response.status_code == 200
    assert {"severity", "asset"} <= set(response.context["form"].errors)
    assert len(_ids(response)) == 1  # the bad criteria are ignored, the rest applies


def test_another_tenants_asset_cannot_be_used_as_a_filter(client, world):
    save_finding(world.org_b, world.asset_b)
    otp_login(client, world.alice)
    response = _list(client, world, asset=str(world.asset_b.pk), status="all")
    assert "asset" in response.context["form"].errors
    assert world.asset_b.name not in response.content.decode()


def test_the_list_is_paginated_fifty_a_page(client, world):
    Finding.objects.bulk_create(finding(world.org_a, world.asset_a) for _ in range(120))
    otp_login(client, world.alice)
    first = _list(client, world)
    third = _list(client, world, page=3)
    assert len(first.context["page"].object_list) == 50
    assert len(third.context["page"].object_list) == 20
    assert first.context["page"].paginator.count == 120
    assert "page=2" in first.content.decode()


def test_the_detail_shows_guidance_evidence_sources_and_history(client, world):
    found = save_finding(
        world.org_a,
        world.asset_a,
        check_id="mail.dmarc.missing",
        severity="high",
        evidence="no _dmarc record",
        sources=["rempart", "nmap"],
    )
    FindingEvent.objects.create(
        finding=found, at=timezone.now(), kind=EventKind.OPENED, to_status="open"
    )
    otp_login(client, world.dave)
    response = client.get(reverse("portal:finding", kwargs={"finding": found.pk}))
    body = response.content.decode()
    advice = response.context["advice"]
    assert advice is not None and advice.steps and advice.who and advice.effort
    assert advice.title in body and advice.steps[0] in body.replace("&#x27;", "'")
    assert "no _dmarc record" in body and "rempart, nmap" in body
    assert "Detected" in body  # the history's first event
    assert 'id="accept-form"' in body and 'id="false-positive-form"' in body


def test_an_unknown_check_id_falls_back_to_the_tools_own_title(client, world):
    found = save_finding(world.org_a, check_id="nuclei.some-template", title="Exposed panel")
    otp_login(client, world.alice)
    response = client.get(reverse("portal:finding", kwargs={"finding": found.pk}))
    assert response.status_code == 200 and response.context["advice"] is None
    assert "<h1>Exposed panel</h1>" in response.content.decode()


def _accept(client, found, **data):
    return client.post(reverse("portal:finding_accept", kwargs={"finding": found.pk}), data)


def test_accepting_a_risk_needs_a_reason_and_a_near_future_expiry(client, world):
    found = save_finding(world.org_a, world.asset_a)
    otp_login(client, world.alice)
    today = timezone.localdate()
    missing = _accept(client, found)
    assert missing.status_code == 400
    assert {"reason", "until"} <= set(missing.context["accept_form"].errors)
    bad_date = _accept(client, found, reason="Replaced next month.", until="31/31/2024")
    assert "until" in bad_date.context["accept_form"].errors
    for reason, until, words in (
        ("short", today + timedelta(days=30), "one sentence"),
        ("The server is replaced next month.", today - timedelta(days=1), "future"),
        ("The server is replaced next month.", today + timedelta(days=400), "one year"),
    ):
        response = _accept(client, found, reason=reason, until=until.isoformat())
        assert response.status_code == 400
        errors = response.context["accept_form"].non_field_errors()
        assert any(words in e for e in errors), errors
        assert words in response.content.decode()
    found.refresh_from_db()
    assert found.status == FindingStatus.OPEN and not found.events.exists()


def test_an_accepted_risk_is_recorded_audited_and_can_be_reverted(client, world):
    found = save_finding(world.org_a, world.asset_a)
    otp_login(client, world.alice)
    until = timezone.localdate() + timedelta(days=90)
    response = _accept(
        client, found, reason="The server is replaced next month.", until=until.isoformat()
    )
    assert response.status_code == 302
    found.refresh_from_db()
    assert found.status == FindingStatus.ACCEPTED and found.accepted_until == until
    assert found.triaged_by == world.alice
    assert AuditEvent.objects.filter(action=AuditAction.RISK_ACCEPTED).count() == 1
    again = _accept(client, found, reason="Another reason, long enough.", until=until.isoformat())
    assert again.status_code == 400  # one decision at a time
    revert = client.post(
        reverse("portal:finding_revert", kwargs={"finding": found.pk}),
        {"note": "The replacement was cancelled."},
    )
    assert revert.status_code == 302
    found.refresh_from_db()
    assert found.status == FindingStatus.OPEN
    assert list(found.events.values_list("kind", flat=True)) == ["accepted", "triage_reverted"]


def test_a_false_positive_needs_a_reason(client, world):
    found = save_finding(world.org_a, world.asset_a)
    otp_login(client, world.alice)
    url = reverse("portal:finding_false_positive", kwargs={"finding": found.pk})
    empty = client.post(url, {"reason": ""})
    assert empty.status_code == 400 and "reason" in empty.context["false_positive_form"].errors
    short = client.post(url, {"reason": "no"})
    assert short.status_code == 400 and short.context["false_positive_form"].non_field_errors()
    found.refresh_from_db()
    assert found.status == FindingStatus.OPEN
    done = client.post(url, {"reason": "This record is run by our mail provider."})
    found.refresh_from_db()
    assert done.status_code == 302 and found.status == FindingStatus.FALSE_POSITIVE
    assert AuditEvent.objects.filter(action=AuditAction.FALSE_POSITIVE).count() == 1


def test_there_is_nothing_to_revert_on_an_open_finding(client, world):
    found = save_finding(world.org_a, world.asset_a)
    otp_login(client, world.alice)
    response = client.post(reverse("portal:finding_revert", kwargs={"finding": found.pk}))
    assert response.status_code == 400 and response.context["revert_form"].non_field_errors()
    assert not found.events.exists()

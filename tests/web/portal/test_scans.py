"""Scans: the live progress fragment stops polling when finished; results are explained."""

from __future__ import annotations

from django.urls import reverse
from django.utils import timezone

from rempart.web.scans.models import Scan, ScanMode, ScanStatus
from tests.web.conftest import otp_login
from tests.web.portal.factories import finished_scan

POLLING = 'hx-trigger="every 1s"'


def test_the_progress_fragment_polls_while_running_and_stops_when_finished(client, world):
    scan = Scan.objects.create(
        organisation=world.org_a,
        asset=world.asset_a,
        trigger="portal",
        mode=ScanMode.PASSIVE,
        status=ScanStatus.RUNNING,
        progress_done=1,
        progress_total=4,
    )
    otp_login(client, world.alice)
    url = reverse("portal:scan_progress", kwargs={"scan": scan.pk})
    running = client.get(url).content.decode()
    assert POLLING in running and f'hx-get="{url}"' in running
    assert 'value="25"' in running and "1 of 4" in running
    Scan.objects.filter(pk=scan.pk).update(
        status=ScanStatus.DONE, progress_done=4, finished_at=timezone.now(), grade="B", score=80
    )
    finished = client.get(url).content.decode()
    assert POLLING not in finished and "hx-get" not in finished
    assert reverse("portal:scan", kwargs={"scan": scan.pk}) in finished  # link to results


def test_the_scan_page_wraps_the_progress_in_a_polite_live_region(client, world):
    scan = Scan.objects.create(
        organisation=world.org_a, asset=world.asset_a, trigger="portal", mode=ScanMode.PASSIVE
    )
    otp_login(client, world.bob)
    body = client.get(reverse("portal:scan", kwargs={"scan": scan.pk})).content.decode()
    region = body.index('aria-live="polite"')
    assert region < body.index(POLLING) < body.index("</section>", region)
    assert "Passive" in body  # the mode is labelled


def test_a_partial_scan_says_it_is_not_an_all_clear(client, world):
    scan = finished_scan(
        world.asset_a,
        "A",
        100,
        status=ScanStatus.PARTIAL,
        counts={"errors": 2},
        reason="DNS query boulangerie-alice.lab MX timed out",
    )
    otp_login(client, world.alice)
    body = client.get(reverse("portal:scan", kwargs={"scan": scan.pk})).content.decode()
    assert "NOT an all-clear" in body and "MX timed out" in body
    assert "This scan found no problem." not in body


def test_a_failed_scan_gives_its_reason_and_no_grade(client, world):
    scan = finished_scan(
        world.asset_a, "", None, status=ScanStatus.FAILED, reason="The scan engine stopped: boom"
    )
    otp_login(client, world.alice)
    body = client.get(reverse("portal:scan", kwargs={"scan": scan.pk})).content.decode()
    assert "engine stopped: boom" in body and 'id="result-heading"' not in body


def test_failing_observations_are_grouped_by_check_worst_first(client, world):
    fail = {"status": "fail", "location": "boulangerie-alice.lab"}
    scan = finished_scan(
        world.asset_a,
        "D",
        45,
        observations=[
            {**fail, "check": "dns.dnssec", "severity": "low"},
            {**fail, "check": "tls.protocol.tls10", "severity": "medium", "location": "a:443"},
            {**fail, "check": "tls.protocol.tls10", "severity": "medium", "location": "b:443"},
            {**fail, "check": "dns.caa", "severity": "info", "status": "pass"},
            {
                **fail,
                "check": "mail.mx",
                "severity": "info",
                "status": "error",
                "reason": "timeout",
            },
        ],
    )
    otp_login(client, world.alice)
    response = client.get(reverse("portal:scan", kwargs={"scan": scan.pk}))
    groups = response.context["groups"]
    assert [g.check_id for g in groups] == ["tls.protocol.tls10", "dns.dnssec"]
    assert [place for place, _ in groups[0].places] == ["a:443", "b:443"]
    assert groups[0].title != "tls.protocol.tls10"  # a plain-language title


def test_the_scan_history_lists_the_organisations_scans_only(client, world):
    mine = finished_scan(world.asset_a, "B", 80)
    theirs = finished_scan(world.asset_b, "E", 10)
    otp_login(client, world.dave)
    response = client.get(reverse("portal:scans", kwargs={"org": world.org_a.pk}))
    listed = {s.pk for s in response.context["page"].object_list}
    assert listed == {mine.pk} and theirs.pk not in listed

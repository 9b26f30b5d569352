"""Business A with a finished scan and findings, for the portal's page tests."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.test import Client
from django.urls import reverse

from rempart.web.findings.models import Finding
from rempart.web.scans.models import Scan
from tests.web.portal.factories import finished_scan, save_finding


@pytest.fixture
def client() -> Client:
    """English pages: the assertions on text must not depend on the French catalog, which
    is filled separately (tests that check French ask for it explicitly)."""
    return Client(HTTP_ACCEPT_LANGUAGE="en")


@dataclass
class PortalData:
    scan: Scan
    finding: Finding
    kev: Finding

    def read_urls(self, world) -> list[str]:
        """Every page of business A a reader may open."""
        return [
            reverse("portal:dashboard", kwargs={"org": world.org_a.pk}),
            reverse("portal:assets", kwargs={"org": world.org_a.pk}),
            reverse("portal:findings", kwargs={"org": world.org_a.pk}),
            reverse("portal:scans", kwargs={"org": world.org_a.pk}),
            reverse("portal:asset", kwargs={"asset": world.asset_a.pk}),
            reverse("portal:finding", kwargs={"finding": self.finding.pk}),
            reverse("portal:scan", kwargs={"scan": self.scan.pk}),
            reverse("portal:scan_progress", kwargs={"scan": self.scan.pk}),
        ]


@pytest.fixture
def portal_data(world) -> PortalData:
    scan = finished_scan(
        world.asset_a,
        "C",
        64,
        observations=[
            {
                "check": "mail.spf.missing",
                "status": "fail",
                "severity": "high",
                "location": "boulangerie-alice.lab",
                "evidence": "no v=spf1 record",
            },
            {
                "check": "dns.caa",
                "status": "pass",
                "severity": "info",
                "location": "boulangerie-alice.lab",
            },
        ],
    )
    spf = save_finding(
        world.org_a,
        world.asset_a,
        check_id="mail.spf.missing",
        severity="high",
        location="boulangerie-alice.lab",
        evidence="no v=spf1 record",
    )
    kev = save_finding(
        world.org_a,
        world.asset_a,
        check_id="net.service.known_exploited",
        severity="medium",
        location="boulangerie-alice.lab:443",
        known_exploited=True,
    )
    return PortalData(scan, spf, kev)


@pytest.fixture
def dns_responder(settings):
    """The platform's resolver pointed at a loopback responder the test controls."""
    from tests.web.portal.dns_responder import Responder

    with Responder().running() as responder:
        settings.REMPART_RESOLVER = responder.address
        settings.REMPART_SCAN_TIMEOUT = 2.0
        yield responder

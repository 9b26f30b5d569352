"""A feed update that makes a CVE known-exploited alerts the businesses it hits.

The "official" feed is served by a local HTTP server on 127.0.0.1 (the test never reaches the
internet): the KEV snapshot shipped with rempart, with entries taken out or added by the test.
"""

from __future__ import annotations

import json
import threading
from functools import partial
from http.server import HTTPServer, SimpleHTTPRequestHandler
from importlib import resources

import pytest
from django.core import mail
from django.utils import timezone

from rempart.web.findings.models import Finding
from rempart.web.findings.services import do_fold_observations
from rempart.web.imports.feeds import do_update_feeds
from rempart.web.imports.models import Alert, Component
from rempart.web.intel_bridge import forget
from rempart.web.scans.models import Scan, ScanStatus
from tests.web.imports.conftest import import_bytes


@pytest.fixture
def feed_server(tmp_path):
    root = tmp_path / "www"
    root.mkdir()
    handler = partial(SimpleHTTPRequestHandler, directory=str(root))
    server = HTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield root, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.fixture(autouse=True)
def _feeds_dir(settings, tmp_path):
    settings.FEEDS_DIR = tmp_path / "feeds"
    forget()
    yield
    forget()


def _kev():
    raw = resources.files("rempart.engine.data").joinpath("kev.json").read_bytes()
    return json.loads(raw)


def _publish(root, catalog, version: str) -> None:
    catalog = dict(catalog, catalogVersion=version, count=len(catalog["vulnerabilities"]))
    (root / "kev.json").write_text(json.dumps(catalog))


def _entry(cve: str, ransomware: bool) -> dict:
    return {
        "cveID": cve,
        "vendorProject": "Django Software Foundation",
        "product": "Django",
        "vulnerabilityName": "Django SQL injection (test entry)",
        "dateAdded": "2026-11-28",
        "shortDescription": "test",
        "requiredAction": "Apply updates.",
        "dueDate": "2026-12-19",
        "knownRansomwareCampaignUse": "Known" if ransomware else "Unknown",
        "notes": "",
        "cwes": [],
    }


def test_a_new_kev_entry_on_an_inventory_finding_alerts_the_business_and_its_analyst(
    world, feed_server
):
    root, base = feed_server
    report = import_bytes(
        world.org_a,
        b"name,version,ecosystem\ndjango,3.2.0,PyPI\n",
        "parc.csv",
        format="inventory-csv",
    )
    assert report.status == "done", report.error
    finding = Finding.objects.filter(organisation=world.org_a, cve_ids__contains=" CVE-").first()
    assert finding is not None and not finding.known_exploited
    cve = finding.cves[0]["id"]
    catalog = _kev()
    catalog["vulnerabilities"] = [*catalog["vulnerabilities"], _entry(cve, ransomware=True)]
    _publish(root, catalog, "2099.01.01")
    mail.outbox.clear()
    result = do_update_feeds(None, sources=["kev"], urls={"kev": f"{base}/kev.json"})
    assert cve in result.added_kev
    finding.refresh_from_db()
    assert finding.known_exploited and finding.ransomware
    assert (finding.due_date - timezone.localdate()).days <= 15
    alert = Alert.objects.get(organisation=world.org_a, cve=cve)
    assert alert.finding_id == finding.pk and alert.emailed_at is not None
    assert alert.detail["name"] == "Django SQL injection (test entry)"
    assert alert.detail["ransomware"] is True
    recipients = {r for m in mail.outbox for r in m.to}
    assert {world.alice.email, world.olga.email} <= recipients
    assert world.charlie.email not in recipients and world.bob.email not in recipients
    assert not Alert.objects.filter(organisation=world.org_b).exists()
    again = do_update_feeds(None, sources=["kev"], urls={"kev": f"{base}/kev.json"})
    assert again.added_kev == [] and Alert.objects.filter(cve=cve).count() == 1


def test_a_new_kev_entry_on_a_scanned_banner_alerts_the_business(world, feed_server):
    root, base = feed_server
    scan = Scan.objects.create(
        organisation=world.org_a,
        asset=world.asset_a,
        trigger="api",
        mode="active",
        status=ScanStatus.DONE,
        finished_at=timezone.now(),
    )
    banner = {
        "check": "net.service.version",
        "status": "fail",
        "severity": "info",
        "location": "127.20.0.9:9200",
        "evidence": 'Elasticsearch 1.4.2 (HTTP 200: "number" : "1.4.2")',
    }
    do_fold_observations(scan, [banner], passive=False)
    assert Component.objects.filter(organisation=world.org_a, source="banner").exists()
    catalog = _kev()
    without = [v for v in catalog["vulnerabilities"] if v["cveID"] != "CVE-2015-1427"]
    _publish(root, dict(catalog, vulnerabilities=without), "2099.01.01")
    do_update_feeds(None, sources=["kev"], urls={"kev": f"{base}/kev.json"})
    assert not Alert.objects.exists()
    _publish(root, catalog, "2099.01.02")
    result = do_update_feeds(None, sources=["kev"], urls={"kev": f"{base}/kev.json"})
    assert "CVE-2015-1427" in result.added_kev
    alert = Alert.objects.get(organisation=world.org_a, cve="CVE-2015-1427")
    assert "1.4.2" in alert.subject


def test_a_broken_download_keeps_the_feed_and_alerts_nobody(world, feed_server):
    root, base = feed_server
    (root / "kev.json").write_text('{"vulnerabilities": [')
    result = do_update_feeds(None, sources=["kev"], urls={"kev": f"{base}/kev.json"})
    assert result.updates[0].error
    assert not Alert.objects.exists()
    missing = do_update_feeds(None, sources=["kev"], urls={"kev": f"{base}/nothing.json"})
    assert missing.updates[0].error
